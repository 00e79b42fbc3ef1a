'use client';
/** Lets attendees tell the instructor who they are; shown on the instructor dashboard. */
import { useEffect, useState, type FormEvent } from 'react';
import { api } from '@/app/lib/api';

export function NameBadge() {
  const [name, setName] = useState<string | null>(null);
  const [editing, setEditing] = useState(false);
  const [draft, setDraft] = useState('');
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    let live = true;
    api
      .me()
      .then((me) => live && setName(me.name))
      .catch(() => undefined);
    return () => {
      live = false;
    };
  }, []);

  const save = async (e: FormEvent) => {
    e.preventDefault();
    const trimmed = draft.trim();
    if (!trimmed) return;
    try {
      const me = await api.setName(trimmed);
      setName(me?.name ?? trimmed);
      setEditing(false);
      setError(null);
    } catch (err) {
      setError(err instanceof Error ? err.message : String(err));
    }
  };

  if (editing) {
    return (
      <form className="name-form" onSubmit={save}>
        <input
          aria-label="Your name"
          placeholder="Your name"
          value={draft}
          maxLength={60}
          autoFocus
          onChange={(e) => setDraft(e.target.value)}
          onKeyDown={(e) => e.key === 'Escape' && setEditing(false)}
        />
        <button type="submit" className="btn btn-small btn-primary">
          Save
        </button>
        {error && <span className="form-error">{error}</span>}
      </form>
    );
  }
  return (
    <button
      type="button"
      className="btn btn-small btn-ghost name-badge"
      onClick={() => {
        setDraft(name ?? '');
        setEditing(true);
      }}
      title="Shown to your instructor"
    >
      {name ? (
        <>
          <span className="avatar" aria-hidden="true">
            {name.trim().charAt(0).toUpperCase()}
          </span>
          {name}
        </>
      ) : (
        'Set your name'
      )}
    </button>
  );
}
