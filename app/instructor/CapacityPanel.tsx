'use client';
/**
 * A workshop's capacity and lifecycle (issue 10): ready / in use / capacity at a glance, "prepare N
 * sandboxes" before the doors open with its progress, pause / resume overnight, close with a warning,
 * and resetting a selection. Each button is one call of the instructor API (server/http/capacity-api.ts).
 */
import { useCallback, useEffect, useState, type FormEvent } from 'react';
import { api, ApiError, type Capacity, type WorkshopList } from '@/app/lib/api';
import { ResetMany } from './ResetMany';
import { usePolling } from './usePolling';

interface Props {
  token: string;
  onUnauthorized: () => void;
  /** The workshop the dashboard is on (WorkshopPanel's): shown unless the instructor picks another. */
  current: string | null;
}

export function CapacityPanel({ token, onUnauthorized, current }: Props) {
  const loadList = useCallback(() => api.workshops(token), [token]);
  const list = usePolling(loadList, 5000);
  const [selected, setSelected] = useState<string | null>(null);
  const unauthorized = list.error instanceof ApiError && list.error.status === 401;
  useEffect(() => {
    if (unauthorized) onUnauthorized();
  }, [unauthorized, onUnauthorized]);
  const live = (list.data ?? []).filter((w) => w.state !== 'closed');
  const shown = live.find((w) => w.id === (selected ?? current)) ?? live[0] ?? null;
  return (
    <section className="panel" aria-labelledby="capacity-heading" data-testid="capacity-panel">
      <div className="panel-head">
        <h2 id="capacity-heading">Capacity</h2>
        <span className="spacer-flex" />
        {live.length > 1 && (
          <select aria-label="Workshop" value={shown?.id ?? ''} onChange={(e) => setSelected(e.target.value)}>
            {live.map((w) => (
              <option key={w.id} value={w.id}>
                {w.code} · {w.title} ({w.state})
              </option>
            ))}
          </select>
        )}
      </div>
      {shown ? <WorkshopCapacity key={shown.id} token={token} workshop={shown} onChanged={list.refresh} /> : <p className="muted">No open workshop.</p>}
    </section>
  );
}

function WorkshopCapacity({ token, workshop, onChanged }: { token: string; workshop: WorkshopList[number]; onChanged: () => void }) {
  const load = useCallback(() => api.capacity(token, workshop.id), [token, workshop.id]);
  const { data, refresh } = usePolling(load, 1500);
  const [error, setError] = useState<string | null>(null);
  const act = (p: Promise<unknown>) => {
    setError(null);
    p.then(
      () => {
        refresh();
        onChanged();
      },
      (err: unknown) => setError(err instanceof Error ? err.message : String(err)),
    );
  };
  if (!data) return <p className="muted">Loading…</p>;
  return (
    <div className="capacity">
      <p className="capacity-line" data-testid="capacity-line">
        <strong>{data.ready}</strong> ready · <strong>{data.inUse}</strong> in use · <strong>{data.joined}</strong> joined of{' '}
        <strong>{data.capacity}</strong>
        {data.creating + data.waiting > 0 && (
          <span className="muted">
            {' '}
            · creating {data.creating}, {data.waiting} waiting
          </span>
        )}{' '}
        <span className="pill">{data.state}</span>
      </p>
      <PrepareForm token={token} workshop={workshop.id} capacity={data} onError={setError} onStarted={refresh} />
      <Lifecycle capacity={data} act={act} token={token} workshop={workshop.id} />
      {error && (
        <p className="form-error" role="alert">
          {error}
        </p>
      )}
      <ResetMany token={token} workshop={workshop.id} resets={data.resets} onQueued={refresh} />
    </div>
  );
}

function PrepareForm({ token, workshop, capacity, onError, onStarted }: { token: string; workshop: string; capacity: Capacity; onError: (e: string | null) => void; onStarted: () => void }) {
  const [count, setCount] = useState('');
  const p = capacity.prepare;
  const submit = (e: FormEvent) => {
    e.preventDefault();
    onError(null);
    api.prepare(token, workshop, Number(count)).then(onStarted, (err: unknown) => onError(err instanceof Error ? err.message : String(err)));
  };
  return (
    <form className="prepare" onSubmit={submit}>
      <input aria-label="Sandboxes to prepare" placeholder={`Prepare (e.g. ${capacity.capacity})`} inputMode="numeric" value={count} onChange={(e) => setCount(e.target.value.replace(/\D/g, ''))} />
      <button type="submit" className="btn" disabled={!count || p?.running === true || capacity.state === 'closed'} data-testid="prepare">
        Prepare sandboxes
      </button>
      {p && (
        <span className="muted" data-testid="prepare-progress" role="status">
          {p.running ? 'Preparing' : 'Prepared'} {p.done} of {p.requested}: {p.ready} ready
          {p.failed.length > 0 && `, ${p.failed.length} failed the smoke test (${p.failed[0]!.problem})`}
          {p.missingTools.length > 0 && ` · tools missing in the sandboxes: ${p.missingTools.join(', ')}`}
        </span>
      )}
    </form>
  );
}

function Lifecycle({ capacity, act, token, workshop }: { capacity: Capacity; act: (p: Promise<unknown>) => void; token: string; workshop: string }) {
  const [confirmClose, setConfirmClose] = useState(false);
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    if (!capacity.closesAt) return;
    const t = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(t);
  }, [capacity.closesAt]);
  return (
    <div className="lifecycle">
      {capacity.state === 'open' && (
        <button type="button" className="btn" onClick={() => act(api.pauseWorkshop(token, workshop))} data-testid="pause">
          Pause (stop the sandboxes, keep their files)
        </button>
      )}
      {capacity.state === 'paused' && (
        <button type="button" className="btn btn-primary" onClick={() => act(api.resumeWorkshop(token, workshop))} data-testid="resume">
          Resume
        </button>
      )}
      {capacity.closesAt ? (
        <span className="form-error" role="status">
          Closing in {Math.max(0, Math.round((capacity.closesAt - now) / 1000))} s
        </span>
      ) : confirmClose ? (
        <>
          <button
            type="button"
            className="btn btn-danger"
            autoFocus
            onClick={() => {
              setConfirmClose(false);
              act(api.closeWorkshop(token, workshop));
            }}
            data-testid="confirm-close"
          >
            Close the workshop and delete every sandbox?
          </button>
          <button type="button" className="btn" onClick={() => setConfirmClose(false)}>
            Cancel
          </button>
        </>
      ) : (
        <button type="button" className="btn" onClick={() => setConfirmClose(true)} data-testid="close-workshop">
          Close…
        </button>
      )}
    </div>
  );
}
