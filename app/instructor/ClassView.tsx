'use client';
/**
 * The class view (issue 10): one row per attendee of the workshop, live from the class socket (pushed,
 * never polled). Stuck attendees float to the top with the reason; the rest sort by the column the
 * instructor picks (a header button: click, Enter or Space; again to reverse). Names are React text.
 */
import { useEffect, useMemo, useState, type FormEvent } from 'react';
import {
  MAX_FAIL_STREAK,
  MAX_STUCK_AFTER_MS,
  MIN_FAIL_STREAK,
  MIN_STUCK_AFTER_MS,
  type ClassRow,
  type StuckSettings,
} from '@/common/class-protocol';
import { MessageForm } from './MessageForm';
import { ResetButton } from './ResetButton';
import { StepChart } from './StepChart';
import { useClassSocket, type ClassConnection } from './useClassSocket';
import styles from './class.module.css';

type SortKey = 'name' | 'online' | 'step' | 'time' | 'failed' | 'sandbox' | 'lastSeen';

const COLUMNS: Array<{ key: SortKey; label: string }> = [
  { key: 'name', label: 'Attendee' },
  { key: 'online', label: 'Online' },
  { key: 'step', label: 'Step' },
  { key: 'time', label: 'Time on step' },
  { key: 'failed', label: 'Failed commands' },
  { key: 'sandbox', label: 'Sandbox' },
  { key: 'lastSeen', label: 'Last activity' },
];

function sortValue(r: ClassRow, key: SortKey, now: number): string | number {
  switch (key) {
    case 'name':
      return r.name.toLocaleLowerCase();
    case 'online':
      return r.online ? 1 : 0;
    case 'step':
      return r.step ?? -1;
    case 'time':
      return r.onStepSince === null ? -1 : now - r.onStepSince;
    case 'failed':
      return r.failedCommands;
    case 'sandbox':
      return r.sandbox;
    case 'lastSeen':
      return r.lastSeen;
  }
}

/** Re-render every second, for the times that count up. */
function useNow(offsetMs: number): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const t = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(t);
  }, []);
  return now + offsetMs;
}

export function ClassView({ token, workshop }: { token: string; workshop: string }) {
  const live = useClassSocket(token, workshop);
  const now = useNow(live.clockOffsetMs);
  const [sort, setSort] = useState<{ key: SortKey; desc: boolean }>({ key: 'step', desc: false });
  const [messaging, setMessaging] = useState<string | null>(null);

  const rows = useMemo(() => {
    const dir = sort.desc ? -1 : 1;
    return [...live.rows].sort((a, b) => {
      if (a.stuck !== b.stuck) return a.stuck ? -1 : 1;
      const x = sortValue(a, sort.key, now);
      const y = sortValue(b, sort.key, now);
      if (x !== y) return (x < y ? -1 : 1) * dir;
      return a.name.localeCompare(b.name);
    });
  }, [live.rows, sort, now]);

  const messagingRow = messaging ? (rows.find((r) => r.id === messaging) ?? null) : null;
  const stuck = rows.filter((r) => r.stuck).length;
  const online = rows.filter((r) => r.online).length;
  return (
    <section className="panel" aria-labelledby="class-heading" data-testid="class-view">
      <div className="panel-head">
        <h2 id="class-heading">Class{live.workshop ? ` · ${live.workshop.title}` : ''}</h2>
        <span className="pill">
          {online} online · {rows.length} joined{stuck > 0 ? ` · ${stuck} stuck` : ''}
        </span>
        <span className="spacer-flex" />
        <Connection state={live.connection} />
      </div>
      {live.settings && <StuckForm settings={live.settings} onApply={(s) => live.send({ type: 'stuck-settings', ...s })} />}
      {live.error && (
        <p className="form-error" role="alert">
          {live.error}
        </p>
      )}
      {rows.length === 0 ? (
        <p className="muted">{live.connection === 'live' ? 'Nobody has joined yet: show the join code.' : 'Connecting…'}</p>
      ) : (
        <table className={`attendee-table ${styles.table}`} data-testid="class-table">
          <thead>
            <tr>
              {COLUMNS.map((c) => (
                <th key={c.key} aria-sort={sort.key === c.key ? (sort.desc ? 'descending' : 'ascending') : 'none'}>
                  <button
                    type="button"
                    className={styles.sortButton}
                    data-testid={`sort-${c.key}`}
                    onClick={() => setSort((s) => ({ key: c.key, desc: s.key === c.key ? !s.desc : false }))}
                  >
                    {c.label}
                    <span aria-hidden="true">{sort.key === c.key ? (sort.desc ? ' ▼' : ' ▲') : ''}</span>
                  </button>
                </th>
              ))}
              <th aria-label="Actions" />
            </tr>
          </thead>
          <tbody>
            {rows.map((r) => (
              <tr key={r.id} data-testid="class-row" data-attendee={r.id} data-stuck={r.stuck ? 'true' : 'false'} className={r.stuck ? styles.stuckRow : undefined}>
                <td>
                  <div className={styles.name}>{r.name}</div>
                  {r.stuckReason && (
                    <div className={styles.reason} data-testid="stuck-reason">
                      stuck: {r.stuckReason}
                    </div>
                  )}
                </td>
                <td>
                  <span className={`pill ${r.online ? 'pill-ok' : ''}`}>{r.online ? '● online' : '○ offline'}</span>
                </td>
                <td data-testid="class-step">
                  {r.step === null ? <span className="muted">—</span> : `${r.step + 1}${live.workshop ? ` of ${live.workshop.stepTitles.length}` : ''}`}
                </td>
                <td className="num">{r.onStepSince === null ? '—' : duration(now - r.onStepSince)}</td>
                <td className="num" data-testid="class-failed">
                  {r.failedCommands}
                </td>
                <td>
                  <span className={`pill ${r.sandbox === 'running' ? 'pill-ok' : r.sandbox === 'starting' || r.sandbox === 'parked' ? 'pill-warn' : r.sandbox === 'none' ? '' : 'pill-bad'}`}>
                    {r.sandbox}
                  </span>
                </td>
                <td>{ago(now - r.lastSeen)}</td>
                <td>
                  <div className="row-actions">
                    <button type="button" className="btn btn-small" aria-label={`Message ${r.name}`} onClick={() => setMessaging(messaging === r.id ? null : r.id)}>
                      Message
                    </button>
                    <ResetButton token={token} attendee={r.id} name={r.name} disabled={r.sandbox === 'none'} onDone={() => undefined} />
                  </div>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {/* Below the table, not in the row's cell: a form in the cell squeezed every column of the table. */}
      {messagingRow && <MessageForm key={messagingRow.id} token={token} workshop={workshop} to={{ id: messagingRow.id, name: messagingRow.name }} onClose={() => setMessaging(null)} />}
      {live.workshop && live.workshop.stepTitles.length > 0 && <StepChart stepTitles={live.workshop.stepTitles} rows={live.rows} />}
    </section>
  );
}

function Connection({ state }: { state: ClassConnection }) {
  const text = state === 'live' ? '● live' : state === 'connecting' ? '○ connecting…' : '○ reconnecting… (showing the last known state)';
  return (
    <span className={`pill ${state === 'live' ? 'pill-ok' : 'pill-warn'}`} data-testid="class-connection" data-state={state} role="status">
      {text}
    </span>
  );
}

/** The stuck rule's two settings; kept with the workshop on the server, so every instructor tab sees them. */
function StuckForm({ settings, onApply }: { settings: StuckSettings; onApply: (s: StuckSettings) => void }) {
  const [minutes, setMinutes] = useState(String(settings.stuckAfterMs / 60_000));
  const [streak, setStreak] = useState(String(settings.failStreak));
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    setMinutes(String(settings.stuckAfterMs / 60_000));
    setStreak(String(settings.failStreak));
  }, [settings]);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    const stuckAfterMs = Math.round(Number(minutes) * 60_000);
    const failStreak = Number(streak);
    if (!Number.isFinite(stuckAfterMs) || stuckAfterMs < MIN_STUCK_AFTER_MS || stuckAfterMs > MAX_STUCK_AFTER_MS) {
      return setError(`Minutes on a step: from ${MIN_STUCK_AFTER_MS / 60_000} to ${MAX_STUCK_AFTER_MS / 60_000}.`);
    }
    if (!Number.isInteger(failStreak) || failStreak < MIN_FAIL_STREAK || failStreak > MAX_FAIL_STREAK) {
      return setError(`Failing commands in a row: from ${MIN_FAIL_STREAK} to ${MAX_FAIL_STREAK}.`);
    }
    setError(null);
    onApply({ stuckAfterMs, failStreak });
  };
  return (
    <form className={styles.stuckForm} onSubmit={submit} data-testid="stuck-form">
      <span>Stuck after</span>
      <label>
        <input aria-label="Minutes on one step" inputMode="decimal" size={4} value={minutes} onChange={(e) => setMinutes(e.target.value)} /> min on a step
      </label>
      <span>or</span>
      <label>
        <input aria-label="Failing commands in a row" inputMode="numeric" size={3} value={streak} onChange={(e) => setStreak(e.target.value)} /> failing commands in a row
      </label>
      <button type="submit" className="btn btn-small">
        Apply
      </button>
      {error && (
        <span className="form-error" role="alert">
          {error}
        </span>
      )}
    </form>
  );
}

function duration(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${s % 60} s`;
  return `${Math.floor(m / 60)} h ${m % 60} min`;
}

function ago(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 10) return 'just now';
  if (s < 60) return `${s} s ago`;
  if (s < 3600) return `${Math.round(s / 60)} min ago`;
  return `${Math.round(s / 3600)} h ago`;
}
