// One confinement rule for every file a lab names (issue 17 §1, issue 18 §8): real files in a temporary
// LABS_DIR, symlinks pointing out of a lab, and the other labs still loading.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { readAsset } from '../teach/assets.js';
import { LabFileError, listLabFolder, readLabFile } from './confine.js';
import { formatDiagnostic, loadLabs, type LoadLabsResult } from './loader.js';

let root: string;
/** Outside every lab: what a lab must never read. */
let outside: string;
const SECRET = `labdeck-secret-${process.pid}`;

before(() => {
  root = mkdtempSync(path.join(tmpdir(), 'labdeck-confine-'));
  outside = path.join(root, 'outside');
  mkdirSync(path.join(outside, 'dir'), { recursive: true });
  writeFileSync(path.join(outside, 'secret.md'), `# ${SECRET}\n`);
  writeFileSync(path.join(outside, 'dir', 'text.md'), `# ${SECRET} in a folder\n`);
  // A root-only file, like labdeck.db (the test runs as root, like a workshop server).
  writeFileSync(path.join(outside, 'labdeck.db'), `SQLite format 3 ${SECRET}`);
  chmodSync(path.join(outside, 'labdeck.db'), 0o600);
});
after(() => rmSync(root, { recursive: true, force: true }));

/** A fresh LABS_DIR: `files` maps a path to its text, or `{ link }` to a symlink's target. */
function labsDir(files: Record<string, string | { link: string }>): string {
  const dir = mkdtempSync(path.join(root, 'labs-'));
  for (const [file, content] of Object.entries(files)) {
    const abs = path.join(dir, file);
    mkdirSync(path.dirname(abs), { recursive: true });
    if (typeof content === 'string') writeFileSync(abs, content, { mode: 0o755 });
    else symlinkSync(content.link, abs);
  }
  return dir;
}

/** A plain lab beside the bad one: it must still load. */
const GOOD = { 'good/index.json': '{"title": "Good", "details": {"steps": [{"text": "a.md"}]}}', 'good/a.md': '# Fine\n' };

function scenario(index: object): string {
  return JSON.stringify(index, null, 2);
}

/** The lab `id` failed to load with an error at `where` (`file:line`) matching `message`; nothing leaked. */
function refused(result: LoadLabsResult, id: string, where: string, message: RegExp): void {
  const everything = JSON.stringify({ labs: [...result.labs.values()], failures: result.failures });
  assert.ok(!everything.includes(SECRET), 'no byte of the file outside reaches the model or a message');
  assert.ok(!everything.includes('PATH='), "no byte of the server's environment either");
  assert.deepEqual([...result.labs.keys()], ['good'], `${id} must not load; the other lab still does`);
  const failure = result.failures.find((f) => f.id === id);
  assert.ok(failure, `${id} must fail to load`);
  const lines = failure.diagnostics.filter((d) => d.severity === 'error').map(formatDiagnostic);
  assert.ok(lines.some((l) => l.startsWith(`${where}:`) && message.test(l)), lines.join('\n'));
}

const load = (dir: string) => loadLabs(dir, { log: () => {} });

test('a step text symlinked to /proc/self/environ fails to load at its line in index.json', async () => {
  const dir = labsDir({
    ...GOOD,
    'leak/index.json': scenario({ title: 'Leak', details: { steps: [{ text: 'step1/text.md' }, { text: 'step2/text.md' }] } }),
    'leak/step1/text.md': '# One\n',
    'leak/step2/text.md': { link: '/proc/self/environ' },
  });
  refused(await load(dir), 'leak', 'leak/index.json:9', /"step2\/text\.md" is outside the scenario folder/);
});

test('a step text symlinked to a file outside the lab fails to load', async () => {
  const dir = labsDir({
    ...GOOD,
    'leak/index.json': scenario({ title: 'Leak', details: { intro: { text: 'intro.md' }, steps: [{ text: 'a.md' }] } }),
    'leak/intro.md': { link: path.join(outside, 'secret.md') },
    'leak/a.md': '# A\n',
  });
  refused(await load(dir), 'leak', 'leak/index.json:5', /"intro\.md" is outside the scenario folder/);
});

test('an asset symlinked to a root-only file outside the lab fails to load: setup never sees it', async () => {
  const dir = labsDir({
    ...GOOD,
    'leak/index.json': scenario({ title: 'Leak', details: { steps: [{ text: 'a.md' }], assets: { host01: [{ file: 'db', target: '/tmp' }] } } }),
    'leak/a.md': '# A\n',
    'leak/assets/db': { link: path.join(outside, 'labdeck.db') },
  });
  refused(await load(dir), 'leak', 'leak/index.json:12', /"assets\/db" is outside the scenario folder/);
});

test('an asset pattern that matches a symlink out of the lab fails to load', async () => {
  const dir = labsDir({
    ...GOOD,
    'leak/index.json': scenario({ title: 'Leak', details: { steps: [{ text: 'a.md' }], assets: { host01: [{ file: '*', target: '/tmp' }] } } }),
    'leak/a.md': '# A\n',
    'leak/assets/plain.txt': 'fine\n',
    'leak/assets/db': { link: path.join(outside, 'labdeck.db') },
  });
  refused(await load(dir), 'leak', 'leak/index.json:12', /"assets\/db" is outside the scenario folder/);
});

test('a symlinked folder on the way out of the lab fails to load', async () => {
  const dir = labsDir({
    ...GOOD,
    'leak/index.json': scenario({ title: 'Leak', details: { steps: [{ text: 'a.md' }, { text: 'step2/text.md' }] } }),
    'leak/a.md': '# A\n',
    'leak/step2': { link: path.join(outside, 'dir') },
  });
  refused(await load(dir), 'leak', 'leak/index.json:9', /"step2\/text\.md" is outside the scenario folder/);
});

test('labdeck.yaml symlinked out of the scenario fails to load', async () => {
  const dir = labsDir({
    ...GOOD,
    'leak/index.json': scenario({ title: 'Leak', details: { steps: [{ text: 'a.md' }] } }),
    'leak/a.md': '# A\n',
    'leak/labdeck.yaml': { link: path.join(outside, 'secret.md') },
  });
  refused(await load(dir), 'leak', 'leak/labdeck.yaml:1', /labdeck\.yaml is outside the scenario folder/);
});

test("a deck's image symlinked out of the lab fails to load at the image's line", async () => {
  const dir = labsDir({
    ...GOOD,
    'deck/deck.md': '# Pictures\n\nA picture:\n\n![db](img/db.png)\n',
    'deck/img/db.png': { link: path.join(outside, 'labdeck.db') },
  });
  refused(await load(dir), 'deck', 'deck/deck.md:5', /image "img\/db\.png" is outside the lab folder/);
});

test("a deck's image under a symlinked folder that leads out of the lab fails to load", async () => {
  const dir = labsDir({
    ...GOOD,
    'deck/deck.md': '# Pictures\n\n![x](img/text.md)\n',
    'deck/img': { link: path.join(outside, 'dir') },
  });
  refused(await load(dir), 'deck', 'deck/deck.md:3', /image "img\/text\.md" is outside the lab folder/);
});

test("a scenario page's image symlinked out of the lab fails to load at the page's line", async () => {
  const dir = labsDir({
    ...GOOD,
    'leak/index.json': scenario({ title: 'Leak', details: { steps: [{ text: 'a.md' }] } }),
    'leak/a.md': '# A\n\n![db](db.png)\n',
    'leak/db.png': { link: path.join(outside, 'labdeck.db') },
  });
  refused(await load(dir), 'leak', 'leak/a.md:3', /image "db\.png" is outside the lab folder/);
});

test('a presenterm include of a file outside the lab reads nothing (labdeck does not include)', async () => {
  const dir = labsDir({ ...GOOD, 'deck/deck.md': '# Deck\n\n<!-- include: secret.md -->\n', 'deck/secret.md': { link: path.join(outside, 'secret.md') } });
  const { labs } = await load(dir);
  const deck = labs.get('deck');
  assert.ok(deck);
  assert.ok(!JSON.stringify(deck).includes(SECRET));
  assert.match(deck.lab.warnings.map((d) => d.message).join('\n'), /include is not supported/);
});

test('symlinks that stay inside the lab are fine: a text, a script, an asset, an image, a folder', async () => {
  const dir = labsDir({
    'ok/index.json': scenario({
      title: 'Ok',
      details: { steps: [{ text: 'step1/text.md', verify: 'step1/verify.sh' }], assets: { host01: [{ file: '*', target: '/tmp' }] } },
    }),
    'ok/shared/text.md': '# Shared\n\n![a](../shared/pic.png) ![b](step1/pic.png)\n',
    'ok/shared/verify.sh': 'true\n',
    'ok/shared/pic.png': 'png',
    'ok/step1': { link: 'shared' },
    'ok/assets/tool.sh': { link: '../shared/verify.sh' },
    'deck.md': '# Top\n\n![x](ok/step1/pic.png)\n',
  });
  const { labs, failures } = await load(dir);
  assert.deepEqual(failures, []);
  const ok = labs.get('ok');
  assert.equal(ok?.lab.steps[0]?.title, 'Shared');
  assert.equal(ok?.scripts.steps[0]?.check?.source, 'true\n');
  assert.deepEqual(ok?.scripts.assets, [{ file: 'assets/tool.sh', target: '/tmp' }]);
  assert.ok(labs.get('deck'));
});

test('LABS_DIR itself may be a symlink', async () => {
  const dir = labsDir({ ...GOOD, 'deck.md': '# Deck\n\n![x](x.png)\n', 'x.png': 'png' });
  const link = path.join(root, `link-${path.basename(dir)}`);
  symlinkSync(dir, link);
  const { labs, failures } = await load(link);
  assert.deepEqual(failures, []);
  assert.deepEqual([...labs.keys()].sort(), ['deck', 'good']);
});

test('the lab files read are the ones checked: a fifo is not waited on', async () => {
  const dir = labsDir({ ...GOOD, 'leak/index.json': scenario({ title: 'Fifo', details: { steps: [{ text: 'a.md' }] } }) });
  execFileSync('mkfifo', [path.join(dir, 'leak', 'a.md')]);
  const result = await load(dir);
  assert.deepEqual([...result.labs.keys()], ['good']);
  assert.match(result.failures.map((f) => f.diagnostics.map(formatDiagnostic).join('\n')).join('\n'), /leak\/index\.json:6:17: error: "a\.md" is not a regular file/);
});

test('an asset swapped for a symlink after the lab loaded is refused when setup reads it', async () => {
  const dir = labsDir({
    'lab/index.json': scenario({ title: 'Swap', details: { steps: [{ text: 'a.md' }], assets: { host01: [{ file: 'notes.txt', target: '/tmp' }] } } }),
    'lab/a.md': '# A\n',
    'lab/assets/notes.txt': 'plain notes\n',
  });
  const { labs } = await load(dir);
  const asset = labs.get('lab')?.scripts.assets[0];
  assert.deepEqual(asset, { file: 'assets/notes.txt', target: '/tmp' });
  const labDir = path.join(dir, 'lab');
  assert.deepEqual(await readAsset(labDir, asset.file), Buffer.from('plain notes\n'));
  rmSync(path.join(labDir, asset.file));
  symlinkSync(path.join(outside, 'labdeck.db'), path.join(labDir, asset.file));
  const swapped = await readAsset(labDir, asset.file);
  assert.equal(swapped, 'refused: it is outside the lab folder (a symlink on its way leads out)');
  // The same through a folder on the way: assets/ itself swapped for a link out.
  rmSync(path.join(labDir, 'assets'), { recursive: true });
  symlinkSync(outside, path.join(labDir, 'assets'));
  writeFileSync(path.join(outside, 'notes.txt'), SECRET);
  assert.match(String(await readAsset(labDir, asset.file)), /^refused: it is outside the lab folder/);
  rmSync(path.join(outside, 'notes.txt'));
});

test('an assets folder that is a symlink out of the lab: a pattern lists nothing from it, an error instead', async () => {
  const dir = labsDir({
    ...GOOD,
    'leak/index.json': scenario({ title: 'Leak', details: { steps: [{ text: 'a.md' }], assets: { host01: [{ file: '*', target: '/tmp' }] } } }),
    'leak/a.md': '# A\n',
    'leak/assets': { link: outside },
  });
  refused(await load(dir), 'leak', 'leak/index.json:12', /"assets" is outside the scenario folder/);
});

test('listLabFolder: files and symlinks to files; a symlinked folder is not entered', async () => {
  const dir = labsDir({
    'lab/assets/a.txt': 'a',
    'lab/assets/sub/b.txt': 'b',
    'lab/assets/link.txt': { link: 'a.txt' },
    'lab/assets/out.db': { link: path.join(outside, 'labdeck.db') },
    'lab/assets/outdir': { link: path.join(outside, 'dir') },
    'lab/assets/indir': { link: 'sub' },
  });
  assert.deepEqual(await listLabFolder(path.join(dir, 'lab'), 'assets'), ['a.txt', 'link.txt', 'out.db', 'sub/b.txt']);
  assert.deepEqual(await listLabFolder(path.join(dir, 'lab'), 'missing'), []);
  await assert.rejects(listLabFolder(path.join(dir, 'lab'), 'assets', 2), /holds more than 2 files/);
  await assert.rejects(listLabFolder(path.join(dir, 'lab'), 'assets/outdir'), (err) => err instanceof LabFileError && err.refusal === 'outside');
});

test('readLabFile: the bound is on the bytes read; what is refused and why', async () => {
  const dir = labsDir({ 'lab/a.txt': 'x'.repeat(100), 'lab/out': { link: '/proc/self/environ' }, 'lab/loop': { link: 'loop' } });
  const lab = path.join(dir, 'lab');
  assert.equal((await readLabFile(lab, 'a.txt', 100)).data.length, 100);
  const refusal = (file: string, max = 100) => readLabFile(lab, file, max).then(() => 'read', (err: unknown) => (err instanceof LabFileError ? err.refusal : String(err)));
  assert.equal(await refusal('a.txt', 99), 'too-large');
  assert.equal(await refusal('out'), 'outside');
  assert.equal(await refusal('../lab/a.txt'), 'read');
  assert.equal(await refusal('../x'), 'outside');
  assert.equal(await refusal('/etc/passwd'), 'outside');
  assert.equal(await refusal('nope'), 'missing');
  assert.equal(await refusal('.'), 'outside');
  assert.equal(await refusal('loop'), 'not-a-file');
});
