import { test } from 'node:test';
import assert from 'node:assert/strict';
import { codeBlocks } from '../../common/lab-model.js';
import { readCodeInfo, type CodeInfo } from './code-block.js';
import { testDecks } from './deck-cases.js';

/** [fence line, what its info string means] */
const infos: [string, CodeInfo][] = [
  ['```bash +exec', { lang: 'bash', attrs: ['+exec'], findings: [] }],
  ['```', { lang: '', attrs: [], findings: [] }],
  ['```+exec', { lang: '', attrs: ['+exec'], findings: [] }],
  ['```bash +exec +id:setup', { lang: 'bash', attrs: ['+exec', '+id:setup'], findings: [{ kind: 'id', name: 'setup', column: 15 }] }],
  [
    '```rust +exec:rust-script +validate:x +expect:failure +width:50% +pty:bash +exec_replace:y',
    {
      lang: 'rust',
      attrs: ['+exec:rust-script', '+validate:x', '+expect:failure', '+width:50%', '+pty:bash', '+exec_replace:y'],
      findings: [],
    },
  ],
  [
    '```bash +line_numbers +auto_exec +render +image +no_background +acquire_terminal +pty +validate +exec_replace',
    {
      lang: 'bash',
      attrs: ['+line_numbers', '+auto_exec', '+render', '+image', '+no_background', '+acquire_terminal', '+pty', '+validate', '+exec_replace'],
      findings: [],
    },
  ],
  ['```python +prepend_file(a.py) +append_file(b)', { lang: 'python', attrs: ['+prepend_file(a.py)', '+append_file(b)'], findings: [] }],
  // Line highlight groups go, spaces inside them included.
  ['```bash {1 , 3|5} +exec', { lang: 'bash', attrs: ['+exec'], findings: [] }],
  ['```bash +exec +potato {1,3}', { lang: 'bash', attrs: ['+exec', '+potato'], findings: [{ kind: 'unknown', attr: '+potato', column: 15 }] }],
  // A parameter where none is taken, none where one is needed, a word without `+`.
  [
    '```sh +render:x +id: plain',
    {
      lang: 'sh',
      attrs: ['+render:x', '+id:', 'plain'],
      findings: [
        { kind: 'unknown', attr: '+render:x', column: 7 },
        { kind: 'unknown', attr: '+id:', column: 17 },
        { kind: 'unknown', attr: 'plain', column: 22 },
      ],
    },
  ],
];

for (const [fence, info] of infos) {
  test(`readCodeInfo: ${fence}`, () => {
    assert.deepEqual(readCodeInfo(fence.replace(/^`+/, ''), fence), info);
  });
}

testDecks('code blocks', [
  {
    name: 'code attributes: unknown +word warns, exec only runnable for shells',
    deck: '# C\n\n```bash +exec +potato {1,3}\nls\n```\n```rust +exec\nfn main() {}\n```\n```bash +exec_replace +line_numbers\npwd\n```\n',
    // 6:1: the rust snippet runs rustc, which the deck does not declare.
    diagnostics: ['3:15 warning', '6:1 warning'],
    check: ({ lab }) => {
      const blocks = codeBlocks(lab.steps[0]?.blocks ?? []);
      assert.deepEqual(blocks.map((b) => [b.lang, b.runnable, b.lineNumbers, b.snippet?.executor]), [
        ['bash', true, false, undefined],
        ['rust', false, false, 'rust'],
        ['bash', true, true, undefined],
      ]);
      assert.deepEqual(blocks[0]?.attrs, ['+exec', '+potato']);
      assert.match(lab.warnings[1]?.message ?? '', /"rustc", which the lab's tools do not declare/);
    },
  },
  {
    name: 'runnable in any case of a shell language, with +auto_exec too',
    deck: '# C\n\n```SHELL +auto_exec\nA\n```\n```+exec\nno lang\n```\n',
    // 3:1: `A` is not a declared tool; 6:1: presenterm cannot execute a block without a language.
    diagnostics: ['3:1 warning', '6:1 warning'],
    check: ({ lab }) => {
      assert.match(lab.warnings[1]?.message ?? '', /cannot execute unlabelled snippets/);
      assert.deepEqual(codeBlocks(lab.steps[0]?.blocks ?? []).map((b) => [b.lang, b.runnable]), [
        ['SHELL', true],
        ['', false],
      ]);
    },
  },
  {
    name: 'hidden lines: shown without, run with',
    deck: '# H\n\n<!-- labdeck\ntools: [{name: kubectl}]\n-->\n```bash +exec +id:setup\n/// export NS=lab\nkubectl -n "$NS" get pods\n///\n```\n',
    diagnostics: [],
    check: ({ lab }) => {
      const block = codeBlocks(lab.steps[0]?.blocks ?? [])[0];
      assert.equal(block?.id, 'setup');
      assert.equal(block?.code, 'kubectl -n "$NS" get pods');
      assert.equal(block?.run, 'export NS=lab\nkubectl -n "$NS" get pods\n');
      assert.ok(!block?.html.includes('export'));
    },
  },
  {
    name: 'a duplicate +id warns at its column and the block gets a generated id',
    deck: '# D\n\n```bash +exec +id:x\nls\n```\n<!-- end_slide -->\n```bash +exec +id:x\npwd\n```\n',
    diagnostics: ['7:15 warning'],
    check: ({ lab }) => {
      assert.deepEqual(lab.steps.flatMap((s) => codeBlocks(s.blocks)).map((b) => b.id), ['x', 's1-b1']);
    },
  },
  {
    name: 'nested fences: the outer block keeps the inner fence as text',
    deck: '# Nested\n\n````markdown\n```bash +exec\necho hi\n```\n````\n',
    diagnostics: [],
    check: ({ lab }) => {
      const blocks = codeBlocks(lab.steps[0]?.blocks ?? []);
      assert.equal(blocks.length, 1);
      assert.equal(blocks[0]?.lang, 'markdown');
      assert.equal(blocks[0]?.code, '```bash +exec\necho hi\n```');
      assert.equal(blocks[0]?.runnable, false);
      assert.deepEqual(lab.steps[0]?.commands, []);
    },
  },
  {
    name: 'unclosed fence: error at the line that opens it',
    deck: '# A\n\n```bash +exec\necho a\n\n# B\n',
    diagnostics: ['3:1 error'],
    error: 'never closed',
  },
  {
    name: 'unclosed tilde fence',
    deck: '# T\n\n~~~sh +exec\nls\n',
    diagnostics: ['3:1 error'],
    error: 'code fence ~~~ opened here is never closed',
  },
]);
