'use client';
/**
 * The instructor dashboard: the workshop's join code and QR, its live class view (who is where, who is
 * stuck, sandbox state, messages and resets), every session on the server, and speaker notes.
 */
import Link from 'next/link';
import { useCallback, useEffect, useState } from 'react';
import type { LabSummary } from '@/common/lab-model';
import { api } from '@/app/lib/api';
import { AttendeeTable } from './AttendeeTable';
import { CapacityPanel } from './CapacityPanel';
import { ClassView } from './ClassView';
import { LivePanel } from './LivePanel';
import { NotesViewer } from './NotesViewer';
import { TokenForm } from './TokenForm';
import { WorkshopPanel } from './WorkshopPanel';
import { useToken } from './useToken';

export function Dashboard() {
  const [token, setToken] = useToken();
  const [labs, setLabs] = useState<LabSummary[]>([]);
  const [rejected, setRejected] = useState(false);
  const [workshop, setWorkshop] = useState<string | null>(null);
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
          <WorkshopPanel token={token} labs={labs} onUnauthorized={onUnauthorized} onShown={setWorkshop} />
          <CapacityPanel token={token} onUnauthorized={onUnauthorized} current={workshop} />
          {workshop && <ClassView key={workshop} token={token} workshop={workshop} />}
          <AttendeeTable token={token} labs={labs} onUnauthorized={onUnauthorized} />
          <LivePanel token={token} current={workshop} />
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
