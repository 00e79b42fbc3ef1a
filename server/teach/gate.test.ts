import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ScriptGate } from './gate.js';
import { TeachError } from './errors.js';

/** A task that runs until released, to hold a slot. */
function held(): { task: () => Promise<string>; release: () => void; started: Promise<void> } {
  let release!: () => void;
  let began!: () => void;
  const started = new Promise<void>((r) => (began = r));
  const done = new Promise<void>((r) => (release = r));
  return { task: async () => (began(), await done, 'ok'), release, started };
}

test('one attendee cannot hold more than its share; others still run', async () => {
  const gate = new ScriptGate({ perAttendee: 1, running: 4, waiting: 4 });
  const a = held();
  const first = gate.run('a', a.task);
  await a.started;
  await assert.rejects(gate.run('a', async () => 'second'), (e: unknown) => e instanceof TeachError && e.status === 429);
  assert.equal(await gate.run('b', async () => 'other attendee'), 'other attendee');
  a.release();
  assert.equal(await first, 'ok');
  assert.equal(await gate.run('a', async () => 'after'), 'after', 'the slot is given back');
});

test('beyond the running slots scripts wait, beyond the queue they are refused', async () => {
  const gate = new ScriptGate({ perAttendee: 5, running: 1, waiting: 1 });
  const a = held();
  const running = gate.run('a', a.task);
  await a.started;
  const order: string[] = [];
  const waiting = gate.run('b', async () => order.push('b'));
  await assert.rejects(gate.run('c', async () => 'c'), (e: unknown) => e instanceof TeachError && e.status === 503);
  assert.deepEqual(order, [], 'the waiting script has not run yet');
  a.release();
  await running;
  await waiting;
  assert.deepEqual(order, ['b']);
});

test('a script that throws frees its slot', async () => {
  const gate = new ScriptGate({ perAttendee: 1, running: 1, waiting: 0 });
  await assert.rejects(gate.run('a', async () => Promise.reject(new Error('boom'))), /boom/);
  assert.equal(await gate.run('a', async () => 'again'), 'again');
});
