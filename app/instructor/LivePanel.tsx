'use client';
/**
 * Present and watch (issue 10): presenter mode for an open workshop, and the attendees whose terminal
 * the instructor can watch (those connected now), one at a time in a WatchPane.
 */
import { useCallback, useState } from 'react';
import { api } from '@/app/lib/api';
import { MAX_ATTENDEE_PAGE } from '@/common/api';
import { PresenterControls } from './PresenterControls';
import { usePolling } from './usePolling';
import { WatchPane } from './WatchPane';
import styles from './watch.module.css';

/** `current`: the workshop the dashboard is on (WorkshopPanel's), presented unless another is picked. */
export function LivePanel({ token, current }: { token: string; current: string | null }) {
  const loadWorkshops = useCallback(() => api.workshops(token), [token]);
  const loadAttendees = useCallback(() => api.attendees(token, { limit: MAX_ATTENDEE_PAGE }), [token]);
  const workshops = usePolling(loadWorkshops, 5000).data ?? [];
  const attendees = (usePolling(loadAttendees, 3000).data?.attendees ?? []).filter((a) => a.connected);
  const [chosen, setChosen] = useState<string | null>(null);
  const [watched, setWatched] = useState<{ id: string; name: string } | null>(null);
  const open = workshops.filter((w) => w.state === 'open');
  const workshop = open.find((w) => w.id === (chosen ?? current)) ?? open[0] ?? null;

  return (
    <section className="panel" aria-labelledby="live-heading" data-testid="live-panel" data-workshop-code={workshop?.code}>
      <div className="panel-head">
        <h2 id="live-heading">Present and watch</h2>
        <span className="spacer-flex" />
        {open.length > 1 && (
          <select aria-label="Workshop presented" value={workshop?.id ?? ''} onChange={(e) => setChosen(e.target.value)}>
            {open.map((w) => (
              <option key={w.id} value={w.id}>
                {w.code} · {w.title}
              </option>
            ))}
          </select>
        )}
      </div>
      {workshop ? <PresenterControls key={workshop.id} token={token} workshop={workshop.id} labId={workshop.lab} /> : <p className="muted">Open a workshop to present its steps to the attendees.</p>}
      <h3>Watch a terminal</h3>
      {attendees.length === 0 ? (
        <p className="muted">Nobody is connected right now.</p>
      ) : (
        <ul className={styles.list}>
          {attendees.map((a) => {
            const name = a.name ?? a.attendee;
            return (
              <li key={a.attendee}>
                <button type="button" className="btn btn-small" aria-pressed={watched?.id === a.attendee} onClick={() => setWatched({ id: a.attendee, name })} aria-label={`Watch ${name}`}>
                  Watch {name}
                </button>
              </li>
            );
          })}
        </ul>
      )}
      {watched && <WatchPane key={watched.id} token={token} attendee={watched.id} name={watched.name} onClose={() => setWatched(null)} />}
    </section>
  );
}
