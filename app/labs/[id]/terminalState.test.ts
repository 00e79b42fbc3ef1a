// The attendee page's connection rules as a pure reducer (issue 18 §9, §11): what each server frame does
// to what the page shows, and what it asks the connection to do.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ServerMessage } from '@/common/protocol';
import { HELD_INPUT_MAX_CHARS, INITIAL_MODEL, holdInput, reduce, type Effect, type TermModel } from './terminalState';

const ready = (over: Partial<Extract<ServerMessage, { type: 'ready' }>> = {}): ServerMessage => ({ type: 'ready', attendee: 'a-1', driver: 'local', isolation: 'none', resumed: false, ...over });

function run(frames: ServerMessage[], model: TermModel = INITIAL_MODEL): { model: TermModel; effects: Effect[] } {
  let effects: Effect[] = [];
  for (const f of frames) {
    const step = reduce(model, f);
    model = step.model;
    effects = step.effects;
  }
  return { model, effects };
}

const kinds = (effects: Effect[]) => effects.map((e) => e.kind);

test('first ready: connected, the sandbox shown, the step re-sent, the size synced, the ping started; nothing cleared', () => {
  const { model, effects } = run([{ type: 'progress', phase: 'starting', fraction: 2 }, ready()]);
  assert.deepEqual(model.snap.state, { kind: 'connected' });
  assert.deepEqual(model.snap.sandbox, { attendee: 'a-1', driver: 'local', isolation: 'none' });
  assert.equal(model.hadShell, true);
  assert.deepEqual(kinds(effects), ['backoff-reset', 'resend-progress', 'sync-size', 'start-ping']);
});

test('progress fractions are clamped to [0, 1]', () => {
  assert.deepEqual(run([{ type: 'progress', phase: 'p', fraction: 7 }]).model.snap.state, { kind: 'starting', phase: 'p', fraction: 1 });
  assert.deepEqual(run([{ type: 'progress', phase: 'p', fraction: -1 }]).model.snap.state, { kind: 'starting', phase: 'p', fraction: 0 });
});

test('keys typed during a blip go to the same shell when it is resumed', () => {
  let m = run([ready()]).model;
  m = { ...m, snap: { ...m.snap, state: { kind: 'reconnecting', retryAt: 0, unreachable: false } } };
  m = holdInput(m, 'ls\r');
  const { model, effects } = reduce(m, ready({ resumed: true }));
  assert.deepEqual(effects.find((e) => e.kind === 'send-input'), { kind: 'send-input', data: 'ls\r' });
  assert.equal(model.held, '');
  assert.ok(!kinds(effects).includes('clear-screen'), 'the same shell: the screen stays');
  assert.deepEqual(model.snap.notices, []);
});

test('…and are dropped, with a notice, when the shell is a new one; its screen is cleared', () => {
  let m = run([ready()]).model;
  m = { ...m, snap: { ...m.snap, state: { kind: 'reconnecting', retryAt: 0, unreachable: false } } };
  m = holdInput(m, 'rm -rf build\r');
  const { model, effects } = reduce(m, ready({ resumed: false, replaced: 'The server restarted and your previous shell was lost; this is a new one.' }));
  assert.equal(kinds(effects)[0], 'clear-screen');
  assert.ok(!kinds(effects).includes('send-input'));
  assert.deepEqual(
    model.snap.notices.map((n) => n.text),
    ['What you typed while disconnected was not sent: this is a new shell.', 'The server restarted and your previous shell was lost; this is a new one.'],
  );
  // The first notice goes away by itself; the server's sentence stays until dismissed.
  assert.deepEqual(
    effects.filter((e) => e.kind === 'expire-notice'),
    [{ kind: 'expire-notice', id: model.snap.notices[0]!.id }],
  );
});

test('keys are held only while a shell we had may come back, and only up to the bound', () => {
  const fresh = { ...INITIAL_MODEL, snap: { ...INITIAL_MODEL.snap, state: { kind: 'reconnecting' as const, retryAt: 0, unreachable: false } } };
  assert.equal(holdInput(fresh, 'x').held, '', 'no shell yet');
  const had = { ...fresh, hadShell: true };
  assert.equal(holdInput(had, 'x'.repeat(HELD_INPUT_MAX_CHARS + 10)).held.length, HELD_INPUT_MAX_CHARS);
  assert.equal(holdInput({ ...had, resetPending: true }, 'x').held, '', 'after a reset the shell is a new one');
  assert.equal(holdInput({ ...had, snap: { ...had.snap, state: { kind: 'taken-over' } } }, 'x').held, '');
});

test('a reset clears the screen at once, drops held keys, and its fresh shell does not clear again', () => {
  let m = run([ready()]).model;
  m = { ...m, held: 'pending' };
  const reset = reduce(m, { type: 'reset', by: 'instructor' });
  assert.deepEqual(kinds(reset.effects), ['clear-screen']);
  assert.equal(reset.model.held, '');
  assert.equal(reset.model.snap.notices.at(-1)?.text, 'Your sandbox was reset by the instructor');
  assert.deepEqual(reset.model.snap.state, { kind: 'starting', phase: 'Resetting your sandbox', fraction: 0 });
  const again = reduce(reset.model, ready({ resumed: false }));
  assert.ok(!kinds(again.effects).includes('clear-screen'));
  assert.equal(again.model.resetPending, false);
});

test('a restored screen replaces what xterm shows', () => {
  assert.deepEqual(run([{ type: 'screen', data: 'SCREEN' }]).effects, [{ kind: 'clear-screen' }, { kind: 'write-screen', data: 'SCREEN' }]);
});

test('exits, lost sandboxes, take-overs and fatal errors stop the page; join-required says why', () => {
  assert.deepEqual(run([{ type: 'exit', code: 3, signal: null }]).model.snap.state, { kind: 'sandbox-gone', message: 'The shell exited with code 3.' });
  assert.deepEqual(run([{ type: 'exit', code: null, signal: 9 }]).model.snap.state, { kind: 'sandbox-gone', message: 'The shell was killed (signal 9).' });
  assert.deepEqual(run([{ type: 'exit', code: 0, signal: 0 }]).model.snap.state, { kind: 'sandbox-gone', message: 'The shell exited with code 0.' }, 'signal 0 is a plain exit');
  const taken = run([{ type: 'taken-over' }]);
  assert.deepEqual([taken.model.snap.state.kind, kinds(taken.effects)], ['taken-over', ['drop-socket']]);
  const join = run([{ type: 'error', code: 'join-required', message: 'Join first', fatal: true }]);
  assert.deepEqual([join.model.snap.state, kinds(join.effects)], [{ kind: 'join-required', message: 'Join first' }, ['drop-socket']]);
  const fatal = run([{ type: 'error', code: 'spawn-failed', message: 'no', fatal: true }]);
  assert.deepEqual(fatal.model.snap.state, { kind: 'failed', message: 'no' });
  const mild = run([ready(), { type: 'error', code: 'busy', message: 'Run: a block is being typed' }]);
  assert.deepEqual(mild.model.snap.state, { kind: 'connected' }, 'a non-fatal error is a notice');
  assert.deepEqual(kinds(mild.effects), ['expire-notice']);
});

test('the instructor\'s messages: one of each shown (sent again after every ready), the newest 20, in order', () => {
  const msg = (id: number): ServerMessage => ({ type: 'message', id, text: `m${id}`, from: 'instructor', toAll: true, at: id });
  const frames = [...Array.from({ length: 25 }, (_, i) => msg(i + 1)), msg(25), msg(7)];
  const ids = run(frames).model.snap.messages.map((m) => m.id);
  assert.deepEqual(ids, Array.from({ length: 20 }, (_, i) => i + 6));
});

test('watching, control, presenter and workshop frames', () => {
  const { model } = run([
    { type: 'watching', watchers: 2 },
    { type: 'control', state: 'requested' },
    { type: 'presenter', labId: 'l', step: 3 },
  ]);
  assert.deepEqual(model.snap.watch, { watchers: 2, control: 'requested' });
  assert.deepEqual(model.snap.presenter, { labId: 'l', step: 3 });
  assert.equal(reduce(model, { type: 'presenter', labId: 'l', step: null }).model.snap.presenter, null);
  const paused = reduce(model, { type: 'workshop', state: 'paused', message: 'paused!' });
  assert.equal(paused.model.snap.state.kind, 'starting');
  assert.deepEqual(kinds(paused.effects), [], 'a pause notice stays');
  assert.deepEqual(kinds(reduce(model, { type: 'workshop', state: 'open', message: 'back' }).effects), ['expire-notice']);
});

test('bye resets the backoff; pong reports its time; neither changes the state', () => {
  const m = run([ready()]).model;
  const bye = reduce(m, { type: 'bye', reason: 'restart' });
  assert.deepEqual(kinds(bye.effects), ['backoff-reset', 'expire-notice']);
  assert.deepEqual(bye.model.snap.state, { kind: 'connected' });
  assert.deepEqual(reduce(m, { type: 'pong', t: 12 }), { model: m, effects: [{ kind: 'pong', t: 12 }] });
});
