// The attendee ↔ sandbox assignment (only the pool writes it: server/sandbox/pool.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after } from 'node:test';
import { openStore as open, type Store } from './index.js';
import { WORKSHOP_RULES } from '../workshop/states.js';

const openStore = (file: string): Store => open(file, WORKSHOP_RULES);

const scratch = mkdtempSync(path.join(tmpdir(), 'labdeck-assign-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

test('the assignment: one sandbox per attendee, one attendee per sandbox, kept across a reopen', () => {
  const file = path.join(scratch, 'assign', 'labdeck.db');
  const store = openStore(file);
  store.assignments.assign('alice', 'sb-1', 'podman');
  store.assignments.assign('bob', 'sb-2', 'podman');
  assert.equal(store.assignments.sandboxOf('alice'), 'sb-1');
  assert.equal(store.assignments.attendeeOfSandbox('sb-2'), 'bob');
  store.assignments.assign('alice', 'sb-3', 'podman');
  assert.equal(store.assignments.attendeeOfSandbox('sb-1'), null, 'a new assignment replaces the attendee\'s old one');
  store.assignments.assign('bob', 'sb-3', 'podman');
  assert.equal(store.assignments.sandboxOf('alice'), null, 'a sandbox given to bob is no longer alice\'s');
  assert.equal(store.assignments.sandboxOf('bob'), 'sb-3');
  store.assignments.unassign('sb-3');
  assert.equal(store.assignments.sandboxOf('bob'), null);
  store.assignments.assign('carol', 'sb-4', 'local');
  store.close();
  const again = openStore(file);
  assert.equal(again.assignments.sandboxOf('carol'), 'sb-4', 'the assignment survives a restart');
  again.close();
});

test('workshopSandboxes: the members with a sandbox assigned, and nobody of another workshop', () => {
  const store = openStore(':memory:');
  const w = store.workshops.createWorkshop({ labId: 'lab', title: 'T', maxAttendees: 5 });
  const other = store.workshops.createWorkshop({ labId: 'lab', title: 'U', maxAttendees: 5 });
  assert.ok(store.workshops.join('a', w.id, 'Ana').ok && store.workshops.join('b', w.id, 'Bo').ok && store.workshops.join('c', other.id, 'Cy').ok);
  store.assignments.assign('a', 'sb-a', 'local');
  store.assignments.assign('c', 'sb-c', 'local');
  assert.deepEqual(store.assignments.workshopSandboxes(w.id), [{ attendee: 'a', sandboxId: 'sb-a' }]);
  store.assignments.unassign('sb-a');
  assert.deepEqual(store.assignments.workshopSandboxes(w.id), []);
  store.close();
});
