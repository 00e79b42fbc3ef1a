import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { codeBlocks, type ColumnsBlock } from '../../common/lab-model.js';
import { mustParse, testDecks } from './deck-cases.js';
import { parseDeck } from './parse.js';

const fixture = (name: string) => readFileSync(fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url)), 'utf8');
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
  // The talk's deck declares no tools (it has no labdeck comment): each one it runs is named, once.
  assert.deepEqual(
    lab.warnings.map((w) => /runs "([^"]+)", which the lab's tools do not declare/.exec(w.message)?.[1]),
    ['kind', 'podman', 'kubectl', 'ctr', 'crictl', 'nerdctl', 'k8s-insider', 'resolvconf'],
  );
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

testDecks('parseDeck', [
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
    name: 'raw HTML is escaped, never rendered',
    deck: '# X\n\nhello <b>there</b> <script>alert(1)</script>\n',
    diagnostics: [],
    check: ({ lab }) => {
      const block = lab.steps[0]?.blocks[0];
      assert.ok(block?.kind === 'markdown' && block.html.includes('&lt;script&gt;'));
      assert.ok(block.kind === 'markdown' && !block.html.includes('<script>'));
    },
  },
]);

test('the shipped kubernetes-meets-rust lab: clean, offline warm-up step, every tool declared', () => {
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
  assert.deepEqual(
    lab.tools.map((t) => t.name),
    ['kubectl', 'kind', 'podman', 'crictl', 'ctr', 'nerdctl', 'k8s-insider', 'resolvconf'],
  );
  assert.ok(lab.tools.every((t) => t.version && t.install));
  const runs = lab.steps.flatMap((s) => s.commands);
  assert.deepEqual(runs.slice(1, 8), SEED_COMMANDS);
});
