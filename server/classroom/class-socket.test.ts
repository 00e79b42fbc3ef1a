// The class socket's bounds, on a real HTTP server, a real SQLite store and a real WebSocket client:
// a burst of writes becomes a frame or two, and an instructor socket that stops reading makes the
// server skip frames (not queue them) and snapshot it once it reads again.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Socket } from 'node:net';
import WebSocket from 'ws';
import { ClassClient } from '../../common/class-client.js';
import { CLASS_PATH, type ClassRow, type ClassServerMessage } from '../../common/class-protocol.js';
import { instructorProtocols } from '../../common/instructor-socket.js';
import { Auth } from '../http/auth.js';
import { HostGuard } from '../http/host-guard.js';
import { createLogger } from '../log.js';
import { SocketServer } from '../sockets/socket-server.js';
import { openStore, type Store } from '../store/index.js';
import { WORKSHOP_RULES } from '../workshop/states.js';
import { ClassSocket, type ClassSocketOptions } from './class-socket.js';

const TOKEN = 'class-socket-test-token';
let server: http.Server;
let port = 0;
let store: Store;
let classSocket: ClassSocket;
let sockets: SocketServer;
// The tick is what snapshots a drained socket when nothing else is written (production: 1 s).
const opts: Partial<ClassSocketOptions> = { minIntervalMs: 5, tickMs: 200, maxBufferedBytes: 16 * 1024 };

before(async () => {
  store = openStore(':memory:', WORKSHOP_RULES);
  const auth = new Auth(Buffer.from('s'.repeat(32)), TOKEN, new HostGuard([], '127.0.0.1', () => port), false);
  const log = createLogger(true);
  classSocket = new ClassSocket({ auth, store: { ...store.reads, ...store.workshops, ...store.events }, session: () => undefined, stepCount: () => 10, stepTitles: () => [], log }, opts);
  sockets = new SocketServer(log, { pingEveryMs: 30_000, originAllowed: (req) => auth.originAllowed(req) });
  sockets.add(classSocket);
  server = http.createServer((_req, res) => res.end());
  server.on('upgrade', (req, socket, head) => {
    if (!sockets.handleUpgrade(req, socket, head, new URL(req.url ?? '/', 'http://x'))) socket.destroy();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});

after(() => {
  classSocket.close();
  sockets.close();
  server.close();
  store.close();
});

interface Watching {
  ws: WebSocket;
  frames: ClassServerMessage[];
  /** Text frames that were not valid class frames: asserted empty by the test, never inside a socket handler. */
  invalid: string[];
  /** The roster as the one fold (applyClassFrame) builds it. */
  row(id: string): ClassRow | undefined;
  until<T>(pred: () => T | null | undefined | false, what: string): Promise<T>;
}

function watch(workshop: string): Watching {
  const url = `ws://127.0.0.1:${port}${CLASS_PATH}?workshop=${workshop}`;
  const ws = new WebSocket(url, instructorProtocols(TOKEN), { headers: { Origin: `http://127.0.0.1:${port}` } });
  const frames: ClassServerMessage[] = [];
  const invalid: string[] = [];
  let wake = () => {};
  const client = new ClassClient(ws, {
    onFrame: (frame) => {
      frames.push(frame);
      wake();
    },
    onInvalid: (error) => {
      invalid.push(error);
      wake();
    },
  });
  return {
    ws,
    frames,
    invalid,
    row: (id) => client.roster.rows.find((r) => r.id === id),
    async until(pred, what) {
      const deadline = Date.now() + 15_000;
      for (;;) {
        const v = pred();
        if (v) return v;
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
        await new Promise<void>((r) => {
          wake = r;
          setTimeout(r, 100);
        });
      }
    },
  };
}

function workshopOf(n: number, nameLength = 10): { id: string; members: string[] } {
  const w = store.workshops.createWorkshop({ labId: 'lab', title: 'T', maxAttendees: 1000 });
  const members = Array.from({ length: n }, (_, i) => {
    const id = `a-${w.id.slice(2, 8)}${String(i).padStart(4, '0')}`;
    assert.equal(store.workshops.join(id, w.id, `${String(i).padStart(4, '0')}${'x'.repeat(nameLength - 4)}`).ok, true);
    return id;
  });
  return { id: w.id, members };
}

test('a burst of writes is coalesced: 200 Run clicks arrive as a few updates, not 200', async () => {
  const { id, members } = workshopOf(1);
  const c = watch(id);
  await c.until(() => c.frames.find((f) => f.type === 'snapshot'), 'the snapshot');
  store.progress.recordProgress(members[0]!, 'lab', 0);
  for (let i = 0; i < 200; i++) store.progress.recordRun(members[0]!, 'lab', `b${i}`);
  await c.until(() => c.row(members[0]!)?.runs === 200, '200 runs');
  const updates = c.frames.filter((f) => f.type === 'update').length;
  assert.ok(updates <= 2, `${updates} updates for one burst`);
  assert.deepEqual(c.invalid, []);
  c.ws.close();
});

test('an instructor socket that stops reading: frames are skipped, never queued; once it reads, one snapshot brings it up to date', async () => {
  const { id, members } = workshopOf(200, 60);
  const c = watch(id);
  await c.until(() => c.frames.find((f) => f.type === 'snapshot'), 'the snapshot');
  const before = { ...classSocket.stats };
  const tcp = (c.ws as unknown as { _socket: Socket })._socket;
  tcp.pause();
  // Every member moves on, again and again (each flush would send 200 rows of ~300 bytes), until the
  // kernel's buffers are full and the server has had to skip frames for this socket.
  const bound = 16 * 1024 + 128 * 1024;
  let round = 0;
  while (classSocket.stats.skipped === before.skipped && classSocket.stats.maxBuffered < bound && round < 2000) {
    round++;
    for (const m of members) store.progress.recordProgress(m, 'lab', round % 10);
    await new Promise((r) => setTimeout(r, 10));
  }
  assert.ok(classSocket.stats.skipped > before.skipped, `no frame skipped after ${round} rounds; ${classSocket.stats.maxBuffered} bytes held`);
  // A few more rounds while it is stale: all skipped, nothing queued.
  for (let more = 0; more < 20; more++) {
    round++;
    for (const m of members) store.progress.recordProgress(m, 'lab', round % 10);
    await new Promise((r) => setTimeout(r, 10));
  }
  // What the server holds for it is bounded by the threshold plus one frame (a snapshot of 100 rows here).
  assert.ok(classSocket.stats.maxBuffered < bound, `held ${classSocket.stats.maxBuffered} bytes`);
  tcp.resume();
  const last = round % 10;
  store.progress.recordProgress(members[0]!, 'lab', last === 9 ? 8 : 9); // one more write, so a flush notices the drained socket
  await c.until(() => members.slice(1).every((m) => c.row(m)?.step === last) && c.row(members[0]!)?.step === (last === 9 ? 8 : 9), 'every row up to date');
  assert.ok(classSocket.stats.snapshots > before.snapshots, 'the stale socket got a snapshot');
  assert.deepEqual(c.invalid, []);
  c.ws.close();
});

test('a member who moves to another workshop leaves the roster: the update names them in `removed`, and the fold drops them', async () => {
  const { id, members } = workshopOf(2);
  const [stays, moves] = members as [string, string];
  const c = watch(id);
  await c.until(() => c.frames.find((f) => f.type === 'snapshot'), 'the snapshot');
  assert.ok(c.row(moves), 'both members are on the roster first');
  const other = store.workshops.createWorkshop({ labId: 'lab', title: 'Other', maxAttendees: 10 });
  assert.equal(store.workshops.join(moves, other.id, 'Moved').ok, true);
  await c.until(() => c.frames.find((f) => f.type === 'update' && f.removed.includes(moves)), 'the removal pushed');
  assert.equal(c.row(moves), undefined, 'gone from the roster');
  assert.equal(c.row(stays)?.id, stays, 'the other member stays');
  assert.deepEqual(c.invalid, []);
  c.ws.close();
});
