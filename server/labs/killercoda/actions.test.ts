import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readAction } from './actions.js';

/** [words inside {{ }}, runnable, interrupt, copy, warns] */
const actions: [string, boolean, boolean, boolean, boolean][] = [
  ['exec', true, false, true, false],
  ['exec interrupt', true, true, true, false],
  ['execute', true, false, true, false],
  ['execute T1', true, false, true, false],
  ['execute T2', true, false, true, true],
  ['execute HOST2', true, false, true, true],
  ['execute interrupt', true, true, true, false],
  ['execute interrupt T2', true, true, true, true],
  ['copy', false, false, true, false],
  ['', false, false, false, false],
  ['open', false, false, true, true],
  ['execute ctrl-seq', false, false, true, true],
  ['exec sideways', false, false, true, true],
  ['launch', false, false, true, true],
];
for (const [words, runnable, interrupt, copy, warns] of actions) {
  test(`readAction: {{${words}}}`, () => {
    const a = readAction(words);
    assert.deepEqual([a.runnable, a.interrupt, a.copy, a.warning !== undefined], [runnable, interrupt, copy, warns]);
  });
}
