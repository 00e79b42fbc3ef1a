import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Store } from './store.js';

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
