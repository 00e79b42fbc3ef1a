/**
 * The instructor's messages (to one member of a workshop, or to all of them) and which attendee
 * dismissed which. Kept, not fire-and-forget, so a reload or a late connection still shows them. Fills
 * the session's MessageStore (server/terminal/session.ts) and the workshop route's sending side.
 */
import { MAX_SHOWN_MESSAGES, type ServerMessage } from '../../common/protocol.js';
import type { Db } from './open.js';

/** A message as an attendee receives it: the `message` frame of common/protocol.ts, less its tags. */
export type StoredMessage = Omit<Extract<ServerMessage, { type: 'message' }>, 'type' | 'from'>;

export interface Messages {
  /** Keep a message to one member of the workshop, or to all of them (attendee null). Null when the attendee is not a member of this workshop. */
  addMessage(workshopId: string, attendee: string | null, text: string, now?: number): StoredMessage | null;
  /** The newest MAX_SHOWN_MESSAGES of the attendee's workshop meant for them and not dismissed, oldest first. */
  pendingMessages(attendee: string): StoredMessage[];
  /** The attendee closed the notice; an id that is not theirs changes nothing. */
  dismissMessage(attendee: string, id: number): void;
}

export function messageStore(db: Db): Messages {
  const isMember = db.prepare('SELECT 1 FROM attendees WHERE id = ? AND workshop_id = ?');
  const insert = db.prepare('INSERT INTO messages (workshop_id, attendee, text, at) VALUES (?, ?, ?, ?)');
  const pending = db.prepare<[string, number], { id: number; text: string; toAll: number; at: number }>(
    `SELECT m.id, m.text, m.attendee IS NULL AS toAll, m.at FROM messages m JOIN attendees a ON a.id = ? AND a.workshop_id = m.workshop_id
     WHERE (m.attendee IS NULL OR m.attendee = a.id)
       AND NOT EXISTS (SELECT 1 FROM message_dismissals d WHERE d.message_id = m.id AND d.attendee = a.id)
     ORDER BY m.id DESC LIMIT ?`,
  );
  const dismiss = db.prepare(
    `INSERT OR IGNORE INTO message_dismissals (message_id, attendee)
     SELECT m.id, a.id FROM messages m JOIN attendees a ON a.id = ? AND a.workshop_id = m.workshop_id
     WHERE m.id = ? AND (m.attendee IS NULL OR m.attendee = a.id)`,
  );
  return {
    addMessage(workshopId, attendee, text, at = Date.now()) {
      if (attendee !== null && !isMember.get(attendee, workshopId)) return null;
      const { lastInsertRowid } = insert.run(workshopId, attendee, text, at);
      return { id: Number(lastInsertRowid), text, toAll: attendee === null, at };
    },
    pendingMessages: (attendee) =>
      pending
        .all(attendee, MAX_SHOWN_MESSAGES)
        .reverse()
        .map((r) => ({ ...r, toAll: r.toAll === 1 })),
    dismissMessage: (attendee, id) => void dismiss.run(attendee, id),
  };
}
