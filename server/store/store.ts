/**
 * Persistence in one embedded SQLite file: attendees, their progress, which sandbox each one has (so a
 * restarted server re-adopts sandboxes), and the server's own secrets (so cookies outlive restarts).
 *
 * The `sandbox_id` column is THE attendee ↔ sandbox assignment: no driver, label or state file keeps
 * another copy (docs/architecture.md#the-sandbox-assignment says why), and only the pool writes it.
 */
import Database from 'better-sqlite3';
import { randomBytes } from 'node:crypto';
import { chmodSync, closeSync, existsSync, mkdirSync, openSync } from 'node:fs';
import path from 'node:path';
import type { AssignmentStore } from '../sandbox/pool.js';
import type { ProgressStore } from '../terminal/session.js';
import type { PassStore } from '../teach/runtime.js';

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

const SCHEMA = `
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
`;

export class Store implements AssignmentStore, ProgressStore, PassStore {
  private readonly db: Database.Database;

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
    this.db.exec(SCHEMA);
    if (onDisk) for (const side of ['-wal', '-shm']) if (existsSync(file + side)) chmodSync(file + side, 0o600);
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

  setName(attendee: string, name: string): void {
    this.touch(attendee);
    this.db.prepare('UPDATE attendees SET name = ? WHERE id = ?').run(name, attendee);
  }

  nameOf(attendee: string): string | null {
    const row = this.db.prepare('SELECT name FROM attendees WHERE id = ?').get(attendee) as { name: string | null } | undefined;
    return row?.name ?? null;
  }

  recordProgress(attendee: string, labId: string, step: number): void {
    this.touch(attendee);
    this.db.prepare('UPDATE attendees SET lab_id = ?, step = ? WHERE id = ?').run(labId, step, attendee);
  }

  recordRun(attendee: string, labId: string, blockId: string): void {
    this.db.prepare('INSERT INTO runs (attendee, lab_id, block_id, at) VALUES (?, ?, ?, ?)').run(attendee, labId, blockId, Date.now());
  }

  /** A passed check (issue 11): the first pass's time is kept, later passes change nothing. */
  recordPass(attendee: string, labId: string, step: number): void {
    this.db.prepare('INSERT OR IGNORE INTO step_passes (attendee, lab_id, step, at) VALUES (?, ?, ?, ?)').run(attendee, labId, step, Date.now());
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

  close(): void {
    this.db.close();
  }
}
