import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_STUCK_SETTINGS, stuckVerdict, type StuckFacts } from './stuck.js';

const settings = { stuckAfterMs: 5 * 60_000, failStreak: 3 };
const base: StuckFacts = { step: 2, timeOnStepMs: 0, failStreak: 0, lastStep: false };

test('the stuck rule, case by case', () => {
  const cases: Array<[string, Partial<StuckFacts>, string | null]> = [
    ['just arrived', {}, null],
    ['exactly at the threshold is not over it', { timeOnStepMs: 5 * 60_000 }, null],
    ['over the threshold', { timeOnStepMs: 5 * 60_000 + 1 }, 'on step 3 for 5 min (over 5 min)'],
    ['hours on a step', { timeOnStepMs: 3 * 3600_000 }, 'on step 3 for 3 h (over 5 min)'],
    ['two failures in a row: not yet', { failStreak: 2 }, null],
    ['three failures in a row', { failStreak: 3 }, '3 failing commands in a row on step 3'],
    ['failures win over time: they say what to do', { failStreak: 4, timeOnStepMs: 3600_000 }, '4 failing commands in a row on step 3'],
    ['on the last step, time does not count', { lastStep: true, timeOnStepMs: 3600_000 }, null],
    ['on the last step, failures still do', { lastStep: true, failStreak: 3 }, '3 failing commands in a row on step 3'],
    ['no step reported yet: never stuck', { step: null, failStreak: 10, timeOnStepMs: 3600_000 }, null],
  ];
  for (const [name, facts, reason] of cases) {
    const v = stuckVerdict({ ...base, ...facts }, settings);
    assert.equal(v.reason, reason, name);
    assert.equal(v.stuck, reason !== null, name);
  }
});

test('the default rule is a sane classroom one', () => {
  assert.equal(stuckVerdict({ ...base, timeOnStepMs: 9 * 60_000 }, DEFAULT_STUCK_SETTINGS).stuck, false);
  assert.equal(stuckVerdict({ ...base, timeOnStepMs: 11 * 60_000 }, DEFAULT_STUCK_SETTINGS).stuck, true);
});
