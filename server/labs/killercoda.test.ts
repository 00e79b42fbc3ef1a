import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { codeBlocks, type LabDiagnostic } from '../../common/lab-model.js';
import { importScenario } from './killercoda.js';
import { formatDiagnostic } from './loader.js';

const FIXTURES = fileURLToPath(new URL('./fixtures/killercoda/', import.meta.url));
const load = (name: string) => importScenario({ id: name, dir: path.join(FIXTURES, name), relDir: name });
const where = (ds: LabDiagnostic[]) => ds.map((d) => `${d.file}:${d.line}:${d.column} ${d.severity}`);

test('Killercoda: every field of index.json', async () => {
  const { parsed, diagnostics } = await load('complete');
  assert.ok(parsed, JSON.stringify(diagnostics));
  const { lab, scripts, notes } = parsed;
  assert.equal(lab.title, 'Files and processes');
  assert.equal(lab.description, 'A made-up scenario that uses every field labdeck reads.');
  assert.equal(lab.format, 'killercoda');
  assert.equal(lab.source, 'complete/index.json');
  // intro, the two steps, finish; a title from index.json, else the page's first heading, else a default.
  assert.deepEqual(lab.steps.map((s) => s.title), ['Before we start', 'Make a marker file', 'Stop the process', 'Finish']);
  assert.equal(notes.length, 4);
  // verify → check; background → setup (the intro's: the lab's, on sandbox creation); foreground → typed on entering.
  assert.deepEqual(lab.steps.map((s) => [s.hasCheck, s.hasSetup, s.typeOnEnter ?? null]), [
    [false, false, 'echo "welcome"'],
    [true, true, 'cd /tmp/lab\nclear'],
    [true, false, null],
    [false, true, null],
  ]);
  assert.equal(lab.hasSetup, true);
  assert.deepEqual(scripts.setup, {
    source: '#!/bin/bash\nmkdir -p /tmp/lab && echo ready > /tmp/lab/setup-done\n',
    timeoutSeconds: 600,
    file: 'complete/intro/background.sh',
    line: 1,
  });
  assert.equal(scripts.steps[1]?.check?.source, '#!/bin/bash\ntest -f /tmp/lab/marker\n');
  assert.equal(scripts.steps[1]?.setup?.file, 'complete/step1/background.sh');
  assert.equal(scripts.steps[3]?.setup?.source, '#!/bin/bash\nrm -rf /tmp/lab\n');
  // The attendee model carries no script text.
  const attendee = JSON.stringify(lab);
  assert.ok(!attendee.includes('test -f /tmp/lab/marker') && !attendee.includes('setup-done'));
  // host01 assets are copied; host02's are a warning.
  assert.deepEqual(scripts.assets, [{ file: 'assets/greet.sh', target: '/usr/local/bin/', chmod: '+x' }]);
  // The intro's image is served from the scenario folder.
  const intro = lab.steps[0]?.blocks[0];
  assert.ok(intro?.kind === 'markdown' && intro.html.includes('src="/labs/complete/assets/assets/logo.png"'));
  // What labdeck cannot do is a warning, at its place in index.json; the rest loads.
  assert.deepEqual(
    lab.warnings.map((d) => `${formatDiagnostic(d).split(': warning: ')[0]} ${d.message.split(/[:;(]/)[0]}`),
    [
      'complete/index.json:23:19 script "step2/verify.sh" is not executable ',
      'complete/index.json:34:17 labdeck has one sandbox',
      'complete/index.json:40:16 labdeck has no image for backend.imageid "kubernetes-kubeadm-2nodes"',
      'complete/index.json:43:15 layout "ide" needs an editor or IDE tab, which labdeck does not have',
    ],
  );
});

test('Killercoda: every markdown action, inline and fenced', async () => {
  const { parsed } = await load('complete');
  const step = parsed?.lab.steps[1];
  assert.ok(step);
  const blocks = codeBlocks(step.blocks);
  assert.deepEqual(
    blocks.map((b) => [b.id, b.display, b.runnable, b.interrupt, b.copy, b.run]),
    [
      ['s1-b1', 'inline', true, false, true, 'touch /tmp/lab/marker'], // `…`{{exec}}
      ['s1-b2', 'block', true, false, true, 'ls -l /tmp/lab'], // ```{{exec}}
      ['s1-b3', 'block', true, false, true, 'sleep 1000'],
      ['s1-b4', 'block', true, true, true, 'echo stopped'], // ```{{exec interrupt}}
      ['s1-b5', 'inline', true, true, true, 'echo inline-stop'], // `…`{{exec interrupt}}
      ['s1-b6', 'block', false, false, true, 'a block to copy'], // ```{{copy}}
      ['s1-b7', 'block', false, false, false, 'a block you may not copy'], // ```{{}}
      ['s1-b8', 'inline', true, false, true, 'echo from-a-list'], // a fence in a list
      ['s1-b9', 'block', false, false, true, 'plain: block'], // no action
    ],
  );
  // `commands`: the text of the runnable actions, in order.
  assert.deepEqual(step.commands, ['touch /tmp/lab/marker', 'ls -l /tmp/lab', 'sleep 1000', 'echo stopped', 'echo inline-stop', 'echo from-a-list']);
  const html = step.blocks.flatMap((b) => (b.kind === 'markdown' ? [b.html] : [])).join('');
  assert.match(html, /<code data-labdeck-block="s1-b1">touch \/tmp\/lab\/marker<\/code> and look/);
  assert.match(html, /<code>cat \/tmp\/lab\/marker<\/code>, but not this: <code data-labdeck-copy="false">do-not-copy<\/code>\./);
  assert.match(html, /<code data-labdeck-block="s1-b8">echo from-a-list/);
  assert.ok(!html.includes('{{'), 'no action marker is left in the page');
  // The closing fences with actions closed their blocks: the yaml block after them is its own block.
  assert.equal(blocks.at(-1)?.lang, 'yaml');
});

test('Katacoda: courseData, code, answer and the {{execute}} family', async () => {
  const { parsed, diagnostics } = await load('katacoda');
  assert.ok(parsed, JSON.stringify(diagnostics));
  const { lab, scripts } = parsed;
  assert.deepEqual(lab.steps.map((s) => s.title), ['Introduction', 'Run things']);
  assert.equal(scripts.setup?.source, 'apt-get update\n');
  assert.equal(lab.steps[1]?.typeOnEnter, 'echo started');
  assert.deepEqual(lab.steps[1]?.hints, ['<p>Type <code>uptime</code>.</p>\n']);
  // `*` is expanded when loading: the runtime copies files.
  assert.deepEqual(scripts.assets, [{ file: 'assets/data.txt', target: '/root' }]);
  assert.deepEqual(lab.steps[1]?.commands, ['uptime', 'hostname', 'date', 'echo again', 'whoami']);
  const blocks = codeBlocks(lab.steps[1]?.blocks ?? []);
  assert.deepEqual(blocks.map((b) => [b.run, b.interrupt]), [
    ['uptime', false],
    ['hostname', false],
    ['date', false],
    ['echo again', true],
    ['whoami', false],
  ]);
  assert.deepEqual(
    lab.warnings.map((d) => `${d.file}:${d.line}:${d.column} ${d.message.split(/[:;]/)[0]}`),
    [
      'katacoda/index.json:13:32 layout "editor-terminal" needs an editor or IDE tab, which labdeck does not have',
      'katacoda/index.json:13:62 labdeck has no IDE tab',
      'katacoda/step1.md:1:31 labdeck has one terminal on one host',
      'katacoda/step1.md:2:1 labdeck has one terminal on one host',
      'katacoda/step1.md:8:25 {{open}} opens a file in an editor, which labdeck does not have',
      'katacoda/step1.md:8:48 {{execute ctrl-seq}} is not supported by labdeck',
    ],
  );
});

/** A scenario written into a temporary folder: `files` maps paths to contents (a number: a mode). */
async function scenario(files: Record<string, string>, modes: Record<string, number> = {}) {
  const dir = mkdtempSync(path.join(tmpdir(), 'labdeck-kc-'));
  try {
    for (const [file, text] of Object.entries(files)) {
      mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
      writeFileSync(path.join(dir, file), text);
      chmodSync(path.join(dir, file), modes[file] ?? 0o755);
    }
    return await importScenario({ id: 'x', dir, relDir: 'x' });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** [name, files, `file:line:column severity` of each diagnostic, substring of the first message, loads] */
const broken: [string, Record<string, string>, string[], string, boolean][] = [
  ['index.json that is not JSON', { 'index.json': '{\n  "title": "x",\n  "details": {,}\n}\n' }, ['x/index.json:3:15 error'], 'not valid JSON', false],
  ['index.json that is a list', { 'index.json': '[]' }, ['x/index.json:1:1 error'], 'must be a JSON object', false],
  ['no title', { 'index.json': '{"details": {"steps": [{"text": "a.md"}]}}', 'a.md': 'A' }, ['x/index.json:1:1 error'], 'title', false],
  [
    'a step text that does not exist',
    { 'index.json': '{"title": "T",\n "details": {"steps": [{"text": "gone.md"}]}}' },
    ['x/index.json:2:33 error'],
    '"gone.md" does not exist in the scenario folder',
    false,
  ],
  [
    'a verify script outside the folder',
    { 'index.json': '{"title": "T", "details": {"steps": [{"text": "a.md", "verify": "../../etc/passwd"}]}}', 'a.md': 'A' },
    ['x/index.json:1:65 error'],
    'outside the scenario folder',
    false,
  ],
  [
    'a step without text',
    { 'index.json': '{"title": "T", "details": {"steps": [{"verify": "v.sh"}]}}', 'v.sh': 'true' },
    ['x/index.json:1:38 error'],
    'details.steps.0.text',
    false,
  ],
  [
    'unknown keys are warnings, and the rest loads',
    { 'index.json': '{"title": "T", "colour": 1, "details": {"steps": [{"text": "a.md", "hint": "no"}]}}', 'a.md': 'A' },
    ['x/index.json:1:26 warning', 'x/index.json:1:76 warning'],
    'unknown key(s) "colour"',
    true,
  ],
  [
    'a page too large to read',
    { 'index.json': '{"title": "T", "details": {"steps": [{"text": "big.md"}]}}', 'big.md': 'x'.repeat(1024 * 1024 + 1) },
    ['x/index.json:1:47 error'],
    '"big.md" is larger than 1024 KiB',
    false,
  ],
  [
    'an asset that does not exist',
    { 'index.json': '{"title": "T", "details": {"steps": [{"text": "a.md"}], "assets": {"host01": [{"file": "nope", "target": "/"}]}}}', 'a.md': 'A' },
    ['x/index.json:1:88 error'],
    '"assets/nope" does not exist',
    false,
  ],
  [
    'an asset larger than 8 MiB',
    { 'index.json': '{"title": "T", "details": {"steps": [{"text": "a.md"}], "assets": {"host01": [{"file": "big", "target": "/"}]}}}', 'a.md': 'A', 'assets/big': 'x'.repeat(8 * 1024 * 1024 + 1) },
    ['x/index.json:1:88 error'],
    '"assets/big" is larger than 8192 KiB',
    false,
  ],
  [
    'assets that add up to more than 16 MiB',
    {
      'index.json': '{"title": "T", "details": {"steps": [{"text": "a.md"}], "assets": {"host01": [{"file": "*", "target": "/"}]}}}',
      'a.md': 'A',
      ...Object.fromEntries([1, 2, 3].map((n) => [`assets/part${n}`, 'x'.repeat(7 * 1024 * 1024)])),
    },
    ['x/index.json:1:88 error'],
    "the scenario's assets add up to more than 16 MiB",
    false,
  ],
  [
    'a pattern that matches nothing',
    { 'index.json': '{"title": "T", "details": {"steps": [{"text": "a.md"}], "assets": {"host01": [{"file": "*.yaml", "target": "/"}]}}}', 'a.md': 'A' },
    ['x/index.json:1:88 warning'],
    'no file under assets/ matches "*.yaml"',
    true,
  ],
];
for (const [name, files, expected, message, loads] of broken) {
  test(`Killercoda, broken: ${name}`, async () => {
    const { parsed, diagnostics } = await scenario(files);
    assert.deepEqual(where(diagnostics), expected, JSON.stringify(diagnostics, null, 1));
    assert.ok(diagnostics[0]?.message.includes(message), diagnostics[0]?.message);
    assert.equal(parsed !== undefined, loads);
  });
}

test('labdeck.yaml: a scenario declares its tools, requireCheck and a reset script', async () => {
  const index = '{"title": "T", "details": {"steps": [{"text": "a.md", "verify": "v.sh"}]}}';
  const page = 'Look: `kubectl get nodes`{{exec}} and `kind get clusters`{{exec}}';
  const without = await scenario({ 'index.json': index, 'a.md': page, 'v.sh': 'true' });
  assert.deepEqual(
    without.diagnostics.map((d) => `${d.file}:${d.line} ${d.message.split(',')[0]}`),
    ['x/a.md:1 this block runs "kubectl"', 'x/a.md:1 this block runs "kind"'],
  );
  assert.equal(without.parsed?.lab.requireCheck, false);

  const settings = [
    'tools:',
    '  - name: kubectl',
    '    version: kubectl version --client',
    '  - name: kind',
    'requireCheck: true',
    'reset: kind delete cluster',
    '',
  ].join('\n');
  const { parsed, diagnostics } = await scenario({ 'index.json': index, 'a.md': page, 'v.sh': 'true', 'labdeck.yaml': settings });
  assert.deepEqual(diagnostics, []);
  assert.ok(parsed);
  assert.deepEqual(parsed.lab.tools, [{ name: 'kubectl', version: 'kubectl version --client' }, { name: 'kind' }]);
  assert.equal(parsed.lab.requireCheck, true);
  assert.equal(parsed.lab.hasReset, true);
  assert.deepEqual(parsed.scripts.reset, { source: 'kind delete cluster', timeoutSeconds: 120, file: 'x/labdeck.yaml', line: 6 });
});

/** [name, labdeck.yaml, `file:line:column severity` of each diagnostic, substring of the first message, loads] */
const settingsCases: [string, string, string[], string, boolean][] = [
  ['invalid YAML is an error', 'tools: [kubectl\n', ['x/labdeck.yaml:2:1 error'], 'labdeck metadata', false],
  ['an unknown key is a warning', 'tools: []\ncolour: blue\n', ['x/labdeck.yaml:2:1 warning'], 'unknown labdeck metadata key "colour"', true],
  ['an invalid tool is a warning', 'tools:\n  - name: "not a command"\n', ['x/labdeck.yaml:2:11 warning'], 'labdeck tool #1 name', true],
  ['step: has no step here', 'step:\n  check: "true"\n', ['x/labdeck.yaml:1:1 warning'], '"step" has no step to belong to', true],
  ['setup when the intro has a background', 'setup: echo mine\n', ['x/labdeck.yaml:1:1 warning'], "the intro's background script is already the lab setup", true],
  ['a requireCheck that is not a boolean is an error', 'requireCheck: sometimes\n', ['x/labdeck.yaml:1:15 error'], 'requireCheck', false],
];
for (const [name, yaml, expected, message, loads] of settingsCases) {
  test(`labdeck.yaml, broken: ${name}`, async () => {
    const { parsed, diagnostics } = await scenario({
      'index.json': '{"title": "T", "details": {"intro": {"text": "i.md", "background": "b.sh"}, "steps": [{"text": "a.md"}]}}',
      'i.md': 'Hello',
      'b.sh': 'true',
      'a.md': 'A',
      'labdeck.yaml': yaml,
    });
    assert.deepEqual(where(diagnostics), expected, JSON.stringify(diagnostics, null, 1));
    assert.ok(diagnostics[0]?.message.includes(message), diagnostics[0]?.message);
    assert.equal(parsed !== undefined, loads);
  });
}

test('traffic placeholders become http://localhost:<port>, each with a warning', async () => {
  const page = [
    'Open [the app]({{TRAFFIC_HOST1_8080}}) or {{TRAFFIC_HOST2_4444}}.',
    '[All ports]({{TRAFFIC_SELECTOR}})',
    '`curl -s {{TRAFFIC_HOST1_80}}/ready`{{exec}}',
    'See https://[[HOST_SUBDOMAIN]]-9090-[[KATACODA_HOST]].environments.katacoda.com/config',
    '`curl https://blog.[[HOST_SUBDOMAIN]]-80-[[KATACODA_HOST]].[[KATACODA_DOMAIN]]/robots.txt`{{execute}}',
    'The node: [[HOST_IP]]',
  ].join('\n');
  const { parsed, diagnostics } = await scenario({ 'index.json': '{"title": "T", "details": {"steps": [{"text": "a.md"}]}}', 'a.md': page });
  assert.ok(parsed);
  const step = parsed.lab.steps[0];
  assert.deepEqual(step?.commands, ['curl -s http://localhost:80/ready', 'curl http://localhost:80/robots.txt']);
  const html = step?.blocks.flatMap((b) => (b.kind === 'markdown' ? [b.html] : [])).join('') ?? '';
  assert.match(html, /<a href="http:\/\/localhost:8080"[^>]*>the app<\/a> or <a href="http:\/\/localhost:4444"/);
  assert.match(html, /\nAll ports\n/);
  assert.match(html, /See <a href="http:\/\/localhost:9090\/config"/);
  assert.ok(!/TRAFFIC|HOST_SUBDOMAIN|KATACODA_HOST/.test(html), html);
  assert.deepEqual(
    diagnostics.map((d) => `${d.file}:${d.line}:${d.column} ${d.message.split(':')[0]}`),
    [
      'x/a.md:1:16 {{TRAFFIC_HOST1_8080}}',
      'x/a.md:1:43 {{TRAFFIC_HOST2_4444}}',
      "x/a.md:2:1 [All ports]({{TRAFFIC_SELECTOR}}) links to Killercoda's port selector, which labdeck does not have",
      'x/a.md:3:10 {{TRAFFIC_HOST1_80}}',
      'x/a.md:4:5 https',
      'x/a.md:5:7 https',
      "x/a.md:6:11 Katacoda's [[HOST_IP]] has no value in labdeck",
    ],
  );
  assert.match(diagnostics[0]?.message ?? '', /does not forward the sandbox's ports: it shows http:\/\/localhost:8080/);
  assert.match(diagnostics[1]?.message ?? '', /labdeck has one host/);
  assert.match(diagnostics[5]?.message ?? '', /the host name "blog\.…" is dropped/);
});
