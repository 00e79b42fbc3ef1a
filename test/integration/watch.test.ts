// Watch an attendee's terminal, take control with consent, and presenter mode (issue 10), against the
// real server, real WebSockets and real shells. Commands are typed as `echo ty${x}ped` so the echo of
// the keystrokes can never pass a check that looks for the command's output ("typed").
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { ServerMessage } from '../../common/protocol.js';
import { INSTRUCTOR_TOKEN, TermClient, readyTerminal, startServer, type RunningServer } from '../support/server.js';
import { WatchClient } from '../support/watch-client.js';

const LAB = 'kubernetes-meets-rust';
const asInstructor = { Authorization: `Bearer ${INSTRUCTOR_TOKEN}` };

type Frame<K extends ServerMessage['type']> = Extract<ServerMessage, { type: K }>;

/** The attendee's frames of `type` from index `from` on. */
function frames<K extends ServerMessage['type']>(term: TermClient, type: K, from = 0): Frame<K>[] {
  return term.messages.slice(from).filter((m): m is Frame<K> => m.type === type);
}

function waitFrame<K extends ServerMessage['type']>(term: TermClient, type: K, pred: (m: Frame<K>) => boolean, from = 0): Promise<Frame<K>> {
  return term.until(() => frames(term, type, from).find(pred), `a ${type} frame`);
}

async function attendeeWithShell(server: RunningServer): Promise<{ term: TermClient; id: string }> {
  const { term } = await readyTerminal(server);
  const ready = await term.waitForMessage('ready');
  return { term, id: ready.attendee };
}

async function watching(server: RunningServer, attendee: string): Promise<WatchClient> {
  const w = new WatchClient(server.url, attendee);
  await w.opened();
  await w.waitFor('screen');
  return w;
}

/** Send `marker` through the attendee's own keyboard and wait for it: everything typed before has been handled by the shell. */
async function settle(term: TermClient, marker: string): Promise<void> {
  term.type(`echo ${marker.slice(0, 2)}\${x}${marker.slice(2)}\r`);
  await term.waitForOutput(new RegExp(`^${marker}`, 'm'));
}

async function call(server: RunningServer, method: string, route: string, body?: unknown, headers: Record<string, string> = asInstructor): Promise<Response> {
  return fetch(server.url + route, {
    method,
    // As the browser sends a write: JSON, with the page's Origin (one without is refused: issue 18 §7).
    headers: { ...(body !== undefined ? { 'Content-Type': 'application/json', Origin: server.url } : {}), ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
}

describe('watch an attendee', () => {
  let server: RunningServer;
  const open: Array<{ close(): void }> = [];
  before(async () => {
    server = await startServer();
  });
  after(async () => {
    for (const c of open) c.close();
    await server?.stop();
  });

  test('refused without the instructor token (401), with a wrong one (401), and from a foreign Origin (403)', async () => {
    const { term, id } = await attendeeWithShell(server);
    open.push(term);
    await assert.rejects(new WatchClient(server.url, id, { token: null }).opened(), /upgrade refused: 401/);
    await assert.rejects(new WatchClient(server.url, id, { token: 'not-the-token' }).opened(), /upgrade refused: 401/);
    await assert.rejects(new WatchClient(server.url, id, { origin: 'http://evil.example' }).opened(), /upgrade refused: 403/);
    await assert.rejects(new WatchClient(server.url, 'not an id').opened(), /upgrade refused: 400/);
    // None of them counted as a watcher.
    assert.equal(frames(term, 'watching').filter((m) => m.watchers > 0).length, 0);
  });

  test('an attendee with no session: the socket says so and closes', async () => {
    const w = new WatchClient(server.url, 'a-nobodyhere1');
    await w.opened();
    const err = await w.waitFor('error');
    assert.equal(err.code, 'no-session');
    await w.until(() => w.closed, 'close');
    assert.equal(w.closed!.code, 4404);
  });

  test('the watcher gets the restored screen, then the same shell\'s live output; the attendee sees watching on and off', async () => {
    const { term, id } = await attendeeWithShell(server);
    open.push(term);
    term.type('x=; echo be${x}fore\r');
    await term.waitForOutput(/^before/m);

    const w = new WatchClient(server.url, id);
    open.push(w);
    await w.opened();
    const screen = await w.waitFor('screen');
    assert.match(screen.data, /^before/m, 'the screen is restored from the session, output from before the watch began');
    assert.equal(screen.cols, 80);
    assert.equal(await waitFrame(term, 'watching', (m) => m.watchers === 1).then((m) => m.watchers), 1);

    term.type('echo li${x}ve\r');
    await w.waitForOutput(/^live/m);
    // The same shell, not a second one: the watcher sees the attendee's own prompt and shell PID.
    term.type('echo pid=$$\r');
    const pid = (await term.waitForOutput(/^pid=(\d+)/m))[1]!;
    await w.waitForOutput(new RegExp(`^pid=${pid}`, 'm'));

    // A second watcher is allowed; the count says two.
    const w2 = await watching(server, id);
    await waitFrame(term, 'watching', (m) => m.watchers === 2);
    const two = term.messages.length;
    w2.close();
    await waitFrame(term, 'watching', (m) => m.watchers === 1, two);
    const before = term.messages.length;
    w.close();
    await waitFrame(term, 'watching', (m) => m.watchers === 0, before);
    assert.deepEqual(w.invalid, []);
  });

  test('keys from the watcher are refused until the attendee accepts, typed after, and refused again after either side ends it', async () => {
    const { term, id } = await attendeeWithShell(server);
    open.push(term);
    term.type('x=\r');
    const w = await watching(server, id);
    open.push(w);

    // Before any request: refused, never typed.
    let from = w.messages.length;
    w.type('echo ref${x}used1\r');
    assert.equal((await w.waitFor('error', undefined, from)).code, 'not-in-control');
    await settle(term, 'mark1');
    assert.doesNotMatch(term.output, /^refused1/m);

    // Requested but not yet accepted: still refused.
    w.send({ type: 'control', action: 'request' });
    await waitFrame(term, 'control', (m) => m.state === 'requested');
    await w.waitFor('control', (m) => m.state === 'requested' && m.mine);
    from = w.messages.length;
    w.type('echo ref${x}used2\r');
    assert.equal((await w.waitFor('error', undefined, from)).code, 'not-in-control');
    await settle(term, 'mark2');
    assert.doesNotMatch(term.output, /^refused2/m);

    // Accepted: typed into the attendee's shell, which both see.
    term.send({ type: 'control', action: 'accept' });
    await w.waitFor('control', (m) => m.state === 'granted' && m.mine);
    await waitFrame(term, 'control', (m) => m.state === 'granted');
    w.type('echo ty${x}ped1\r');
    await term.waitForOutput(/^typed1/m);
    await w.waitForOutput(/^typed1/m);

    // The attendee takes it back: refused again.
    from = w.messages.length;
    term.send({ type: 'control', action: 'end' });
    assert.equal((await w.waitFor('control', (m) => m.state === 'none', from)).ended, 'taken-back');
    from = w.messages.length;
    w.type('echo ref${x}used3\r');
    assert.equal((await w.waitFor('error', undefined, from)).code, 'not-in-control');
    await settle(term, 'mark3');
    assert.doesNotMatch(term.output, /^refused3/m);

    // The instructor releases it: refused again.
    let at = term.messages.length;
    w.send({ type: 'control', action: 'request' });
    await waitFrame(term, 'control', (m) => m.state === 'requested', at);
    term.send({ type: 'control', action: 'accept' });
    await w.waitFor('control', (m) => m.state === 'granted', from);
    w.type('echo ty${x}ped2\r');
    await term.waitForOutput(/^typed2/m);
    from = w.messages.length;
    at = term.messages.length;
    w.send({ type: 'control', action: 'release' });
    assert.equal((await w.waitFor('control', (m) => m.state === 'none', from)).ended, 'released');
    await waitFrame(term, 'control', (m) => m.state === 'none', at);
    from = w.messages.length;
    w.type('echo ref${x}used4\r');
    assert.equal((await w.waitFor('error', undefined, from)).code, 'not-in-control');
    await settle(term, 'mark4');
    assert.doesNotMatch(term.output, /^refused4/m);

    // Declined: nothing granted.
    from = w.messages.length;
    w.send({ type: 'control', action: 'request' });
    await w.waitFor('control', (m) => m.state === 'requested', from);
    term.send({ type: 'control', action: 'end' });
    assert.equal((await w.waitFor('control', (m) => m.state === 'none', from)).ended, 'declined');

    // Granted, then the watch socket closes: control ends with it; a new watcher is refused.
    at = term.messages.length;
    w.send({ type: 'control', action: 'request' });
    await waitFrame(term, 'control', (m) => m.state === 'requested', at);
    term.send({ type: 'control', action: 'accept' });
    await waitFrame(term, 'control', (m) => m.state === 'granted', at);
    w.close();
    await waitFrame(term, 'control', (m) => m.state === 'none', at);
    await waitFrame(term, 'watching', (m) => m.watchers === 0, at);
    const w2 = await watching(server, id);
    open.push(w2);
    from = w2.messages.length;
    w2.type('echo ref${x}used5\r');
    assert.equal((await w2.waitFor('error', undefined, from)).code, 'not-in-control');
    await settle(term, 'mark5');
    assert.doesNotMatch(term.output, /^refused5/m);
  });

  test('a lent keyboard ends when the attendee\'s browser goes away: keys are refused, and they must accept again (issue 17 §6)', async () => {
    const { term, cookie } = await readyTerminal(server);
    open.push(term);
    const id = (await term.waitForMessage('ready')).attendee;
    term.type('x=\r');
    const w = await watching(server, id);
    open.push(w);
    let at = term.messages.length;
    w.send({ type: 'control', action: 'request' });
    await waitFrame(term, 'control', (m) => m.state === 'requested', at);
    term.send({ type: 'control', action: 'accept' });
    await w.waitFor('control', (m) => m.state === 'granted' && m.mine);
    w.type('echo ty${x}ped1\r');
    await w.waitForOutput(/^typed1/m);

    // The attendee's browser goes away; their shell lives on, unattended, for the grace period.
    let from = w.messages.length;
    term.close();
    assert.equal((await w.waitFor('control', (m) => m.state === 'none', from)).ended, 'attendee-left');
    await w.waitFor('attendee', (m) => !m.online, from);
    from = w.messages.length;
    w.type('echo un${x}attended\r');
    assert.equal((await w.waitFor('error', undefined, from)).code, 'not-in-control');

    // Back in the same shell: nothing is granted, and the keys sent meanwhile never reached it.
    const back = new TermClient(server.url, cookie);
    open.push(back);
    await back.opened();
    back.hello(80, 24, true);
    const ready = await back.waitForMessage('ready');
    assert.equal(ready.resumed, true, 'the same shell');
    assert.equal((await waitFrame(back, 'control', () => true)).state, 'none');
    await settle(back, 'mark6');
    assert.doesNotMatch(back.output, /unattended|un\$\{x\}attended/);
    from = w.messages.length;
    w.type('echo ref${x}used6\r');
    assert.equal((await w.waitFor('error', undefined, from)).code, 'not-in-control', 'consent is asked again');
    await settle(back, 'mark7');
    assert.doesNotMatch(back.output, /^refused6/m);

    // Asked and given again: the instructor types again.
    at = back.messages.length;
    from = w.messages.length;
    w.send({ type: 'control', action: 'request' });
    await waitFrame(back, 'control', (m) => m.state === 'requested', at);
    back.send({ type: 'control', action: 'accept' });
    await w.waitFor('control', (m) => m.state === 'granted' && m.mine, from);
    w.type('echo ty${x}ped2\r');
    await back.waitForOutput(/^typed2/m);
  });

  test('one watcher at a time may ask: a second one is told control is busy', async () => {
    const { term, id } = await attendeeWithShell(server);
    open.push(term);
    const a = await watching(server, id);
    const b = await watching(server, id);
    open.push(a, b);
    a.send({ type: 'control', action: 'request' });
    await b.waitFor('control', (m) => m.state === 'requested' && !m.mine);
    b.send({ type: 'control', action: 'request' });
    assert.equal((await b.waitFor('error')).code, 'control-busy');
    // The attendee's accept goes to the one who asked.
    term.send({ type: 'control', action: 'accept' });
    await a.waitFor('control', (m) => m.state === 'granted' && m.mine);
    await b.waitFor('control', (m) => m.state === 'granted' && !m.mine);
  });

  test('a watcher that does not read is skipped, never slows the attendee, and catches up with a fresh screen', async () => {
    const { term, id } = await attendeeWithShell(server);
    open.push(term);
    const w = await watching(server, id);
    open.push(w);
    // Stop reading the watch socket: the kernel's buffers fill, then the server's.
    const raw = (w.ws as unknown as { _socket: { pause(): void; resume(): void } })._socket;
    raw.pause();
    term.type('x=; head -c 20000000 /dev/zero | tr "\\0" "a" | fold -w 200; echo; echo fl${x}ood-done\r');
    await term.waitForOutput(/^flood-done/m, 120_000);
    const stats = (await (await call(server, 'GET', '/api/stats')).json()) as { memory: { rss: number } };
    assert.ok(stats.memory.rss < 1024 * 1024 * 1024, `server RSS ${stats.memory.rss} stayed bounded`);
    const seen = w.messages.length;
    raw.resume();
    const screen = await w.waitFor('screen', (m) => m.skipped > 0, seen, 30_000);
    assert.ok(screen.skipped > 1_000_000, `skipped ${screen.skipped} bytes instead of queueing them`);
    assert.ok(w.closed === null, 'the watcher was skipped, not dropped');
    term.type('echo af${x}ter\r');
    await w.waitForOutput(/^after/m);
  });
});

describe('presenter mode', () => {
  let server: RunningServer;
  const open: TermClient[] = [];
  before(async () => {
    server = await startServer();
  });
  after(async () => {
    for (const c of open) c.close();
    await server?.stop();
  });

  async function joined(code: string, name: string): Promise<string> {
    const r = await call(server, 'POST', '/api/join', { code, name }, {});
    assert.equal(r.status, 201, await r.clone().text());
    return r.headers.get('set-cookie')!.split(';')[0]!;
  }

  test('the presenter step reaches the workshop\'s attendees, a late joiner after ready, and nobody else', async () => {
    const r = await call(server, 'POST', '/api/workshops', { lab: LAB });
    const ws = (await r.json()) as { id: string; code: string };
    const other = (await (await call(server, 'POST', '/api/workshops', { lab: LAB })).json()) as { id: string; code: string };
    const ana = await readyTerminal(server, await joined(ws.code, 'Ana'));
    const cy = await readyTerminal(server, await joined(other.code, 'Cy'));
    open.push(ana.term, cy.term);

    assert.equal((await call(server, 'POST', `/api/workshops/${ws.id}/presenter`, { step: 2 }, {})).status, 401);
    assert.equal((await call(server, 'POST', `/api/workshops/${ws.id}/presenter`, { step: 9999 })).status, 400);
    assert.equal((await call(server, 'POST', `/api/workshops/${ws.id}/presenter`, { step: 'two' })).status, 400);
    assert.equal((await call(server, 'POST', '/api/workshops/nope/presenter', { step: 1 })).status, 404);
    assert.equal(frames(ana.term, 'presenter').length, 0, 'a refused request tells nobody');

    const set = await call(server, 'POST', `/api/workshops/${ws.id}/presenter`, { step: 2 });
    assert.equal(set.status, 200);
    assert.deepEqual(await set.json(), { workshop: ws.id, lab: LAB, step: 2, recipients: 1 });
    const got = await waitFrame(ana.term, 'presenter', (m) => m.step === 2);
    assert.equal(got.labId, LAB);
    const current = (await (await call(server, 'GET', `/api/workshops/${ws.id}/presenter`)).json()) as { step: number | null };
    assert.equal(current.step, 2);

    // A late joiner gets it right after ready.
    const bo = await readyTerminal(server, await joined(ws.code, 'Bo'));
    open.push(bo.term);
    const ready = bo.term.messages.findIndex((m) => m.type === 'ready');
    assert.equal((await waitFrame(bo.term, 'presenter', (m) => m.step === 2, ready)).labId, LAB);
    // A reload (a new socket) gets it again.
    ana.term.close();
    const again = await readyTerminal(server, ana.cookie);
    open.push(again.term);
    await waitFrame(again.term, 'presenter', (m) => m.step === 2);

    // Stopping tells everyone; a later joiner gets nothing.
    await call(server, 'POST', `/api/workshops/${ws.id}/presenter`, { step: null });
    await waitFrame(bo.term, 'presenter', (m) => m.step === null);
    const dee = await readyTerminal(server, await joined(ws.code, 'Dee'));
    open.push(dee.term);
    await settle(dee.term, 'quiet');
    assert.equal(frames(dee.term, 'presenter').length, 0);
    assert.equal(frames(cy.term, 'presenter').length, 0, 'another workshop hears nothing');
  });
});
