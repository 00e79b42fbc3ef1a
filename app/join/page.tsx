import type { Metadata } from 'next';
import { JoinForm } from './JoinForm';

export const metadata: Metadata = { title: 'Join · labdeck' };

/** `/join`: the code is typed from the projector. */
export default function JoinPage() {
  return <JoinForm code={null} />;
}
