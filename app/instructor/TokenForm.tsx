'use client';
import { useState, type FormEvent } from 'react';

interface Props {
  token: string | null;
  onChange: (t: string | null) => void;
  /** The last token tried was refused by the server. */
  rejected: boolean;
}

export function TokenForm({ token, onChange, rejected }: Props) {
  const [draft, setDraft] = useState('');
  if (token) {
    return (
      <button type="button" className="btn btn-small" onClick={() => onChange(null)}>
        Forget token
      </button>
    );
  }
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (draft.trim()) onChange(draft.trim());
  };
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
      <button type="submit" className="btn btn-primary">
        Unlock
      </button>
      {rejected && (
        <span className="form-error" role="alert" data-testid="token-error">
          That token was not accepted.
        </span>
      )}
    </form>
  );
}
