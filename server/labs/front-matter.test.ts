import assert from 'node:assert/strict';
import { testDecks } from './deck-cases.js';

testDecks('front matter', [
  {
    name: 'broken front matter YAML: error at its line in the file',
    deck: '---\ntitle: ok\nauthors: [a, b\noptions: {}\n---\n# A\n',
    diagnostics: ['4:1 error'],
    error: 'front matter is not valid YAML',
  },
  {
    name: 'front matter never closed',
    deck: '---\ntitle: x\n# A\n',
    diagnostics: ['1:1 error'],
    error: 'no closing',
  },
  {
    name: 'front matter that is not a mapping',
    deck: '---\n- a\n- b\n---\n# X\n',
    diagnostics: ['2:1 error'],
    error: 'must be a YAML mapping',
  },
  {
    name: 'labdeck key in the front matter warns (presenterm rejects unknown keys)',
    deck: '---\ntitle: T\nlabdeck:\n  tools: []\n---\n# A\n',
    diagnostics: ['3:1 warning'],
  },
  {
    name: 'a title that is not text, author and authors together: warnings at their keys',
    deck: '---\ntitle: [a, b]\nauthor: A\nauthors: [B]\n---\n# X\n',
    diagnostics: ['2:1 warning', '4:1 warning'],
    check: ({ lab }) => {
      assert.equal(lab.title, 'Introduction');
      assert.deepEqual(lab.authors, ['A', 'B']);
      assert.deepEqual(lab.steps.map((s) => [s.title, s.line]), [['Introduction', 1], ['X', 6]]);
    },
  },
  {
    name: 'the intro step shows title, sub title, event, location, date and authors',
    deck: '---\ntitle: "*Kube* `ctl`"\nsub_title: S\nevent: E\nlocation: L\ndate: 2024-01-01\nauthors: [A, B]\n---\n# Body\n',
    diagnostics: [],
    check: ({ lab }) => {
      assert.equal(lab.title, '*Kube* `ctl`');
      assert.equal(lab.subTitle, 'S');
      assert.deepEqual(lab.steps[0]?.blocks, [
        {
          kind: 'markdown',
          html: '<h1><em>Kube</em> <code>ctl</code></h1>\n<h2>S</h2>\n<p>E</p>\n<p>L</p>\n<p>2024-01-01</p>\n<p class="author">A</p>\n<p class="author">B</p>',
          line: 1,
        },
      ]);
      assert.equal(lab.steps[1]?.line, 9);
    },
  },
  {
    name: 'an empty front matter gives no intro step',
    deck: '---\n---\n# Only\n',
    diagnostics: [],
    check: ({ lab }) => {
      assert.deepEqual(lab.steps.map((s) => [s.title, s.line]), [['Only', 3]]);
    },
  },
]);
