/**
 * Persistence in one embedded SQLite file, and all of its SQL: workshops, attendees, their progress (per
 * step, and an append-only event log), which sandbox each one has (so a restarted server re-adopts
 * sandboxes), and the server's own secrets (so cookies outlive restarts). WAL: a committed write
 * survives the server's SIGKILL, so progress is written as it happens, never batched in memory.
 *
 * The `sandbox_id` column is THE attendee ↔ sandbox assignment: no driver, label or state file keeps
 * another copy (docs/architecture.md#the-sandbox-assignment says why), and only the pool writes it.
 */
import Database from 'better-sqlite3';
import { randomBytes, randomInt } from 'node:crypto';
import { chmodSync, closeSync, existsSync, mkdirSync, openSync } from 'node:fs';
import path from 'node:path';
import { MAX_SHOWN_MESSAGES } from '../../common/protocol.js';
import type { AssignmentStore } from '../sandbox/pool.js';
import type { ProgressStore } from '../terminal/session.js';
import type { PassStore } from '../teach/runtime.js';
import type { StuckSettings } from '../../common/class-protocol.js';
import { DEFAULT_STUCK_SETTINGS } from '../classroom/stuck.js';

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

/**
 * The schema, one migration per change, applied in order; `PRAGMA user_version` counts those applied.
 * Never edit a migration that has shipped: add the next one. Migration 1 is the schema of the servers
 * before the scheme existed (user_version 0): its `IF NOT EXISTS` makes it a no-op on their files.
 */
const MIGRATIONS: readonly string[] = [
  `
CREATE TABLE IF NOT EXISTS attendees (
  id TEXT PRIMARY KEY,
  name TEXT,
  created_at INTEGER NOT NULL,
  last_seen INTEGER NOT NULL,
  lab_id TEXT,
  step INTEGER,
  sandbox_id TEXT,
  driver TEXT
);
CREATE TABLE IF NOT EXISTS runs (
  attendee TEXT NOT NULL,
  lab_id TEXT NOT NULL,
  block_id TEXT NOT NULL,
  at INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS runs_attendee ON runs(attendee);
CREATE TABLE IF NOT EXISTS settings (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS step_passes (
  attendee TEXT NOT NULL,
  lab_id TEXT NOT NULL,
  step INTEGER NOT NULL,
  at INTEGER NOT NULL,
  PRIMARY KEY (attendee, lab_id, step)
);
`,
  // Issue 10: workshops, and attendees who joined one under a name unique in it (case-insensitively:
  // "Ana" and "ana" on the projector are the same person to the room).
  `
CREATE TABLE workshops (
  id TEXT PRIMARY KEY,
  lab_id TEXT NOT NULL,
  title TEXT NOT NULL,
  code TEXT NOT NULL UNIQUE,
  max_attendees INTEGER NOT NULL CHECK (max_attendees > 0),
  state TEXT NOT NULL DEFAULT 'open' CHECK (state IN ('open', 'paused', 'closed')),
  created_at INTEGER NOT NULL
);
ALTER TABLE attendees ADD COLUMN workshop_id TEXT REFERENCES workshops(id);
CREATE UNIQUE INDEX attendees_workshop_name ON attendees(workshop_id, name COLLATE NOCASE) WHERE workshop_id IS NOT NULL;
`,
  // Issue 10: the instructor's messages (attendee NULL: to everyone in the workshop), and which
  // attendee dismissed which. Kept, not fire-and-forget, so a reload or a late connection still shows them.
  `
CREATE TABLE messages (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  workshop_id TEXT NOT NULL REFERENCES workshops(id),
  attendee TEXT,
  text TEXT NOT NULL,
  at INTEGER NOT NULL
);
CREATE INDEX messages_workshop ON messages(workshop_id);
CREATE TABLE message_dismissals (
  message_id INTEGER NOT NULL REFERENCES messages(id),
  attendee TEXT NOT NULL,
  PRIMARY KEY (message_id, attendee)
);
`,
  // Issue 10, progress: one row per step an attendee entered (the open visit has entered_at; closed
  // visits are folded into time_spent_ms), the failing commands in a row on the current step, how far
  // the shell's exit-status report of which sandbox was read (server/classroom/exit-status.ts), each
  // workshop's stuck rule, and an append-only log of what happened, for the record and for export.
  `
CREATE TABLE step_progress (
  attendee TEXT NOT NULL,
  lab_id TEXT NOT NULL,
  step INTEGER NOT NULL,
  first_entered_at INTEGER NOT NULL,
  entered_at INTEGER,
  time_spent_ms INTEGER NOT NULL DEFAULT 0,
  runs INTEGER NOT NULL DEFAULT 0,
  failed_commands INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (attendee, lab_id, step)
);
ALTER TABLE attendees ADD COLUMN fail_streak INTEGER NOT NULL DEFAULT 0;
ALTER TABLE attendees ADD COLUMN status_sandbox TEXT;
ALTER TABLE attendees ADD COLUMN status_offset INTEGER NOT NULL DEFAULT 0;
ALTER TABLE workshops ADD COLUMN stuck_after_ms INTEGER;
ALTER TABLE workshops ADD COLUMN stuck_fail_streak INTEGER;
CREATE TABLE events (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  at INTEGER NOT NULL,
  workshop_id TEXT,
  attendee TEXT NOT NULL,
  kind TEXT NOT NULL CHECK (kind IN ('join', 'step', 'run', 'command-failed', 'check-passed', 'reset')),
  lab_id TEXT,
  step INTEGER,
  detail TEXT
);
CREATE INDEX events_workshop ON events(workshop_id, id);
CREATE INDEX events_attendee ON events(attendee, id);
`,
  // Issue 10: when a closing workshop's countdown ends (a restart finishes it) and when it was paused
  // (the dashboard shows since when); the state column itself is migration 2's.
  `
ALTER TABLE workshops ADD COLUMN closes_at INTEGER;
ALTER TABLE workshops ADD COLUMN paused_at INTEGER;
`,
  // Issue 17 §2: the instructor closes joining once the class has started (members keep their seat).
  // TEMPORARY on the http branch: the store helper's split of this file brings the same column.
  `
ALTER TABLE workshops ADD COLUMN joins_open INTEGER NOT NULL DEFAULT 1;
`,
];

/** The schema version this code writes: a file with a higher one is from a newer server and is refused. */
export const SCHEMA_VERSION = MIGRATIONS.length;

export type WorkshopState = 'open' | 'paused' | 'closed';

export interface StoredWorkshop {
  id: string;
  labId: string;
  title: string;
  code: string;
  maxAttendees: number;
  state: WorkshopState;
  /** New attendees may join (issue 17 §2); members keep their seat either way. */
  joinsOpen: boolean;
  createdAt: number;
}

/** One member of a workshop, as stored. */
export interface WorkshopMember {
  attendee: string;
  name: string;
  step: number | null;
  labId: string | null;
  lastSeen: number;
}

/** A message from the instructor, as an attendee receives it (the `message` server message). */
export interface StoredMessage {
  id: number;
  text: string;
  /** True when it went to the whole workshop, false when to this attendee only. */
  toAll: boolean;
  at: number;
}

export type EventKind = 'join' | 'step' | 'run' | 'command-failed' | 'check-passed' | 'reset';

/** One line of the append-only event log; `detail` is the block id of a run, the status of a failed command, who reset, the name joined. */
export interface StoredEvent {
  id: number;
  at: number;
  attendee: string;
  kind: EventKind;
  labId: string | null;
  step: number | null;
  detail: string | null;
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

/** One member of a workshop as the class view needs them (store.classFacts). */
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

/**
 * Which exit statuses are failed commands: anything but 0, and but 130 (the attendee pressed Ctrl-C:
 * stopping a `kubectl get -w` is not a mistake).
 */
export function isFailure(status: number): boolean {
  return status !== 0 && status !== INTERRUPTED;
}

/** bash's status for a command ended by SIGINT (128 + 2). */
const INTERRUPTED = 130;

/** Where a status line was read: the sandbox, and the byte of its report file just after the line. */
export interface StatusRead {
  sandbox: string;
  offset: number;
}

/** Why a join was refused, or the name the attendee now has. */
export type JoinOutcome = { ok: true; name: string } | { ok: false; why: 'name-taken' | 'full' | 'not-open' | 'joins-closed' };

/** Join codes: upper-case letters without the ones read aloud or projected ambiguously (I, L, O). */
export const JOIN_CODE_ALPHABET = 'ABCDEFGHJKMNPQRSTUVWXYZ';
/** Eight letters: 23^8 ≈ 7.8e10 codes, so the failed-join budget can be generous (docs/operations.md "Joining"). */
export const JOIN_CODE_LENGTH = 8;

const WORKSHOP_COLUMNS = 'id, lab_id AS labId, title, code, max_attendees AS maxAttendees, state, joins_open AS joinsOpen, created_at AS createdAt';

/** SQLite has no booleans: joins_open comes back 0 or 1. */
function workshopRow(row: (Omit<StoredWorkshop, 'joinsOpen'> & { joinsOpen: number }) | undefined): StoredWorkshop | null {
  return row ? { ...row, joinsOpen: row.joinsOpen === 1 } : null;
}

function joinCode(): string {
  let code = '';
  for (let i = 0; i < JOIN_CODE_LENGTH; i++) code += JOIN_CODE_ALPHABET[randomInt(JOIN_CODE_ALPHABET.length)];
  return code;
}

function isUniqueViolation(err: unknown): boolean {
  return err instanceof Database.SqliteError && (err.code === 'SQLITE_CONSTRAINT_UNIQUE' || err.code === 'SQLITE_CONSTRAINT_PRIMARYKEY');
}

export class Store implements AssignmentStore, ProgressStore, PassStore {
  private readonly db: Database.Database;
  private readonly changeListeners = new Set<(attendee: string) => void>();

  /**
   * The file holds the cookie secret (whoever reads it can forge any attendee's cookie) and the
   * instructor token: its folder is 0700 and the database 0600 (issue 8 §3), also when an older
   * version left them 0755/0644. SQLite gives the -wal and -shm files the database's mode.
   */
  constructor(file: string) {
    const onDisk = file !== ':memory:';
    if (onDisk) {
      const dir = path.dirname(file);
      mkdirSync(dir, { recursive: true, mode: 0o700 });
      chmodSync(dir, 0o700);
      closeSync(openSync(file, 'a', 0o600));
      chmodSync(file, 0o600);
    }
    this.db = new Database(file);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = NORMAL');
    this.migrate();
    if (onDisk) for (const side of ['-wal', '-shm']) if (existsSync(file + side)) chmodSync(file + side, 0o600);
  }

  /** Apply the migrations this file has not seen, each in its own transaction with its version bump. */
  private migrate(): void {
    const at = this.db.pragma('user_version', { simple: true }) as number;
    if (at > SCHEMA_VERSION) throw new Error(`the database is at schema version ${at}, newer than this server's ${SCHEMA_VERSION}: upgrade labdeck`);
    for (let v = at; v < SCHEMA_VERSION; v++) {
      this.db.transaction(() => {
        this.db.exec(MIGRATIONS[v]!);
        this.db.pragma(`user_version = ${v + 1}`);
      })();
    }
  }

  get schemaVersion(): number {
    return this.db.pragma('user_version', { simple: true }) as number;
  }

  /** A persisted random secret, created on first use. */
  secret(key: string, bytes = 32): string {
    const row = this.db.prepare('SELECT value FROM settings WHERE key = ?').get(key) as { value: string } | undefined;
    if (row) return row.value;
    const value = randomBytes(bytes).toString('base64url');
    this.db.prepare('INSERT OR IGNORE INTO settings (key, value) VALUES (?, ?)').run(key, value);
    return this.secret(key, bytes);
  }

  touch(attendee: string): void {
    const now = Date.now();
    this.db
      .prepare('INSERT INTO attendees (id, created_at, last_seen) VALUES (?, ?, ?) ON CONFLICT(id) DO UPDATE SET last_seen = excluded.last_seen')
      .run(attendee, now, now);
  }

  /** False when the attendee joined a workshop where someone else has this name. */
  setName(attendee: string, name: string): boolean {
    this.touch(attendee);
    try {
      this.db.prepare('UPDATE attendees SET name = ? WHERE id = ?').run(name, attendee);
      return true;
    } catch (err) {
      if (isUniqueViolation(err)) return false;
      throw err;
    }
  }

  nameOf(attendee: string): string | null {
    const row = this.db.prepare('SELECT name FROM attendees WHERE id = ?').get(attendee) as { name: string | null } | undefined;
    return row?.name ?? null;
  }

  /**
   * The attendee is on `step` of `labId` (their page says so on every step change and reload). Entering
   * another step closes the open visit (its time is added to the step's total) and opens one on the
   * new step; the same step again changes nothing but last_seen. One transaction: a SIGKILL leaves
   * either the old step or the new one, never a visit half closed.
   */
  recordProgress(attendee: string, labId: string, step: number, now = Date.now()): void {
    const moved = this.db.transaction((): boolean => {
      this.db.prepare('INSERT INTO attendees (id, created_at, last_seen) VALUES (?, ?, ?) ON CONFLICT(id) DO UPDATE SET last_seen = excluded.last_seen').run(attendee, now, now);
      const open = this.db.prepare('SELECT 1 FROM step_progress WHERE attendee = ? AND lab_id = ? AND step = ? AND entered_at IS NOT NULL').get(attendee, labId, step);
      if (open) return false;
      this.db
        .prepare('UPDATE step_progress SET time_spent_ms = time_spent_ms + MAX(0, ? - entered_at), entered_at = NULL WHERE attendee = ? AND entered_at IS NOT NULL')
        .run(now, attendee);
      this.db
        .prepare(
          `INSERT INTO step_progress (attendee, lab_id, step, first_entered_at, entered_at) VALUES (?, ?, ?, ?, ?)
           ON CONFLICT(attendee, lab_id, step) DO UPDATE SET entered_at = excluded.entered_at`,
        )
        .run(attendee, labId, step, now, now);
      this.db.prepare('UPDATE attendees SET lab_id = ?, step = ?, fail_streak = 0 WHERE id = ?').run(labId, step, attendee);
      this.event(attendee, 'step', now, labId, step);
      return true;
    })();
    this.changed(attendee, moved);
  }

  /** A Run click: the runs log, the current step's count (when it is in this lab), and the event log. */
  recordRun(attendee: string, labId: string, blockId: string, now = Date.now()): void {
    this.db.transaction(() => {
      this.db.prepare('INSERT INTO runs (attendee, lab_id, block_id, at) VALUES (?, ?, ?, ?)').run(attendee, labId, blockId, now);
      const step = this.currentStep(attendee, labId);
      if (step !== null) this.db.prepare('UPDATE step_progress SET runs = runs + 1 WHERE attendee = ? AND lab_id = ? AND step = ?').run(attendee, labId, step);
      this.event(attendee, 'run', now, labId, step, blockId);
    })();
    this.changed(attendee, true);
  }

  /**
   * A command ended in the attendee's shell with `status`, as the shell reported it out of band
   * (server/classroom/exit-status.ts). A failure counts on the current step and lengthens the streak
   * the stuck rule reads; a success ends the streak; Ctrl-C does neither. Only failures are logged: the log is for what an
   * instructor looks back at, and a success costs a write only when it ends a streak.
   */
  recordCommand(attendee: string, status: number, read?: StatusRead, now = Date.now()): void {
    const changed = this.db.transaction((): boolean => {
      // Where the report was read up to, with the count it moved: a restarted server goes on from there.
      if (read) this.db.prepare('UPDATE attendees SET status_sandbox = ?, status_offset = ? WHERE id = ?').run(read.sandbox, read.offset, attendee);
      if (status === INTERRUPTED) return false;
      if (!isFailure(status)) return this.db.prepare('UPDATE attendees SET fail_streak = 0 WHERE id = ? AND fail_streak > 0').run(attendee).changes > 0;
      const at = this.db.prepare('SELECT lab_id AS labId, step FROM attendees WHERE id = ?').get(attendee) as { labId: string | null; step: number | null } | undefined;
      if (!at) return false;
      this.db.prepare('UPDATE attendees SET fail_streak = fail_streak + 1 WHERE id = ?').run(attendee);
      if (at.labId !== null && at.step !== null) {
        this.db.prepare('UPDATE step_progress SET failed_commands = failed_commands + 1 WHERE attendee = ? AND lab_id = ? AND step = ?').run(attendee, at.labId, at.step);
      }
      this.event(attendee, 'command-failed', now, at.labId, at.step, String(status));
      return true;
    })();
    this.changed(attendee, changed);
  }

  /**
   * Where to read the attendee's exit-status report of this sandbox from: where the last counted line
   * ended, if it was this sandbox (a server restarted under a podman shell that lives on); else the
   * start, as a new sandbox's report is all new.
   */
  statusOffset(attendee: string, sandboxId: string): number {
    const row = this.db.prepare('SELECT status_offset AS offset FROM attendees WHERE id = ? AND status_sandbox = ?').get(attendee, sandboxId) as { offset: number } | undefined;
    return row?.offset ?? 0;
  }

  /** A passed check (issue 11): the first pass's time is kept, later passes change nothing. */
  recordPass(attendee: string, labId: string, step: number, now = Date.now()): void {
    const first = this.db.transaction((): boolean => {
      const { changes } = this.db.prepare('INSERT OR IGNORE INTO step_passes (attendee, lab_id, step, at) VALUES (?, ?, ?, ?)').run(attendee, labId, step, now);
      if (changes > 0) this.event(attendee, 'check-passed', now, labId, step);
      return changes > 0;
    })();
    this.changed(attendee, first);
  }

  /** The attendee's sandbox was reset, by them or by the instructor. */
  recordReset(attendee: string, by: 'instructor' | 'attendee', now = Date.now()): void {
    this.event(attendee, 'reset', now, null, null, by);
    this.changed(attendee, true);
  }

  /** The event log of a workshop (or of every attendee outside one, `null`), oldest first, after `afterId`. */
  events(workshopId: string | null, afterId = 0, limit = 1000): StoredEvent[] {
    return this.db
      .prepare(
        `SELECT id, at, attendee, kind, lab_id AS labId, step, detail FROM events
         WHERE workshop_id IS ? AND id > ? ORDER BY id LIMIT ?`,
      )
      .all(workshopId, afterId, limit) as StoredEvent[];
  }

  /**
   * Be told when an attendee's stored progress changed (the class view pushes it). Listeners run after
   * the write committed; one that throws does not stop the others or the write.
   */
  onChange(listener: (attendee: string) => void): () => void {
    this.changeListeners.add(listener);
    return () => this.changeListeners.delete(listener);
  }

  /** Each workshop keeps its own stuck rule; DEFAULT_STUCK_SETTINGS until the instructor sets one. */
  stuckSettings(workshopId: string): StuckSettings {
    const row = this.db.prepare('SELECT stuck_after_ms AS stuckAfterMs, stuck_fail_streak AS failStreak FROM workshops WHERE id = ?').get(workshopId) as
      | { stuckAfterMs: number | null; failStreak: number | null }
      | undefined;
    return { stuckAfterMs: row?.stuckAfterMs ?? DEFAULT_STUCK_SETTINGS.stuckAfterMs, failStreak: row?.failStreak ?? DEFAULT_STUCK_SETTINGS.failStreak };
  }

  setStuckSettings(workshopId: string, settings: StuckSettings): void {
    this.db.prepare('UPDATE workshops SET stuck_after_ms = ?, stuck_fail_streak = ? WHERE id = ?').run(settings.stuckAfterMs, settings.failStreak, workshopId);
  }

  /**
   * What the class view shows of each member, from the store alone (the live session freshens
   * `online`, the step and the sandbox: server/classroom/roster.ts). Times as of `now`.
   */
  classFacts(workshopId: string, now = Date.now()): ClassFacts[] {
    return this.db
      .prepare(
        `SELECT a.id AS attendee, a.name, a.lab_id AS labId, a.step, a.last_seen AS lastSeen, a.sandbox_id AS sandboxId, a.fail_streak AS failStreak,
                (SELECT COUNT(*) FROM runs r WHERE r.attendee = a.id AND r.lab_id = w.lab_id) AS runs,
                (SELECT COALESCE(SUM(p.failed_commands), 0) FROM step_progress p WHERE p.attendee = a.id AND p.lab_id = w.lab_id) AS failedCommands,
                (SELECT p.time_spent_ms + CASE WHEN p.entered_at IS NULL THEN 0 ELSE MAX(0, ? - p.entered_at) END
                   FROM step_progress p WHERE p.attendee = a.id AND p.lab_id = a.lab_id AND p.step = a.step) AS timeOnStepMs
         FROM attendees a JOIN workshops w ON w.id = a.workshop_id WHERE a.workshop_id = ? ORDER BY a.created_at`,
      )
      .all(now, workshopId) as ClassFacts[];
  }

  /** Per-step rows of one attendee, for tests and export. */
  stepProgress(attendee: string): StoredStepProgress[] {
    return this.db
      .prepare(
        `SELECT lab_id AS labId, step, first_entered_at AS firstEnteredAt, entered_at AS enteredAt, time_spent_ms AS timeSpentMs, runs, failed_commands AS failedCommands
         FROM step_progress WHERE attendee = ? ORDER BY lab_id, step`,
      )
      .all(attendee) as StoredStepProgress[];
  }

  private currentStep(attendee: string, labId: string): number | null {
    const row = this.db.prepare('SELECT step FROM attendees WHERE id = ? AND lab_id = ?').get(attendee, labId) as { step: number | null } | undefined;
    return row?.step ?? null;
  }

  private event(attendee: string, kind: EventKind, at: number, labId: string | null = null, step: number | null = null, detail: string | null = null): void {
    this.db
      .prepare('INSERT INTO events (at, workshop_id, attendee, kind, lab_id, step, detail) VALUES (?, (SELECT workshop_id FROM attendees WHERE id = ?), ?, ?, ?, ?, ?)')
      .run(at, attendee, attendee, kind, labId, step, detail);
  }

  private changed(attendee: string, really: boolean): void {
    if (!really) return;
    for (const l of this.changeListeners) {
      try {
        l(attendee);
      } catch {
        /* a listener's failure is its own; the write has committed */
      }
    }
  }

  passedSteps(attendee: string, labId: string): number[] {
    const rows = this.db.prepare('SELECT step FROM step_passes WHERE attendee = ? AND lab_id = ? ORDER BY step').all(attendee, labId) as { step: number }[];
    return rows.map((r) => r.step);
  }

  /** True when the attendee was assigned a sandbox that has not been released (e.g. lost in a restart). */
  hadSandbox(attendee: string): boolean {
    const row = this.db.prepare('SELECT sandbox_id FROM attendees WHERE id = ?').get(attendee) as { sandbox_id: string | null } | undefined;
    return row?.sandbox_id != null;
  }

  sandboxOf(attendee: string): string | null {
    const row = this.db.prepare('SELECT sandbox_id FROM attendees WHERE id = ?').get(attendee) as { sandbox_id: string | null } | undefined;
    return row?.sandbox_id ?? null;
  }

  attendeeOfSandbox(sandboxId: string): string | null {
    const row = this.db.prepare('SELECT id FROM attendees WHERE sandbox_id = ?').get(sandboxId) as { id: string } | undefined;
    return row?.id ?? null;
  }

  /** One sandbox has at most one attendee: assigning it takes it from anyone else who had it. */
  assign(attendee: string, sandboxId: string, driver: string): void {
    this.touch(attendee);
    this.db.transaction(() => {
      this.db.prepare('UPDATE attendees SET sandbox_id = NULL WHERE sandbox_id = ? AND id <> ?').run(sandboxId, attendee);
      this.db.prepare('UPDATE attendees SET sandbox_id = ?, driver = ? WHERE id = ?').run(sandboxId, driver, attendee);
    })();
  }

  unassign(sandboxId: string): void {
    this.db.prepare('UPDATE attendees SET sandbox_id = NULL WHERE sandbox_id = ?').run(sandboxId);
  }

  attendees(): StoredAttendee[] {
    return this.db
      .prepare(
        `SELECT a.id AS attendee, a.name, a.lab_id AS labId, a.step, a.sandbox_id AS sandboxId, a.driver, a.last_seen AS lastSeen,
                (SELECT COUNT(*) FROM runs r WHERE r.attendee = a.id) AS runs
         FROM attendees a ORDER BY a.created_at`,
      )
      .all() as StoredAttendee[];
  }

  /** A new open workshop with a fresh join code (a clash with an existing code draws again). */
  createWorkshop(w: { labId: string; title: string; maxAttendees: number }): StoredWorkshop {
    const insert = this.db.prepare('INSERT INTO workshops (id, lab_id, title, code, max_attendees, state, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)');
    for (;;) {
      const row: StoredWorkshop = { id: `w-${randomBytes(9).toString('base64url')}`, ...w, code: joinCode(), state: 'open', joinsOpen: true, createdAt: Date.now() };
      try {
        insert.run(row.id, row.labId, row.title, row.code, row.maxAttendees, row.state, row.createdAt);
        return row;
      } catch (err) {
        if (!isUniqueViolation(err)) throw err;
      }
    }
  }

  workshops(): StoredWorkshop[] {
    type Row = Parameters<typeof workshopRow>[0];
    return (this.db.prepare(`SELECT ${WORKSHOP_COLUMNS} FROM workshops ORDER BY created_at DESC`).all() as Row[]).map((r) => workshopRow(r)!);
  }

  workshop(id: string): StoredWorkshop | null {
    return workshopRow(this.db.prepare(`SELECT ${WORKSHOP_COLUMNS} FROM workshops WHERE id = ?`).get(id) as Parameters<typeof workshopRow>[0]);
  }

  /** Codes are matched whatever their case: attendees type what they read off a projector. */
  workshopByCode(code: string): StoredWorkshop | null {
    return workshopRow(this.db.prepare(`SELECT ${WORKSHOP_COLUMNS} FROM workshops WHERE code = ?`).get(code.trim().toUpperCase()) as Parameters<typeof workshopRow>[0]);
  }

  /** Issue 17 §2: let new attendees join with the code, or not (TEMPORARY here: the store helper's). */
  setJoinsOpen(workshopId: string, open: boolean): void {
    this.db.prepare('UPDATE workshops SET joins_open = ? WHERE id = ?').run(open ? 1 : 0, workshopId);
  }

  setWorkshopState(id: string, state: WorkshopState): void {
    this.db.prepare('UPDATE workshops SET state = ? WHERE id = ?').run(state, id);
  }

  /**
   * The attendee joins the workshop under `name` (already validated: common/api.ts displayNameProblem).
   * Joining again from the same browser keeps the seat (and renames, if the name differs and is free);
   * the seat count and the name check run in one transaction, so two joins cannot both take the last seat.
   */
  join(attendee: string, workshopId: string, name: string): JoinOutcome {
    const outcome = this.db.transaction((): JoinOutcome => {
      const w = this.workshop(workshopId);
      if (!w || w.state !== 'open') return { ok: false, why: 'not-open' };
      const now = Date.now();
      this.db.prepare('INSERT INTO attendees (id, created_at, last_seen) VALUES (?, ?, ?) ON CONFLICT(id) DO UPDATE SET last_seen = excluded.last_seen').run(attendee, now, now);
      const me = this.db.prepare('SELECT workshop_id AS workshopId FROM attendees WHERE id = ?').get(attendee) as { workshopId: string | null };
      if (me.workshopId !== workshopId && !w.joinsOpen) return { ok: false, why: 'joins-closed' };
      if (me.workshopId !== workshopId) {
        const { n } = this.db.prepare('SELECT COUNT(*) AS n FROM attendees WHERE workshop_id = ?').get(workshopId) as { n: number };
        if (n >= w.maxAttendees) return { ok: false, why: 'full' };
      }
      try {
        this.db.prepare('UPDATE attendees SET workshop_id = ?, name = ? WHERE id = ?').run(workshopId, name, attendee);
      } catch (err) {
        if (isUniqueViolation(err)) return { ok: false, why: 'name-taken' };
        throw err;
      }
      if (me.workshopId !== workshopId) this.event(attendee, 'join', now, w.labId, null, name);
      return { ok: true, name };
    })();
    this.changed(attendee, outcome.ok);
    return outcome;
  }

  /** The workshop the attendee joined, or null (never joined, or solo mode). */
  workshopOf(attendee: string): StoredWorkshop | null {
    const row = this.db.prepare('SELECT workshop_id AS id FROM attendees WHERE id = ?').get(attendee) as { id: string | null } | undefined;
    return row?.id ? this.workshop(row.id) : null;
  }

  members(workshopId: string): WorkshopMember[] {
    return this.db
      .prepare('SELECT id AS attendee, name, step, lab_id AS labId, last_seen AS lastSeen FROM attendees WHERE workshop_id = ? ORDER BY created_at')
      .all(workshopId) as WorkshopMember[];
  }

  /**
   * Keep a message to one member of the workshop, or to all of them (attendee null). Null when the
   * attendee is not a member of this workshop.
   */
  addMessage(workshopId: string, attendee: string | null, text: string): StoredMessage | null {
    if (attendee !== null && this.workshopOf(attendee)?.id !== workshopId) return null;
    const at = Date.now();
    const { lastInsertRowid } = this.db.prepare('INSERT INTO messages (workshop_id, attendee, text, at) VALUES (?, ?, ?, ?)').run(workshopId, attendee, text, at);
    return { id: Number(lastInsertRowid), text, toAll: attendee === null, at };
  }

  /** The newest MAX_SHOWN_MESSAGES of the attendee's workshop meant for them and not dismissed, oldest first. */
  pendingMessages(attendee: string): StoredMessage[] {
    const rows = this.db
      .prepare(
        `SELECT m.id, m.text, m.attendee IS NULL AS toAll, m.at FROM messages m JOIN attendees a ON a.id = ? AND a.workshop_id = m.workshop_id
         WHERE (m.attendee IS NULL OR m.attendee = a.id)
           AND NOT EXISTS (SELECT 1 FROM message_dismissals d WHERE d.message_id = m.id AND d.attendee = a.id)
         ORDER BY m.id DESC LIMIT ?`,
      )
      .all(attendee, MAX_SHOWN_MESSAGES) as Array<{ id: number; text: string; toAll: number; at: number }>;
    return rows.reverse().map((r) => ({ ...r, toAll: r.toAll === 1 }));
  }

  /** The attendee closed the notice; an id that is not theirs changes nothing. */
  dismissMessage(attendee: string, id: number): void {
    this.db
      .prepare(
        `INSERT OR IGNORE INTO message_dismissals (message_id, attendee)
         SELECT m.id, a.id FROM messages m JOIN attendees a ON a.id = ? AND a.workshop_id = m.workshop_id
         WHERE m.id = ? AND (m.attendee IS NULL OR m.attendee = a.id)`,
      )
      .run(attendee, id);
  }

  /** One row per member for the progress CSV: stored progress, Run clicks and checks passed in the workshop's lab. */
  progressRows(workshopId: string): Array<WorkshopMember & { runs: number; checksPassed: number }> {
    return this.db
      .prepare(
        `SELECT a.id AS attendee, a.name, a.step, a.lab_id AS labId, a.last_seen AS lastSeen,
                (SELECT COUNT(*) FROM runs r WHERE r.attendee = a.id AND r.lab_id = w.lab_id) AS runs,
                (SELECT COUNT(*) FROM step_passes p WHERE p.attendee = a.id AND p.lab_id = w.lab_id) AS checksPassed
         FROM attendees a JOIN workshops w ON w.id = a.workshop_id WHERE a.workshop_id = ? ORDER BY a.created_at`,
      )
      .all(workshopId) as Array<WorkshopMember & { runs: number; checksPassed: number }>;
  }

  // --- workshop capacity and lifecycle (issue 10, migration 5) ---------------------------------------

  /** Start (a time) or cancel (null) the close countdown of an open workshop. */
  setClosesAt(id: string, at: number | null): void {
    this.db.prepare('UPDATE workshops SET closes_at = ? WHERE id = ?').run(at, id);
  }

  /** Pause, resume or close: the state and its time in one write. Closing ends any countdown. */
  moveWorkshop(id: string, state: WorkshopState): void {
    this.db
      .prepare(`UPDATE workshops SET state = ?, paused_at = CASE WHEN ? = 'paused' THEN ? ELSE NULL END, closes_at = CASE WHEN ? = 'closed' THEN NULL ELSE closes_at END WHERE id = ?`)
      .run(state, state, Date.now(), state, id);
  }

  workshopTimes(id: string): { closesAt: number | null; pausedAt: number | null } {
    const row = this.db.prepare('SELECT closes_at AS closesAt, paused_at AS pausedAt FROM workshops WHERE id = ?').get(id) as
      | { closesAt: number | null; pausedAt: number | null }
      | undefined;
    return row ?? { closesAt: null, pausedAt: null };
  }

  /** Workshops whose close countdown runs: after a restart the server finishes them. */
  closingWorkshops(): Array<{ id: string; closesAt: number }> {
    return this.db.prepare("SELECT id, closes_at AS closesAt FROM workshops WHERE closes_at IS NOT NULL AND state <> 'closed'").all() as Array<{ id: string; closesAt: number }>;
  }

  /** Members of the workshop that have a sandbox assigned, and the sandbox's id. */
  workshopSandboxes(workshopId: string): Array<{ attendee: string; sandboxId: string }> {
    return this.db.prepare('SELECT id AS attendee, sandbox_id AS sandboxId FROM attendees WHERE workshop_id = ? AND sandbox_id IS NOT NULL').all(workshopId) as Array<{
      attendee: string;
      sandboxId: string;
    }>;
  }

  close(): void {
    this.db.close();
  }
}
