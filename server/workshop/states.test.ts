// The workshop's transition table (issue 18 §5), as a case table.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { canMove, refusal, workshopAllows, WORKSHOP_RULES, type WorkshopState } from './states.js';

const STATES: WorkshopState[] = ['open', 'paused', 'closed'];

test('moves: open and paused alternate, both may close, closed is final, no move to the same state', () => {
  const allowed = STATES.flatMap((from) => STATES.filter((to) => canMove(from, to)).map((to) => `${from}→${to}`));
  assert.deepEqual(allowed, ['open→paused', 'open→closed', 'paused→open', 'paused→closed']);
});

test('what each state allows', () => {
  const cases: Array<[WorkshopState, Parameters<typeof workshopAllows>[1], boolean]> = [
    ['open', 'join', true],
    ['paused', 'join', false],
    ['closed', 'join', false],
    ['open', 'shell', true],
    ['paused', 'shell', false],
    ['paused', 'attach', true],
    ['closed', 'attach', false],
    ['paused', 'linger', true],
    ['closed', 'linger', false],
    ['paused', 'health-check', false],
    ['paused', 'prepare', true],
    ['closed', 'prepare', false],
    ['paused', 'close', true],
    ['closed', 'close', false],
    ['open', 'pause', true],
    ['paused', 'pause', false],
    ['paused', 'resume', true],
    ['open', 'resume', false],
    ['paused', 'reset', false],
    ['paused', 'present', false],
  ];
  for (const [state, action, expected] of cases) assert.equal(workshopAllows(state, action), expected, `${state} ${action}`);
  assert.equal(WORKSHOP_RULES.joinable('open'), true);
  assert.equal(WORKSHOP_RULES.joinable('paused'), false);
});

test('a refusal names the workshop, its state and why', () => {
  const w = { title: 'Morning', state: 'paused' as const };
  assert.equal(refusal(w, 'resume'), null);
  assert.equal(refusal(w, 'pause'), 'The workshop "Morning" is paused: only an open workshop can be paused.');
  assert.equal(refusal(w, 'reset'), 'The workshop "Morning" is paused: resume it before resetting sandboxes.');
  assert.equal(refusal({ title: 'Morning', state: 'closed' }, 'attach'), 'The workshop "Morning" is closed: ask the instructor.');
  assert.equal(refusal({ title: 'Morning', state: 'closed' }, 'prepare'), 'The workshop "Morning" is closed.');
});
