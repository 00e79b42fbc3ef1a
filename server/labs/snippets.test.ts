import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { codeBlocks, type CodeBlock } from '../../common/lab-model.js';
import { mustParse, testDecks } from './deck-cases.js';
import { executorName, hiddenLines, snippetOf } from './snippets.js';

const fixture = readFileSync(fileURLToPath(new URL('./fixtures/presenterm-code.md', import.meta.url)), 'utf8');

test("presenterm's code example: the python +exec block runs its hidden import, shows without it", () => {
  const { lab } = mustParse(fixture);
  const blocks = lab.steps.flatMap((s) => codeBlocks(s.blocks));
  const python = blocks.find((b) => b.lang === 'python' && b.attrs.includes('+exec'));
  assert.ok(python?.snippet, 'the python block is a snippet');
  assert.equal(python.runnable, false, 'never typed into the shell');
  assert.equal(python.code, 'for n in range(3):\n    print(f"tick {n}", flush=True)\n    time.sleep(0.2)');
  assert.ok(!python.html.includes('import'));
  assert.deepEqual(python.snippet, {
    executor: 'python',
    mode: 'exec',
    filename: 'snippet.py',
    commands: [['python3', '-u', '$pwd/snippet.py']],
    env: {},
    tool: 'python3',
    source: 'import time\nfor n in range(3):\n    print(f"tick {n}", flush=True)\n    time.sleep(0.2)\n',
    expectFailure: false,
  });
  // The bash block is typed, as before; the rust block without +exec only shows.
  assert.deepEqual(
    blocks.map((b) => [b.lang, b.runnable, b.snippet?.executor ?? null]),
    [
      ['rust', false, null],
      ['python', false, 'python'],
      ['bash', true, null],
      ['rust', false, 'rust'],
      ['go', false, 'go'],
      ['python', false, 'uv'],
      ['js', false, 'js'],
    ],
  );
  assert.deepEqual(lab.steps[2]?.commands, ['echo "to stdout"\necho "to stderr" >&2']);
});

test("presenterm's code example: every mode, alternative executors, rust's `# ` and go's `/// ` hidden lines", () => {
  const { lab } = mustParse(fixture);
  const byLang = (lang: string, n = 0): CodeBlock | undefined =>
    lab.steps.flatMap((s) => codeBlocks(s.blocks)).filter((b) => b.lang === lang)[n];
  const rust = byLang('rust', 1);
  assert.equal(rust?.code, 'println!("{}", 6 * 7);');
  assert.equal(rust?.snippet?.mode, 'replace');
  assert.equal(rust?.snippet?.source, 'fn main() {\nprintln!("{}", 6 * 7);\n}\n');
  assert.deepEqual(rust?.snippet?.commands, [
    ['rustc', '--crate-name', 'presenterm_snippet', '$pwd/snippet.rs', '-o', '$pwd/snippet', '--color', 'always'],
    ['$pwd/snippet'],
  ]);
  const go = byLang('go');
  assert.equal(go?.code, 'os.Exit(3)');
  assert.deepEqual([go?.snippet?.mode, go?.snippet?.expectFailure, go?.snippet?.env], ['auto', true, { GO111MODULE: 'off' }]);
  assert.deepEqual(byLang('python', 1)?.snippet?.commands, [['uv', 'run', '--script', '-q', '$pwd/snippet.py']]);
  // The deck declares no tools: each toolchain is named once; +pty is not supported (no terminal).
  assert.deepEqual(
    lab.warnings.map((w) => `${w.line} ${w.message.replace(/,.*|:.*/, '')}`),
    [
      '26 this python snippet runs "python3"',
      '48 this rust snippet runs "rustc"',
      '54 this go snippet runs "go"',
      '62 this python snippet runs "uv"',
      '66 +pty is not supported by labdeck',
      '66 this js snippet runs "node"',
    ],
  );
});

/** [language as written, presenterm's executor] for every language its docs list as executable. */
const languages: [string, string | undefined][] = [
  ['bash', 'bash'], ['sh', 'sh'], ['shell', 'sh'], ['zsh', 'zsh'], ['fish', 'fish'], ['c', 'c'], ['cpp', 'c++'],
  ['c++', 'c++'], ['csharp', 'csharp'], ['fsharp', 'fsharp'], ['go', 'go'], ['haskell', 'haskell'], ['java', 'java'],
  ['javascript', 'js'], ['js', 'js'], ['julia', 'julia'], ['kotlin', 'kotlin'], ['lua', 'lua'], ['nushell', 'nushell'],
  ['nu', 'nushell'], ['perl', 'perl'], ['php', 'php'], ['Python', 'python'], ['r', 'r'], ['ruby', 'ruby'],
  ['rust', 'rust'], ['rust-script', 'rust-script'], ['elixir', 'elixir'], ['jsonnet', 'jsonnet'],
  ['typescript', undefined], ['yaml', undefined], ['py', undefined], ['', undefined],
];
for (const [lang, executor] of languages) {
  test(`executorName: ${lang || '(none)'} → ${executor ?? 'not executable'}`, () => {
    assert.equal(executorName(lang), executor);
  });
}

/** [language, block text, shown, runs]: each language's hidden-line prefix. */
const hidden: [string, string, string, string][] = [
  ['python', '/// import os\nprint(1)\n///', 'print(1)', 'import os\nprint(1)\n'],
  ['rust', '# fn main() {\n#[derive(Debug)]\n# }', '#[derive(Debug)]', 'fn main() {\n#[derive(Debug)]\n}'],
  ['elixir', '## x = 1\nIO.puts(x)', 'IO.puts(x)', 'x = 1\nIO.puts(x)'],
  ['ruby', '/// stays\nputs 1', '/// stays\nputs 1', '/// stays\nputs 1'],
  ['yaml', '# a comment\nk: v', '# a comment\nk: v', '# a comment\nk: v'],
];
for (const [lang, text, shown, runs] of hidden) {
  test(`hiddenLines: ${lang}`, () => {
    assert.deepEqual(hiddenLines(lang, text), { shown, runs });
  });
}

/** [language, attributes, what becomes of it] */
const results: [string, string[], string][] = [
  ['python', ['+line_numbers'], 'none'],
  ['python', ['+exec'], 'snippet exec'],
  ['python', ['+exec_replace'], 'snippet replace'],
  ['python', ['+auto_exec'], 'snippet auto'],
  ['rust', ['+exec:rust-script-pedantic'], 'snippet exec'],
  ['python', ['+exec:poetry'], 'unsupported: no executor "poetry" for python snippets (presenterm has: uv)'],
  ['typescript', ['+exec'], 'unsupported: presenterm cannot execute "typescript" snippets'],
  ['mermaid', ['+render'], 'unsupported: +render is not supported by labdeck'],
  ['python', ['+image', '+exec'], 'unsupported: +image is not supported by labdeck'],
  ['python', ['+exec', '+acquire_terminal'], 'unsupported: +acquire_terminal on a python block is not supported'],
];
for (const [lang, attrs, expected] of results) {
  test(`snippetOf: ${lang} ${attrs.join(' ')}`, () => {
    const r = snippetOf(lang, attrs, 'x');
    const got = r.kind === 'snippet' ? `snippet ${r.snippet.mode}` : r.kind === 'unsupported' ? `unsupported: ${r.message}` : 'none';
    assert.ok(got.startsWith(expected), got);
  });
}

testDecks('snippets in a deck', [
  {
    name: 'unsupported presenterm features are warnings on the lab, at the block',
    deck: '# S\n\n```mermaid +render\ngraph TD; A-->B\n```\n\n```typescript +exec\nconsole.log(1)\n```\n',
    diagnostics: ['3:1 warning', '7:1 warning'],
    check: ({ lab }) => {
      assert.ok(codeBlocks(lab.steps[0]?.blocks ?? []).every((b) => !b.snippet && !b.runnable));
    },
  },
]);
