'use client';
/**
 * The instructor token: asked once per tab, checked with one request before the dashboard opens, so a
 * mistyped token costs one wrong guess of the address's budget (the panels would otherwise each send
 * it; issue 17 §8), and a server that has stopped listening to this address says for how long.
 */
import { useState, type FormEvent } from 'react';
import { api, ApiError } from '@/app/lib/api';

interface Props {
  token: string | null;
  onChange: (t: string | null) => void;
  /** The last token tried was refused by the server. */
  rejected: boolean;
}

export function TokenForm({ token, onChange, rejected }: Props) {
  const [draft, setDraft] = useState('');
  const [busy, setBusy] = useState(false);
  const [refusal, setRefusal] = useState<string | null>(null);
  if (token) {
    return (
      <button type="button" className="btn btn-small" onClick={() => onChange(null)}>
        Forget token
      </button>
    );
  }
  const submit = (e: FormEvent) => {
    e.preventDefault();
    const t = draft.trim();
    if (!t || busy) return;
    setBusy(true);
    setRefusal(null);
    api.workshops(t).then(
      () => {
        setBusy(false);
        onChange(t);
      },
      (err: unknown) => {
        setBusy(false);
        if (err instanceof ApiError && err.status === 401) setRefusal('That token was not accepted.');
        else setRefusal(err instanceof Error ? err.message : String(err));
      },
    );
  };
  const shown = refusal ?? (rejected ? 'That token was not accepted.' : null);
  return (
    <form className="token-form" onSubmit={submit}>
      <input
        type="password"
        aria-label="Instructor token"
        placeholder="Instructor token"
        autoComplete="off"
        value={draft}
        onChange={(e) => setDraft(e.target.value)}
        data-testid="token-input"
      />
      <button type="submit" className="btn btn-primary" disabled={busy}>
        Unlock
      </button>
      {shown && (
        <span className="form-error" role="alert" data-testid="token-error">
          {shown}
        </span>
      )}
    </form>
  );
}
