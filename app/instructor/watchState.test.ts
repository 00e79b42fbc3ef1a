// The dashboard's watch pane as a pure reducer (issue 18 §11).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { WatchServerMessage } from '@/common/watch-protocol';
import { INITIAL_WATCH, reduceWatch, retriesAfter, watchClosed, type WatchSnapshot } from './watchState';

function run(frames: WatchServerMessage[], snap: WatchSnapshot = INITIAL_WATCH): WatchSnapshot {
  return frames.reduce((s, f) => reduceWatch(s, f).snap, snap);
}

test('the first screen makes it watching and asks the pane to draw it; a resize is passed on', () => {
  const first = reduceWatch(INITIAL_WATCH, { type: 'screen', data: 'S', cols: 90, rows: 30, skipped: 0 });
  assert.equal(first.snap.phase, 'watching');
  assert.deepEqual(first.effects, [{ kind: 'screen', data: 'S', cols: 90, rows: 30 }]);
  assert.deepEqual(reduceWatch(first.snap, { type: 'resize', cols: 100, rows: 40 }).effects, [{ kind: 'resize', cols: 100, rows: 40 }]);
  assert.equal(run([{ type: 'screen', data: '', cols: 80, rows: 24, skipped: 12345 }]).skipped, 12345);
});

test('control: each way it ends has its sentence; the attendee leaving is one of them', () => {
  const granted = run([{ type: 'control', state: 'granted', mine: true }]);
  assert.equal(granted.message, null);
  for (const [ended, re] of [
    ['declined', /declined/],
    ['taken-back', /took control back/],
    ['released', /released/],
    ['attendee-left', /browser went away.*accept again/],
  ] as const) {
    const s = run([{ type: 'control', state: 'none', mine: false, ended }], granted);
    assert.match(s.message ?? '', re, ended);
    assert.equal(s.control.state, 'none');
  }
});

test('an error or the session\'s end is said; an unchanged control state keeps it, a new one clears it', () => {
  const err = run([{ type: 'error', code: 'control-busy', message: 'another instructor has control' }]);
  assert.equal(err.message, 'another instructor has control');
  assert.equal(run([{ type: 'control', state: 'none', mine: false }], err).message, 'another instructor has control');
  assert.equal(run([{ type: 'control', state: 'requested', mine: true }], err).message, null);
  assert.match(run([{ type: 'ended', reason: 'grace period over' }]).message ?? '', /session ended: grace period over/);
  assert.equal(run([{ type: 'attendee', online: false }]).online, false);
});

test('only a watch that worked and was lost without the server\'s word is retried', () => {
  assert.equal(retriesAfter({ code: 1006 }, true), true);
  assert.equal(retriesAfter({ code: 1001 }, true), true);
  assert.equal(retriesAfter({ code: 1006 }, false), false, 'never watched: a refused upgrade (bad token) is final');
  for (const code of [1000, 4004, 4008, 4029, 4404]) assert.equal(retriesAfter({ code }, true), false, String(code));
});

test('closed: the last sentence stays, or the close says why; control is gone', () => {
  const granted = run([{ type: 'control', state: 'granted', mine: true }]);
  const closed = watchClosed(granted, { code: 1006, reason: '' });
  assert.equal(closed.phase, 'closed');
  assert.equal(closed.control.state, 'none');
  assert.match(closed.message ?? '', /refused or lost/);
  assert.equal(watchClosed({ ...granted, message: 'no session' }, { code: 4404, reason: 'no-session' }).message, 'no session');
  assert.equal(watchClosed(INITIAL_WATCH, { code: 4004, reason: 'session ended' }).message, 'The watch ended (session ended).');
});
