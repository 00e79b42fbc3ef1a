/**
 * An attendee's progress, as it happens: the step they are on and their visits of each step, Run
 * clicks, the commands their shell reported, checks passed, resets. Each write is one transaction with
 * its line in the event log (events.ts), and the change feed is told after the commit. Fills the
 * session's ProgressStore (server/terminal/session.ts) and the checks' PassStore
 * (server/teach/runtime.ts); what counts as a failed command is the classroom's (classroom/stuck.ts):
 * this module is told the verdict.
 */
import type { EventLog } from './events.js';
import { attendeeRow, type Db } from './open.js';

/** What the classroom made of a command's exit status (server/classroom/stuck.ts commandOutcome). */
export type CommandOutcome = 'failed' | 'succeeded' | 'ignored';

/** Where a status line was read: the sandbox, and the byte of its report file just after the line. */
export interface StatusRead {
  sandbox: string;
  offset: number;
}

/** One attendee's visits of one step. */
export interface StoredStepProgress {
  labId: string;
  step: number;
  firstEnteredAt: number;
  /** The open visit's start; null when the attendee is on another step. */
  enteredAt: number | null;
  /** Closed visits, ms. */
  timeSpentMs: number;
  runs: number;
  failedCommands: number;
}

export interface Progress {
  /**
   * The attendee is on `step` of `labId` (their page says so on every step change and reload). Entering
   * another step closes the open visit (its time is added to the step's total) and opens one on the
   * new step; the same step again changes nothing but last_seen. One transaction: a SIGKILL leaves
   * either the old step or the new one, never a visit half closed. The first progress of an attendee
   * who never joined (solo mode) creates their row.
   */
  recordProgress(attendee: string, labId: string, step: number, now?: number): void;
  /** A Run click: the runs log, the current step's count (when it is in this lab), and the event log. */
  recordRun(attendee: string, labId: string, blockId: string, now?: number): void;
  /**
   * A command ended in the attendee's shell with `status`, as the shell reported it out of band
   * (server/classroom/exit-status.ts), judged `outcome` by the classroom. A failure counts on the current
   * step and lengthens the streak the stuck rule reads; a success ends the streak; an ignored one (Ctrl-C)
   * does neither. Only failures are logged: the log is for what an instructor looks back at, and a
   * success costs a write only when it ends a streak. `read` is where the report was read up to.
   */
  recordCommand(attendee: string, command: { status: number; outcome: CommandOutcome }, read?: StatusRead, now?: number): void;
  /**
   * Where to read the attendee's exit-status report of this sandbox from: where the last counted line
   * ended, if it was this sandbox (a server restarted under a podman shell that lives on); else the
   * start, as a new sandbox's report is all new.
   */
  statusOffset(attendee: string, sandboxId: string): number;
  /** A passed check (issue 11): the first pass's time is kept, later passes change nothing. */
  recordPass(attendee: string, labId: string, step: number, now?: number): void;
  passedSteps(attendee: string, labId: string): number[];
  /** The attendee's sandbox was reset, by them or by the instructor. */
  recordReset(attendee: string, by: 'instructor' | 'attendee', now?: number): void;
  /** Per-step rows of one attendee, for tests and export. */
  stepProgress(attendee: string): StoredStepProgress[];
  /** The lab and step the attendee last reported (null before any), or null for no such attendee. */
  whereIs(attendee: string): { labId: string | null; step: number | null } | null;
}

export function progressStore(db: Db, log: EventLog): Progress {
  const touch = attendeeRow(db);
  const openVisit = db.prepare('SELECT 1 FROM step_progress WHERE attendee = ? AND lab_id = ? AND step = ? AND entered_at IS NOT NULL');
  const closeVisits = db.prepare('UPDATE step_progress SET time_spent_ms = time_spent_ms + MAX(0, ? - entered_at), entered_at = NULL WHERE attendee = ? AND entered_at IS NOT NULL');
  const enter = db.prepare(
    `INSERT INTO step_progress (attendee, lab_id, step, first_entered_at, entered_at) VALUES (?, ?, ?, ?, ?)
     ON CONFLICT(attendee, lab_id, step) DO UPDATE SET entered_at = excluded.entered_at`,
  );
  const setStep = db.prepare('UPDATE attendees SET lab_id = ?, step = ?, fail_streak = 0 WHERE id = ?');
  const insertRun = db.prepare('INSERT INTO runs (attendee, lab_id, block_id, at) VALUES (?, ?, ?, ?)');
  const currentStep = db.prepare<[string, string], { step: number | null }>('SELECT step FROM attendees WHERE id = ? AND lab_id = ?');
  const countRun = db.prepare('UPDATE step_progress SET runs = runs + 1 WHERE attendee = ? AND lab_id = ? AND step = ?');
  const setRead = db.prepare('UPDATE attendees SET status_sandbox = ?, status_offset = ? WHERE id = ?');
  const endStreak = db.prepare('UPDATE attendees SET fail_streak = 0 WHERE id = ? AND fail_streak > 0');
  const whereAt = db.prepare<[string], { labId: string | null; step: number | null }>('SELECT lab_id AS labId, step FROM attendees WHERE id = ?');
  const lengthenStreak = db.prepare('UPDATE attendees SET fail_streak = fail_streak + 1 WHERE id = ?');
  const countFailure = db.prepare('UPDATE step_progress SET failed_commands = failed_commands + 1 WHERE attendee = ? AND lab_id = ? AND step = ?');
  const statusOffset = db.prepare<[string, string], { offset: number }>('SELECT status_offset AS offset FROM attendees WHERE id = ? AND status_sandbox = ?');
  const insertPass = db.prepare('INSERT OR IGNORE INTO step_passes (attendee, lab_id, step, at) VALUES (?, ?, ?, ?)');
  const passed = db.prepare<[string, string], { step: number }>('SELECT step FROM step_passes WHERE attendee = ? AND lab_id = ? ORDER BY step');
  const steps = db.prepare<[string], StoredStepProgress>(
    `SELECT lab_id AS labId, step, first_entered_at AS firstEnteredAt, entered_at AS enteredAt, time_spent_ms AS timeSpentMs, runs, failed_commands AS failedCommands
     FROM step_progress WHERE attendee = ? ORDER BY lab_id, step`,
  );

  const progress = db.transaction((attendee: string, labId: string, step: number, now: number): boolean => {
    touch(attendee, now);
    if (openVisit.get(attendee, labId, step)) return false;
    closeVisits.run(now, attendee);
    enter.run(attendee, labId, step, now, now);
    setStep.run(labId, step, attendee);
    log.append(attendee, 'step', now, labId, step);
    return true;
  });
  const run = db.transaction((attendee: string, labId: string, blockId: string, now: number) => {
    insertRun.run(attendee, labId, blockId, now);
    const step = currentStep.get(attendee, labId)?.step ?? null;
    if (step !== null) countRun.run(attendee, labId, step);
    log.append(attendee, 'run', now, labId, step, blockId);
  });
  const command = db.transaction((attendee: string, status: number, outcome: CommandOutcome, read: StatusRead | undefined, now: number): boolean => {
    // Where the report was read up to, with the count it moved: a restarted server goes on from there.
    if (read) setRead.run(read.sandbox, read.offset, attendee);
    if (outcome === 'ignored') return false;
    if (outcome === 'succeeded') return endStreak.run(attendee).changes > 0;
    const at = whereAt.get(attendee);
    if (!at) return false;
    lengthenStreak.run(attendee);
    if (at.labId !== null && at.step !== null) countFailure.run(attendee, at.labId, at.step);
    log.append(attendee, 'command-failed', now, at.labId, at.step, String(status));
    return true;
  });
  const pass = db.transaction((attendee: string, labId: string, step: number, now: number): boolean => {
    const { changes } = insertPass.run(attendee, labId, step, now);
    if (changes > 0) log.append(attendee, 'check-passed', now, labId, step);
    return changes > 0;
  });

  return {
    recordProgress(attendee, labId, step, now = Date.now()) {
      log.changed(attendee, progress(attendee, labId, step, now));
    },
    recordRun(attendee, labId, blockId, now = Date.now()) {
      run(attendee, labId, blockId, now);
      log.changed(attendee, true);
    },
    recordCommand(attendee, { status, outcome }, read, now = Date.now()) {
      log.changed(attendee, command(attendee, status, outcome, read, now));
    },
    statusOffset: (attendee, sandboxId) => statusOffset.get(attendee, sandboxId)?.offset ?? 0,
    recordPass(attendee, labId, step, now = Date.now()) {
      log.changed(attendee, pass(attendee, labId, step, now));
    },
    passedSteps: (attendee, labId) => passed.all(attendee, labId).map((r) => r.step),
    recordReset(attendee, by, now = Date.now()) {
      log.append(attendee, 'reset', now, null, null, by);
      log.changed(attendee, true);
    },
    stepProgress: (attendee) => steps.all(attendee),
    whereIs: (attendee) => whereAt.get(attendee) ?? null,
  };
}
