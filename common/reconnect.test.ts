import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Backoff, Reconnector, type TimerLike } from './reconnect.js';

test('backoff doubles from min to max, each delay between half and all of its ceiling', () => {
  const low = new Backoff({ minMs: 500, maxMs: 15_000, random: () => 0 });
  const high = new Backoff({ minMs: 500, maxMs: 15_000, random: () => 0.999999 });
  const ceilings = [500, 1000, 2000, 4000, 8000, 15_000, 15_000];
  for (const c of ceilings) {
    assert.equal(low.next(), c / 2);
    assert.ok(Math.abs(high.next() - c) < 0.1);
  }
  low.reset();
  assert.equal(low.attempts, 0);
  assert.equal(low.next(), 250);
});

test('jitter: a room of clients that dropped together does not retry together', () => {
  const delays = Array.from({ length: 200 }, () => {
    const b = new Backoff({ minMs: 500, maxMs: 15_000 });
    b.next();
    b.next();
    return Math.round(b.next());
  });
  assert.ok(delays.every((d) => d >= 1000 && d <= 2000));
  assert.ok(new Set(delays).size > 100, `${new Set(delays).size} distinct delays of 200`);
});

test('backoff refuses nonsense bounds', () => {
  assert.throws(() => new Backoff({ minMs: 0, maxMs: 10 }));
  assert.throws(() => new Backoff({ minMs: 20, maxMs: 10 }));
});

/** Timers the test runs by hand. */
function manualTimers(): TimerLike & { fire(): void; pending: number; clock: number } {
  let queue: Array<{ fn: () => void; at: number; id: number }> = [];
  let id = 0;
  const t = {
    clock: 0,
    setTimeout: (fn: () => void, ms: number) => {
      queue.push({ fn, at: t.clock + ms, id: ++id });
      return id;
    },
    clearTimeout: (h: unknown) => {
      queue = queue.filter((q) => q.id !== h);
    },
    now: () => t.clock,
    fire() {
      const next = queue.shift();
      if (!next) throw new Error('no timer pending');
      t.clock = next.at;
      next.fn();
    },
    get pending() {
      return queue.length;
    },
  };
  return t;
}

test('the reconnector keeps at most one attempt pending, resets after a success, and stops for good', () => {
  const timers = manualTimers();
  let connects = 0;
  const r = new Reconnector(() => connects++, { minMs: 100, maxMs: 1000, random: () => 0 }, timers);
  assert.equal(r.schedule(), 50);
  assert.equal(r.schedule(), 100, 'scheduling again replaces the pending attempt, with the next delay');
  assert.equal(timers.pending, 1);
  timers.fire();
  assert.equal(connects, 1);
  r.succeeded();
  assert.equal(r.schedule(), timers.clock + 50, 'after a success the shortest delay again');
  r.now();
  assert.equal(connects, 2, 'now() connects at once');
  assert.equal(timers.pending, 0, 'and drops the pending attempt');
  r.schedule();
  r.stop();
  assert.equal(timers.pending, 0);
  assert.equal(r.schedule(), null);
  r.now();
  assert.equal(connects, 2, 'nothing after stop()');
});
