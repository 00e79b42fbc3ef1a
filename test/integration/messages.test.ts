// The instructor's messages and the progress CSV (issue 10) against the real server, real sockets and
// real shells: a message reaches only whom it is for, is kept until dismissed (a reconnect shows it
// again, a dismissed one never comes back), and the CSV is one formula-safe row per attendee.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { parse } from 'csv-parse/sync';
import { MessageSentSchema } from '../../common/api.js';
import type { ServerMessage } from '../../common/protocol.js';
import { INSTRUCTOR_TOKEN, TermClient, startServer, type RunningServer } from '../support/server.js';

const LAB = 'kubernetes-meets-rust';
const asInstructor = { Authorization: `Bearer ${INSTRUCTOR_TOKEN}` };

type Message = Extract<ServerMessage, { type: 'message' }>;

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

async function joined(server: RunningServer, code: string, name: string): Promise<{ id: string; cookie: string }> {
  const r = await call(server, 'POST', '/api/join', { code, name });
  assert.equal(r.status, 201, await r.clone().text());
  const body = (await r.json()) as { attendee: string };
  return { id: body.attendee, cookie: r.headers.get('set-cookie')!.split(';')[0]! };
}

async function connect(server: RunningServer, cookie: string): Promise<TermClient> {
  const term = new TermClient(server.url, cookie);
  await term.opened();
  term.hello();
  await term.waitForMessage('ready', 30_000);
  return term;
}

async function send(server: RunningServer, workshop: string, body: unknown): Promise<{ id: number; recipients: number }> {
  const r = await call(server, 'POST', `/api/workshops/${workshop}/messages`, body, asInstructor);
  assert.equal(r.status, 202, await r.clone().text());
  return MessageSentSchema.parse(await r.json());
}

function received(term: TermClient): Message[] {
  return term.messages.filter((m): m is Message => m.type === 'message');
}

function waitForMessageId(term: TermClient, id: number): Promise<Message> {
  return term.until(() => received(term).find((m) => m.id === id), `message ${id}`);
}

describe('messages to attendees', () => {
  let server: RunningServer;
  const open: TermClient[] = [];
  before(async () => {
    server = await startServer();
  });
  after(async () => {
    for (const t of open) t.close();
    await server?.stop();
  });

  test('to one attendee: only their socket receives it; to all: every member, and nobody of another workshop', async () => {
    const w = await openWorkshop(server);
    const other = await openWorkshop(server);
    const ana = await joined(server, w.code, 'Ana');
    const bo = await joined(server, w.code, 'Bo');
    const cy = await joined(server, other.code, 'Cy');
    const [ta, tb, tc] = await Promise.all([connect(server, ana.cookie), connect(server, bo.cookie), connect(server, cy.cookie)]);
    open.push(ta, tb, tc);

    const hint = await send(server, w.id, { text: 'Ana: try <b>kubectl get pods</b>', attendee: ana.id });
    assert.equal(hint.recipients, 1);
    const got = await waitForMessageId(ta, hint.id);
    assert.deepEqual([got.text, got.from, got.toAll], ['Ana: try <b>kubectl get pods</b>', 'instructor', false]);

    const all = await send(server, w.id, { text: '  Break in 5 minutes  ' });
    assert.equal(all.recipients, 2);
    assert.equal((await waitForMessageId(ta, all.id)).text, 'Break in 5 minutes');
    await waitForMessageId(tb, all.id);
    // Frames on one socket arrive in order: Bo got the later message, so the earlier one was never sent to him.
    assert.deepEqual(received(tb).map((m) => m.id), [all.id], 'Bo does not see Ana\'s hint');

    const theirs = await send(server, other.id, { text: 'other room' });
    await waitForMessageId(tc, theirs.id);
    assert.deepEqual(received(tc).map((m) => m.id), [theirs.id], 'the other workshop sees neither message');
    assert.deepEqual(tc.invalid, []);
  });

  test('kept until dismissed: a reconnect shows the undismissed messages again, a dismissed one never', async () => {
    const w = await openWorkshop(server);
    const ana = await joined(server, w.code, 'Ana');
    // Sent before Ana ever connects: she sees it on her first connection.
    const early = await send(server, w.id, { text: 'welcome', attendee: ana.id });
    const first = await connect(server, ana.cookie);
    await waitForMessageId(first, early.id);
    const later = await send(server, w.id, { text: 'second hint', attendee: ana.id });
    await waitForMessageId(first, later.id);
    first.send({ type: 'dismiss', id: early.id });
    // Someone else's id is not Ana's to dismiss and changes nothing; a bad id is refused.
    first.send({ type: 'dismiss', id: 999_999 });
    first.send({ type: 'dismiss', id: 'x' });
    await first.waitForMessage('error');
    first.close();

    const again = await connect(server, ana.cookie);
    open.push(again);
    await waitForMessageId(again, later.id);
    assert.deepEqual(received(again).map((m) => m.text), ['second hint'], 'the dismissed message is gone; the other comes back');
  });

  test('401 without the token, 400 for a bad body, 404 for an unknown workshop or attendee', async () => {
    const w = await openWorkshop(server);
    const other = await openWorkshop(server);
    const stranger = await joined(server, other.code, 'Stranger');
    const route = `/api/workshops/${w.id}/messages`;
    assert.equal((await call(server, 'POST', route, { text: 'hi' })).status, 401);
    assert.equal((await call(server, 'POST', route, { text: 'hi' }, { Authorization: 'Bearer wrong' })).status, 401);
    for (const body of [{ text: '' }, { text: '   ' }, { text: 'x'.repeat(2001) }, {}, { text: 'hi', extra: 1 }, { text: 42 }]) {
      const r = await call(server, 'POST', route, body, asInstructor);
      assert.equal(r.status, 400, JSON.stringify(body));
      assert.match(((await r.json()) as { error: string }).error, /bad request/);
    }
    assert.equal((await call(server, 'POST', route, { text: 'x'.repeat(2000) }, asInstructor)).status, 202, '2000 characters is fine');
    assert.equal((await call(server, 'POST', '/api/workshops/w-nope/messages', { text: 'hi' }, asInstructor)).status, 404);
    const unknown = await call(server, 'POST', route, { text: 'hi', attendee: 'nobody' }, asInstructor);
    assert.equal(unknown.status, 404);
    assert.match(((await unknown.json()) as { error: string }).error, /no attendee nobody/);
    assert.equal((await call(server, 'POST', route, { text: 'hi', attendee: stranger.id }, asInstructor)).status, 404, 'a member of another workshop');
  });
});

describe('progress CSV', () => {
  let server: RunningServer;
  before(async () => {
    server = await startServer();
  });
  after(() => server?.stop());

  test('a header and one row per attendee, formula cells escaped; 401 without the token', async () => {
    const w = await openWorkshop(server);
    const evil = '=HYPERLINK("http://evil","x")';
    const names = ['Ana, "the" first', evil, '+1 Bo', '-Cy', '@Di'];
    const people = [];
    for (const n of names) people.push(await joined(server, w.code, n));
    const ta = await connect(server, people[0]!.cookie);
    ta.send({ type: 'progress', labId: LAB, step: 1 });
    // A ping after the progress frame: its pong proves the server has handled the progress.
    ta.send({ type: 'ping', t: 1 });
    await ta.waitForMessage('pong');

    const route = `/api/workshops/${w.id}/progress.csv`;
    assert.equal((await call(server, 'GET', route)).status, 401);
    assert.equal((await call(server, 'GET', `/api/workshops/w-nope/progress.csv`, undefined, asInstructor)).status, 404);
    const r = await call(server, 'GET', route, undefined, asInstructor);
    assert.equal(r.status, 200);
    assert.match(r.headers.get('content-type') ?? '', /^text\/csv/);
    const rows: string[][] = parse(await r.text());
    assert.deepEqual(rows[0], ['name', 'step', 'step title', 'online', 'last seen', 'runs', 'checks passed']);
    assert.equal(rows.length, 1 + names.length);
    assert.deepEqual(rows.slice(1).map((row) => row[0]), ['Ana, "the" first', `'${evil}`, "'+1 Bo", "'-Cy", "'@Di"]);
    const anaRow = rows[1]!;
    assert.equal(anaRow[1], '2', 'step is 1-based, as the page shows it');
    assert.ok(anaRow[2]!.length > 0, 'the step title');
    assert.equal(anaRow[3], 'yes');
    assert.ok(!Number.isNaN(Date.parse(anaRow[4]!)));
    assert.deepEqual([rows[2]![1], rows[2]![3], rows[2]![5], rows[2]![6]], ['', 'no', '0', '0']);
    ta.close();
  });
});
