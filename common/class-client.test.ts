import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EMPTY_ROSTER, applyClassFrame } from './class-client.js';
import type { ClassRow, ClassServerMessage } from './class-protocol.js';

function row(id: string, step: number | null = null): ClassRow {
  return { id, name: id.toUpperCase(), online: true, step, onStepSince: null, failedCommands: 0, runs: 0, sandbox: 'running', lastSeen: 1, stuck: false, stuckReason: null };
}

const settings = { stuckAfterMs: 600_000, failStreak: 3 };
const workshop = { id: 'w-1', title: 'T', code: 'ABCDEF', lab: 'lab', stepTitles: ['a', 'b'] };

function fold(frames: ClassServerMessage[], now = 1000) {
  return frames.reduce((r, f) => applyClassFrame(r, f, now), EMPTY_ROSTER);
}

test('a snapshot replaces everything; the clock offset is the server\'s minus ours', () => {
  const r = fold([{ type: 'snapshot', workshop, settings, rows: [row('a'), row('b')], at: 1500 }]);
  assert.deepEqual(r.rows.map((x) => x.id), ['a', 'b']);
  assert.equal(r.clockOffsetMs, 500);
  assert.deepEqual(r.workshop, workshop);
  const again = applyClassFrame(r, { type: 'snapshot', workshop, settings, rows: [row('c')], at: 1000 }, 1000);
  assert.deepEqual(again.rows.map((x) => x.id), ['c']);
});

test('an update replaces its rows in place, appends new ones, and drops the removed ones', () => {
  const r = fold([
    { type: 'snapshot', workshop, settings, rows: [row('a'), row('b'), row('c')], at: 1000 },
    { type: 'update', rows: [row('b', 2), row('d', 0)], removed: ['a'], at: 1200 },
  ]);
  assert.deepEqual(
    r.rows.map((x) => [x.id, x.step]),
    [
      ['b', 2],
      ['c', null],
      ['d', 0],
    ],
  );
  assert.equal(r.clockOffsetMs, 200);
});

test('a row both sent and removed in one update is gone', () => {
  const r = fold([
    { type: 'snapshot', workshop, settings, rows: [row('a')], at: 1000 },
    { type: 'update', rows: [row('a', 1), row('z', 1)], removed: ['a', 'z'], at: 1000 },
  ]);
  assert.deepEqual(r.rows, []);
});

test('settings and errors change only themselves; a snapshot clears the error; the input is never changed', () => {
  const start = fold([{ type: 'snapshot', workshop, settings, rows: [row('a')], at: 1000 }]);
  const frozen = JSON.stringify(start);
  const withError = applyClassFrame(start, { type: 'error', code: 'bad-json', message: 'the frame is not valid JSON' }, 1000);
  assert.equal(withError.error, 'the frame is not valid JSON');
  const newRule = applyClassFrame(withError, { type: 'settings', settings: { stuckAfterMs: 120_000, failStreak: 2 } }, 1000);
  assert.deepEqual(newRule.settings, { stuckAfterMs: 120_000, failStreak: 2 });
  assert.equal(newRule.rows, start.rows);
  assert.equal(applyClassFrame(newRule, { type: 'snapshot', workshop, settings, rows: [], at: 1000 }, 1000).error, null);
  assert.equal(JSON.stringify(start), frozen);
});
