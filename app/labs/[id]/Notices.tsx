'use client';
/** Messages from the connection (reset by the instructor, server restarting, errors). */
import type { Notice } from './terminalConnection';

export function Notices({ notices, onDismiss }: { notices: Notice[]; onDismiss: (id: number) => void }) {
  if (notices.length === 0) return null;
  return (
    <ul className="notices" aria-live="assertive">
      {notices.map((n) => (
        <li key={n.id} className={`notice tone-${n.tone}`} data-testid="notice">
          <span>{n.text}</span>
          <button type="button" className="notice-close" aria-label="Dismiss" onClick={() => onDismiss(n.id)}>
            ×
          </button>
        </li>
      ))}
    </ul>
  );
}
