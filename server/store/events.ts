/**
 * The append-only event log (what happened, for the record and for export) and the change feed (who
 * listens for an attendee's stored progress changing: the class view). Both are written by progress.ts
 * and workshops.ts inside their own transactions; the feed is told only once a write committed.
 */
import type { Db } from './open.js';

export type EventKind = 'join' | 'step' | 'run' | 'command-failed' | 'check-passed' | 'reset';

/** One line of the event log; `detail` is the block id of a run, the status of a failed command, who reset, the name joined. */
export interface StoredEvent {
  id: number;
  at: number;
  attendee: string;
  kind: EventKind;
  labId: string | null;
  step: number | null;
  detail: string | null;
}

export interface EventLog {
  /** Append one event, filed under the attendee's workshop as of now. Callers hold their transaction. */
  append(attendee: string, kind: EventKind, at: number, labId?: string | null, step?: number | null, detail?: string | null): void;
  /** The log of a workshop (or of every attendee outside one, `null`), oldest first, after `afterId`. */
  events(workshopId: string | null, afterId?: number, limit?: number): StoredEvent[];
  /**
   * Be told when an attendee's stored progress changed (the class view pushes it). Listeners run after
   * the write committed; one that throws does not stop the others or the write.
   */
  onChange(listener: (attendee: string) => void): () => void;
  /** Tell the listeners (after the commit), when `really`. */
  changed(attendee: string, really: boolean): void;
}

export function eventLog(db: Db): EventLog {
  const listeners = new Set<(attendee: string) => void>();
  const insert = db.prepare(
    'INSERT INTO events (at, workshop_id, attendee, kind, lab_id, step, detail) VALUES (?, (SELECT workshop_id FROM attendees WHERE id = ?), ?, ?, ?, ?, ?)',
  );
  const list = db.prepare<[string | null, number, number], StoredEvent>(
    `SELECT id, at, attendee, kind, lab_id AS labId, step, detail FROM events
     WHERE workshop_id IS ? AND id > ? ORDER BY id LIMIT ?`,
  );
  return {
    append(attendee, kind, at, labId = null, step = null, detail = null) {
      insert.run(at, attendee, attendee, kind, labId, step, detail);
    },
    events: (workshopId, afterId = 0, limit = 1000) => list.all(workshopId, afterId, limit),
    onChange(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    changed(attendee, really) {
      if (!really) return;
      for (const l of listeners) {
        try {
          l(attendee);
        } catch {
          /* a listener's failure is its own; the write has committed */
        }
      }
    },
  };
}
