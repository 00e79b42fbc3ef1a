import type { Metadata } from 'next';
import { Dashboard } from './Dashboard';

export const metadata: Metadata = { title: 'Instructor · labdeck' };

export default function InstructorPage() {
  return <Dashboard />;
}
