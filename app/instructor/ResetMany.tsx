'use client';
/**
 * Reset a selection of attendees, or all of them, after an explicit confirmation naming how many; then
 * each one's progress (queued, resetting, done, failed) from the capacity route's `resets`.
 */
import { useCallback, useState } from 'react';
import type { ResetState } from '@/common/api';
import { api } from '@/app/lib/api';
import { usePolling } from './usePolling';

interface Props {
  token: string;
  workshop: string;
  resets: Record<string, ResetState>;
  onQueued: () => void;
}

export function ResetMany({ token, workshop, resets, onQueued }: Props) {
  const load = useCallback(() => api.workshop(token, workshop), [token, workshop]);
  const { data } = usePolling(load, 3000);
  const attendees = data?.id === workshop ? data.attendees : [];
  const [chosen, setChosen] = useState<Set<string>>(new Set());
  const [confirm, setConfirm] = useState<'selected' | 'all' | null>(null);
  const [error, setError] = useState<string | null>(null);
  const toggle = (id: string) =>
    setChosen((c) => {
      const next = new Set(c);
      if (next.has(id)) next.delete(id);
      else next.add(id);
      return next;
    });
  const run = () => {
    const which = confirm === 'selected' ? [...chosen] : undefined;
    setConfirm(null);
    setError(null);
    api.resetMany(token, workshop, which).then(
      () => {
        setChosen(new Set());
        onQueued();
      },
      (err: unknown) => setError(err instanceof Error ? err.message : String(err)),
    );
  };
  if (attendees.length === 0) return null;
  const count = confirm === 'selected' ? chosen.size : attendees.length;
  return (
    <fieldset className="reset-many" data-testid="reset-many">
      <legend>Reset sandboxes</legend>
      <ul className="reset-list">
        {attendees.map((a) => (
          <li key={a.id}>
            <label>
              <input type="checkbox" checked={chosen.has(a.id)} onChange={() => toggle(a.id)} /> {a.name}
            </label>{' '}
            {resets[a.id] && (
              <span className={resets[a.id]!.state === 'failed' ? 'form-error' : 'muted'} data-testid="reset-state" title={resets[a.id]!.error}>
                {resets[a.id]!.state}
              </span>
            )}
          </li>
        ))}
      </ul>
      {confirm ? (
        <>
          <button type="button" className="btn btn-danger" autoFocus onClick={run} data-testid="confirm-reset-many">
            Reset {count} sandbox{count === 1 ? '' : 'es'}? Their files are deleted.
          </button>
          <button type="button" className="btn" onClick={() => setConfirm(null)}>
            Cancel
          </button>
        </>
      ) : (
        <>
          <button type="button" className="btn" disabled={chosen.size === 0} onClick={() => setConfirm('selected')} data-testid="reset-selected">
            Reset selected ({chosen.size})
          </button>
          <button type="button" className="btn" onClick={() => setConfirm('all')} data-testid="reset-all">
            Reset all
          </button>
        </>
      )}
      {error && (
        <span className="form-error" role="alert">
          {error}
        </span>
      )}
    </fieldset>
  );
}
