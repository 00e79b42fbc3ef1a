import assert from 'node:assert/strict';
import { codeBlocks } from '../../common/lab-model.js';
import { testDecks } from './deck-cases.js';

testDecks('slides', [
  {
    name: 'column layouts, reset_layout, column out of range',
    deck: [
      '# Cols',
      '<!-- column_layout: [2, 1] -->',
      '<!-- column: 1 -->',
      'right',
      '<!-- column: 0 -->',
      '```sh +exec',
      'ls',
      '```',
      '<!-- column: 2 -->',
      '<!-- reset_layout -->',
      'after',
    ].join('\n'),
    diagnostics: ['9:1 warning'],
    check: ({ lab }) => {
      const blocks = lab.steps[0]?.blocks ?? [];
      assert.deepEqual(blocks.map((b) => b.kind), ['markdown', 'columns', 'markdown']);
      const cols = blocks[1];
      assert.ok(cols?.kind === 'columns');
      assert.deepEqual(cols.widths, [2, 1]);
      assert.equal(cols.line, 2);
      assert.deepEqual(cols.columns.map((c) => c.map((b) => b.kind)), [['code'], ['markdown']]);
      assert.deepEqual(lab.steps[0]?.commands, ['ls']);
    },
  },
  {
    name: 'content before the first column goes to column 0; column without a layout is ignored',
    deck: [
      '# Col',
      '<!-- column_layout: [1, 1] -->',
      'text before',
      '<!-- column: 1 -->',
      '```bash +exec +id:a',
      'ls',
      '```',
      '<!-- column: 0 -->',
      '```sh +exec +id:a',
      'pwd',
      '```',
      '<!-- end_slide -->',
      '<!-- column: 0 -->',
      '```sh +exec',
      'id',
      '```',
    ].join('\n'),
    diagnostics: ['3:1 warning', '9:13 warning', '13:1 warning'],
    check: ({ lab }) => {
      const cols = lab.steps[0]?.blocks[1];
      assert.ok(cols?.kind === 'columns');
      assert.deepEqual(cols.columns.map((c) => c.map((b) => b.kind)), [['markdown', 'code'], ['code']]);
      // Commands and generated ids follow reading order: left column first.
      assert.deepEqual(lab.steps[0]?.commands, ['pwd', 'ls']);
      assert.deepEqual(codeBlocks(lab.steps[0]?.blocks ?? []).map((b) => b.id), ['s0-b1', 'a']);
      assert.deepEqual(lab.steps[1]?.commands, ['id']);
      assert.equal(lab.steps[1]?.line, 13);
    },
  },
  {
    name: 'empty slides are dropped; untitled ones are numbered by step',
    deck: 'text only, no heading\n<!-- end_slide -->\n<!-- end_slide -->\n\n# Second\n',
    diagnostics: [],
    check: ({ lab }) => {
      assert.deepEqual(lab.steps.map((s) => [s.index, s.title, s.line]), [[0, 'Step 1', 1], [1, 'Second', 5]]);
    },
  },
]);
