// The podman driver under the real server: sandboxes and shells survive a server SIGKILL and are
// re-adopted (not duplicated, the pool not doubled); a dead sandbox is reported with a way forward;
// instructor reset gives a clean container. Needs the image (npm test builds it first).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { podman } from '../../server/sandbox/podman/cli.js';
import { removeWorkshop } from '../support/podman.js';
import { readyTerminal, startServer, TermClient, type RunningServer } from '../support/server.js';
import { InstructorAttendeePageSchema } from '../../common/api.js';

const workshop = `t-srv-${process.pid}-${Date.now() % 100000}`;
const dataDir = mkdtempSync(path.join(tmpdir(), 'labdeck-podman-srv-'));
const env = { SANDBOX: 'podman', WORKSHOP: workshop, POOL_SIZE: '1', GRACE_SECONDS: '120' };
let server: RunningServer | null = null;

async function containers(): Promise<string[]> {
  const r = await podman(['ps', '-a', '--filter', `label=labdeck.workshop=${workshop}`, '--format', '{{.ID}}']);
  return r.stdout.split('\n').filter(Boolean).sort();
}

async function settle(expected: number): Promise<string[]> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const ids = await containers();
    if (ids.length === expected || Date.now() > deadline) return ids;
    await new Promise((r) => setTimeout(r, 300));
  }
}

async function attendeeOf(s: RunningServer): Promise<string> {
  const list = InstructorAttendeePageSchema.parse(await (await s.instructor('/api/instructor/attendees?limit=500')).json()).attendees;
  return list.find((a) => a.connected)!.attendee;
}

before(async () => {
  server = await startServer(env, { dataDir });
});

after(async () => {
  await server?.stop();
  await removeWorkshop(workshop);
  rmSync(dataDir, { recursive: true, force: true });
});

test('a podman shell survives a server SIGKILL with its screen and what it printed meanwhile; sandboxes are re-adopted, not duplicated', async () => {
  const { term, cookie } = await readyTerminal(server!);
  assert.equal(term.messages.find((m) => m.type === 'ready' && m.driver === 'podman') !== undefined, true);
  term.type('export KEEP=$((1000+234)); sleep 4242 & echo star$((1+1))ted\r');
  await term.waitForOutput(/star2ted/, 20_000);
  // Something to print while the server is down, and a file to tell the test it has been printed.
  term.type('(sleep 1; echo printed-while-$((2+3))-down; touch /root/printed) &\r');
  await term.waitForOutput(/\[1\] \d+/, 20_000);
  const before = await settle(2); // the attendee's sandbox + one warm in the pool
  assert.equal(before.length, 2);
  const attendee = await attendeeOf(server!);
  const list = InstructorAttendeePageSchema.parse(await (await server!.instructor('/api/instructor/attendees?limit=500')).json()).attendees;
  const sandboxId = list.find((a) => a.attendee === attendee)!.sandbox!.id;

  await server!.stop('SIGKILL');
  await term.until(() => term.closed, 'the socket to drop');
  for (let i = 0; (await podman(['exec', sandboxId, 'test', '-e', '/root/printed'])).code !== 0; i++) {
    assert.ok(i < 100, 'the shell printed while the server was down');
    await new Promise((r) => setTimeout(r, 100));
  }
  server = await startServer(env, { dataDir });

  const again = new TermClient(server.url, cookie);
  await again.opened();
  again.hello(80, 24, true);
  const ready = await again.waitForMessage('ready', 30_000);
  assert.equal(ready.replaced, undefined, 'the shell was re-attached, not replaced');
  assert.equal(ready.resumed, true, 'the same shell, as the agent kept it');
  const screen = await again.waitForMessage('screen', 10_000);
  assert.match(screen.data, /star2ted/, 'the screen it had');
  assert.match(screen.data, /printed-while-5-down/, 'and what it printed while the server was down');
  again.type('echo keep=$KEEP; jobs\r');
  await again.waitForOutput(/keep=1234/, 20_000);
  await again.waitForOutput(/sleep 4242/);
  const afterRestart = await settle(2);
  assert.deepEqual(afterRestart, before, 'the same containers: re-adopted, no duplicate, the pool not doubled');
  // Out-of-band commands go through the agent too (the preflight's tool probe).
  const pre = await fetch(`${server.url}/api/preflight?lab=kubernetes-meets-rust`, { headers: { Cookie: cookie } });
  assert.equal(pre.status, 200, await pre.clone().text());
  // An attendee at rest costs no process on the host: no `podman exec` for their shell or anything else.
  const ps = execFileSync('ps', ['-eo', 'args='], { encoding: 'utf8' }).split('\n');
  assert.deepEqual(ps.filter((l) => /podman exec/.test(l) && before.some((id) => l.includes(id))), []);
  again.close();
});

test('a sandbox that dies is reported, and recreate gives a working one', async () => {
  const { term } = await readyTerminal(server!);
  term.type('echo a$((2+2))live\r');
  await term.waitForOutput(/a4live/, 20_000);
  const attendee = await attendeeOf(server!);
  const list = InstructorAttendeePageSchema.parse(await (await server!.instructor('/api/instructor/attendees?limit=500')).json()).attendees;
  const sandboxId = list.find((a) => a.attendee === attendee)!.sandbox!.id;
  await podman(['rm', '-f', '-t', '0', sandboxId]);
  const lost = await term.waitForMessage('sandbox-lost', 30_000);
  assert.match(lost.message, /gone|stopped/);
  const from = term.messages.length;
  term.send({ type: 'recreate' });
  await term.waitForMessage('ready', 60_000, from);
  term.output = '';
  term.type('echo re$((3+3))born\r');
  await term.waitForOutput(/re6born/, 20_000);
  term.close();
});

test('instructor reset: a clean container, the old one removed, the shell answers', async () => {
  const { term } = await readyTerminal(server!);
  term.type('echo x > /root/before-reset; hostname -I >/dev/null; echo wr$((1+1))ote\r');
  await term.waitForOutput(/wr2ote/, 20_000);
  const attendee = await attendeeOf(server!);
  const from = term.messages.length;
  const res = await server!.instructor(`/api/sandboxes/${attendee}/reset`, 'POST');
  assert.equal(res.status, 200);
  await term.waitForMessage('reset', 10_000, from);
  await term.waitForMessage('ready', 60_000, from);
  term.output = '';
  term.type('ls /root; echo cl$((2+3))ean\r');
  await term.waitForOutput(/cl5ean/, 20_000);
  assert.doesNotMatch(term.output, /before-reset/);
  term.close();
});
