import assert from 'node:assert/strict';
import { testDecks } from './deck-cases.js';

/** A deck with one step whose labdeck comment body is `body` (lines 3 on). */
const stepDeck = (body: string) => `# S\n\n<!-- labdeck\n${body}\n-->\ntext\n`;

testDecks('teaching metadata', [
  {
    name: 'a step with a check, hints, a solution and a setup: scripts stay on the server',
    deck: [
      '# Create the cluster', // 1
      '',
      'Run it.',
      '',
      '<!-- labdeck', // 5
      'step:',
      '  check:',
      '    script: |',
      '      kubectl get nodes | grep -q " Ready "', // 9
      '    timeout: 30',
      '    every: 10',
      '  hints:',
      '    - First **create** it.',
      '    - Then wait.',
      '  solution: |',
      '    kind create cluster',
      '  setup: echo preparing > /tmp/prep', // 17
      '-->',
      '<!-- end_slide -->',
      '# Next',
      'no teaching here',
    ].join('\n'),
    diagnostics: ['1:1 warning'],
    check: ({ lab, scripts }) => {
      const [step, next] = lab.steps;
      assert.equal(step?.hasCheck, true);
      assert.equal(step?.recheckSeconds, 10);
      assert.deepEqual(step?.hints, ['<p>First <strong>create</strong> it.</p>\n', '<p>Then wait.</p>\n']);
      assert.equal(step?.solution, 'kind create cluster');
      assert.equal(step?.hasSetup, true);
      assert.deepEqual(
        [next?.hasCheck, next?.hints, next?.solution, next?.hasSetup, next?.recheckSeconds],
        [false, [], undefined, false, undefined],
      );
      assert.deepEqual(scripts.steps[0], {
        index: 0,
        check: { source: 'kubectl get nodes | grep -q " Ready "\n', timeoutSeconds: 30, file: 'demo/demo.md', line: 8 },
        setup: { source: 'echo preparing > /tmp/prep', timeoutSeconds: 300, file: 'demo/demo.md', line: 17 },
      });
      assert.deepEqual(scripts.steps[1], { index: 1 });
      // The attendee model never carries a script's text.
      const attendee = JSON.stringify(lab);
      assert.ok(!attendee.includes('grep -q') && !attendee.includes('/tmp/prep'), attendee);
      // The solution's kind is not declared: named once, at the step.
      assert.match(lab.warnings[0]?.message ?? '', /the solution of step 1 runs "kind"/);
    },
  },
  {
    name: 'a check written as plain text gets the default timeout; a single hint may be text',
    deck: stepDeck('step:\n  check: test -f /tmp/done\n  hints: Create /tmp/done.'),
    diagnostics: [],
    check: ({ lab, scripts }) => {
      assert.deepEqual(scripts.steps[0]?.check, { source: 'test -f /tmp/done', timeoutSeconds: 15, file: 'demo/demo.md', line: 5 });
      assert.deepEqual(lab.steps[0]?.hints, ['<p>Create /tmp/done.</p>\n']);
      assert.equal(lab.steps[0]?.recheckSeconds, undefined);
    },
  },
  {
    name: 'lab settings: setup, reset, requireCheck, beside tools',
    deck: [
      '<!-- labdeck',
      'tools: [{name: kind}]',
      'setup:',
      '  script: kind create cluster',
      '  timeout: 900',
      'reset: kind delete cluster',
      'requireCheck: true',
      '-->',
      '# One',
      'text',
    ].join('\n'),
    diagnostics: [],
    check: ({ lab, scripts }) => {
      assert.deepEqual([lab.requireCheck, lab.hasSetup, lab.hasReset, lab.format], [true, true, true, 'presenterm']);
      assert.deepEqual(scripts.setup, { source: 'kind create cluster', timeoutSeconds: 900, file: 'demo/demo.md', line: 4 });
      assert.deepEqual(scripts.reset, { source: 'kind delete cluster', timeoutSeconds: 120, file: 'demo/demo.md', line: 6 });
      assert.deepEqual(lab.tools, [{ name: 'kind' }]);
      assert.ok(!JSON.stringify(lab).includes('kind create cluster'));
    },
  },
  {
    name: 'without settings a lab requires nothing and has no scripts',
    deck: '# One\ntext\n',
    diagnostics: [],
    check: ({ lab, scripts }) => {
      assert.deepEqual([lab.requireCheck, lab.hasSetup, lab.hasReset], [false, false, false]);
      assert.deepEqual(scripts, { assets: [], steps: [{ index: 0 }] });
    },
  },
  {
    name: 'a timeout of 0 is an error at its value',
    deck: stepDeck('step:\n  check:\n    script: exit 0\n    timeout: 0'),
    diagnostics: ['7:14 error'],
    error: 'labdeck step step.check.timeout: Too small',
  },
  {
    name: 're-checking every second is refused',
    deck: stepDeck('step:\n  check: {script: "true", every: 1}'),
    diagnostics: ['5:34 error'],
    error: 'step.check.every',
  },
  {
    name: 'an unknown key under step is an error at that key',
    deck: stepDeck('step:\n  check: "true"\n  hint: singular'),
    diagnostics: ['6:9 error'],
    error: 'unknown key(s) "hint"',
  },
  {
    name: 'an empty hint list and an empty check are errors',
    deck: stepDeck('step:\n  check: "  "\n  hints: []'),
    diagnostics: ['5:10 error', '6:10 error'],
    error: 'must not be empty',
  },
  {
    name: 'requireCheck must be true or false',
    deck: stepDeck('requireCheck: "yes"'),
    diagnostics: ['4:15 error'],
    error: 'labdeck lab setting requireCheck: Invalid input: expected boolean',
  },
  {
    name: 'step metadata in a skipped slide warns and is dropped',
    deck: '# A\ntext\n<!-- end_slide -->\n# B\n<!-- skip_slide -->\n<!-- labdeck\nstep:\n  check: "true"\n-->\n',
    diagnostics: ['7:1 warning'],
    check: ({ lab, scripts }) => {
      assert.equal(lab.steps.length, 1);
      assert.equal(lab.steps[0]?.hasCheck, false);
      assert.deepEqual(scripts.steps, [{ index: 0 }]);
    },
  },
  {
    name: 'a second step comment in the same slide warns; the first wins',
    deck: '# A\n<!-- labdeck\nstep:\n  check: echo one\n-->\ntext\n<!-- labdeck\nstep:\n  check: echo two\n-->\n',
    diagnostics: ['8:1 warning'],
    check: ({ scripts }) => {
      assert.equal(scripts.steps[0]?.check?.source, 'echo one');
    },
  },
  {
    name: 'a lab setting given twice warns; the first wins',
    deck: '<!-- labdeck\nreset: echo one\n-->\n# A\ntext\n<!-- labdeck\nreset: echo two\n-->\n',
    diagnostics: ['6:1 warning'],
    check: ({ scripts }) => {
      assert.equal(scripts.reset?.source, 'echo one');
    },
  },
  {
    name: 'step metadata inside a column belongs to the slide',
    deck: '# C\n<!-- column_layout: [1, 1] -->\n<!-- column: 0 -->\nleft\n<!-- column: 1 -->\n<!-- labdeck\nstep:\n  check: "true"\n-->\nright\n',
    diagnostics: [],
    check: ({ lab }) => {
      assert.equal(lab.steps[0]?.hasCheck, true);
      assert.deepEqual(lab.steps[0]?.blocks.map((b) => b.kind), ['markdown', 'columns']);
    },
  },
  {
    name: 'presenterm compatibility: a labdeck comment on one line is refused (presenterm rejects it)',
    deck: '# A\n\n<!-- labdeck step: {check: "true"} -->\ntext\n',
    diagnostics: ['3:1 warning'],
    check: ({ lab }) => {
      assert.match(lab.warnings[0]?.message ?? '', /presenterm rejects it as an unknown command/);
      assert.equal(lab.steps[0]?.hasCheck, false);
    },
  },
  {
    name: 'a hint with an image outside the lab folder warns at the hint',
    deck: stepDeck('step:\n  hints:\n    - look\n    - "![x](../secret.png)"'),
    diagnostics: ['7:8 warning'],
    check: ({ lab }) => {
      assert.deepEqual(lab.steps[0]?.hints, ['<p>look</p>\n', '<p>x</p>\n']);
    },
  },
]);
