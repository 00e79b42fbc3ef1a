import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import { addressKey, Buckets, clientAddress, FailureBudget } from './rate-limit.js';

/** A clock the test moves by hand: no test here waits for real time. */
function clock(start = 1_000_000) {
  let t = start;
  return { now: () => t, advance: (ms: number) => (t += ms) };
}

test('a bucket allows its burst, then one failure per 1/perSecond, and says how long to wait', () => {
  const c = clock();
  const b = new Buckets({ burst: 3, perSecond: 0.2 }, 10, c.now);
  for (let i = 0; i < 3; i++) {
    assert.equal(b.wait('a'), 0);
    b.spend('a');
  }
  assert.equal(b.wait('a'), 5, 'one token comes back in 5 s');
  c.advance(2000);
  assert.equal(b.wait('a'), 3, 'rounded up, never 0 while empty');
  c.advance(3000);
  assert.equal(b.wait('a'), 0);
  b.spend('a');
  assert.equal(b.wait('a'), 5);
  assert.equal(b.wait('b'), 0, 'another key has its own bucket');
});

test('the table is bounded: the least recently used entry goes first, a full bucket is dropped', () => {
  const c = clock();
  const b = new Buckets({ burst: 1, perSecond: 1 }, 3, c.now);
  for (const k of ['a', 'b', 'c']) b.spend(k);
  b.spend('a'); // a is now the most recent
  b.spend('d');
  assert.equal(b.size, 3);
  assert.equal(b.wait('b'), 0, 'b was dropped: a fresh bucket, what a new address gets');
  assert.ok(b.wait('a') > 0 && b.wait('c') > 0 && b.wait('d') > 0);
  c.advance(5000);
  for (const k of ['a', 'c', 'd']) assert.equal(b.wait(k), 0);
  assert.equal(b.size, 0, 'refilled entries are forgotten');
  for (let i = 0; i < 10_000; i++) b.spend(`k${i}`);
  assert.equal(b.size, 3);
});

test('a failure budget: the address first, then everyone together', () => {
  const c = clock();
  const budget = new FailureBudget({ perAddress: { burst: 2, perSecond: 0.5 }, overall: { burst: 5, perSecond: 1 }, maxAddresses: 100 }, c.now);
  budget.fail('x');
  budget.fail('x');
  assert.deepEqual(budget.check('x'), { scope: 'address', retryAfterS: 2 });
  assert.equal(budget.check('y'), null);
  budget.fail('y');
  budget.fail('y');
  budget.fail('z');
  assert.deepEqual(budget.check('w'), { scope: 'overall', retryAfterS: 1 }, 'five failures from three addresses close it for a fourth');
  c.advance(1000);
  assert.equal(budget.check('w'), null);
});

test('client addresses: IPv4 as is, IPv4-mapped unwrapped, IPv6 by its /64, X-Forwarded-For only from a loopback peer', () => {
  assert.equal(addressKey('192.0.2.7'), '192.0.2.7');
  assert.equal(addressKey('::ffff:192.0.2.7'), '192.0.2.7');
  assert.equal(addressKey('2001:db8:1:2:aaaa:bbbb:cccc:dddd'), '2001:db8:1:2::/64');
  assert.equal(addressKey('2001:db8:1:2::1'), '2001:db8:1:2::/64');
  assert.equal(addressKey('2001:DB8::1'), '2001:db8:0:0::/64');
  assert.equal(addressKey('fe80::1%eth0'), 'fe80:0:0:0::/64');
  const req = (remoteAddress: string, xff?: string) => ({ socket: { remoteAddress }, headers: xff ? { 'x-forwarded-for': xff } : {} }) as unknown as IncomingMessage;
  assert.equal(clientAddress(req('127.0.0.1', '198.51.100.1, 203.0.113.9')), '203.0.113.9', 'the entry the local proxy added');
  assert.equal(clientAddress(req('::1', '2001:db8:5:6::9')), '2001:db8:5:6::/64');
  assert.equal(clientAddress(req('127.0.0.1', 'not-an-address')), '127.0.0.1');
  assert.equal(clientAddress(req('192.0.2.7', '203.0.113.9')), '192.0.2.7', 'a remote peer cannot choose its address');
});
