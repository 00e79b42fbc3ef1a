import type { Metadata } from 'next';
import { JoinForm } from '../JoinForm';

export const metadata: Metadata = { title: 'Join · labdeck' };

/** `/join/<code>`: the join link (and its QR code) carries the code. */
export default async function JoinCodePage({ params }: { params: Promise<{ code: string }> }) {
  const { code } = await params;
  return <JoinForm code={/^[A-Za-z]{1,12}$/.test(code) ? code.toUpperCase() : null} />;
}
