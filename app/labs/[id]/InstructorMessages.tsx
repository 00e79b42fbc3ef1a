'use client';
/**
 * The instructor's messages (POST /api/workshops/:id/messages), large enough to read on a projector
 * and kept on screen until dismissed: a hint is no use if it vanishes while the attendee is typing.
 * The text is rendered as a React text node, never as HTML.
 */
import type { InstructorMessage } from './terminalConnection';

export function InstructorMessages({ messages, onDismiss }: { messages: InstructorMessage[]; onDismiss: (id: number) => void }) {
  if (messages.length === 0) return null;
  return (
    <section className="instructor-messages" aria-label="Messages from the instructor" aria-live="polite">
      {messages.map((m) => (
        <div key={m.id} className="instructor-message" role="status" data-testid="instructor-message">
          <span className="instructor-message-from">{m.toAll ? 'Instructor, to everyone' : 'Instructor, to you'} · {new Date(m.at).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' })}</span>
          <p className="instructor-message-text">{m.text}</p>
          <button type="button" className="btn instructor-message-dismiss" onClick={() => onDismiss(m.id)}>
            Dismiss
          </button>
        </div>
      ))}
    </section>
  );
}
