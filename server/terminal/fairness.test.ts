import { test } from 'node:test';
import assert from 'node:assert/strict';
import { OutputFairness } from './fairness.js';

const opts = { windowMs: 20, floodBytes: 1000, sharedBytes: 4000, minShareBytes: 500 };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('one flooding session alone is never throttled', async () => {
  const f = new OutputFairness(opts);
  const a = {};
  for (let w = 0; w < 5; w++) {
    for (let i = 0; i < 20; i++) assert.equal(f.spend(a, 1000, () => assert.fail('resumed')), true);
    await sleep(opts.windowMs);
  }
  f.forget(a);
});

test('several flooding sessions share the budget; a quiet one is untouched; the paused resume next window', async () => {
  const f = new OutputFairness(opts);
  const floods = [{}, {}, {}, {}];
  const quiet = {};
  for (const s of floods) f.spend(s, 2000, () => undefined);
  for (let i = 0; f.floodingSessions < 4; i++) {
    assert.ok(i < 100, 'a window passed');
    await sleep(5);
  }
  // Share: 4000 / 4 = 1000 bytes per window each.
  let resumed = 0;
  let allResumed!: () => void;
  const resumedAll = new Promise<void>((r) => (allResumed = r));
  const onResume = () => {
    if (++resumed === floods.length) allResumed();
  };
  for (const s of floods) {
    assert.equal(f.spend(s, 900, onResume), true);
    assert.equal(f.spend(s, 200, onResume), false);
  }
  assert.equal(f.spend(quiet, 100, () => assert.fail('quiet paused')), true);
  // The window timer is unref'd (it must not keep the server alive): hold the loop open meanwhile.
  const keepAlive = setInterval(() => undefined, 1000);
  await resumedAll;
  clearInterval(keepAlive);
  // The paused ones still count as flooding, so the budget holds in the next window too.
  assert.equal(f.floodingSessions, 4);
  for (const s of [...floods, quiet]) f.forget(s);
});
