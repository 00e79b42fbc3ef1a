/**
 * The schema, one migration per change, applied in order by open.ts; `PRAGMA user_version` counts those
 * applied. Append-only: never edit a migration that has shipped, add the next one (store.test.ts checks
 * the shipped ones byte for byte). Migration 1 is the schema of the servers before the scheme existed
 * (user_version 0): its `IF NOT EXISTS` makes it a no-op on their files.
 */
export const MIGRATIONS: readonly string[] = [
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
  // Issue 17 §2: an instructor closes joining once the class has started (members keep their seat).
  `
ALTER TABLE workshops ADD COLUMN joins_closed_at INTEGER;
`,
];

/** The schema version this code writes: a file with a higher one is from a newer server and is refused. */
export const SCHEMA_VERSION = MIGRATIONS.length;
