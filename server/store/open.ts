/**
 * Opening labdeck's one SQLite file: its permissions, its journal mode, its migrations; and the table of
 * the server's own secrets (so cookies outlive restarts). Every other module of store/ gets the open
 * database from here and owns one idea of what is in it (issue 18 §3); main.ts hands each one to the
 * layer that declared the port it fills.
 */
import Database from 'better-sqlite3';
import { randomBytes } from 'node:crypto';
import { chmodSync, closeSync, existsSync, mkdirSync, openSync } from 'node:fs';
import path from 'node:path';
import { MIGRATIONS, SCHEMA_VERSION } from './migrations.js';

export type Db = Database.Database;

/**
 * Open (creating) the database file, migrated to SCHEMA_VERSION. WAL: a committed write survives the
 * server's SIGKILL, so progress is written as it happens, never batched in memory.
 *
 * The file holds the cookie secret (whoever reads it can forge any attendee's cookie) and the
 * instructor token: its folder is 0700 and the database 0600 (issue 8 §3), also when an older version
 * left them 0755/0644. SQLite gives the -wal and -shm files the database's mode.
 */
export function openDatabase(file: string): Db {
  const onDisk = file !== ':memory:';
  if (onDisk) {
    const dir = path.dirname(file);
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    chmodSync(dir, 0o700);
    closeSync(openSync(file, 'a', 0o600));
    chmodSync(file, 0o600);
  }
  const db = new Database(file);
  try {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    migrate(db);
  } catch (err) {
    db.close();
    throw err;
  }
  if (onDisk) for (const side of ['-wal', '-shm']) if (existsSync(file + side)) chmodSync(file + side, 0o600);
  return db;
}

/** Apply the migrations this file has not seen, each in its own transaction with its version bump. */
function migrate(db: Db): void {
  const at = schemaVersion(db);
  if (at > SCHEMA_VERSION) throw new Error(`the database is at schema version ${at}, newer than this server's ${SCHEMA_VERSION}: upgrade labdeck`);
  for (let v = at; v < SCHEMA_VERSION; v++) {
    db.transaction(() => {
      db.exec(MIGRATIONS[v]!);
      db.pragma(`user_version = ${v + 1}`);
    })();
  }
}

export function schemaVersion(db: Db): number {
  return db.pragma('user_version', { simple: true }) as number;
}

/** A write refused by a UNIQUE or PRIMARY KEY constraint (a name taken, a join code drawn twice). */
export function isUniqueViolation(err: unknown): boolean {
  return err instanceof Database.SqliteError && (err.code === 'SQLITE_CONSTRAINT_UNIQUE' || err.code === 'SQLITE_CONSTRAINT_PRIMARYKEY');
}

/**
 * The attendee's row, created where the attendee first does something that is theirs to keep (issue
 * 17 §4): their first shell (assignments.ts), their first progress (progress.ts), a name they chose
 * (workshops.ts setName), or a join (workshops.ts, with the membership in the same write). Otherwise
 * only `last_seen` moves. One statement for all of them; callers hold their transaction.
 */
export function attendeeRow(db: Db): (attendee: string, now: number) => void {
  const touch = db.prepare('INSERT INTO attendees (id, created_at, last_seen) VALUES (?, ?, ?) ON CONFLICT(id) DO UPDATE SET last_seen = excluded.last_seen');
  return (attendee, now) => void touch.run(attendee, now, now);
}

/** The server's persisted secrets (the cookie key, the generated instructor token). */
export interface Secrets {
  /** The secret named `key`, created (random, `bytes` long, base64url) on first use. */
  secret(key: string, bytes?: number): string;
}

export function secretStore(db: Db): Secrets {
  const get = db.prepare<[string], { value: string }>('SELECT value FROM settings WHERE key = ?');
  const put = db.prepare('INSERT OR IGNORE INTO settings (key, value) VALUES (?, ?)');
  return {
    secret(key, bytes = 32) {
      const row = get.get(key);
      if (row) return row.value;
      put.run(key, randomBytes(bytes).toString('base64url'));
      // Read back what won: the row is the one copy, whoever inserted it.
      return get.get(key)!.value;
    },
  };
}
