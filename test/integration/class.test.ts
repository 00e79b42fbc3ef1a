// The live class view (issue 10) against the real server, real sockets and real bash: a failing command
// counts without a trace in the terminal, the class socket pushes joins and step changes, refuses what
// it must, and the progress recorded survives a SIGKILL of the server.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import WebSocket from 'ws';
import { WorkshopSchema, type Workshop } from '../../common/api.js';
import { ClassClient as ProtocolClient } from '../../common/class-client.js';
import { CLASS_PATH, type ClassRow, type ClassServerMessage } from '../../common/class-protocol.js';
import { INSTRUCTOR_PROTOCOL, instructorProtocols } from '../../common/instructor-socket.js';
import { removeWorkshop } from '../support/podman.js';
import { INSTRUCTOR_TOKEN, TermClient, startServer, type RunningServer } from '../support/server.js';

const LAB = 'kubernetes-meets-rust';
const asInstructor = { Authorization: `Bearer ${INSTRUCTOR_TOKEN}` };

async function call(server: RunningServer, method: string, route: string, body?: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(server.url + route, {
    method,
    // As the browser sends a write: JSON, with the page's Origin (one without is refused: issue 18 §7).
    headers: { ...(body !== undefined ? { 'Content-Type': 'application/json', Origin: server.url } : {}), ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
}

async function openWorkshop(server: RunningServer): Promise<{ id: string; code: string }> {
  const r = await call(server, 'POST', '/api/workshops', { lab: LAB }, asInstructor);
  assert.equal(r.status, 201);
  return (await r.json()) as { id: string; code: string };
}

async function join(server: RunningServer, code: string, name: string): Promise<{ id: string; cookie: string }> {
  const r = await call(server, 'POST', '/api/join', { code, name });
  assert.equal(r.status, 201, await r.clone().text());
  const body = (await r.json()) as { attendee: string };
  return { id: body.attendee, cookie: r.headers.get('set-cookie')!.split(';')[0]! };
}

async function terminal(server: RunningServer, cookie: string): Promise<TermClient> {
  const term = new TermClient(server.url, cookie);
  await term.opened();
  term.hello();
  await term.waitForMessage('ready', 30_000);
  return term;
}

async function workshop(server: RunningServer, id: string): Promise<Workshop> {
  const r = await call(server, 'GET', `/api/workshops/${id}`, undefined, asInstructor);
  assert.equal(r.status, 200);
  return WorkshopSchema.parse(await r.json());
}

/** Re-read the workshop until `pred` holds for it (the shell reports asynchronously), or fail after `ms`. */
async function workshopUntil(server: RunningServer, id: string, pred: (w: Workshop) => boolean, what: string, ms = 15_000): Promise<Workshop> {
  const deadline = Date.now() + ms;
  for (;;) {
    const w = await workshop(server, id);
    if (pred(w)) return w;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(w.attendees)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** The instructor's class socket, as the dashboard opens it: the one client and fold (common/class-client.ts). */
class ClassClient {
  readonly ws: WebSocket;
  readonly client: ProtocolClient;
  readonly frames: ClassServerMessage[] = [];
  readonly invalid: string[] = [];
  private waiters: Array<() => void> = [];

  constructor(url: string, workshop: string, opts: { token?: string | null; origin?: string } = {}) {
    const protocols = opts.token === null ? [] : instructorProtocols(opts.token ?? INSTRUCTOR_TOKEN);
    this.ws = new WebSocket(`${url.replace(/^http/, 'ws')}${CLASS_PATH}?workshop=${encodeURIComponent(workshop)}`, protocols, { headers: { Origin: opts.origin ?? url } });
    this.client = new ProtocolClient(this.ws, {
      onFrame: (frame) => {
        this.frames.push(frame);
        this.wake();
      },
      onInvalid: (error) => {
        this.invalid.push(error);
        this.wake();
      },
      onClose: () => this.wake(),
    });
  }

  /** The roster as the frames so far build it, by attendee. */
  get rows(): Map<string, ClassRow> {
    return new Map(this.client.roster.rows.map((r) => [r.id, r]));
  }

  /** Resolves when open; rejects with the refused upgrade's status. */
  opened(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.ws.once('open', () => resolve());
      this.ws.once('unexpected-response', (_req, res) => reject(new Error(`upgrade refused: ${res.statusCode}`)));
      this.ws.once('error', reject);
    });
  }

  async until<T>(pred: () => T | undefined | false | null, what: string, ms = 10_000): Promise<T> {
    const deadline = Date.now() + ms;
    for (;;) {
      const v = pred();
      if (v) return v;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; frames: ${JSON.stringify(this.frames).slice(-800)}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, 250);
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  send(text: string): void {
    this.ws.send(text);
  }

  close(): void {
    this.ws.close();
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }
}

describe('the class view', () => {
  let server: RunningServer;
  const open: Array<{ close(): void }> = [];
  before(async () => {
    server = await startServer();
  });
  after(async () => {
    for (const c of open) c.close();
    await server?.stop();
  });

  test('a failing command in the real shell counts, reported out of band: the terminal shows no marker', async () => {
    const w = await openWorkshop(server);
    const ana = await join(server, w.code, 'Ana');
    const term = await terminal(server, ana.cookie);
    open.push(term);
    term.send({ type: 'progress', labId: LAB, step: 1 });
    await term.waitForOutput(/\$ $/);
    term.type('false\r');
    await workshopUntil(server, w.id, (x) => x.attendees[0]?.failedCommands === 1, 'one failed command');
    term.type('true\r');
    term.type('ls /nonexistent-h10-$((6*7))\r');
    term.type('echo "status was $?" done-$((40+2))\r');
    await term.waitForOutput(/status was 2 done-42/);
    const after = await workshopUntil(server, w.id, (x) => x.attendees[0]?.failedCommands === 2, 'two failed commands');
    assert.equal(after.attendees[0]!.step, 1);
    assert.equal(after.attendees[0]!.sandbox, 'running');
    // Nothing about the report reaches the screen: not the file, not the variables, not a status line.
    assert.doesNotMatch(term.output, /labdeck|__labdeck|exit-status/i);
    assert.doesNotMatch(term.output, /^\d+ [12]\r?$/m);
  });

  test('the class socket: a snapshot, then a join and a step change pushed as they happen', async () => {
    const w = await openWorkshop(server);
    const bo = await join(server, w.code, 'Bo');
    const cls = new ClassClient(server.url, w.id);
    open.push(cls);
    await cls.opened();
    assert.equal(cls.ws.protocol, INSTRUCTOR_PROTOCOL, 'the answer names the protocol, never the token');
    const snap = await cls.until(() => cls.frames.find((f) => f.type === 'snapshot'), 'the snapshot');
    assert.equal(snap.type === 'snapshot' && snap.workshop.code, w.code);
    assert.deepEqual([...cls.rows.values()].map((r) => r.name), ['Bo']);

    const cy = await join(server, w.code, 'Cy');
    await cls.until(() => cls.rows.get(cy.id)?.name === 'Cy', 'Cy\'s join pushed');
    const term = await terminal(server, bo.cookie);
    open.push(term);
    term.send({ type: 'progress', labId: LAB, step: 2 });
    const row = await cls.until(() => (cls.rows.get(bo.id)?.step === 2 ? cls.rows.get(bo.id) : null), 'Bo\'s step change pushed');
    assert.equal(row.online, true);
    assert.ok(row.onStepSince !== null && row.onStepSince <= Date.now());
    assert.deepEqual(cls.invalid, []);
  });

  test('a malformed frame is answered and ignored; the stuck rule set over the socket is kept and applied', async () => {
    const w = await openWorkshop(server);
    const dee = await join(server, w.code, 'Dee');
    const cls = new ClassClient(server.url, w.id);
    open.push(cls);
    await cls.opened();
    await cls.until(() => cls.frames.find((f) => f.type === 'snapshot'), 'the snapshot');
    for (const bad of ['{nope', JSON.stringify({ type: 'stuck-settings', failStreak: 1 }), JSON.stringify({ type: 'shutdown' }), 'x'.repeat(5000)]) cls.send(bad);
    const errors = await cls.until(() => {
      const e = cls.frames.filter((f) => f.type === 'error');
      return e.length === 4 ? e : null;
    }, 'four errors');
    assert.deepEqual(errors.map((e) => e.type === 'error' && e.code), ['bad-json', 'bad-message', 'bad-message', 'too-large']);
    assert.equal(cls.ws.readyState, WebSocket.OPEN);

    const term = await terminal(server, dee.cookie);
    open.push(term);
    term.send({ type: 'progress', labId: LAB, step: 1 });
    await term.waitForOutput(/\$ $/);
    term.type('false\rfalse\r');
    await cls.until(() => cls.rows.get(dee.id)?.failedCommands === 2, 'two failures pushed');
    assert.equal(cls.rows.get(dee.id)!.stuck, false, 'two in a row is under the default of three');
    cls.send(JSON.stringify({ type: 'stuck-settings', failStreak: 2 }));
    const row = await cls.until(() => (cls.rows.get(dee.id)?.stuck ? cls.rows.get(dee.id) : null), 'Dee stuck under the new rule');
    assert.equal(row.stuckReason, '2 failing commands in a row on step 2');
    assert.ok(cls.frames.some((f) => f.type === 'settings' && f.settings.failStreak === 2));
    const api = await workshop(server, w.id);
    assert.deepEqual([api.attendees[0]!.stuck, api.attendees[0]!.stuckReason], [true, '2 failing commands in a row on step 2'], 'the API applies the kept rule too');
  });

  test('the stuck rule over HTTP (the socket message\'s twin): kept, checked, and pushed to the class view', async () => {
    const w = await openWorkshop(server);
    const cls = new ClassClient(server.url, w.id);
    open.push(cls);
    await cls.opened();
    await cls.until(() => cls.frames.find((f) => f.type === 'snapshot'), 'the snapshot');
    const put = (body: unknown, headers: Record<string, string> = asInstructor, id = w.id) => call(server, 'PUT', `/api/workshops/${id}/stuck`, body, headers);
    assert.equal((await put({ stuckAfterMs: 120_000 }, {})).status, 401);
    assert.equal((await put({ failStreak: 1 })).status, 400);
    assert.equal((await put({ stuckAfterMs: 120_000, extra: 1 })).status, 400);
    assert.equal((await put({ stuckAfterMs: 120_000 }, asInstructor, 'w-nope')).status, 404);
    const ok = await put({ stuckAfterMs: 120_000 });
    assert.equal(ok.status, 200);
    assert.deepEqual(await ok.json(), { stuckAfterMs: 120_000, failStreak: 3 });
    await cls.until(() => cls.frames.find((f) => f.type === 'settings' && f.settings.stuckAfterMs === 120_000), 'the new rule pushed');
  });

  test('refused before the upgrade: no token 401, a wrong token 401, a foreign Origin 403, an unknown workshop 404', async () => {
    const w = await openWorkshop(server);
    const cases: Array<[string, ConstructorParameters<typeof ClassClient>[2], string, number]> = [
      ['no token', { token: null }, w.id, 401],
      ['a wrong token', { token: 'not-the-token' }, w.id, 401],
      ['a foreign Origin', { origin: 'http://evil.example' }, w.id, 403],
      ['an unknown workshop', {}, 'w-nope', 404],
    ];
    for (const [name, opts, id, status] of cases) {
      const c = new ClassClient(server.url, id, opts);
      await assert.rejects(c.opened(), new RegExp(`upgrade refused: ${status}`), name);
      c.close();
    }
  });
});

describe('progress after SIGKILL', () => {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'labdeck-sigkill-'));
  let server: RunningServer | null = null;
  after(async () => {
    await server?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  test('kill -9 in the middle of a workshop, restart on the same data: every recorded step, run and failure is there', async () => {
    server = await startServer({}, { dataDir });
    const w = await openWorkshop(server);
    const eve = await join(server, w.code, 'Eve');
    const term = await terminal(server, eve.cookie);
    term.send({ type: 'progress', labId: LAB, step: 1 });
    term.send({ type: 'progress', labId: LAB, step: 3 });
    await term.waitForOutput(/\$ $/);
    term.send({ type: 'run', labId: LAB, blockId: 'kubectl-client' });
    await term.waitForOutput(/kind: Deployment[\s\S]*\$ $/, 20_000);
    term.type('false\r');
    const before = await workshopUntil(
      server,
      w.id,
      (x) => x.attendees[0]?.failedCommands === 1 && x.attendees[0]?.step === 3 && x.attendees[0]?.runs === 1,
      'the progress recorded',
    );
    term.close();
    assert.equal(await server.stop('SIGKILL'), null, 'killed, not exited');

    server = await startServer({}, { dataDir });
    const again = await workshop(server, w.id);
    const a = again.attendees[0]!;
    assert.deepEqual([a.name, a.step, a.failedCommands, a.runs], ['Eve', 3, 1, 1]);
    assert.ok(a.timeOnStepMs !== null && a.timeOnStepMs >= before.attendees[0]!.timeOnStepMs!, 'the visit of step 4 goes on from where it was');
  });
});

describe('failed commands in a podman sandbox', () => {
  const workshopLabel = `t-class-${process.pid}-${Date.now() % 100000}`;
  const env = { SANDBOX: 'podman', WORKSHOP: workshopLabel, POOL_SIZE: '0', GRACE_SECONDS: '120' };
  const dataDir = mkdtempSync(path.join(tmpdir(), 'labdeck-class-podman-'));
  let server: RunningServer | null = null;
  after(async () => {
    await server?.stop();
    await removeWorkshop(workshopLabel);
    rmSync(dataDir, { recursive: true, force: true });
  });

  test('the login shell under dtach reports; after a server SIGKILL the same shell goes on and nothing is counted twice', async () => {
    server = await startServer(env, { dataDir });
    const w = await openWorkshop(server);
    const fay = await join(server, w.code, 'Fay');
    const term = await terminal(server, fay.cookie);
    term.send({ type: 'progress', labId: LAB, step: 1 });
    await term.waitForOutput(/# $/, 20_000);
    term.type('false\r');
    await workshopUntil(server, w.id, (x) => x.attendees[0]?.failedCommands === 1, 'one failed command', 30_000);
    term.type('ls /nonexistent\r');
    await workshopUntil(server, w.id, (x) => x.attendees[0]?.failedCommands === 2, 'two failed commands', 30_000);

    await server.stop('SIGKILL');
    await term.until(() => term.closed, 'the socket to drop');
    server = await startServer(env, { dataDir });
    const again = await terminal(server, fay.cookie);
    again.type('cat /nonexistent-$((2+2))\r');
    await again.waitForOutput(/nonexistent-4: No such file/, 20_000);
    const after = await workshopUntil(server, w.id, (x) => x.attendees[0]?.failedCommands === 3, 'the third failure', 30_000);
    assert.equal(after.attendees[0]!.sandbox, 'running');
    again.type('echo st$((3+3))ill\r');
    await again.waitForOutput(/st6ill/);
    assert.equal((await workshop(server, w.id)).attendees[0]!.failedCommands, 3, 'the lines written before the restart are not read again');
    assert.doesNotMatch(again.output, /labdeck|exit-status/i);
    again.close();
  });
});
