// Workshops and joining (issue 10) against the real server: the instructor's workshop API behind its
// token, every refusal of POST /api/join, the same browser keeping its seat, and no join, no shell
// (REQUIRE_JOIN=1 with the local driver: a real socket refused, then a real shell once joined).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { request } from 'node:http';
import { InstructorAttendeePageSchema, WorkshopListSchema, WorkshopSchema } from '../../common/api.js';
import { execFile } from 'node:child_process';
import { INSTRUCTOR_TOKEN, ROOT, TermClient, startServer, type RunningServer } from '../support/server.js';

const LAB = 'kubernetes-meets-rust';

interface Call {
  status: number;
  body: Record<string, unknown>;
  cookie: string | null;
}

/** As the browser sends it: JSON, with the page's Origin (a write without one is refused: issue 18 §7). */
async function call(server: RunningServer, method: string, route: string, body?: unknown, headers: Record<string, string> = {}): Promise<Call> {
  const res = await fetch(server.url + route, {
    method,
    headers: { ...(body !== undefined ? { 'Content-Type': 'application/json', Origin: server.url } : {}), ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const setCookie = res.headers.get('set-cookie');
  return { status: res.status, body: (await res.json()) as Record<string, unknown>, cookie: setCookie ? setCookie.split(';')[0]! : null };
}

const asInstructor = { Authorization: `Bearer ${INSTRUCTOR_TOKEN}` };

async function openWorkshop(server: RunningServer, body: Record<string, unknown> = { lab: LAB }): Promise<{ id: string; code: string; joinUrl: string }> {
  const r = await call(server, 'POST', '/api/workshops', body, asInstructor);
  assert.equal(r.status, 201, JSON.stringify(r.body));
  return r.body as { id: string; code: string; joinUrl: string };
}

function join(server: RunningServer, code: string, name: string, cookie?: string, headers: Record<string, string> = {}): Promise<Call> {
  return call(server, 'POST', '/api/join', { code, name }, { ...(cookie ? { Cookie: cookie } : {}), ...headers });
}

describe('workshops and joining', () => {
  let server: RunningServer;
  before(async () => {
    server = await startServer();
  });
  after(() => server?.stop());

  test('every workshop route needs the instructor token: 401 without it or with a wrong one', async () => {
    const { id } = await openWorkshop(server);
    const tries: Record<string, string>[] = [{}, { Authorization: 'Bearer wrong-token-123' }, { Authorization: INSTRUCTOR_TOKEN }];
    for (const headers of tries) {
      assert.equal((await call(server, 'POST', '/api/workshops', { lab: LAB }, headers)).status, 401);
      assert.equal((await call(server, 'GET', '/api/workshops', undefined, headers)).status, 401);
      const one = await call(server, 'GET', `/api/workshops/${id}`, undefined, headers);
      assert.equal(one.status, 401);
      assert.match(String(one.body.error), /Bearer/);
    }
  });

  test('POST /api/workshops: 201 with an 8-letter code and a join URL on the request\'s own host; bad bodies are 400/404', async () => {
    const w = await openWorkshop(server, { lab: LAB, title: 'Morning class', maxAttendees: 30 });
    assert.match(w.code, /^[A-HJKMNP-Z]{8}$/);
    assert.equal(w.joinUrl, `${server.url}/join/${w.code}`);
    const listed = WorkshopListSchema.parse((await call(server, 'GET', '/api/workshops', undefined, asInstructor)).body);
    const mine = listed.find((x) => x.id === w.id);
    assert.deepEqual([mine?.title, mine?.maxAttendees, mine?.state, mine?.joined], ['Morning class', 30, 'open', 0]);
    assert.equal((await call(server, 'POST', '/api/workshops', { lab: 'no-such-lab' }, asInstructor)).status, 404);
    assert.equal((await call(server, 'POST', '/api/workshops', { lab: LAB, maxAttendees: 0 }, asInstructor)).status, 400);
    assert.equal((await call(server, 'POST', '/api/workshops', { lab: LAB, extra: 1 }, asInstructor)).status, 400);
    assert.equal((await call(server, 'GET', '/api/workshops/w-nope', undefined, asInstructor)).status, 404);
  });

  test('POST /api/join refuses: unknown code 404, bad names 400 with a clear message, a taken name 409, a full workshop 409', async () => {
    const w = await openWorkshop(server, { lab: LAB, maxAttendees: 3 });
    const unknown = await join(server, 'ZZZZZZ', 'Ana');
    assert.equal(unknown.status, 404);
    assert.match(String(unknown.body.error), /No workshop has the code ZZZZZZ/);
    assert.equal(unknown.cookie, null, 'a refused join mints no session');
    const bad: Array<[string, RegExp]> = [
      ['', /Type a display name/],
      ['   ', /Type a display name/],
      ['x'.repeat(61), /at most 60 characters/],
      ['Ana\u001b[2J', /control characters/],
      ['Ana\nBob', /control characters/],
      ['evil\u202Egnp.exe', /invisible characters \(U\+202E/],
      ['Ada\u200b', /invisible characters \(U\+200B/],
    ];
    for (const [name, message] of bad) {
      const r = await join(server, w.code, name);
      assert.equal(r.status, 400, JSON.stringify(name));
      assert.match(String(r.body.error), message);
    }
    assert.equal((await join(server, w.code, 'ñ'.repeat(60))).status, 201, '60 characters (not bytes) is fine');
    const ana = await join(server, w.code.toLowerCase(), '  <b>Ana</b> ');
    assert.equal(ana.status, 201, JSON.stringify(ana.body));
    assert.ok(ana.cookie, 'the join sets the attendee cookie');
    const taken = await join(server, w.code, '<B>ANA</B>');
    assert.equal(taken.status, 409);
    assert.match(String(taken.body.error), /already called/);
    assert.equal((await join(server, w.code, 'Cy')).status, 201);
    const full = await join(server, w.code, 'Di');
    assert.equal(full.status, 409);
    assert.match(String(full.body.error), /is full \(3 attendees\)/);
  });

  test('a refused join writes no row: 50 refused joins (name taken, full) leave the attendees table as it was (issue 17 §4)', async () => {
    const w = await openWorkshop(server, { lab: LAB, maxAttendees: 2 });
    assert.equal((await join(server, w.code, 'Ana')).status, 201);
    const count = () => {
      const db = new Database(path.join(server.dataDir, 'labdeck.db'), { readonly: true });
      try {
        return (db.prepare('SELECT COUNT(*) AS n FROM attendees').get() as { n: number }).n;
      } finally {
        db.close();
      }
    };
    const before = count();
    for (let i = 0; i < 25; i++) assert.equal((await join(server, w.code, 'ana')).status, 409, 'name taken');
    assert.equal((await join(server, w.code, 'Bo')).status, 201);
    const after = count();
    assert.equal(after, before + 1, 'Bo joined');
    for (let i = 0; i < 25; i++) assert.equal((await join(server, w.code, `Cy${i}`)).status, 409, 'full');
    assert.equal(count(), after, 'no row for any refused join');
  });

  test('the same browser keeps its seat and its attendee; the workshop lists names as sent, HTML and all', async () => {
    const w = await openWorkshop(server, { lab: LAB, maxAttendees: 1 });
    const first = await join(server, w.code, '<img src=x onerror=alert(1)>');
    assert.equal(first.status, 201);
    const again = await join(server, w.code, '<img src=x onerror=alert(1)>', first.cookie!);
    assert.equal(again.status, 201, 'coming back takes no second seat of a full workshop');
    assert.equal(again.body.attendee, first.body.attendee);
    assert.equal(again.cookie, null, 'the existing session is kept');
    assert.equal(again.body.labUrl, `/labs/${LAB}`);
    const got = WorkshopSchema.parse((await call(server, 'GET', `/api/workshops/${w.id}`, undefined, asInstructor)).body);
    assert.deepEqual(
      got.attendees.map((a) => [a.id, a.name, a.online]),
      [[first.body.attendee, '<img src=x onerror=alert(1)>', false]],
    );
    assert.equal(got.lab, LAB);
    assert.equal(got.code, w.code);
  });

  test('npm run workshop -- open <lab> prints the code and URL of a new workshop; bad use exits 2 with the usage', async () => {
    // Asynchronous on purpose: a spawnSync blocks this process past the server's keep-alive, and the
    // next fetch then reuses a connection the server has already closed ("other side closed").
    const cli = (args: string[], env: Record<string, string> = { INSTRUCTOR_TOKEN }) =>
      new Promise<{ status: number | null; stdout: string; stderr: string }>((resolve) => {
        execFile(
          process.execPath,
          ['--import', 'tsx', path.join(ROOT, 'server', 'admin', 'workshop-cli.ts'), ...args],
          { cwd: ROOT, env: { ...process.env, INSTRUCTOR_TOKEN: '', ...env }, encoding: 'utf8', timeout: 60_000 },
          (err, stdout, stderr) => resolve({ status: err ? (typeof err.code === 'number' ? err.code : null) : 0, stdout, stderr }),
        );
      });
    const ok = await cli(['open', LAB, '--title', 'CLI class', '--max', '12', '--url', server.url]);
    assert.equal(ok.status, 0, ok.stderr);
    const m = /^code: ([A-HJKMNP-Z]{8})\nurl:  (\S+)\nid:   (w-\S+)$/m.exec(ok.stdout);
    assert.ok(m, ok.stdout);
    assert.equal(m[2], `${server.url}/join/${m[1]}`);
    const noLab = await cli(['open', 'no-such-lab', '--url', server.url]);
    assert.equal(noLab.status, 1);
    assert.match(noLab.stderr, /404 no lab named no-such-lab/);
    assert.equal((await cli(['open'], {})).status, 2);
    const noToken = await cli(['open', LAB, '--url', server.url], {});
    assert.equal(noToken.status, 2);
    assert.match(noToken.stderr, /INSTRUCTOR_TOKEN/);
    assert.match((await cli(['open', LAB, '--max', 'lots', '--url', server.url])).stderr, /--max lots: expected a whole number/);
  });

  test('a join from another site or as a form is refused (it would set a cookie)', async () => {
    const w = await openWorkshop(server);
    const cross = await join(server, w.code, 'Mallory', undefined, { Origin: 'http://evil.example' });
    assert.equal(cross.status, 403);
    assert.equal(cross.cookie, null);
    const res = await fetch(`${server.url}/api/join`, { method: 'POST', headers: { 'Content-Type': 'text/plain', Origin: server.url }, body: JSON.stringify({ code: w.code, name: 'Form' }) });
    assert.equal(res.status, 415);
  });

  test('names are compared after NFKC and case folding; invisible characters are refused (issue 17 §7)', async () => {
    const w = await openWorkshop(server);
    assert.equal((await join(server, w.code, 'Ada')).status, 201);
    assert.equal((await join(server, w.code, 'Zoë')).status, 201);
    assert.equal((await join(server, w.code, 'ÉVA')).status, 201);
    const lookAlikes: Array<[string, number]> = [
      ['Ada\u200b', 400],
      ['\u2060Ada', 400],
      ['A\u200dda', 400],
      ['Ada\ufeff', 409],
      ['\u202eAda', 400],
      ['Ａｄａ', 409],
      ['ada', 409],
      ['ADA', 409],
      ['Zoe\u0308', 409],
      ['éva', 409],
    ];
    for (const [name, status] of lookAlikes) {
      const r = await join(server, w.code, name);
      assert.equal(r.status, status, `${JSON.stringify(name)}: ${JSON.stringify(r.body)}`);
    }
    const got = WorkshopSchema.parse((await call(server, 'GET', `/api/workshops/${w.id}`, undefined, asInstructor)).body);
    assert.deepEqual(got.attendees.map((a) => a.name).sort(), ['Ada', 'Zoë', 'ÉVA'].sort());
    const wide = await join(server, w.code, 'Ｂｏ　Ｌｉ');
    assert.equal(wide.status, 201);
    assert.equal(wide.body.name, 'Bo Li', 'the name is kept in its NFKC form');
  });

  test('the instructor closes and reopens joining; members keep their seat meanwhile (issue 17 §2)', async () => {
    const w = await openWorkshop(server);
    const ana = await join(server, w.code, 'Ana');
    assert.equal(ana.status, 201);
    const closed = await call(server, 'PUT', `/api/workshops/${w.id}/joins`, { open: false }, asInstructor);
    assert.equal(closed.status, 200, JSON.stringify(closed.body));
    assert.deepEqual(closed.body, { joinsOpen: false });
    const listed = WorkshopListSchema.parse((await call(server, 'GET', '/api/workshops', undefined, asInstructor)).body).find((x) => x.id === w.id);
    assert.equal(listed?.joinsOpen, false);
    const late = await join(server, w.code, 'Bo');
    assert.equal(late.status, 409);
    assert.match(String(late.body.error), /closed joining/);
    assert.equal(late.cookie, null);
    assert.equal((await join(server, w.code, 'Ana', ana.cookie!)).status, 201, 'a member coming back keeps the seat');
    assert.equal((await call(server, 'PUT', `/api/workshops/${w.id}/joins`, { open: 'no' }, asInstructor)).status, 400);
    assert.equal((await call(server, 'PUT', `/api/workshops/${w.id}/joins`, { open: true }, asInstructor)).status, 200);
    assert.equal((await join(server, w.code, 'Bo')).status, 201);
  });

  test('GET /api/instructor/attendees pages with a limit and a cursor (issue 17 §4)', async () => {
    const w = await openWorkshop(server);
    const mine = new Set<string>();
    for (const name of ['P1', 'P2', 'P3', 'P4', 'P5']) mine.add(String((await join(server, w.code, name)).body.attendee));
    const seen: string[] = [];
    let cursor: string | null = null;
    let total = -1;
    do {
      const r = await call(server, 'GET', `/api/instructor/attendees?limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`, undefined, asInstructor);
      assert.equal(r.status, 200, JSON.stringify(r.body));
      const page = InstructorAttendeePageSchema.parse(r.body);
      assert.ok(page.attendees.length <= 2);
      seen.push(...page.attendees.map((a) => a.attendee));
      total = page.total;
      cursor = page.next;
    } while (cursor);
    assert.equal(new Set(seen).size, seen.length, 'no row twice');
    assert.equal(seen.length, total);
    for (const id of mine) assert.ok(seen.includes(id), id);
    for (const bad of ['limit=0', 'limit=501', 'limit=x', 'cursor=%20nope']) {
      assert.equal((await call(server, 'GET', `/api/instructor/attendees?${bad}`, undefined, asInstructor)).status, 400, bad);
    }
  });
});

/** A join sent from `from` (any 127/8 address): the budgets are per client address. */
function joinFrom(server: RunningServer, from: string, code: string, name: string): Promise<{ status: number; retryAfter: string | undefined; body: string }> {
  const body = JSON.stringify({ code, name });
  return new Promise((resolve, reject) => {
    const url = new URL(server.url);
    const req = request(
      { host: url.hostname, port: url.port, path: '/api/join', method: 'POST', localAddress: from, headers: { 'Content-Type': 'application/json', Origin: server.url, 'Content-Length': Buffer.byteLength(body) } },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (text += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, retryAfter: res.headers['retry-after'], body: text }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

describe('a budget of failed joins, per address and overall (issue 17 §2)', () => {
  let server: RunningServer;
  before(async () => {
    server = await startServer();
  });
  after(() => server?.stop());

  test('20 wrong codes from one address, then 429 with Retry-After, the right code included; another address still joins', async () => {
    const w = await openWorkshop(server);
    const from = '127.0.3.1';
    for (let i = 0; i < 20; i++) assert.equal((await joinFrom(server, from, 'ZZZZZZZZ', 'Guess')).status, 404);
    const refused = await joinFrom(server, from, 'ZZZZZZZZ', 'Guess');
    assert.equal(refused.status, 429, refused.body);
    assert.ok(Number(refused.retryAfter) >= 1, `Retry-After: ${refused.retryAfter}`);
    assert.match(refused.body, /wrong workshop codes.*\d+ seconds?/);
    assert.equal((await joinFrom(server, from, w.code, 'Ana')).status, 429, 'while limited no code is checked');
    assert.equal((await joinFrom(server, '127.0.3.2', w.code, 'Ana')).status, 201);
  });

  test('many addresses together meet the overall budget: 429 for everyone once 300 guesses failed', async () => {
    let failed = 0;
    let overall: { status: number; body: string } | null = null;
    for (let a = 1; a <= 40 && !overall; a++) {
      for (let i = 0; i < 20 && !overall; i++) {
        const r = await joinFrom(server, `127.0.4.${a}`, 'ZZZZZZZZ', 'Guess');
        if (r.status === 404) failed++;
        else overall = r;
      }
    }
    assert.ok(overall, `no overall limit after ${failed} failed joins`);
    assert.equal(overall.status, 429);
    assert.match(overall.body, /this server/);
    // The test above spent 20 of the 300; whatever refilled meanwhile only adds to this count.
    assert.ok(failed + 20 >= 300, `${failed} failed joins (and 20 before) until the overall limit`);
  });
});

describe('no join, no shell (REQUIRE_JOIN=1, local driver)', () => {
  const rows = () => {
    const db = new Database(path.join(dataDir, 'labdeck.db'), { readonly: true });
    try {
      return (db.prepare('SELECT COUNT(*) AS n FROM attendees').get() as { n: number }).n;
    } finally {
      db.close();
    }
  };
  const dataDir = mkdtempSync(path.join(tmpdir(), 'labdeck-join-'));
  let server: RunningServer;
  before(async () => {
    server = await startServer({ REQUIRE_JOIN: '1' }, { dataDir });
  });
  after(async () => {
    await server?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  test('a socket whose attendee has not joined gets a join-required error and no shell; after joining, a shell', async () => {
    const cookie = await server.newAttendee();
    const refused = new TermClient(server.url, cookie);
    await refused.opened();
    refused.hello();
    const error = await refused.waitForMessage('error', 10_000);
    assert.equal(error.code, 'join-required');
    assert.equal(error.fatal, true);
    assert.match(error.message, /\/join/);
    await refused.until(() => refused.closed, 'the socket to close');
    assert.equal(refused.closed?.code, 4011);
    assert.ok(!refused.messages.some((m) => m.type === 'ready'), 'no shell');
    const stats = (await (await server.instructor('/api/stats')).json()) as { sessions: number };
    assert.equal(stats.sessions, 0, 'no session was created');

    const w = await openWorkshop(server);
    assert.equal((await join(server, w.code, 'Ana', cookie)).status, 201);
    const term = new TermClient(server.url, cookie);
    await term.opened();
    term.hello();
    await term.waitForMessage('ready', 30_000);
    term.type('echo joi$((1+1))ned\r');
    await term.waitForOutput(/joi2ned/);
    term.close();
  });

  test('POST /api/me makes no attendee: 100 without a cookie, nor one whose browser has not joined (issue 17 §4)', async () => {
    const before = rows();
    for (let i = 0; i < 100; i++) {
      const r = await call(server, 'POST', '/api/me', { name: `Ghost ${i}` });
      assert.notEqual(r.status, 200);
      assert.equal(r.cookie, null, 'no cookie minted');
    }
    const cookie = await server.newAttendee();
    const unjoined = await call(server, 'POST', '/api/me', { name: 'Ghost' }, { Cookie: cookie });
    assert.equal(unjoined.status, 403);
    assert.match(String(unjoined.body.error), /join/i);
    assert.equal(rows(), before);
  });

  test('a closed workshop gives no new shell either', async () => {
    const w = await openWorkshop(server);
    const joined = await join(server, w.code, 'Bo');
    assert.equal(joined.status, 201);
    // No close route in this slice: close it in the store the way a later one will, through the file.
    await server.stop('SIGTERM');
    const db = new Database(path.join(dataDir, 'labdeck.db'));
    db.prepare("UPDATE workshops SET state = 'closed' WHERE id = ?").run(w.id);
    db.close();
    const again = await startServer({ REQUIRE_JOIN: '1' }, { dataDir });
    server = again;
    const term = new TermClient(again.url, joined.cookie);
    await term.opened();
    term.hello();
    const error = await term.waitForMessage('error', 10_000);
    assert.equal(error.code, 'join-required');
    assert.match(error.message, /is closed/);
    term.close();
  });
});
