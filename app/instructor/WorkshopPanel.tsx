'use client';
/**
 * Workshops (issue 10): open one for a lab, then show its join code and URL large, with a QR code, for
 * the projector, and who joined; close joining once the class has started (issue 17 §2), so the code
 * on the projector lets nobody else in. Names are rendered as React text, never as markup.
 */
import { useCallback, useEffect, useState, type FormEvent } from 'react';
import type { LabSummary } from '@/common/lab-model';
import { api, ApiError, type WorkshopList } from '@/app/lib/api';
import { MessageForm } from './MessageForm';
import { QrCode } from './QrCode';
import { usePolling } from './usePolling';

interface Props {
  token: string;
  labs: LabSummary[];
  onUnauthorized: () => void;
  /** The workshop the panel shows changed (the dashboard's class view follows it). */
  onShown?: (workshop: string | null) => void;
}

export function WorkshopPanel({ token, labs, onUnauthorized, onShown }: Props) {
  const load = useCallback(() => api.workshops(token), [token]);
  const { data, error, refresh } = usePolling(load, 3000);
  const [selected, setSelected] = useState<string | null>(null);
  const unauthorized = error instanceof ApiError && error.status === 401;
  useEffect(() => {
    if (unauthorized) onUnauthorized();
  }, [unauthorized, onUnauthorized]);

  const workshops = data ?? [];
  const shown = workshops.find((w) => w.id === selected) ?? workshops.find((w) => w.state === 'open') ?? null;
  const shownId = shown?.id ?? null;
  useEffect(() => onShown?.(shownId), [shownId, onShown]);
  return (
    <section className="panel" aria-labelledby="workshops-heading">
      <div className="panel-head">
        <h2 id="workshops-heading">Workshop</h2>
        <span className="spacer-flex" />
        {workshops.length > 1 && (
          <select aria-label="Workshop shown" value={shown?.id ?? ''} onChange={(e) => setSelected(e.target.value)}>
            {workshops.map((w) => (
              <option key={w.id} value={w.id}>
                {w.code} · {w.title} ({w.state})
              </option>
            ))}
          </select>
        )}
      </div>
      <OpenWorkshopForm
        token={token}
        labs={labs}
        onOpened={(id) => {
          setSelected(id);
          refresh();
        }}
      />
      {shown && <JoinCard workshop={shown} token={token} onChanged={refresh} />}
    </section>
  );
}

function OpenWorkshopForm({ token, labs, onOpened }: { token: string; labs: LabSummary[]; onOpened: (id: string) => void }) {
  const [lab, setLab] = useState('');
  const [title, setTitle] = useState('');
  const [max, setMax] = useState('');
  const [error, setError] = useState<string | null>(null);
  const labId = lab || labs[0]?.id || '';
  const submit = (e: FormEvent) => {
    e.preventDefault();
    setError(null);
    api.openWorkshop(token, labId, title.trim() || undefined, max ? Number(max) : undefined).then(
      (w) => onOpened(w.id),
      (err: unknown) => setError(err instanceof Error ? err.message : String(err)),
    );
  };
  return (
    <form className="open-workshop" onSubmit={submit}>
      <select aria-label="Lab" value={labId} onChange={(e) => setLab(e.target.value)} data-testid="workshop-lab">
        {labs.map((l) => (
          <option key={l.id} value={l.id}>
            {l.title}
          </option>
        ))}
      </select>
      <input aria-label="Title (optional)" placeholder="Title (optional)" value={title} onChange={(e) => setTitle(e.target.value)} maxLength={120} />
      <input aria-label="Max attendees" placeholder="Max attendees (100)" inputMode="numeric" value={max} onChange={(e) => setMax(e.target.value.replace(/\D/g, ''))} />
      <button type="submit" className="btn btn-primary" disabled={!labId} data-testid="open-workshop">
        Open a workshop
      </button>
      {error && (
        <span className="form-error" role="alert">
          {error}
        </span>
      )}
    </form>
  );
}

function JoinCard({ workshop, token, onChanged }: { workshop: WorkshopList[number]; token: string; onChanged: () => void }) {
  const load = useCallback(() => api.workshop(token, workshop.id), [token, workshop.id]);
  const { data } = usePolling(load, 2000);
  const attendees = data?.id === workshop.id ? data.attendees : [];
  const closed = !workshop.joinsOpen;
  return (
    <div className="join-card" data-testid="join-card" data-joins-open={workshop.joinsOpen}>
      <div className="join-text">
        <p className="join-title">
          {workshop.title} <span className="pill">{workshop.state}</span>
          {closed && (
            <span className="pill pill-warn" data-testid="joins-closed">
              joining closed
            </span>
          )}
        </p>
        <p className="join-label">Join code</p>
        <p className={`join-code${closed ? ' muted' : ''}`} data-testid="join-code-shown">
          {groupCode(workshop.code)}
        </p>
        <p className="join-label">or open</p>
        <p className="join-url" data-testid="join-url-shown">
          {workshop.joinUrl}
        </p>
        <p className="muted">
          {attendees.length} of {workshop.maxAttendees} joined
        </p>
        {workshop.state === 'open' && <JoinsToggle token={token} workshop={workshop} onChanged={onChanged} />}
        {attendees.length > 0 && (
          <ul className="joined-names" data-testid="joined-names">
            {attendees.map((a) => (
              <li key={a.id} className={a.online ? 'online' : undefined} data-testid="joined-name">
                {a.name}
              </li>
            ))}
          </ul>
        )}
        <MessageForm token={token} workshop={workshop.id} />
        <DownloadCsv token={token} workshop={workshop} />
      </div>
      <QrCode text={workshop.joinUrl} label={`QR code for ${workshop.joinUrl}`} />
    </div>
  );
}

/** fetch + Blob rather than a link: the CSV route needs the bearer token, which a link cannot carry. */
function DownloadCsv({ token, workshop }: { token: string; workshop: WorkshopList[number] }) {
  const [error, setError] = useState<string | null>(null);
  const download = () => {
    setError(null);
    api.progressCsv(token, workshop.id).then(
      (blob) => {
        const url = URL.createObjectURL(blob);
        const a = document.createElement('a');
        a.href = url;
        a.download = `${workshop.code}-progress.csv`;
        a.click();
        // Revoked later: Chromium reads the blob after the click has returned.
        setTimeout(() => URL.revokeObjectURL(url), 60_000);
      },
      (err: unknown) => setError(err instanceof Error ? err.message : String(err)),
    );
  };
  return (
    <p>
      <button type="button" className="btn btn-small" onClick={download} data-testid="download-csv">
        Download CSV
      </button>
      {error && (
        <span className="form-error" role="alert">
          {error}
        </span>
      )}
    </p>
  );
}

/**
 * The code in groups of four, easier to read aloud and to type (the join page takes it with or without
 * a space). The gap is a margin, not a character: the text stays the code.
 */
function groupCode(code: string) {
  const groups = code.match(/.{1,4}/g) ?? [code];
  return groups.map((g, i) => (
    <span key={i} style={i > 0 ? { marginLeft: '0.35em' } : undefined}>
      {g}
    </span>
  ));
}

/**
 * Close joining once the class has started (issue 17 §2): the code then lets nobody new in, whoever
 * reads it off the projector or guesses it; members keep their seat and can come back.
 */
function JoinsToggle({ token, workshop, onChanged }: { token: string; workshop: WorkshopList[number]; onChanged: () => void }) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const open = workshop.joinsOpen;
  const toggle = () => {
    setBusy(true);
    setError(null);
    api.setJoinsOpen(token, workshop.id, !open).then(
      () => {
        setBusy(false);
        onChanged();
      },
      (err: unknown) => {
        setBusy(false);
        setError(err instanceof Error ? err.message : String(err));
      },
    );
  };
  return (
    <p>
      <button type="button" className="btn btn-small" onClick={toggle} disabled={busy} aria-pressed={!open} data-testid="joins-toggle">
        {open ? 'Close joining' : 'Open joining again'}
      </button>{' '}
      <span className="muted">{open ? 'Anyone with the code can join.' : 'Nobody new can join; those who joined keep their seat.'}</span>
      {error && (
        <span className="form-error" role="alert">
          {error}
        </span>
      )}
    </p>
  );
}
