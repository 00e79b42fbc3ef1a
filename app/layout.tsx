import type { Metadata, Viewport } from 'next';
import type { ReactNode } from 'react';
import './globals.css';

export const metadata: Metadata = {
  title: 'labdeck',
  description: 'Hands-on labs: the steps beside a real terminal.',
};

export const viewport: Viewport = {
  themeColor: '#0d1117',
};

export default function RootLayout({ children }: { children: ReactNode }) {
  return (
    <html lang="en">
      <body>{children}</body>
    </html>
  );
}
