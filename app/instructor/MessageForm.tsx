'use client';
/**
 * Send a message or hint to one attendee, or to everyone in the workshop: it stays in their lab view
 * until they dismiss it (the server keeps it until then).
 */
import { useState, type FormEvent } from 'react';
import { api } from '@/app/lib/api';

/** The server's bound (server/http/workshop-api.ts MAX_MESSAGE_CHARS); the form stops there too. */
const MAX_CHARS = 2000;

interface Props {
  token: string;
  workshop: string;
  /** The attendee's id and name; everyone in the workshop without it. */
  to?: { id: string; name: string };
  onClose?: () => void;
}

export function MessageForm({ token, workshop, to, onClose }: Props) {
  const [text, setText] = useState('');
  const [status, setStatus] = useState<{ ok: boolean; text: string } | null>(null);
  const [busy, setBusy] = useState(false);
  const label = to ? `Message to ${to.name}` : 'Message to everyone';
  const submit = (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    api.sendMessage(token, workshop, text, to?.id).then(
      (sent) => {
        setText('');
        setStatus({ ok: true, text: to ? `Sent to ${to.name}.` : `Sent to ${sent.recipients} attendee${sent.recipients === 1 ? '' : 's'}.` });
        setBusy(false);
      },
      (err: unknown) => {
        setStatus({ ok: false, text: err instanceof Error ? err.message : String(err) });
        setBusy(false);
      },
    );
  };
  return (
    <form className="message-form" onSubmit={submit} data-testid={to ? 'message-one-form' : 'message-all-form'}>
      <input aria-label={label} placeholder={to ? `Hint for ${to.name}…` : 'Message to everyone…'} value={text} maxLength={MAX_CHARS} onChange={(e) => setText(e.target.value)} autoFocus={Boolean(to)} />
      <button type="submit" className="btn btn-small btn-primary" disabled={busy || text.trim() === ''}>
        Send
      </button>
      {onClose && (
        <button type="button" className="btn btn-small" onClick={onClose}>
          Close
        </button>
      )}
      {status && (
        <span className={status.ok ? 'muted' : 'form-error'} role={status.ok ? 'status' : 'alert'}>
          {status.text}
        </span>
      )}
    </form>
  );
}
