// Opening the file (its permissions, its migrations) and the secrets table, on real SQLite files.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { openStore as open, type Store } from './index.js';
import { MIGRATIONS, SCHEMA_VERSION } from './migrations.js';
import { WORKSHOP_RULES } from '../workshop/states.js';

const openStore = (file: string): Store => open(file, WORKSHOP_RULES);

const scratch = mkdtempSync(path.join(tmpdir(), 'labdeck-store-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

const mode = (p: string) => statSync(p).mode & 0o777;

function assertPrivate(dir: string): void {
  assert.equal(mode(dir), 0o700, 'data folder');
  for (const f of ['labdeck.db', 'labdeck.db-wal', 'labdeck.db-shm']) assert.equal(mode(path.join(dir, f)), 0o600, f);
}

test('a new data folder is 0700 and its database 0600, whatever the umask', () => {
  const dir = path.join(scratch, 'fresh', 'data');
  const old = process.umask(0o000);
  try {
    const store = openStore(path.join(dir, 'labdeck.db'));
    store.secrets.secret('cookie-secret');
    assertPrivate(dir);
    store.close();
  } finally {
    process.umask(old);
  }
});

test('an older, looser data folder (0755, database 0644) is tightened, and keeps its secrets', () => {
  const dir = path.join(scratch, 'upgrade');
  const file = path.join(dir, 'labdeck.db');
  mkdirSync(dir, { mode: 0o755 });
  chmodSync(dir, 0o755);
  const first = openStore(file);
  const secret = first.secrets.secret('cookie-secret');
  first.close();
  for (const f of ['', '-wal', '-shm']) {
    writeFileSync(file + f, '', { flag: 'a' });
    chmodSync(file + f, 0o644);
  }
  chmodSync(dir, 0o755);
  const again = openStore(file);
  assertPrivate(dir);
  assert.equal(again.secrets.secret('cookie-secret'), secret);
  again.close();
});

/** The schema of the servers before migrations existed (user_version 0), verbatim. */
const PRE_MIGRATION_SCHEMA = `
CREATE TABLE IF NOT EXISTS attendees (id TEXT PRIMARY KEY, name TEXT, created_at INTEGER NOT NULL, last_seen INTEGER NOT NULL,
  lab_id TEXT, step INTEGER, sandbox_id TEXT, driver TEXT);
CREATE TABLE IF NOT EXISTS runs (attendee TEXT NOT NULL, lab_id TEXT NOT NULL, block_id TEXT NOT NULL, at INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS runs_attendee ON runs(attendee);
CREATE TABLE IF NOT EXISTS settings (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS step_passes (attendee TEXT NOT NULL, lab_id TEXT NOT NULL, step INTEGER NOT NULL, at INTEGER NOT NULL,
  PRIMARY KEY (attendee, lab_id, step));
`;

test('a pre-migration database is migrated in place and keeps its rows; a second open changes nothing', () => {
  const dir = path.join(scratch, 'premigration');
  mkdirSync(dir, { mode: 0o700 });
  const file = path.join(dir, 'labdeck.db');
  const old = new Database(file);
  old.exec(PRE_MIGRATION_SCHEMA);
  old.prepare("INSERT INTO settings (key, value) VALUES ('cookie-secret', 'old-secret')").run();
  old.prepare("INSERT INTO attendees (id, name, created_at, last_seen, lab_id, step, sandbox_id, driver) VALUES ('a-old', 'Ana', 1, 2, 'k8s', 3, 'sb-9', 'local')").run();
  assert.equal(old.pragma('user_version', { simple: true }), 0);
  old.close();

  const store = openStore(file);
  assert.equal(store.schemaVersion(), SCHEMA_VERSION);
  assert.equal(store.secrets.secret('cookie-secret'), 'old-secret');
  assert.equal(store.assignments.sandboxOf('a-old'), 'sb-9');
  assert.equal(store.workshops.nameOf('a-old'), 'Ana');
  assert.equal(store.workshops.workshopOf('a-old'), null, 'an attendee from before workshops joined none');
  const w = store.workshops.createWorkshop({ labId: 'k8s', title: 'Morning', maxAttendees: 5 });
  assert.deepEqual(store.workshops.join('a-old', w.id, 'Ana'), { ok: true, name: 'Ana' });
  store.close();

  const again = openStore(file);
  assert.equal(again.schemaVersion(), SCHEMA_VERSION);
  assert.equal(again.workshops.workshopOf('a-old')?.code, w.code, 'the join survives a reopen');
  again.close();
});

test('a database from a newer server is refused, not downgraded', () => {
  const dir = path.join(scratch, 'newer');
  mkdirSync(dir, { mode: 0o700 });
  const file = path.join(dir, 'labdeck.db');
  const db = new Database(file);
  db.pragma(`user_version = ${SCHEMA_VERSION + 1}`);
  db.close();
  assert.throws(() => openStore(file), /newer than this server/);
});

/**
 * The shipped migrations, byte for byte (sha-256, first 16 hex digits): a file migrated by an older
 * server must have exactly the schema a new one would build. Append a migration; never edit one.
 */
const SHIPPED = ['1f0ae40be2a4226c', '87e91fd7252c3b26', '334c0f71a36c4a52', '29ac3741a54e8a6c', 'cebab34f79861033', '2a92176f60741b65'];

test('the shipped migrations are unchanged, and only appended to', () => {
  assert.ok(MIGRATIONS.length >= SHIPPED.length, 'a migration was removed');
  assert.deepEqual(
    MIGRATIONS.slice(0, SHIPPED.length).map((m) => createHash('sha256').update(m).digest('hex').slice(0, 16)),
    SHIPPED,
  );
});
