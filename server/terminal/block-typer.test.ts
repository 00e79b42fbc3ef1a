import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BlockTyper, type TypingTarget } from './block-typer.js';

/** A shell that records what is typed; its output time is set by the test. */
class Target implements TypingTarget {
  readonly written: string[] = [];
  live = true;
  lastOutputAt = 0;
  /** Called after each write: lets a test act in the middle of a block. */
  onWrite: ((data: string) => void) | null = null;
  write(data: string): void {
    this.written.push(data);
    this.onWrite?.(data);
  }
}

/** Short pacing: the typer's own timers, nothing else, decide how long a test takes. */
const fast = { quietMs: 5, maxWaitMs: 50, tickMs: 1 };
const yes = () => true;

test('a block is typed line by line, each followed by Enter', async () => {
  const t = new Target();
  const typer = new BlockTyper(fast);
  assert.equal(await typer.type(t, ['echo a', 'echo b', 'echo c'], yes), 'typed');
  assert.deepEqual(t.written, ['echo a\r', 'echo b\r', 'echo c\r']);
});

test('keys typed during a Run are held and released after it, in the order typed', async () => {
  const t = new Target();
  const typer = new BlockTyper(fast);
  t.onWrite = (d) => {
    if (d === 'one\r') {
      assert.equal(typer.hold('x', 1), true);
      assert.equal(typer.hold('y', 1), true);
    }
    if (d === 'two\r') assert.equal(typer.hold('z', 1), true);
  };
  assert.equal(typer.heldBytes, 0);
  const done = typer.type(t, ['one', 'two', 'three'], yes);
  assert.equal(typer.busy, true);
  await done;
  assert.deepEqual(t.written, ['one\r', 'two\r', 'three\r', 'xyz']);
  assert.equal(typer.heldBytes, 0);
  assert.equal(typer.hold('after', 5), false, 'with no Run, keys are not held');
});

test('abort (Ctrl-C) stops the block being typed and drops the one waiting', async () => {
  const t = new Target();
  const typer = new BlockTyper(fast);
  const first = typer.type(t, ['a1', 'a2', 'a3'], yes);
  const second = typer.type(t, ['b1'], yes);
  typer.abort(false);
  assert.deepEqual(await Promise.all([first, second]), ['aborted', 'aborted']);
  assert.deepEqual(t.written, ['a1\r']);
});

test('abort keeps the held keys unless asked to drop them', async () => {
  const kept = new Target();
  const k = new BlockTyper(fast);
  kept.onWrite = (d) => {
    if (d === 'a1\r') {
      k.hold('q', 1);
      k.abort(false);
    }
  };
  await k.type(kept, ['a1', 'a2'], yes);
  assert.deepEqual(kept.written, ['a1\r', 'q']);

  const dropped = new Target();
  const d = new BlockTyper(fast);
  dropped.onWrite = (w) => {
    if (w === 'a1\r') {
      d.hold('q', 1);
      d.abort(true);
    }
  };
  await d.type(dropped, ['a1', 'a2'], yes);
  assert.deepEqual(dropped.written, ['a1\r']);
  assert.equal(d.heldBytes, 0);
});

test('one Run waits behind the one typing; the typer is then full, and frees up when they are done', async () => {
  const t = new Target();
  const typer = new BlockTyper(fast);
  assert.equal(typer.full, false);
  const first = typer.type(t, ['a1', 'a2'], yes);
  assert.equal(typer.full, false, 'one typing, none waiting: a second may queue');
  const second = typer.type(t, ['b1'], yes);
  assert.equal(typer.full, true, 'one typing and one waiting: a third must be refused');
  await Promise.all([first, second]);
  assert.deepEqual(t.written, ['a1\r', 'a2\r', 'b1\r']);
  assert.equal(typer.full, false);
  assert.equal(typer.busy, false);
});

test('typing stops when the client that asked is gone (detach)', async () => {
  const t = new Target();
  const typer = new BlockTyper(fast);
  let connected = true;
  t.onWrite = (d) => {
    if (d === 'a1\r') connected = false;
  };
  await typer.type(t, ['a1', 'a2', 'a3'], () => connected);
  assert.deepEqual(t.written, ['a1\r']);
});

test('typing stops when the shell ends, and held keys are not written to an ended shell', async () => {
  const t = new Target();
  const typer = new BlockTyper(fast);
  t.onWrite = (d) => {
    if (d === 'a1\r') {
      typer.hold('k', 1);
      t.live = false;
    }
  };
  await typer.type(t, ['a1', 'a2'], yes);
  assert.deepEqual(t.written, ['a1\r']);
});

test('between lines the typer waits for the shell to go quiet (output restarts the wait)', async () => {
  let now = 0;
  const t = new Target();
  const typer = new BlockTyper({ quietMs: 10, maxWaitMs: 1000, tickMs: 1, now: () => now });
  const done = typer.type(t, ['a', 'b'], yes);
  // The clock is the test's: the shell keeps printing, so `b` must not be typed.
  for (let i = 0; i < 20; i++) {
    now += 5;
    t.lastOutputAt = now;
    await new Promise((r) => setTimeout(r, 2));
    assert.deepEqual(t.written, ['a\r'], `typed during output at ${now}`);
  }
  now += 10;
  await done;
  assert.deepEqual(t.written, ['a\r', 'b\r']);
});
