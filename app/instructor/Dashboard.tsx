'use client';
/** The instructor dashboard: the workshop's join code and QR, who is where, sandbox health, resets, and speaker notes. */
import Link from 'next/link';
import { useCallback, useEffect, useState } from 'react';
import type { LabSummary } from '@/common/lab-model';
import { api } from '@/app/lib/api';
import { AttendeeTable } from './AttendeeTable';
import { LivePanel } from './LivePanel';
import { NotesViewer } from './NotesViewer';
import { TokenForm } from './TokenForm';
import { WorkshopPanel } from './WorkshopPanel';
import { useToken } from './useToken';

export function Dashboard() {
  const [token, setToken] = useToken();
  const [labs, setLabs] = useState<LabSummary[]>([]);
  const [rejected, setRejected] = useState(false);
  const onUnauthorized = useCallback(() => {
    setRejected(true);
    setToken(null);
  }, [setToken]);
  const onToken = useCallback(
    (t: string | null) => {
      setRejected(false);
      setToken(t);
    },
    [setToken],
  );

  useEffect(() => {
    api.labs().then(setLabs, () => setLabs([]));
  }, []);

  return (
    <main className="instructor">
      <header className="instructor-head">
        <Link href="/" className="brand">
          lab<span>deck</span>
        </Link>
        <h1>Instructor</h1>
        <span className="spacer-flex" />
        <TokenForm token={token} onChange={onToken} rejected={rejected} />
      </header>
      {token ? (
        <>
          <WorkshopPanel token={token} labs={labs} onUnauthorized={onUnauthorized} />
          <AttendeeTable token={token} labs={labs} onUnauthorized={onUnauthorized} />
          <LivePanel token={token} />
          <NotesViewer token={token} labs={labs} />
        </>
      ) : (
        <section className="panel">
          <p className="muted">
            Enter the instructor token to see attendees. The server prints it at start-up (or takes it from{' '}
            <code>INSTRUCTOR_TOKEN</code>).
          </p>
        </section>
      )}
    </main>
  );
}
