// A workshop's capacity and lifecycle (issue 10) against the real server, real sockets, real shells and
// real podman containers: prepare fills the pool with smoke-tested sandboxes (and destroys the ones that
// fail it), a member of an open workshop is not reaped when their browser goes, resetting a selection
// touches only the selected, pause stops the containers (not removed) and resume brings a file back,
// and closing warns, then destroys and refuses joins.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { CapacitySchema, InstructorAttendeePageSchema, type Capacity } from '../../common/api.js';
import type { ServerMessage } from '../../common/protocol.js';
import { podman } from '../../server/sandbox/podman/cli.js';
import { removeWorkshop } from '../support/podman.js';
import { INSTRUCTOR_TOKEN, TermClient, startServer, type RunningServer } from '../support/server.js';

const LAB = 'kubernetes-meets-rust';
const asInstructor = { Authorization: `Bearer ${INSTRUCTOR_TOKEN}` };

type Notice = Extract<ServerMessage, { type: 'workshop' }>;

async function call(server: RunningServer, method: string, route: string, body?: unknown, headers: Record<string, string> = asInstructor): Promise<Response> {
  return fetch(server.url + route, {
    method,
    // As the browser sends a write: JSON, with the page's Origin (one without is refused: issue 18 §7).
    headers: { ...(body !== undefined ? { 'Content-Type': 'application/json', Origin: server.url } : {}), ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
}

async function openWorkshop(server: RunningServer, lab = LAB): Promise<{ id: string; code: string }> {
  const r = await call(server, 'POST', '/api/workshops', { lab });
  assert.equal(r.status, 201, await r.clone().text());
  return (await r.json()) as { id: string; code: string };
}

async function join(server: RunningServer, code: string, name: string): Promise<{ id: string; cookie: string }> {
  const r = await call(server, 'POST', '/api/join', { code, name }, {});
  assert.equal(r.status, 201, await r.clone().text());
  const body = (await r.json()) as { attendee: string };
  return { id: body.attendee, cookie: r.headers.get('set-cookie')!.split(';')[0]! };
}

async function connect(server: RunningServer, cookie: string, open: TermClient[]): Promise<TermClient> {
  const term = new TermClient(server.url, cookie);
  open.push(term);
  await term.opened();
  term.hello();
  await term.waitForMessage('ready', 60_000);
  return term;
}

async function capacity(server: RunningServer, workshop: string): Promise<Capacity> {
  const r = await call(server, 'GET', `/api/workshops/${workshop}/capacity`);
  assert.equal(r.status, 200);
  return CapacitySchema.parse(await r.json());
}

/** Poll the capacity route until `pred` holds (the actions run in the background). */
async function capacityUntil(server: RunningServer, workshop: string, pred: (c: Capacity) => boolean, what: string, ms = 120_000): Promise<Capacity> {
  const deadline = Date.now() + ms;
  for (;;) {
    const c = await capacity(server, workshop);
    if (pred(c)) return c;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(c)}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** The sandbox the store assigns the attendee (null: none). */
async function sandboxOf(server: RunningServer, attendee: string): Promise<string | null> {
  const list = InstructorAttendeePageSchema.parse(await (await call(server, 'GET', '/api/instructor/attendees?limit=500')).json()).attendees;
  return list.find((a) => a.attendee === attendee)?.sandbox?.id ?? null;
}

async function containerState(id: string): Promise<string> {
  const r = await podman(['inspect', '--type', 'container', '--format', '{{.State.Status}}', id]);
  return r.code === 0 ? r.stdout.trim() : 'missing';
}

/** Wait until podman no longer has the container (removal runs in the background). */
async function gone(id: string, ms = 60_000): Promise<void> {
  const deadline = Date.now() + ms;
  let state = await containerState(id);
  while (state !== 'missing') {
    assert.ok(Date.now() < deadline, `container ${id} still ${state} after ${ms} ms`);
    await new Promise((r) => setTimeout(r, 250));
    state = await containerState(id);
  }
}

function notices(term: TermClient, from = 0): Notice[] {
  return term.messages.slice(from).filter((m): m is Notice => m.type === 'workshop');
}

describe('workshop capacity and lifecycle, podman', () => {
  const workshopLabel = `t-cap-${process.pid}-${Date.now() % 100000}`;
  let server: RunningServer;
  const open: TermClient[] = [];
  before(async () => {
    // GRACE_SECONDS=1: an attendee outside a workshop is reaped a second after their browser goes.
    server = await startServer({ SANDBOX: 'podman', WORKSHOP: workshopLabel, POOL_SIZE: '0', GRACE_SECONDS: '1' });
  });
  after(async () => {
    for (const t of open) t.close();
    await server?.stop();
    await removeWorkshop(workshopLabel);
  });

  test('prepare fills the pool with N sandboxes, each smoke-tested with the lab tool check', async () => {
    const w = await openWorkshop(server);
    assert.equal((await capacity(server, w.id)).ready, 0);
    const r = await call(server, 'POST', `/api/workshops/${w.id}/prepare`, { count: 2 });
    assert.equal(r.status, 202, await r.clone().text());
    const again = await call(server, 'POST', `/api/workshops/${w.id}/prepare`, { count: 2 });
    assert.equal(again.status, 409, 'one prepare at a time per workshop');
    const done = await capacityUntil(server, w.id, (c) => c.prepare?.running === false, 'the prepare to finish');
    assert.deepEqual(done.prepare?.failed, []);
    assert.equal(done.prepare?.ready, 2);
    assert.equal(done.ready, 2, 'two sandboxes wait in the pool');
    assert.equal(done.inUse, 0);
    assert.equal(done.capacity, 100);
    // The seed lab's nerdctl is not in the sandbox image: reported, not a failure.
    assert.ok(done.prepare?.missingTools.includes('nerdctl'), JSON.stringify(done.prepare));
    const ps = await podman(['ps', '--filter', `label=labdeck.workshop=${workshopLabel}`, '--format', '{{.ID}}']);
    assert.equal(ps.stdout.split('\n').filter(Boolean).length, 2, 'two running containers');

    // A join takes a prepared one: in use goes up, ready goes down.
    const ana = await join(server, w.code, 'Ana');
    await connect(server, ana.cookie, open);
    const after = await capacity(server, w.id);
    assert.equal(after.inUse, 1);
    assert.equal(after.ready, 1);
    const bad = await call(server, 'POST', `/api/workshops/${w.id}/prepare`, { count: 0 });
    assert.equal(bad.status, 400);
    const anon = await call(server, 'POST', `/api/workshops/${w.id}/prepare`, { count: 1 }, {});
    assert.equal(anon.status, 401);
  });

  test('a member of an open workshop is not reaped when the browser goes; a solo attendee is', async () => {
    const w = await openWorkshop(server);
    const ana = await join(server, w.code, 'Ana');
    const term = await connect(server, ana.cookie, open);
    term.type('echo kept$((40+2)) > ~/note; echo wr$((1+1))ote\r');
    await term.waitForOutput(/wr2ote/, 20_000);
    const hers = await sandboxOf(server, ana.id);
    assert.ok(hers);

    // The control: an attendee outside any workshop, reaped after GRACE_SECONDS=1.
    const solo = await server.newAttendee();
    const soloTerm = await connect(server, solo, open);
    const soloId = (soloTerm.messages.find((m) => m.type === 'ready') as Extract<ServerMessage, { type: 'ready' }>).attendee;
    assert.ok(await sandboxOf(server, soloId));
    term.close();
    soloTerm.close();
    await soloTerm.until(() => soloTerm.closed, 'the solo socket to close');
    const deadline = Date.now() + 60_000;
    while ((await sandboxOf(server, soloId)) !== null) {
      assert.ok(Date.now() < deadline, 'the solo attendee was never reaped');
      await new Promise((r) => setTimeout(r, 250));
    }
    // The grace period has passed for both: Ana's sandbox and shell are still hers.
    assert.equal(await sandboxOf(server, ana.id), hers);
    assert.equal(await containerState(hers), 'running');
    const back = new TermClient(server.url, ana.cookie);
    open.push(back);
    await back.opened();
    back.hello();
    const ready = await back.waitForMessage('ready', 30_000);
    assert.equal(ready.resumed, true, 'the same shell, not a new one');
    back.type('cat ~/note\r');
    await back.waitForOutput(/kept42/, 20_000);
  });

  test('reset a selection: the selected get a fresh sandbox, the others are untouched', async () => {
    const w = await openWorkshop(server);
    const ana = await join(server, w.code, 'Ana');
    const bo = await join(server, w.code, 'Bo');
    const [ta, tb] = await Promise.all([connect(server, ana.cookie, open), connect(server, bo.cookie, open)]);
    for (const t of [ta, tb]) t.type('echo mine > ~/f; echo wr$((1+1))ote\r');
    await Promise.all([ta.waitForOutput(/wr2ote/, 20_000), tb.waitForOutput(/wr2ote/, 20_000)]);
    const [aBefore, bBefore] = [await sandboxOf(server, ana.id), await sandboxOf(server, bo.id)];

    const stranger = await call(server, 'POST', `/api/workshops/${w.id}/reset`, { attendees: ['nobody'] });
    assert.equal(stranger.status, 404);
    const r = await call(server, 'POST', `/api/workshops/${w.id}/reset`, { attendees: [ana.id] });
    assert.equal(r.status, 202, await r.clone().text());
    assert.deepEqual(await r.json(), { attendees: [ana.id] });
    const c = await capacityUntil(server, w.id, (x) => x.resets[ana.id]?.state === 'done' || x.resets[ana.id]?.state === 'failed', "Ana's reset");
    assert.equal(c.resets[ana.id]?.state, 'done', JSON.stringify(c.resets));
    assert.equal(c.resets[bo.id], undefined);

    const resetAt = ta.messages.findIndex((m) => m.type === 'reset');
    assert.ok(resetAt >= 0, 'Ana was told');
    await ta.waitForMessage('ready', 60_000, resetAt);
    ta.type('test -e ~/f && echo pre$((1+1))sent || echo ab$((1+1))sent\r');
    await ta.waitForOutput(/ab2sent/, 20_000);
    assert.notEqual(await sandboxOf(server, ana.id), aBefore);

    assert.equal(tb.messages.some((m) => m.type === 'reset'), false, 'Bo was not reset');
    assert.equal(await sandboxOf(server, bo.id), bBefore);
    tb.type('cat ~/f\r');
    await tb.waitForOutput(/mine\r\n/, 20_000);
  });

  test('reset all: every member gets a fresh sandbox; a member of another workshop is untouched', async () => {
    const w = await openWorkshop(server);
    const other = await openWorkshop(server);
    const cy = await join(server, w.code, 'Cy');
    const di = await join(server, w.code, 'Di');
    const eve = await join(server, other.code, 'Eve');
    const terms = await Promise.all([cy, di, eve].map((m) => connect(server, m.cookie, open)));
    for (const t of terms) t.type('echo mine > ~/f; echo wr$((1+1))ote\r');
    await Promise.all(terms.map((t) => t.waitForOutput(/wr2ote/, 20_000)));
    const before = await Promise.all([cy, di, eve].map((m) => sandboxOf(server, m.id)));

    const r = await call(server, 'POST', `/api/workshops/${w.id}/reset`, {});
    assert.equal(r.status, 202, await r.clone().text());
    assert.deepEqual(((await r.json()) as { attendees: string[] }).attendees.sort(), [cy.id, di.id].sort());
    const done = (x: Capacity, id: string) => x.resets[id]?.state === 'done' || x.resets[id]?.state === 'failed';
    const c = await capacityUntil(server, w.id, (x) => done(x, cy.id) && done(x, di.id), 'both resets');
    assert.deepEqual([c.resets[cy.id]?.state, c.resets[di.id]?.state], ['done', 'done'], JSON.stringify(c.resets));

    for (const [i, t] of terms.slice(0, 2).entries()) {
      const resetAt = t.messages.findIndex((m) => m.type === 'reset');
      assert.ok(resetAt >= 0, `member ${i} was told`);
      await t.waitForMessage('ready', 60_000, resetAt);
      t.type('test -e ~/f && echo pre$((1+1))sent || echo ab$((1+1))sent\r');
      await t.waitForOutput(/ab2sent/, 20_000);
    }
    assert.notEqual(await sandboxOf(server, cy.id), before[0]);
    assert.notEqual(await sandboxOf(server, di.id), before[1]);

    const te = terms[2]!;
    assert.equal(te.messages.some((m) => m.type === 'reset'), false, 'Eve (another workshop) was not reset');
    assert.equal(await sandboxOf(server, eve.id), before[2]);
    te.type('cat ~/f\r');
    await te.waitForOutput(/mine\r\n/, 20_000);
  });

  test('pause stops the containers (not removed) and ends the shell; resume brings the shell and a file back', async () => {
    const w = await openWorkshop(server);
    const ana = await join(server, w.code, 'Ana');
    const term = await connect(server, ana.cookie, open);
    term.type('echo over$((6*7))night > ~/work; echo wr$((1+1))ote\r');
    await term.waitForOutput(/wr2ote/, 20_000);
    const id = (await sandboxOf(server, ana.id))!;

    const paused = await call(server, 'POST', `/api/workshops/${w.id}/pause`, {});
    assert.equal(paused.status, 200, await paused.clone().text());
    assert.deepEqual(await paused.json(), { state: 'paused', sandboxes: 1, failed: [] });
    await term.until(() => notices(term).find((n) => n.state === 'paused'), 'the paused notice');
    assert.match(await containerState(id), /^(exited|stopped)$/, 'stopped, not removed');
    assert.equal((await capacity(server, w.id)).state, 'paused');
    assert.equal((await call(server, 'POST', `/api/workshops/${w.id}/pause`, {})).status, 409);
    assert.equal((await call(server, 'POST', `/api/workshops/${w.id}/reset`, {})).status, 409, 'no fresh sandbox behind the pause');
    // A joiner is refused while paused; a returning browser is told, and gets no shell.
    assert.equal((await call(server, 'POST', '/api/join', { code: w.code, name: 'Late' }, {})).status, 409);
    const other = new TermClient(server.url, ana.cookie);
    open.push(other);
    await other.opened();
    other.hello();
    await other.until(() => notices(other).find((n) => n.state === 'paused'), 'the paused notice on a new tab');
    assert.equal(other.messages.some((m) => m.type === 'ready'), false);

    const resumed = await call(server, 'POST', `/api/workshops/${w.id}/resume`, {});
    assert.equal(resumed.status, 200, await resumed.clone().text());
    assert.equal(await containerState(id), 'running');
    await other.waitForMessage('ready', 60_000);
    assert.equal(await sandboxOf(server, ana.id), id, 'the same sandbox');
    other.type('cat ~/work\r');
    await other.waitForOutput(/over42night/, 20_000);
  });

  test('closing warns with a countdown, then destroys the sandboxes; the closed workshop refuses joins and shells', async () => {
    const w = await openWorkshop(server);
    const ana = await join(server, w.code, 'Ana');
    const bo = await join(server, w.code, 'Bo');
    const term = await connect(server, ana.cookie, open);
    await connect(server, bo.cookie, open).then((t) => t.close());
    const [aId, bId] = [(await sandboxOf(server, ana.id))!, (await sandboxOf(server, bo.id))!];

    const r = await call(server, 'POST', `/api/workshops/${w.id}/close`, { warnSeconds: 3 });
    assert.equal(r.status, 202);
    const { closesAt } = (await r.json()) as { closesAt: number };
    const warned = await term.until(() => notices(term).find((n) => n.state === 'closing'), 'the closing warning');
    assert.equal(warned.closesAt, closesAt);
    assert.match(warned.message, /closes in \d+ s/);
    assert.equal(await containerState(aId), 'running', 'nothing is destroyed during the warning');

    await term.until(() => notices(term).find((n) => n.state === 'closed'), 'the closed notice', 30_000);
    await term.until(() => term.closed, 'the socket to close', 30_000);
    await capacityUntil(server, w.id, (c) => c.state === 'closed' && c.inUse === 0, 'the sandboxes to go', 60_000);
    // Unassigned at once, removed in the background: wait for podman to finish.
    await gone(aId);
    await gone(bId); // also the sandbox of a member who was not connected

    const late = await call(server, 'POST', '/api/join', { code: w.code, name: 'Late' }, {});
    assert.equal(late.status, 409);
    const again = new TermClient(server.url, ana.cookie);
    open.push(again);
    await again.opened();
    again.hello();
    const refused = await again.waitForMessage('error', 10_000);
    assert.equal(refused.code, 'join-required');
    assert.match(refused.message, /closed/);
  });
});

describe('a close countdown survives a server SIGKILL (migration 5)', () => {
  const workshopLabel = `t-capk-${process.pid}-${Date.now() % 100000}`;
  const dataDir = mkdtempSync(path.join(tmpdir(), 'labdeck-cap-kill-'));
  const env = { SANDBOX: 'podman', WORKSHOP: workshopLabel, POOL_SIZE: '0' };
  let server: RunningServer | null = null;
  const open: TermClient[] = [];
  after(async () => {
    for (const t of open) t.close();
    await server?.stop();
    await removeWorkshop(workshopLabel);
    rmSync(dataDir, { recursive: true, force: true });
  });

  test('killed during the warning, the restarted server finishes the close: workshop closed, the sandbox destroyed', async () => {
    server = await startServer(env, { dataDir });
    const w = await openWorkshop(server);
    const ana = await join(server, w.code, 'Ana');
    await connect(server, ana.cookie, open);
    const id = (await sandboxOf(server, ana.id))!;
    const r = await call(server, 'POST', `/api/workshops/${w.id}/close`, { warnSeconds: 2 });
    assert.equal(r.status, 202);
    await server.stop('SIGKILL');
    // The podman container outlives the server (re-adopted on start); only the store knows it must go.
    assert.equal(await containerState(id), 'running');
    server = await startServer(env, { dataDir });
    await capacityUntil(server, w.id, (c) => c.state === 'closed' && c.inUse === 0 && c.closesAt === null, 'the close to finish', 60_000);
    await gone(id);
    assert.equal((await call(server, 'POST', '/api/join', { code: w.code, name: 'Late' }, {})).status, 409);
  });
});

describe('prepare with the local driver: a sandbox failing the smoke test is destroyed and reported', () => {
  const labs = mkdtempSync(path.join(tmpdir(), 'labdeck-cap-labs-'));
  let server: RunningServer;
  before(async () => {
    mkdirSync(path.join(labs, 'hangs'));
    // A tool check that does not finish within PREPARE_CHECK_SECONDS: such a sandbox is not ready.
    writeFileSync(
      path.join(labs, 'hangs', 'hangs.md'),
      ['---', 'title: Hangs', '---', '', '<!-- labdeck', 'tools:', '  - name: bash', '    version: sleep 8', '-->', '', 'Step', '===', '', '```bash', 'true', '```', ''].join('\n'),
    );
    server = await startServer({ LABS_DIR: labs, POOL_SIZE: '0', PREPARE_CHECK_SECONDS: '1' });
  });
  after(async () => {
    await server?.stop();
    rmSync(labs, { recursive: true, force: true });
  });

  test('both fail the smoke test: destroyed, reported with the reason, none ready', async () => {
    const w = await openWorkshop(server, 'hangs');
    const r = await call(server, 'POST', `/api/workshops/${w.id}/prepare`, { count: 2 });
    assert.equal(r.status, 202, await r.clone().text());
    const c = await capacityUntil(server, w.id, (x) => x.prepare?.running === false, 'the prepare to finish', 60_000);
    assert.equal(c.prepare?.ready, 0);
    assert.equal(c.prepare?.failed.length, 2);
    for (const f of c.prepare.failed) assert.match(f.problem ?? '', /did not finish in 1 s/);
    assert.equal(c.ready, 0, 'nothing waits in the pool');
  });
});
