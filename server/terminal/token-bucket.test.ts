import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TokenBucket } from './token-bucket.js';

test('a burst at once, then the rate; the wait says when the next token comes', () => {
  let now = 0;
  const b = new TokenBucket({ perSecond: 2, burst: 3 }, () => now);
  assert.deepEqual([b.take(), b.take(), b.take(), b.take()], [true, true, true, false]);
  assert.equal(b.waitMs(), 500);
  now += 499;
  assert.equal(b.take(), false);
  now += 1;
  assert.equal(b.take(), true);
  now += 60_000;
  assert.deepEqual([b.take(), b.take(), b.take(), b.take()], [true, true, true, false], 'never more than the burst saved up');
});

test('a clock that goes back gives no tokens', () => {
  let now = 1000;
  const b = new TokenBucket({ perSecond: 1, burst: 1 }, () => now);
  assert.equal(b.take(), true);
  now = 0;
  assert.equal(b.take(), false);
});
