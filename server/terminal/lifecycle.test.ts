import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Lifecycle, type LifecycleState } from './lifecycle.js';

test('a lifecycle moves forward: starting → ready → closing → done', () => {
  const l = new Lifecycle(() => assert.fail('refused a legal move'));
  for (const to of ['ready', 'closing', 'done'] as const) assert.equal(l.transition(to), true);
  assert.equal(l.state, 'done');
});

test('starting may close without ever being ready', () => {
  const l = new Lifecycle(() => assert.fail('refused a legal move'));
  assert.equal(l.transition('closing'), true);
  assert.equal(l.ending, true);
});

const illegal: Array<[LifecycleState[], LifecycleState]> = [
  [['ready'], 'starting'],
  [['ready'], 'ready'],
  [['closing'], 'ready'],
  [['closing'], 'starting'],
  [['closing', 'done'], 'closing'],
  [['closing', 'done'], 'ready'],
  [['closing', 'done'], 'starting'],
  [[], 'done'],
];

for (const [path, to] of illegal) {
  const from = path.at(-1) ?? 'starting';
  test(`an illegal move ${from} → ${to} is refused, reported, and changes nothing`, () => {
    const refused: string[] = [];
    const l = new Lifecycle((f, t) => refused.push(`${f}→${t}`));
    for (const s of path) assert.equal(l.transition(s), true);
    assert.equal(l.transition(to), false);
    assert.equal(l.state, from);
    assert.deepEqual(refused, [`${from}→${to}`]);
  });
}
