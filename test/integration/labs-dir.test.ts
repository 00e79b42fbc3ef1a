// LABS_DIR served by the real server: a malformed lab is reported with file and line while the others
// load; lab images are served from the lab's own folder only; a Killercoda scenario is served as a lab
// whose steps say they have a check, never with the check's script. Also the server-wide session limit,
// and the one confinement rule (issue 17 §1): a scenario whose files lead out of its folder is refused.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import http from 'node:http';
import path from 'node:path';
import { INSTRUCTOR_TOKEN, ROOT, readyTerminal, startServer, TermClient, type RunningServer } from '../support/server.js';

const labsDir = mkdtempSync(path.join(tmpdir(), 'labdeck-labs-'));
let server: RunningServer;

function rawGet(base: string, rawPath: string): Promise<{ status: number; type: string }> {
  const { hostname, port } = new URL(base);
  return new Promise((resolve, reject) => {
    const req = http.request({ host: hostname, port, path: rawPath, method: 'GET' }, (res) => {
      res.resume();
      resolve({ status: res.statusCode ?? 0, type: String(res.headers['content-type'] ?? '') });
    });
    req.on('error', reject);
    req.end();
  });
}

// A 1×1 PNG.
const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==', 'base64');

before(async () => {
  cpSync(path.join(ROOT, 'labs', 'kubernetes-meets-rust'), path.join(labsDir, 'kubernetes-meets-rust'), { recursive: true });
  mkdirSync(path.join(labsDir, 'broken'));
  writeFileSync(path.join(labsDir, 'broken', 'broken.md'), '# Broken\n\nsome text\n\n```bash +exec\necho never closed\n');
  mkdirSync(path.join(labsDir, 'pictures', 'img'), { recursive: true });
  writeFileSync(path.join(labsDir, 'pictures', 'img', 'dot.png'), PNG);
  writeFileSync(path.join(labsDir, 'pictures', 'pictures.md'), '---\ntitle: Pictures\n---\n\n# One\n\n![a dot](img/dot.png)\n');
  writeFileSync(path.join(labsDir, 'secret.png'), PNG);
  cpSync(path.join(ROOT, 'server', 'labs', 'fixtures', 'killercoda', 'complete'), path.join(labsDir, 'scenario'), { recursive: true });
  server = await startServer({ LABS_DIR: labsDir, MAX_SESSIONS: '2' });
});
after(async () => {
  await server?.stop();
  rmSync(labsDir, { recursive: true, force: true });
});

test('a malformed lab is listed with file and line; the other labs load', async () => {
  const labs = (await (await fetch(server.url + '/api/labs')).json()) as { id: string }[];
  assert.deepEqual(labs.map((l) => l.id).sort(), ['kubernetes-meets-rust', 'pictures', 'scenario']);
  const failures = (await (await fetch(server.url + '/api/lab-failures')).json()) as { id: string; diagnostics: { file: string; line: number; message: string }[] }[];
  assert.equal(failures.length, 1);
  assert.equal(failures[0]!.id, 'broken');
  const d = failures[0]!.diagnostics.find((x) => x.line === 5);
  assert.ok(d, 'the unclosed fence is reported at the line it opens');
  assert.equal(d.file, 'broken/broken.md');
  assert.match(server.log(), /broken\/broken\.md:5:\d+/);
});

test('a Killercoda scenario: steps with title, commands and hasCheck; scripts stay on the server', async () => {
  const res = await fetch(server.url + '/api/labs/scenario');
  assert.equal(res.status, 200);
  const text = await res.text();
  const lab = JSON.parse(text) as { format: string; steps: { title: string; commands: string[]; hasCheck: boolean }[] };
  assert.equal(lab.format, 'killercoda');
  assert.deepEqual(lab.steps.map((s) => [s.title, s.hasCheck]), [
    ['Before we start', false],
    ['Make a marker file', true],
    ['Stop the process', true],
    ['Finish', false],
  ]);
  assert.deepEqual(lab.steps[2]?.commands, ['pkill sleep']);
  for (const script of ['test -f /tmp/lab/marker', 'pgrep -x sleep', 'setup-done', 'rm -rf /tmp/lab']) {
    assert.ok(!text.includes(script), `the attendee model must not carry "${script}"`);
  }
  const logo = await fetch(server.url + '/labs/scenario/assets/assets/logo.png');
  assert.equal(logo.status, 200);
  // The asset route serves images only: never a scenario's scripts or its index.json.
  for (const file of ['step1/verify.sh', 'index.json']) {
    assert.equal((await fetch(`${server.url}/labs/scenario/assets/${file}`)).status, 404, file);
  }
});

test("images come from the lab's folder, and nothing outside it", async () => {
  const lab = (await (await fetch(server.url + '/api/labs/pictures')).json()) as { steps: { blocks: { kind: string; html?: string }[] }[] };
  const html = lab.steps.flatMap((s) => s.blocks).map((b) => b.html ?? '').join('');
  const src = /src="([^"]+)"/.exec(html)?.[1];
  assert.equal(src, '/labs/pictures/assets/img/dot.png');
  const img = await fetch(server.url + src);
  assert.equal(img.status, 200);
  assert.equal(img.headers.get('content-type'), 'image/png');
  assert.deepEqual(Buffer.from(await img.arrayBuffer()), PNG);
  // Sent byte for byte (fetch would normalise the dots away before they reach the server).
  for (const bad of [
    '/labs/pictures/assets/..%2Fsecret.png',
    '/labs/pictures/assets/..%2F..%2Fsecret.png',
    '/labs/pictures/assets/img/..%2F..%2F..%2Fsecret.png',
    '/labs/pictures/assets/../../secret.png',
    '/labs/pictures/assets/pictures.md',
    '/labs/nope/assets/img/dot.png',
  ]) {
    const r = await rawGet(server.url, bad);
    assert.notEqual(r.type, 'image/png', `${bad} must not serve a file outside the lab's folder`);
  }
});

test('beyond MAX_SESSIONS a new attendee gets a clear error; existing ones keep working', async () => {
  const { term: a } = await readyTerminal(server);
  const { term: b } = await readyTerminal(server);
  const third = new TermClient(server.url, await server.newAttendee());
  await third.opened();
  third.hello();
  const err = await third.until(() => third.messages.find((m) => m.type === 'error' && m.code === 'limit'), 'a limit error');
  assert.ok(err);
  await third.until(() => third.closed, 'the socket to close');
  assert.equal(third.closed!.code, 4009);
  a.type('echo st$((1+1))ill\r');
  await a.waitForOutput(/st2ill/);
  a.close();
  b.close();
});

describe('a scenario cannot reach files outside its folder (issue 17 §1)', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'labdeck-confine-'));
  const labs = path.join(dir, 'labs');
  /** A root-only file outside every lab, like labdeck.db (the server runs as root here). */
  const secret = path.join(dir, 'secret.db');
  const SECRET = `SQLite format 3 secret-${process.pid}`;
  /** Where the assets go: the local sandbox's user may create it, and the test can look in it. */
  const target = path.join(tmpdir(), `labdeck-confine-target-${process.pid}`);
  let confined: RunningServer;

  const scenario = (assets: string[]) =>
    JSON.stringify(
      { title: 'T', details: { steps: [{ text: 'step1/text.md' }, { text: 'step2/text.md' }], assets: { host01: assets.map((file) => ({ file, target })) } } },
      null,
      2,
    );
  function lab(id: string, assets: string[]): void {
    mkdirSync(path.join(labs, id, 'step1'), { recursive: true });
    mkdirSync(path.join(labs, id, 'step2'), { recursive: true });
    mkdirSync(path.join(labs, id, 'assets'), { recursive: true });
    writeFileSync(path.join(labs, id, 'index.json'), scenario(assets));
    writeFileSync(path.join(labs, id, 'step1', 'text.md'), '# One\n');
    writeFileSync(path.join(labs, id, 'step2', 'text.md'), '# Two\n');
  }
  async function setup(cookie: string, id: string): Promise<{ status: number; body: { ok?: boolean; message?: string; error?: string } }> {
    const res = await fetch(`${confined.url}/api/setup`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Origin: confined.url, Cookie: cookie },
      body: JSON.stringify({ lab: id, step: 0 }),
    });
    return { status: res.status, body: (await res.json()) as { ok?: boolean; message?: string } };
  }

  before(async () => {
    writeFileSync(secret, SECRET);
    chmodSync(secret, 0o600);
    // The environment: step2/text.md is the server's own /proc/self/environ.
    lab('environ', []);
    rmSync(path.join(labs, 'environ', 'step2', 'text.md'));
    symlinkSync('/proc/self/environ', path.join(labs, 'environ', 'step2', 'text.md'));
    // An asset linked to a root-only file.
    lab('rootonly', ['secret.db']);
    symlinkSync(secret, path.join(labs, 'rootonly', 'assets', 'secret.db'));
    // A plain asset, swapped for a link to the root-only file once the lab is loaded.
    lab('swapped', ['notes.txt']);
    writeFileSync(path.join(labs, 'swapped', 'assets', 'notes.txt'), 'plain notes\n');
    confined = await startServer({ LABS_DIR: labs });
  });
  after(async () => {
    await confined?.stop();
    rmSync(dir, { recursive: true, force: true });
    rmSync(target, { recursive: true, force: true });
  });

  test("a step text linked to /proc/self/environ: the lab is refused at its line, the token never served", async () => {
    const res = await fetch(`${confined.url}/api/labs/environ`);
    const text = await res.text();
    assert.ok(!text.includes(INSTRUCTOR_TOKEN), 'the instructor token must never be in a lab');
    assert.equal(res.status, 404, text.slice(0, 200));
    const list = (await (await fetch(`${confined.url}/api/labs`)).json()) as { id: string }[];
    assert.deepEqual(list.map((l) => l.id), ['swapped']);
    const failures = (await (await fetch(`${confined.url}/api/lab-failures`)).json()) as { id: string; diagnostics: { file: string; line: number; message: string }[] }[];
    const environ = failures.find((f) => f.id === 'environ')?.diagnostics[0];
    assert.deepEqual([environ?.file, environ?.line], ['environ/index.json', 9]);
    assert.match(environ?.message ?? '', /"step2\/text\.md" is outside the scenario folder/);
    assert.ok(!JSON.stringify(failures).includes(INSTRUCTOR_TOKEN));
    assert.match(confined.log(), /environ\/index\.json:9:\d+: error/);
  });

  test('an asset linked to a root-only file: the lab is refused, and setup copies nothing', async () => {
    const { cookie } = await readyTerminal(confined);
    const r = await setup(cookie, 'rootonly');
    assert.equal(r.status, 404, JSON.stringify(r.body));
    assert.ok(!existsSync(path.join(target, 'secret.db')), 'the root-only file must not reach the sandbox');
  });

  test('an asset swapped for a link after the lab loaded: setup refuses it at the moment of the copy', async () => {
    const file = path.join(labs, 'swapped', 'assets', 'notes.txt');
    unlinkSync(file);
    symlinkSync(secret, file);
    const { cookie } = await readyTerminal(confined);
    const r = await setup(cookie, 'swapped');
    assert.equal(r.status, 200);
    assert.equal(r.body.ok, false);
    assert.match(String(r.body.message), /assets\/notes\.txt.*outside the lab folder/);
    assert.ok(!String(r.body.message).includes(SECRET));
    const copied = existsSync(target) ? readdirSync(target) : [];
    assert.deepEqual(copied, [], 'nothing of the root-only file reaches the sandbox');
  });
});
