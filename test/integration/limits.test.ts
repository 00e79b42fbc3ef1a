// One client cannot exhaust the server (issue 8, item 5): each limit attacked by a hostile client on a
// real server with real bash and real WebSockets; memory and CPU read from the server itself.
import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import Database from 'better-sqlite3';
import WebSocket from 'ws';
import { HIGH_WATERMARK, INPUT_CHUNK_CHARS } from '../../common/protocol.js';
import { readyTerminal, startServer, TermClient, type RunningServer } from '../support/server.js';

const MB = 1024 * 1024;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
let server: RunningServer;

before(async () => {
  server = await startServer();
});
after(async () => {
  await server?.stop();
});

interface Stats {
  sessions: number;
  gateway: { limited: number };
  memory: NodeJS.MemoryUsage;
}
async function stats(): Promise<Stats> {
  return (await (await server.instructor('/api/stats')).json()) as Stats;
}

/**
 * Memory the server holds for data: JS heap plus Buffers (RSS keeps freed pages, so it is not used),
 * the least of a few samples over 2 s, so garbage not yet collected (frames already parsed) is not
 * counted as held.
 */
async function heldBytes(): Promise<number> {
  let least = Infinity;
  for (let i = 0; i < 8; i++) {
    const m = (await stats()).memory;
    least = Math.min(least, m.heapUsed + m.external);
    await sleep(250);
  }
  return least;
}

/** CPU seconds (user + system) the server process has used so far, from /proc. */
function cpuSeconds(pid: number): number {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(f[11]) + Number(f[12])) / 100;
}

/** Wait until the client's socket has handed everything to the kernel. */
async function flushed(t: TermClient): Promise<void> {
  while (t.ws.bufferedAmount > 0 && t.ws.readyState === WebSocket.OPEN) await sleep(20);
}

/** Count of `re` matches in `s`. */
const count = (s: string, re: RegExp) => s.match(new RegExp(re.source, 'g'))?.length ?? 0;

describe('input to a shell that does not read', () => {
  test('32 MiB typed into `sleep 600` is refused past the bound; Ctrl-C gets through at once', async (t) => {
    const { term } = await readyTerminal(server);
    term.type('sleep 600\r');
    await sleep(300);
    const before = await heldBytes();
    const chunk = 'a'.repeat(INPUT_CHUNK_CHARS);
    for (let i = 0; i < (32 * MB) / INPUT_CHUNK_CHARS; i++) term.type(chunk);
    await flushed(term);
    const grown = (await heldBytes()) - before;
    // Before the bound: node-pty queued all 32 MiB (+51 MB that stayed). The level is only reported:
    // 32 MiB of parsed frames leave garbage V8 may not collect for a while (+20.9 MB read once under
    // load, against a bound of ~1 MiB), so what proves the bound is behaviour: the server says it
    // dropped input, and Ctrl-C reaches the shell at once instead of behind 32 MiB of `a`s.
    t.diagnostic(`server held +${(grown / MB).toFixed(1)} MB after 32 MiB of input (not asserted: uncollected garbage counts)`);
    await term.until(() => term.messages.find((m) => m.type === 'error' && m.code === 'input-overflow'), 'an input-overflow error', 30_000);
    term.type('\x03');
    term.type('echo he$((1+1))llo\r');
    // The queued `a`s are gone with the Ctrl-C: the command is not glued to them.
    await term.waitForOutput(/[\r\n]he2llo\r\n/, 15_000);
    assert.doesNotMatch(term.output.slice(-2000), /command not found/);
    term.close();
  });

  test('a raw-mode program that never reads does not keep the server busy', async (t) => {
    const { term } = await readyTerminal(server);
    term.type('stty raw -echo; sleep 600\r');
    await sleep(300);
    for (let i = 0; i < 8; i++) term.type('b'.repeat(INPUT_CHUNK_CHARS));
    await flushed(term);
    await sleep(300);
    const pid = server.proc.pid!;
    const cpu0 = cpuSeconds(pid);
    await sleep(2000);
    const used = cpuSeconds(pid) - cpu0;
    // node-pty's own queue retried EAGAIN on every event-loop turn: ~1 CPU second per second.
    t.diagnostic(`server CPU ${used.toFixed(2)} s in 2 s with a stalled pty`);
    assert.ok(used < 0.5, `server used ${used.toFixed(2)} s of CPU in 2 s with a stalled pty`);
    term.close();
  });
});

describe('output to a client that does not read', () => {
  test('acks without reading do not grow the server: the socket buffer bounds output too', async (t) => {
    const { term } = await readyTerminal(server);
    term.autoAck = false;
    term.type('yes\r');
    await term.waitForOutput(/y\r\ny\r\n/);
    // Stop reading the socket and lie: ack far more than was read, as often as the protocol allows.
    (term.ws as unknown as { pause(): void }).pause();
    const liar = setInterval(() => term.send({ type: 'ack', bytes: HIGH_WATERMARK * 4 }), 10);
    // Growth while the lie goes on, not the level: the level also counts garbage V8 has not collected
    // (an idle server may not collect for seconds; one run read +16 MB of it), while what a lying client
    // makes the server hold grows with time. Before the fix: +80 MB in 8 s, linearly (~10 MB/s).
    await sleep(2000);
    const early = await heldBytes();
    await sleep(4000);
    const late = await heldBytes();
    clearInterval(liar);
    const grown = late - early;
    t.diagnostic(`server held +${(grown / MB).toFixed(1)} MB more over the last 6 s of lying acks`);
    assert.ok(grown < 8 * MB, `server grew by ${(grown / MB).toFixed(1)} MB in 6 s of lying acks`);
    term.ws.terminate();
  });
});

describe('Run', () => {
  test('at most one Run waits; the rest are refused; typing stops when the client is gone', async () => {
    const { term, cookie } = await readyTerminal(server);
    for (let i = 0; i < 5000; i++) term.send({ type: 'run', labId: 'kubernetes-meets-rust', blockId: 'kubectl-client' });
    // One typing and one waiting; a block that finishes while the frames still arrive lets a few more in.
    await term.until(() => term.messages.filter((m) => m.type === 'error' && m.code === 'busy').length >= 4900, '4900 busy errors', 30_000);
    await term.waitForOutput(/kubectl version --client/, 10_000);
    term.close();
    await term.until(() => term.closed, 'close');
    await sleep(500);

    const again = new TermClient(server.url, cookie);
    await again.opened();
    again.hello(80, 24, true);
    await again.waitForMessage('ready');
    again.type('\x15echo mark-$((1+1))\r');
    await again.waitForOutput(/[\r\n]mark-2\r\n/);
    const from = again.output.length;
    await sleep(2500);
    // Before: the 5000 queued blocks went on typing into the shell after the client left.
    assert.equal(count(again.output.slice(from), /kubectl version --client/), 0, again.output.slice(from, from + 400));
    again.close();
  });
});

describe('connections', () => {
  test('a socket that never says hello is closed', async () => {
    const cookie = await server.newAttendee();
    const t = new TermClient(server.url, cookie);
    await t.opened();
    await t.until(() => t.closed, 'the server to close a silent socket', 20_000);
    assert.equal(t.closed!.code, 4010);
    assert.ok(t.messages.some((m) => m.type === 'error' && m.code === 'hello-timeout'));
  });

  test('one attendee cannot hold more than a few sockets', async () => {
    const cookie = await server.newAttendee();
    const socks = Array.from({ length: 12 }, () => new TermClient(server.url, cookie));
    await Promise.all(socks.map((s) => s.opened()));
    await socks[11]!.until(() => socks.filter((s) => s.closed?.code === 4029).length >= 4, 'four sockets closed with 4029');
    assert.equal(socks.filter((s) => s.closed?.code === 4029).length, 4);
    for (const s of socks) s.close();
  });

  test('new sessions are rate-limited for everyone, and a whole room behind one address still gets in', async () => {
    const n = 60;
    const cookies = await Promise.all(Array.from({ length: n }, () => server.newAttendee()));
    const t0 = Date.now();
    const first = cookies.map((c) => new TermClient(server.url, c));
    await Promise.all(first.map((t) => t.opened()));
    for (const t of first) t.hello();
    await Promise.all(first.map((t) => t.until(() => t.closed || t.messages.some((m) => m.type === 'ready'), 'ready or refused', 30_000)));
    const refused = first.filter((t) => t.closed?.code === 1013);
    assert.ok(refused.length > 0, 'some hellos were told busy');
    assert.ok(refused.every((t) => t.messages.some((m) => m.type === 'error' && m.code === 'busy' && !m.fatal)));
    const started = (await stats()).sessions;
    const allowed = 40 + 10 * ((Date.now() - t0) / 1000) + 1;
    assert.ok(started <= allowed + 20, `${started} sessions started (burst 40 + 10/s allows ${allowed.toFixed(0)}, plus earlier tests' sessions)`);
    // Everyone refused retries, as the page does, and gets in: nobody is locked out.
    for (const t of refused) {
      const cookie = cookies[first.indexOf(t)]!;
      for (let attempt = 0; ; attempt++) {
        const again = new TermClient(server.url, cookie);
        await again.opened();
        again.hello();
        await again.until(() => again.closed || again.messages.some((m) => m.type === 'ready'), 'ready or refused', 30_000);
        if (again.messages.some((m) => m.type === 'ready')) {
          again.close();
          break;
        }
        assert.ok(attempt < 50, 'a refused attendee got in within 50 retries');
        await sleep(200);
      }
    }
    for (const t of first) t.close();
  });
});

describe('progress reports (issue 17 §5: progress was whatever the attendee said)', () => {
  const LAB = 'kubernetes-meets-rust';
  /** The database and its write-ahead log, in bytes. */
  const dbBytes = () => ['labdeck.db', 'labdeck.db-wal'].reduce((n, f) => n + (statSync(path.join(server.dataDir, f), { throwIfNoEntry: false })?.size ?? 0), 0);
  const query = <T>(sql: string, ...args: unknown[]): T => {
    const db = new Database(path.join(server.dataDir, 'labdeck.db'), { readonly: true });
    try {
      return db.prepare(sql).get(...args) as T;
    } finally {
      db.close();
    }
  };

  test('2000 made-up progress frames store nothing and grow the database by at most 64 KiB', async (t) => {
    const { term } = await readyTerminal(server);
    const attendee = (await term.waitForMessage('ready')).attendee;
    term.type('echo be$((1+1))fore\r');
    await term.waitForOutput(/be2fore/);
    const before = dbBytes();
    const from = term.messages.length;
    for (let i = 0; i < 2000; i++) term.send(i % 2 ? { type: 'progress', labId: `made-up-${i}`, step: i % 7 } : { type: 'progress', labId: LAB, step: 9999 });
    await flushed(term);
    // Frames are handled in order: once this command's output is back, every progress frame was.
    term.type('echo af$((1+1))ter\r');
    await term.waitForOutput(/af2ter/);
    const grown = dbBytes() - before;
    t.diagnostic(`the database and its WAL grew by ${grown} bytes for 2000 made-up progress frames`);
    assert.ok(grown <= 64 * 1024, `the database grew by ${grown} bytes`);
    const stored = query<{ n: number }>('SELECT COUNT(*) AS n FROM step_progress WHERE attendee = ?', attendee);
    const events = query<{ n: number }>("SELECT COUNT(*) AS n FROM events WHERE attendee = ? AND kind = 'step'", attendee);
    assert.deepEqual([stored.n, events.n], [0, 0], 'no step stored, none logged');
    const refused = term.messages.slice(from).filter((m) => m.type === 'error' && m.code === 'unknown-step');
    assert.ok(refused.length >= 1 && refused.length <= 21, `${refused.length} refusals: the rate bounds the answers too`);
    assert.equal(term.closed, null, 'the page is told, not dropped');
    term.close();
  });

  test('a flood of real steps is rate-limited, and the step the attendee lands on is still stored', async (t) => {
    const { term } = await readyTerminal(server);
    const attendee = (await term.waitForMessage('ready')).attendee;
    const started = Date.now();
    for (let i = 0; i < 2000; i++) term.send({ type: 'progress', labId: LAB, step: i % 2 });
    term.send({ type: 'progress', labId: LAB, step: 5 });
    await flushed(term);
    term.type('echo fl$((1+1))ood\r');
    await term.waitForOutput(/fl2ood/);
    // The last report waits for the next token (half a second at 2 a second), then it is the attendee's step.
    let at: { labId: string | null; step: number | null } = { labId: null, step: null };
    for (let i = 0; i < 100 && at.step !== 5; i++) {
      at = query<{ labId: string | null; step: number | null }>('SELECT lab_id AS labId, step FROM attendees WHERE id = ?', attendee);
      await sleep(50);
    }
    assert.deepEqual(at, { labId: LAB, step: 5 });
    const seconds = (Date.now() - started) / 1000;
    const moves = query<{ n: number }>("SELECT COUNT(*) AS n FROM events WHERE attendee = ? AND kind = 'step'", attendee).n;
    t.diagnostic(`${moves} step events stored for 2001 real progress frames in ${seconds.toFixed(1)} s`);
    assert.ok(moves <= 20 + Math.ceil(2 * seconds) + 1, `${moves} steps logged in ${seconds.toFixed(1)} s: at most the burst (20) and 2 a second`);
    term.close();
  });
});
