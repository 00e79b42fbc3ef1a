/**
 * THE attendee ↔ sandbox assignment: the `attendees.sandbox_id` column. No driver, label or state file
 * keeps another copy (docs/architecture.md#the-sandbox-assignment says why), and only the pool writes it:
 * this module fills server/sandbox/pool.ts's AssignmentStore, and main.ts hands it to the pool alone.
 * The session and the workshop's capacity only read it.
 */
import { attendeeRow, type Db } from './open.js';

export interface Assignments {
  /** The sandbox assigned to the attendee, or null (never had one, or it was released). */
  sandboxOf(attendee: string): string | null;
  attendeeOfSandbox(sandboxId: string): string | null;
  /**
   * One sandbox has at most one attendee: assigning it takes it from anyone else who had it. The first
   * shell of an attendee who never joined a workshop (solo mode) creates their row here.
   */
  assign(attendee: string, sandboxId: string, driver: string, now?: number): void;
  unassign(sandboxId: string): void;
  /** Members of the workshop that have a sandbox assigned, and the sandbox's id. */
  workshopSandboxes(workshopId: string): Array<{ attendee: string; sandboxId: string }>;
}

export function assignmentStore(db: Db): Assignments {
  const sandboxOf = db.prepare<[string], { id: string | null }>('SELECT sandbox_id AS id FROM attendees WHERE id = ?');
  const attendeeOf = db.prepare<[string], { id: string }>('SELECT id FROM attendees WHERE sandbox_id = ?');
  const touch = attendeeRow(db);
  const takeFromOthers = db.prepare('UPDATE attendees SET sandbox_id = NULL WHERE sandbox_id = ? AND id <> ?');
  const give = db.prepare('UPDATE attendees SET sandbox_id = ?, driver = ? WHERE id = ?');
  const unassign = db.prepare('UPDATE attendees SET sandbox_id = NULL WHERE sandbox_id = ?');
  const ofWorkshop = db.prepare<[string], { attendee: string; sandboxId: string }>(
    'SELECT id AS attendee, sandbox_id AS sandboxId FROM attendees WHERE workshop_id = ? AND sandbox_id IS NOT NULL',
  );
  const assign = db.transaction((attendee: string, sandboxId: string, driver: string, now: number) => {
    touch(attendee, now);
    takeFromOthers.run(sandboxId, attendee);
    give.run(sandboxId, driver, attendee);
  });
  return {
    sandboxOf: (attendee) => sandboxOf.get(attendee)?.id ?? null,
    attendeeOfSandbox: (sandboxId) => attendeeOf.get(sandboxId)?.id ?? null,
    assign: (attendee, sandboxId, driver, now = Date.now()) => assign(attendee, sandboxId, driver, now),
    unassign: (sandboxId) => void unassign.run(sandboxId),
    workshopSandboxes: (workshopId) => ofWorkshop.all(workshopId),
  };
}
