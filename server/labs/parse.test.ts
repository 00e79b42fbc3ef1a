import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Block, CodeBlock, ColumnsBlock, LabDiagnostic, ParsedLab } from '../../common/lab-model.js';
import { parseDeck } from './parse.js';

const fixture = (name: string) => readFileSync(fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url)), 'utf8');
const opts = { id: 'demo', file: 'demo/demo.md', labDir: '/labs/demo' };
/** The talk's first seven `bash +exec` commands, byte-exact (double spaces included): the seed and the lab share them. */
const SEED_COMMANDS = [
  'kind create cluster',
  'podman ps',
  'podman exec -it  kind-control-plane  bash',
  'kubectl get pods -A',
  'ctr -n k8s.io containers list',
  'crictl ps',
  'nerdctl ps',
];

function parse(text: string): { parsed?: ParsedLab; diagnostics: LabDiagnostic[] } {
  return parseDeck(text, opts);
}

function mustParse(text: string): ParsedLab {
  const { parsed, diagnostics } = parse(text);
  assert.ok(parsed, `expected the deck to load, got ${JSON.stringify(diagnostics)}`);
  return parsed;
}

function codeBlocks(blocks: Block[]): CodeBlock[] {
  return blocks.flatMap((b) =>
    b.kind === 'code' ? [b] : b.kind === 'columns' ? b.columns.flatMap((c) => codeBlocks(c)) : [],
  );
}

/** `line:column severity message-start` — enough to pin each diagnostic down exactly. */
function brief(diagnostics: LabDiagnostic[]): string[] {
  return diagnostics.map((d) => `${d.line}:${d.column} ${d.severity}`);
}

test('seed deck: steps, titles and lines', () => {
  const { lab, notes } = mustParse(fixture('seed-kubernetes-meets-rust.md'));
  assert.equal(lab.title, 'Kubernetes meets Rust');
  assert.deepEqual(lab.authors, ['Shawn Wang @ Netdb Tech Talks 2403']);
  assert.equal(lab.steps.length, 22);
  assert.deepEqual(
    lab.steps.map((s) => s.title),
    [
      'Kubernetes meets Rust',
      'kubernetes',
      'What is Container',
      'kubernetes overview',
      'Componenents',
      'Overview',
      'k8s quick start',
      'Inside kind-control-plane',
      'API / Objects In Kubernetes',
      'Example of Operator/Controller',
      'Why Rust',
      'kube.rs',
      'KDash',
      'k8s-insider - an operator help to access you kubernetes cluster network',
      'my shell env for k8s',
      'sidecar',
      'Step 17',
      'metrics',
      'sidecar',
      'kubectl plugins',
      'Rust for other parts of Kubernetes.',
      'Step 22',
    ],
  );
  assert.deepEqual(
    lab.steps.map((s) => s.index),
    lab.steps.map((_, i) => i),
  );
  assert.equal(lab.steps[6]?.line, 117);
  assert.equal(notes.length, 22);
  assert.deepEqual(lab.warnings, []);
});

test('seed deck: the eight bash +exec blocks, in order', () => {
  const { lab } = mustParse(fixture('seed-kubernetes-meets-rust.md'));
  const runnable = lab.steps.flatMap((s) => codeBlocks(s.blocks)).filter((b) => b.runnable);
  assert.deepEqual(
    runnable.map((b) => b.run),
    [
      ...SEED_COMMANDS,
      [
        'k8s-insider install --pod-cidr 10.244.0.0/16',
        'k8s-insider create network',
        'k8s-insider connect',
        '',
        '## remove dns',
        'resolvconf -d insider0 -m 0 -x',
      ].join('\n'),
    ],
  );
  assert.ok(runnable.every((b) => b.lang === 'bash' && b.attrs.join(' ') === '+exec'));
  assert.deepEqual(
    runnable.map((b) => b.id),
    ['s6-b1', 's6-b2', 's6-b3', 's6-b4', 's7-b1', 's7-b2', 's7-b3', 's13-b1'],
  );
  assert.deepEqual(lab.steps[6]?.commands, runnable.slice(0, 4).map((b) => b.run));
  assert.equal(runnable[0]?.line, 135);
});

test('seed deck: column slides', () => {
  const { lab } = mustParse(fixture('seed-kubernetes-meets-rust.md'));
  const layouts = lab.steps.flatMap((s) =>
    s.blocks.filter((b): b is ColumnsBlock => b.kind === 'columns').map((b) => ({ step: s.index, widths: b.widths })),
  );
  assert.deepEqual(layouts, [
    { step: 4, widths: [1, 2] },
    { step: 6, widths: [1, 1] },
    { step: 8, widths: [1, 1] },
    { step: 9, widths: [1, 2] },
    { step: 11, widths: [1, 3] },
  ]);
  const quickStart = lab.steps[6]?.blocks.find((b): b is ColumnsBlock => b.kind === 'columns');
  assert.deepEqual(
    quickStart?.columns.map((c) => c.map((b) => b.kind)),
    [['markdown'], ['code', 'code', 'code', 'code']],
  );
});

test('seed deck: comments never reach the attendee, box drawings stay byte-exact', () => {
  const raw = fixture('seed-kubernetes-meets-rust.md');
  const { lab } = mustParse(raw);
  const html = JSON.stringify(lab.steps.map((s) => s.blocks));
  assert.ok(!html.includes('end_slide'));
  assert.ok(!html.includes('column_layout'));
  assert.ok(!html.includes('TOOCON'));
  const diagram = codeBlocks(lab.steps[5]?.blocks ?? [])[0];
  const lines = raw.split('\n');
  assert.equal(diagram?.code, lines.slice(101, 112).join('\n'));
  assert.equal(diagram?.lang, '');
  assert.ok(diagram?.html.includes('┌─────────────────────────┐'));
  // The `-----` after `<!-- end_slide -->` is a thematic break, not a setext heading.
  assert.ok(lab.steps[12]?.blocks[0]?.kind === 'markdown' && lab.steps[12].blocks[0].html.startsWith('<hr>'));
});

test('seed deck: links open in a new tab and empty ones show their URL', () => {
  const { lab } = mustParse(fixture('seed-kubernetes-meets-rust.md'));
  const first = lab.steps[1]?.blocks[0];
  assert.ok(first?.kind === 'markdown');
  assert.ok(
    first.html.includes(
      '<a href="https://github.com/mfontanini/presenterm" target="_blank" rel="noopener">https://github.com/mfontanini/presenterm</a>',
    ),
  );
  assert.ok(first.html.includes('<a href="https://gist.github.com/shawn111/ebebfcf7e0bbd4a7ac9e17adefd625cc" target="_blank"'));
});

interface Case {
  name: string;
  deck: string;
  /** Diagnostics as `line:column severity`, in order. */
  diagnostics: string[];
  check?: (lab: ParsedLab) => void;
  /** Substring of the one error's message, for decks that must not load. */
  error?: string;
}

const cases: Case[] = [
  {
    name: 'no front matter: no intro step, title from the first heading',
    deck: '# Hello\n\ntext\n<!-- end_slide -->\n\nmore\n',
    diagnostics: [],
    check: ({ lab }) => {
      assert.equal(lab.title, 'Hello');
      assert.deepEqual(lab.steps.map((s) => [s.title, s.line]), [['Hello', 1], ['Step 2', 6]]);
      assert.deepEqual(lab.authors, []);
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
    name: 'CRLF: same lines and code as LF',
    deck: '---\r\ntitle: T\r\n---\r\n\r\n# A\r\n\r\n```bash +exec\r\necho a\r\necho b\r\n```\r\n<!-- bogus -->\r\n',
    diagnostics: ['11:1 warning'],
    check: ({ lab }) => {
      const block = codeBlocks(lab.steps[1]?.blocks ?? [])[0];
      assert.equal(block?.line, 7);
      assert.equal(block?.run, 'echo a\necho b');
      assert.equal(lab.steps[1]?.line, 5);
    },
  },
  {
    name: 'byte-order mark and old Mac CR line endings keep line numbers',
    deck: '\uFEFF# A\r\r```sh +exec\rpwd\r```\r<!-- nope -->\r',
    diagnostics: ['6:1 warning'],
    check: ({ lab }) => {
      assert.deepEqual(codeBlocks(lab.steps[0]?.blocks ?? []).map((b) => [b.line, b.run]), [[3, 'pwd']]);
    },
  },
  {
    name: 'unknown comment command: a warning with its position, the lab still loads',
    deck: '# A\n\n  <!-- frobnicate: 3 -->\n<!-- // my own note -->\n<!-- vim: set ft=markdown -->\n<!--\nfree text\n-->\n',
    diagnostics: ['3:3 warning'],
  },
  {
    name: 'unclosed fence: error at the line that opens it',
    deck: '# A\n\n```bash +exec\necho a\n\n# B\n',
    diagnostics: ['3:1 error'],
    error: 'never closed',
  },
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
    name: 'implicit_slide_ends: a setext title starts a slide, a break after a comment does not',
    deck: [
      '---',
      'options:',
      '  implicit_slide_ends: true',
      '---',
      'First',
      '===',
      'body',
      '',
      'Second',
      '------',
      'body 2',
      '<!-- end_slide -->',
      '-----',
      '',
      '# Third',
      '## not a slide end',
    ].join('\n'),
    diagnostics: [],
    check: ({ lab }) => {
      assert.deepEqual(lab.steps.map((s) => [s.title, s.line]), [['First', 5], ['Second', 9], ['Third', 13]]);
      const third = lab.steps[2]?.blocks[0];
      assert.ok(third?.kind === 'markdown' && third.html.startsWith('<hr>\n<h1>Third</h1>'));
    },
  },
  {
    name: 'without implicit_slide_ends a setext heading stays in the slide',
    deck: 'First\n===\nbody\n\nSecond\n---\n',
    diagnostics: [],
    check: ({ lab }) => {
      assert.deepEqual(lab.steps.map((s) => s.title), ['First']);
    },
  },
  {
    name: 'end_slide_shorthand: --- ends a slide',
    deck: '---\noptions:\n  end_slide_shorthand: true\n---\n# One\n\n---\n\n# Two\n\n***\n# Three\n',
    diagnostics: [],
    check: ({ lab }) => {
      assert.deepEqual(lab.steps.map((s) => s.title), ['One', 'Two', 'Three']);
      assert.ok(!JSON.stringify(lab.steps).includes('<hr>'));
    },
  },
  {
    name: 'hidden lines: shown without, run with',
    deck: '# H\n\n```bash +exec +id:setup\n/// export NS=lab\nkubectl -n "$NS" get pods\n///\n```\n',
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
    name: 'skip_slide drops the slide and its notes',
    deck: '# A\n<!-- end_slide -->\n# B\n<!-- skip_slide -->\n<!-- speaker_note: hidden -->\n<!-- end_slide -->\n# C\n',
    diagnostics: [],
    check: ({ lab, notes }) => {
      assert.deepEqual(lab.steps.map((s) => [s.index, s.title]), [[0, 'A'], [1, 'C']]);
      assert.deepEqual(notes, [{ index: 0, speakerNotes: [] }, { index: 1, speakerNotes: [] }]);
    },
  },
  {
    name: 'speaker notes, single and multi-line, kept out of the attendee lab',
    deck: '# A\n<!-- speaker_note: say hi -->\ntext\n<!--\nspeaker_note: |\n  line one\n  line two\n-->\n<!-- pause -->\nend\n',
    diagnostics: [],
    check: ({ lab, notes }) => {
      assert.deepEqual(notes, [{ index: 0, speakerNotes: ['say hi', 'line one\nline two'] }]);
      assert.ok(!JSON.stringify(lab).includes('say hi'));
      assert.deepEqual(lab.steps[0]?.blocks.map((b) => b.kind), ['markdown', 'markdown', 'pause', 'markdown']);
    },
  },
  {
    name: 'spacers and jump_to_middle',
    deck: '# A\n<!-- new_line -->\n<!-- new_lines: 3 -->\n<!-- jump_to_middle -->\n<!-- new_lines: x -->\n',
    diagnostics: ['5:1 warning'],
    check: ({ lab }) => {
      assert.deepEqual(lab.steps[0]?.blocks.slice(1), [
        { kind: 'spacer', lines: 1, line: 2 },
        { kind: 'spacer', lines: 3, line: 3 },
        { kind: 'jump_to_middle', line: 4 },
      ]);
    },
  },
  {
    name: 'images: inside the folder rewritten, outside left as alt text',
    deck: '# I\n\n![diagram](img/a%20b.png)\n\n![up](../secret.png) and ![web](https://x.test/y.png)\n',
    diagnostics: ['5:1 warning', '5:26 warning'],
    check: ({ lab }) => {
      const html = lab.steps[0]?.blocks[0]?.kind === 'markdown' ? lab.steps[0].blocks[0].html : '';
      assert.ok(html.includes('<img src="/labs/demo/assets/img/a%20b.png" alt="diagram">'));
      assert.ok(html.includes('<p>up and web</p>'));
    },
  },
  {
    name: 'raw HTML is escaped, never rendered',
    deck: '# X\n\nhello <b>there</b> <script>alert(1)</script>\n',
    diagnostics: [],
    check: ({ lab }) => {
      const block = lab.steps[0]?.blocks[0];
      assert.ok(block?.kind === 'markdown' && block.html.includes('&lt;script&gt;'));
      assert.ok(block.kind === 'markdown' && !block.html.includes('<script>'));
    },
  },
  {
    name: 'code attributes: unknown +word warns, exec only runnable for shells',
    deck: '# C\n\n```bash +exec +potato {1,3}\nls\n```\n```rust +exec\nfn main() {}\n```\n```bash +exec_replace +line_numbers\npwd\n```\n',
    diagnostics: ['3:15 warning'],
    check: ({ lab }) => {
      const blocks = codeBlocks(lab.steps[0]?.blocks ?? []);
      assert.deepEqual(blocks.map((b) => [b.lang, b.runnable, b.lineNumbers]), [
        ['bash', true, false],
        ['rust', false, false],
        ['bash', true, true],
      ]);
      assert.deepEqual(blocks[0]?.attrs, ['+exec', '+potato']);
    },
  },
  {
    name: 'labdeck metadata comment declares tools',
    deck: [
      '# T',
      '<!-- labdeck',
      'tools:',
      '  - name: kubectl',
      '    version: kubectl version --client',
      '    install: see docs',
      '  - name: kind',
      '    colour: blue',
      '-->',
      'text',
    ].join('\n'),
    diagnostics: ['7:5 warning'],
    check: ({ lab }) => {
      assert.deepEqual(lab.tools, [{ name: 'kubectl', version: 'kubectl version --client', install: 'see docs' }]);
      assert.ok(!JSON.stringify(lab.steps).includes('tools'));
    },
  },
  {
    name: 'broken labdeck metadata YAML is an error at its line',
    deck: '# T\n\n<!-- labdeck\ntools:\n  - name: [kubectl\n-->\n',
    diagnostics: ['6:1 error'],
    error: 'labdeck metadata is not valid YAML',
  },
  {
    name: 'labdeck key in the front matter warns (presenterm rejects unknown keys)',
    deck: '---\ntitle: T\nlabdeck:\n  tools: []\n---\n# A\n',
    diagnostics: ['3:1 warning'],
  },
  {
    name: 'include is reported as unsupported',
    deck: '# A\n<!-- include: other.md -->\n',
    diagnostics: ['2:1 warning'],
  },
];

for (const c of cases) {
  test(`parseDeck: ${c.name}`, () => {
    const { parsed, diagnostics } = parse(c.deck);
    assert.deepEqual(brief(diagnostics), c.diagnostics, JSON.stringify(diagnostics, null, 1));
    assert.ok(diagnostics.every((d) => d.file === 'demo/demo.md'));
    if (c.error) {
      assert.equal(parsed, undefined);
      assert.ok(
        diagnostics.some((d) => d.severity === 'error' && d.message.includes(c.error ?? '')),
        JSON.stringify(diagnostics),
      );
      return;
    }
    assert.ok(parsed, JSON.stringify(diagnostics));
    assert.deepEqual(parsed.lab.warnings, diagnostics);
    c.check?.(parsed);
  });
}

test('the shipped kubernetes-meets-rust lab: clean, offline warm-up step, six tools', () => {
  const file = fileURLToPath(new URL('../../labs/kubernetes-meets-rust/kubernetes-meets-rust.md', import.meta.url));
  const { parsed, diagnostics } = parseDeck(readFileSync(file, 'utf8'), {
    id: 'kubernetes-meets-rust',
    file: 'kubernetes-meets-rust/kubernetes-meets-rust.md',
    labDir: path.dirname(file),
  });
  assert.deepEqual(diagnostics, []);
  assert.ok(parsed);
  const { lab } = parsed;
  assert.equal(lab.steps.length, 24);
  assert.equal(lab.steps[2]?.title, 'Warm-up: kubectl without a cluster');
  const warmUp = codeBlocks(lab.steps[2]?.blocks ?? []);
  assert.deepEqual(warmUp.map((b) => [b.id, b.runnable]), [['kubectl-client', true]]);
  assert.equal(
    warmUp[0]?.run,
    'kubectl version --client\nkubectl create deployment hello --image=nginx --dry-run=client -o yaml',
  );
  assert.deepEqual(lab.tools.map((t) => t.name), ['kubectl', 'kind', 'podman', 'crictl', 'ctr', 'nerdctl']);
  assert.ok(lab.tools.every((t) => t.version && t.install));
  const runs = lab.steps.flatMap((s) => s.commands);
  assert.deepEqual(runs.slice(1, 8), SEED_COMMANDS);
});
