import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { MAX_SHOWN_MESSAGES } from '../../common/protocol.js';
import { JOIN_CODE_ALPHABET, JOIN_CODE_LENGTH, SCHEMA_VERSION, Store } from './store.js';

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
    const store = new Store(path.join(dir, 'labdeck.db'));
    store.secret('cookie-secret');
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
  const first = new Store(file);
  const secret = first.secret('cookie-secret');
  first.close();
  for (const f of ['', '-wal', '-shm']) {
    writeFileSync(file + f, '', { flag: 'a' });
    chmodSync(file + f, 0o644);
  }
  chmodSync(dir, 0o755);
  const again = new Store(file);
  assertPrivate(dir);
  assert.equal(again.secret('cookie-secret'), secret);
  again.close();
});

test('the assignment: one sandbox per attendee, one attendee per sandbox, kept across a reopen', () => {
  const file = path.join(scratch, 'assign', 'labdeck.db');
  const store = new Store(file);
  store.assign('alice', 'sb-1', 'podman');
  store.assign('bob', 'sb-2', 'podman');
  assert.equal(store.sandboxOf('alice'), 'sb-1');
  assert.equal(store.attendeeOfSandbox('sb-2'), 'bob');
  store.assign('alice', 'sb-3', 'podman');
  assert.equal(store.attendeeOfSandbox('sb-1'), null, 'a new assignment replaces the attendee\'s old one');
  store.assign('bob', 'sb-3', 'podman');
  assert.equal(store.sandboxOf('alice'), null, 'a sandbox given to bob is no longer alice\'s');
  assert.equal(store.sandboxOf('bob'), 'sb-3');
  store.unassign('sb-3');
  assert.equal(store.sandboxOf('bob'), null);
  assert.equal(store.hadSandbox('bob'), false);
  store.assign('carol', 'sb-4', 'local');
  store.close();
  const again = new Store(file);
  assert.equal(again.sandboxOf('carol'), 'sb-4', 'the assignment survives a restart');
  assert.equal(again.hadSandbox('carol'), true);
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

  const store = new Store(file);
  assert.equal(store.schemaVersion, SCHEMA_VERSION);
  assert.equal(store.secret('cookie-secret'), 'old-secret');
  assert.equal(store.sandboxOf('a-old'), 'sb-9');
  assert.equal(store.nameOf('a-old'), 'Ana');
  assert.equal(store.workshopOf('a-old'), null, 'an attendee from before workshops joined none');
  const w = store.createWorkshop({ labId: 'k8s', title: 'Morning', maxAttendees: 5 });
  assert.deepEqual(store.join('a-old', w.id, 'Ana'), { ok: true, name: 'Ana' });
  store.close();

  const again = new Store(file);
  assert.equal(again.schemaVersion, SCHEMA_VERSION);
  assert.equal(again.workshopOf('a-old')?.code, w.code, 'the join survives a reopen');
  again.close();
});

test('a database from a newer server is refused, not downgraded', () => {
  const dir = path.join(scratch, 'newer');
  mkdirSync(dir, { mode: 0o700 });
  const file = path.join(dir, 'labdeck.db');
  const db = new Database(file);
  db.pragma(`user_version = ${SCHEMA_VERSION + 1}`);
  db.close();
  assert.throws(() => new Store(file), /newer than this server/);
});

test('workshops: codes from the unambiguous alphabet, found whatever the case', () => {
  const store = new Store(':memory:');
  const codes = new Set<string>();
  for (let i = 0; i < 200; i++) {
    const w = store.createWorkshop({ labId: 'k8s', title: `w${i}`, maxAttendees: 3 });
    assert.match(w.code, new RegExp(`^[${JOIN_CODE_ALPHABET}]{${JOIN_CODE_LENGTH}}$`));
    assert.doesNotMatch(w.code, /[ILO01]/);
    codes.add(w.code);
  }
  assert.equal(codes.size, 200, 'codes are unique');
  const [first] = store.workshops().slice(-1);
  assert.equal(store.workshopByCode(` ${first!.code.toLowerCase()} `)?.id, first!.id);
  assert.equal(store.workshopByCode('NOPE00'), null);
  store.close();
});

test('join: names unique per workshop (case-insensitively), seats bounded, the same browser keeps its seat', () => {
  const store = new Store(':memory:');
  const a = store.createWorkshop({ labId: 'k8s', title: 'A', maxAttendees: 2 });
  const b = store.createWorkshop({ labId: 'k8s', title: 'B', maxAttendees: 2 });
  assert.deepEqual(store.join('a-1', a.id, 'Ana'), { ok: true, name: 'Ana' });
  assert.deepEqual(store.join('a-2', a.id, 'ana'), { ok: false, why: 'name-taken' });
  assert.deepEqual(store.join('a-2', b.id, 'Ana'), { ok: true, name: 'Ana' }, 'the same name in another workshop is fine');
  assert.deepEqual(store.join('a-3', a.id, 'Bo'), { ok: true, name: 'Bo' });
  assert.deepEqual(store.join('a-4', a.id, 'Cy'), { ok: false, why: 'full' });
  assert.deepEqual(store.join('a-1', a.id, 'Ana'), { ok: true, name: 'Ana' }, 'coming back takes no second seat');
  assert.deepEqual(store.join('a-1', a.id, 'Bo'), { ok: false, why: 'name-taken' });
  assert.equal(store.nameOf('a-1'), 'Ana', 'a refused rename keeps the old name');
  assert.equal(store.setName('a-1', 'bo'), false, '/api/me cannot take a name either');
  assert.deepEqual(store.members(a.id).map((m) => m.name), ['Ana', 'Bo']);
  store.setWorkshopState(a.id, 'closed');
  assert.deepEqual(store.join('a-5', a.id, 'Di'), { ok: false, why: 'not-open' });
  assert.equal(store.workshopOf('a-1')?.state, 'closed');
  store.close();
});

test('messages: to one member or all, pending until that attendee dismisses them, never another workshop\'s', () => {
  const store = new Store(':memory:');
  const w = store.createWorkshop({ labId: 'lab', title: 'A', maxAttendees: 10 });
  const other = store.createWorkshop({ labId: 'lab', title: 'B', maxAttendees: 10 });
  assert.ok(store.join('ana', w.id, 'Ana').ok && store.join('bo', w.id, 'Bo').ok && store.join('cy', other.id, 'Cy').ok);
  assert.equal(store.addMessage(w.id, 'cy', 'not yours'), null, 'a member of another workshop');
  assert.equal(store.addMessage(w.id, 'nobody', 'x'), null);
  const hint = store.addMessage(w.id, 'ana', 'hint')!;
  const all = store.addMessage(w.id, null, 'all')!;
  assert.deepEqual(store.pendingMessages('ana').map((m) => [m.text, m.toAll]), [['hint', false], ['all', true]]);
  assert.deepEqual(store.pendingMessages('bo').map((m) => m.text), ['all']);
  assert.deepEqual(store.pendingMessages('cy'), []);
  store.dismissMessage('bo', hint.id);
  store.dismissMessage('ana', all.id);
  assert.deepEqual(store.pendingMessages('ana').map((m) => m.id), [hint.id]);
  assert.deepEqual(store.pendingMessages('bo').map((m) => m.id), [all.id], 'Bo cannot dismiss Ana\'s hint, and his own "all" stays');
  const many: number[] = [];
  for (let i = 0; i < MAX_SHOWN_MESSAGES + 5; i++) many.push(store.addMessage(w.id, 'bo', `n${i}`)!.id);
  const shown = store.pendingMessages('bo');
  assert.equal(shown.length, MAX_SHOWN_MESSAGES, 'bounded');
  assert.deepEqual([shown[0]!.text, shown.at(-1)!.text], ['n5', `n${MAX_SHOWN_MESSAGES + 4}`], 'the newest, oldest first');
  store.dismissMessage('bo', all.id);
  for (const id of many) store.dismissMessage('bo', id);
  assert.deepEqual(store.pendingMessages('bo'), [], 'the one dismissed while beyond the shown ones does not come back');
  store.close();
});

test('a workshop pauses, resumes and closes; its close countdown is kept until it closes (migration 5)', () => {
  const store = new Store(':memory:');
  const w = store.createWorkshop({ labId: 'lab', title: 'T', maxAttendees: 5 });
  assert.deepEqual(store.workshopTimes(w.id), { closesAt: null, pausedAt: null });
  store.moveWorkshop(w.id, 'paused');
  assert.equal(store.workshop(w.id)?.state, 'paused');
  assert.ok(store.workshopTimes(w.id).pausedAt !== null, 'since when it is paused');
  store.moveWorkshop(w.id, 'open');
  assert.deepEqual(store.workshopTimes(w.id), { closesAt: null, pausedAt: null });

  store.setClosesAt(w.id, 1234);
  assert.deepEqual(store.closingWorkshops(), [{ id: w.id, closesAt: 1234 }]);
  store.moveWorkshop(w.id, 'closed');
  assert.deepEqual(store.closingWorkshops(), [], 'a closed workshop has no countdown left to finish');
  assert.equal(store.workshopTimes(w.id).closesAt, null);
  store.close();
});

test('workshopSandboxes: the members with a sandbox assigned, and nobody of another workshop', () => {
  const store = new Store(':memory:');
  const w = store.createWorkshop({ labId: 'lab', title: 'T', maxAttendees: 5 });
  const other = store.createWorkshop({ labId: 'lab', title: 'U', maxAttendees: 5 });
  assert.ok(store.join('a', w.id, 'Ana').ok && store.join('b', w.id, 'Bo').ok && store.join('c', other.id, 'Cy').ok);
  store.assign('a', 'sb-a', 'local');
  store.assign('c', 'sb-c', 'local');
  assert.deepEqual(store.workshopSandboxes(w.id), [{ attendee: 'a', sandboxId: 'sb-a' }]);
  store.unassign('sb-a');
  assert.deepEqual(store.workshopSandboxes(w.id), []);
  store.close();
});
