/**
 * What the instructor's views read across the store's tables, in one query each: the class view's facts
 * (server/classroom/roster.ts), the progress CSV's rows, the attendee listing. Read only.
 */
import type { Db } from './open.js';
import type { WorkshopMember } from './workshops.js';

/** One member of a workshop as the class view needs them. */
export interface ClassFacts {
  attendee: string;
  name: string;
  labId: string | null;
  step: number | null;
  lastSeen: number;
  sandboxId: string | null;
  failStreak: number;
  runs: number;
  failedCommands: number;
  /** Time on the current step, earlier visits included; null without a step. */
  timeOnStepMs: number | null;
}

/** One member for the progress CSV: stored progress, Run clicks and checks passed in the workshop's lab. */
export type ProgressRow = WorkshopMember & { runs: number; checksPassed: number };

/** One attendee as stored (the instructor's API adds the live session's view: common/api.ts). */
export interface StoredAttendee {
  attendee: string;
  name: string | null;
  labId: string | null;
  step: number | null;
  runs: number;
  sandboxId: string | null;
  driver: string | null;
  lastSeen: number;
}

export interface ReadModels {
  /**
   * What the class view shows of each member, from the store alone (the live session freshens
   * `online`, the step and the sandbox: server/classroom/roster.ts). Times as of `now`.
   */
  classFacts(workshopId: string, now?: number): ClassFacts[];
  progressRows(workshopId: string): ProgressRow[];
  /** Every attendee, in the order they came. */
  attendees(): StoredAttendee[];
}

export function readModels(db: Db): ReadModels {
  const facts = db.prepare<[number, string], ClassFacts>(
    `SELECT a.id AS attendee, a.name, a.lab_id AS labId, a.step, a.last_seen AS lastSeen, a.sandbox_id AS sandboxId, a.fail_streak AS failStreak,
            (SELECT COUNT(*) FROM runs r WHERE r.attendee = a.id AND r.lab_id = w.lab_id) AS runs,
            (SELECT COALESCE(SUM(p.failed_commands), 0) FROM step_progress p WHERE p.attendee = a.id AND p.lab_id = w.lab_id) AS failedCommands,
            (SELECT p.time_spent_ms + CASE WHEN p.entered_at IS NULL THEN 0 ELSE MAX(0, ? - p.entered_at) END
               FROM step_progress p WHERE p.attendee = a.id AND p.lab_id = a.lab_id AND p.step = a.step) AS timeOnStepMs
     FROM attendees a JOIN workshops w ON w.id = a.workshop_id WHERE a.workshop_id = ? ORDER BY a.created_at`,
  );
  const progress = db.prepare<[string], ProgressRow>(
    `SELECT a.id AS attendee, a.name, a.step, a.lab_id AS labId, a.last_seen AS lastSeen,
            (SELECT COUNT(*) FROM runs r WHERE r.attendee = a.id AND r.lab_id = w.lab_id) AS runs,
            (SELECT COUNT(*) FROM step_passes p WHERE p.attendee = a.id AND p.lab_id = w.lab_id) AS checksPassed
     FROM attendees a JOIN workshops w ON w.id = a.workshop_id WHERE a.workshop_id = ? ORDER BY a.created_at`,
  );
  const attendees = db.prepare<[], StoredAttendee>(
    `SELECT a.id AS attendee, a.name, a.lab_id AS labId, a.step, a.sandbox_id AS sandboxId, a.driver, a.last_seen AS lastSeen,
            (SELECT COUNT(*) FROM runs r WHERE r.attendee = a.id) AS runs
     FROM attendees a ORDER BY a.created_at`,
  );
  return {
    classFacts: (workshopId, now = Date.now()) => facts.all(now, workshopId),
    progressRows: (workshopId) => progress.all(workshopId),
    attendees: () => attendees.all(),
  };
}
