'use client';
/**
 * Every session on this server, workshop or not, a page at a time (issue 17 §4: the server sends at
 * most a page, however many rows it has), the shown page refreshed every 2 s: what solo mode (no
 * workshop) has. A workshop's attendees are shown live, pushed, by the class view (ClassView.tsx);
 * this table stays for the attendees outside any workshop and for the server-wide picture.
 */
import { useCallback, useEffect, useMemo, useState } from 'react';
import type { LabSummary } from '@/common/lab-model';
import { ATTENDEE_PAGE } from '@/common/api';
import { api, ApiError, type InstructorAttendee } from '@/app/lib/api';
import { ResetButton } from './ResetButton';
import { usePolling } from './usePolling';

interface Props {
  token: string;
  labs: LabSummary[];
  onUnauthorized: () => void;
}

export function AttendeeTable({ token, labs, onUnauthorized }: Props) {
  // The cursors of the pages walked so far: the last one is the page shown ('' is the first page).
  const [cursors, setCursors] = useState<string[]>(['']);
  const cursor = cursors[cursors.length - 1]!;
  const load = useCallback(() => api.attendees(token, { limit: ATTENDEE_PAGE, cursor: cursor || null }), [token, cursor]);
  const { data, error, at, refresh } = usePolling(load, 2000);
  const byId = useMemo(() => new Map(labs.map((l) => [l.id, l])), [labs]);
  const unauthorized = error instanceof ApiError && error.status === 401;

  useEffect(() => {
    if (unauthorized) onUnauthorized();
  }, [unauthorized, onUnauthorized]);
  // A cursor the server no longer knows (400): back to the first page.
  useEffect(() => {
    if (error instanceof ApiError && error.status === 400 && cursors.length > 1) setCursors(['']);
  }, [error, cursors.length]);

  const rows = data?.attendees ?? [];
  const online = rows.filter((r) => r.connected).length;
  const first = (cursors.length - 1) * ATTENDEE_PAGE;
  const total = data?.total ?? 0;
  return (
    <section className="panel" aria-labelledby="attendees-heading">
      <div className="panel-head">
        <h2 id="attendees-heading">All sessions on this server</h2>
        <span className="pill" data-testid="attendee-count">
          {total} in all{rows.length > 0 ? ` · ${online} of this page connected` : ''}
        </span>
        <span className="spacer-flex" />
        {error != null && !unauthorized && <span className="form-error">Refresh failed: {String((error as Error).message ?? error)}</span>}
        {at && <span className="updated">updated {new Date(at).toLocaleTimeString()}</span>}
      </div>
      {rows.length === 0 ? (
        <p className="muted">{data ? 'Nobody has opened a lab yet.' : 'Loading…'}</p>
      ) : (
        <table className="attendee-table" data-testid="attendee-table">
          <thead>
            <tr>
              <th>Attendee</th>
              <th>Lab</th>
              <th>Step</th>
              <th>Connection</th>
              <th>Runs</th>
              <th>Sandbox</th>
              <th aria-label="Actions" />
            </tr>
          </thead>
          <tbody>
            {rows.map((r) => (
              <Row key={r.attendee} row={r} lab={r.labId ? byId.get(r.labId) : undefined} token={token} onReset={refresh} />
            ))}
          </tbody>
        </table>
      )}
      {(cursors.length > 1 || data?.next) && (
        <nav className="row-actions" aria-label="Pages of sessions" data-testid="attendee-pages">
          <button type="button" className="btn btn-small" disabled={cursors.length === 1} onClick={() => setCursors((c) => c.slice(0, -1))}>
            Previous
          </button>
          <span className="muted">
            {rows.length > 0 ? `${first + 1}–${first + rows.length}` : '—'} of {total}
          </span>
          <button type="button" className="btn btn-small" disabled={!data?.next} onClick={() => data?.next && setCursors((c) => [...c, data.next!])}>
            Next
          </button>
        </nav>
      )}
    </section>
  );
}

function Row({ row, lab, token, onReset }: { row: InstructorAttendee; lab: LabSummary | undefined; token: string; onReset: () => void }) {
  const total = lab?.steps ?? 0;
  const step = row.step ?? null;
  return (
    <tr data-testid={`attendee-${row.attendee}`} data-attendee={row.attendee}>
      <td>
        <div>{row.name ?? <span className="muted">(no name)</span>}</div>
        <div className="attendee-id">{row.attendee}</div>
      </td>
      <td>{lab?.title ?? row.labId ?? <span className="muted">—</span>}</td>
      <td>
        {step != null && total > 0 ? (
          <div className="step-cell">
            <span>
              {step + 1} of {total}
            </span>
            <div className="bar" aria-hidden="true">
              <div className="bar-fill" style={{ width: `${total > 1 ? (step / (total - 1)) * 100 : 100}%` }} />
            </div>
          </div>
        ) : (
          <span className="muted">—</span>
        )}
      </td>
      <td>
        <span className={`pill ${row.connected ? 'pill-ok' : ''}`}>{row.connected ? '● connected' : `○ ${ago(row.lastSeen)}`}</span>
      </td>
      <td className="num">{row.runs}</td>
      <td>
        <Health sandbox={row.sandbox} />
      </td>
      <td>
        <div className="row-actions">
          <ResetButton token={token} attendee={row.attendee} name={row.name} disabled={!row.sandbox} onDone={onReset} />
        </div>
      </td>
    </tr>
  );
}

function Health({ sandbox }: { sandbox: InstructorAttendee['sandbox'] }) {
  if (!sandbox) return <span className="muted">none</span>;
  const health = sandbox.health;
  if (!health) {
    return (
      <span className="pill" title={`${sandbox.id} · health not reported`}>
        {sandbox.driver}
      </span>
    );
  }
  const tone = /^(running|ok|healthy|ready)$/i.test(health) ? 'pill-ok' : /starting/i.test(health) ? 'pill-warn' : 'pill-bad';
  return (
    <span className={`pill ${tone}`} title={`${sandbox.driver} · ${sandbox.id}`}>
      {health}
    </span>
  );
}

function ago(lastSeen: string | number | null): string {
  if (lastSeen == null) return 'offline';
  const t = typeof lastSeen === 'number' ? lastSeen : Date.parse(lastSeen);
  if (!Number.isFinite(t)) return 'offline';
  const s = Math.max(0, Math.round((Date.now() - t) / 1000));
  if (s < 60) return `seen ${s} s ago`;
  if (s < 3600) return `seen ${Math.round(s / 60)} min ago`;
  return `seen ${Math.round(s / 3600)} h ago`;
}
