// Migration 4 (issue 10, "Progress, persisted"): per-step progress, failed commands, the stuck rule's
// settings and the append-only event log, on a real SQLite file, reopened where it matters.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { isFailure, Store } from './store.js';
import { DEFAULT_STUCK_SETTINGS } from '../classroom/stuck.js';

const scratch = mkdtempSync(path.join(tmpdir(), 'labdeck-progress-'));
after(() => rmSync(scratch, { recursive: true, force: true }));
let n = 0;
const fresh = () => path.join(scratch, `db-${n++}`, 'labdeck.db');

function workshopWith(store: Store, ...names: string[]): { id: string; ids: string[] } {
  const w = store.createWorkshop({ labId: 'lab', title: 'T', maxAttendees: 10 });
  const ids = names.map((name, i) => {
    const id = `a-${name}${i}xxxxxx`;
    assert.deepEqual(store.join(id, w.id, name), { ok: true, name });
    return id;
  });
  return { id: w.id, ids };
}

test('time on a step accumulates across visits; the open visit counts up to now', () => {
  const store = new Store(fresh());
  const { id: w, ids: [ana] } = workshopWith(store, 'Ana');
  store.recordProgress(ana!, 'lab', 0, 1_000);
  store.recordProgress(ana!, 'lab', 0, 5_000); // a reload: the same visit goes on
  store.recordProgress(ana!, 'lab', 1, 11_000);
  store.recordProgress(ana!, 'lab', 0, 20_000);
  const rows = store.stepProgress(ana!);
  assert.deepEqual(
    rows.map((r) => [r.step, r.firstEnteredAt, r.enteredAt, r.timeSpentMs]),
    [
      [0, 1_000, 20_000, 10_000],
      [1, 11_000, null, 9_000],
    ],
  );
  const [facts] = store.classFacts(w, 23_000);
  assert.equal(facts!.step, 0);
  assert.equal(facts!.timeOnStepMs, 13_000, '10 s of the first visit + 3 s of this one');
  store.close();
});

test('runs and failed commands count on the current step; the streak ends at a success or a step change', () => {
  const store = new Store(fresh());
  const { id: w, ids: [ana] } = workshopWith(store, 'Ana');
  store.recordCommand(ana!, 1); // before any step: logged, counted on no step
  store.recordProgress(ana!, 'lab', 2);
  store.recordRun(ana!, 'lab', 'b1');
  store.recordRun(ana!, 'other-lab', 'b9');
  for (const status of [1, 127, 130, 2]) store.recordCommand(ana!, status);
  let [f] = store.classFacts(w);
  assert.deepEqual([f!.runs, f!.failedCommands, f!.failStreak], [1, 3, 3], 'Ctrl-C (130) is no failure, nor does it end the streak; the other lab\'s run is not this one\'s');
  store.recordCommand(ana!, 0);
  [f] = store.classFacts(w);
  assert.equal(f!.failStreak, 0);
  store.recordCommand(ana!, 1);
  store.recordProgress(ana!, 'lab', 3);
  [f] = store.classFacts(w);
  assert.deepEqual([f!.failStreak, f!.failedCommands], [0, 4]);
  const step2 = store.stepProgress(ana!).find((r) => r.step === 2)!;
  assert.deepEqual([step2.runs, step2.failedCommands], [1, 4]);
  store.close();
});

test('the event log: append-only, per workshop, in order, with what happened', () => {
  const store = new Store(fresh());
  const { id: w, ids: [ana, bo] } = workshopWith(store, 'Ana', 'Bo');
  store.recordProgress(ana!, 'lab', 0);
  store.recordRun(ana!, 'lab', 'b1');
  store.recordCommand(ana!, 0);
  store.recordCommand(ana!, 2);
  store.recordPass(ana!, 'lab', 0);
  store.recordPass(ana!, 'lab', 0);
  store.recordReset(bo!, 'instructor');
  const events = store.events(w);
  assert.deepEqual(
    events.map((e) => [e.attendee, e.kind, e.step, e.detail]),
    [
      [ana, 'join', null, 'Ana'],
      [bo, 'join', null, 'Bo'],
      [ana, 'step', 0, null],
      [ana, 'run', 0, 'b1'],
      [ana, 'command-failed', 0, '2'],
      [ana, 'check-passed', 0, null],
      [bo, 'reset', null, 'instructor'],
    ],
  );
  assert.deepEqual(store.events(w, events[4]!.id).map((e) => e.kind), ['check-passed', 'reset'], 'after an id');
  assert.deepEqual(store.events(null), [], 'nothing of this workshop outside it');
  store.close();
});

test('change listeners hear every write that changes what the class view shows, and only those', () => {
  const store = new Store(fresh());
  const { ids: [ana] } = workshopWith(store, 'Ana');
  const heard: string[] = [];
  const stop = store.onChange((a) => heard.push(a));
  store.onChange(() => {
    throw new Error('a broken listener');
  });
  store.recordProgress(ana!, 'lab', 0);
  store.recordProgress(ana!, 'lab', 0); // the same step again: nothing to show
  store.recordCommand(ana!, 0); // a success without a streak: nothing
  store.recordCommand(ana!, 1);
  store.recordCommand(ana!, 0); // ends the streak
  assert.equal(heard.length, 3);
  stop();
  store.recordRun(ana!, 'lab', 'b');
  assert.equal(heard.length, 3);
  store.close();
});

test('stuck settings are kept per workshop, defaults until set, across a reopen', () => {
  const file = fresh();
  const store = new Store(file);
  const a = store.createWorkshop({ labId: 'lab', title: 'A', maxAttendees: 5 });
  const b = store.createWorkshop({ labId: 'lab', title: 'B', maxAttendees: 5 });
  store.setStuckSettings(a.id, { stuckAfterMs: 120_000, failStreak: 5 });
  store.close();
  const again = new Store(file);
  assert.deepEqual(again.stuckSettings(a.id), { stuckAfterMs: 120_000, failStreak: 5 });
  assert.deepEqual(again.stuckSettings(b.id), DEFAULT_STUCK_SETTINGS);
  again.close();
});

test('a file at schema 3 (before progress) is migrated and keeps its attendees', () => {
  const file = fresh();
  const first = new Store(file);
  const { id: w, ids: [ana] } = workshopWith(first, 'Ana');
  first.recordProgress(ana!, 'lab', 1);
  first.close();
  // Roll the file back to what a schema-3 server left: no tables or columns of migration 4 or later.
  const db = new Database(file);
  db.exec('DROP TABLE step_progress; DROP TABLE events; ALTER TABLE attendees DROP COLUMN fail_streak; ALTER TABLE attendees DROP COLUMN status_sandbox; ALTER TABLE attendees DROP COLUMN status_offset; ALTER TABLE workshops DROP COLUMN stuck_after_ms; ALTER TABLE workshops DROP COLUMN stuck_fail_streak; ALTER TABLE workshops DROP COLUMN closes_at; ALTER TABLE workshops DROP COLUMN paused_at; ALTER TABLE workshops DROP COLUMN joins_open;');
  db.pragma('user_version = 3');
  db.close();
  const again = new Store(file);
  assert.ok(again.schemaVersion >= 4);
  const [f] = again.classFacts(w);
  assert.deepEqual([f!.name, f!.step, f!.timeOnStepMs], ['Ana', 1, null], 'the step survives; its time starts at the next report');
  again.recordProgress(ana!, 'lab', 1, Date.now());
  assert.equal(again.stepProgress(ana!).length, 1, 'the same step opens its first visit');
  again.close();
});

test('where the exit-status report was read up to is kept with the count, per sandbox', () => {
  const file = fresh();
  const store = new Store(file);
  const { ids: [ana] } = workshopWith(store, 'Ana');
  assert.equal(store.statusOffset(ana!, 'sb-1'), 0, 'a new sandbox: from the start');
  store.recordCommand(ana!, 1, { sandbox: 'sb-1', offset: 4 });
  store.recordCommand(ana!, 130, { sandbox: 'sb-1', offset: 10 });
  store.close();
  const again = new Store(file);
  assert.equal(again.statusOffset(ana!, 'sb-1'), 10, 'a Ctrl-C moves the offset too');
  assert.equal(again.statusOffset(ana!, 'sb-2'), 0, 'another sandbox starts at 0');
  again.close();
});

test('which statuses are failures', () => {
  assert.deepEqual([0, 1, 2, 126, 127, 130, 137, 255].map(isFailure), [false, true, true, true, true, false, true, true]);
});
