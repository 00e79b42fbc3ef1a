'use client';
/**
 * Messages from the connection (reset by the instructor, server restarting, errors), read on a
 * projector as well as on the attendee's laptop: large type that follows A+/A−, opaque colours with a
 * contrast of at least 7:1, the tone said in words and a mark (not only in colour), and a Dismiss
 * button reached with Tab.
 */
import type { Notice } from './terminalConnection';

const TONE: Record<Notice['tone'], { mark: string; label: string }> = {
  info: { mark: 'ℹ', label: 'Note' },
  warn: { mark: '⚠', label: 'Warning' },
  error: { mark: '✕', label: 'Error' },
};

export function Notices({ notices, onDismiss }: { notices: Notice[]; onDismiss: (id: number) => void }) {
  if (notices.length === 0) return null;
  return (
    <ul className="notices" aria-live="assertive">
      {notices.map((n) => (
        <li key={n.id} className={`notice tone-${n.tone}`} data-testid="notice">
          <span className="notice-mark" aria-hidden="true">
            {TONE[n.tone].mark}
          </span>
          <span className="notice-text">
            <span className="sr-only">{TONE[n.tone].label}: </span>
            {n.text}
          </span>
          <button type="button" className="btn btn-small notice-close" onClick={() => onDismiss(n.id)}>
            Dismiss
          </button>
        </li>
      ))}
    </ul>
  );
}
