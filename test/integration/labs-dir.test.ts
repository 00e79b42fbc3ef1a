// LABS_DIR served by the real server: a malformed lab is reported with file and line while the others
// load; lab images are served from the lab's own folder only; a Killercoda scenario is served as a lab
// whose steps say they have a check, never with the check's script. Also the server-wide session limit.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import http from 'node:http';
import path from 'node:path';
import { ROOT, readyTerminal, startServer, TermClient, type RunningServer } from '../support/server.js';

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
