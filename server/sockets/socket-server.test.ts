// The one WebSocket server and its per-socket rules (issue 18 §4), over real `ws` sockets on a real HTTP
// server: routing by path, the Origin check, the subprotocol answered only when offered, the frame
// parser and its bad-frame budget, the payload bound, the hello deadline, and bounded send.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import WebSocket from 'ws';
import { z } from 'zod';
import type { FrameErrorCode } from '../../common/frame.js';
import { createLogger } from '../log.js';
import { EndpointSocket, ruleStats, type SocketRules } from './endpoint.js';
import { SocketServer, type Endpoint, type Refusal } from './socket-server.js';

const inMsg = z.discriminatedUnion('type', [z.object({ type: z.literal('hello') }).strict(), z.object({ type: z.literal('flood'), bytes: z.number().int() }).strict()]);
type In = z.infer<typeof inMsg>;
type Out = { type: 'error'; code: FrameErrorCode | 'late'; message: string; fatal?: boolean } | { type: 'hi' };

class TestEndpoint implements Endpoint {
  readonly upgrades = { connections: 0, rejectedUpgrades: 0 };
  readonly stats = ruleStats();
  readonly maxPayload = 8 * 1024;
  constructor(
    readonly path: string,
    readonly name: string,
    private readonly rules: SocketRules,
    readonly protocol?: string,
  ) {}
  admit(req: http.IncomingMessage): Refusal | ((ws: WebSocket) => void) {
    if (req.headers['x-refuse']) return { status: 401, why: 'refused by the endpoint' };
    return (ws) => {
      const sock: EndpointSocket<In, Out, 'late'> = new EndpointSocket(ws, this.rules, {
        name: this.name,
        fields: {},
        log: createLogger(true),
        stats: this.stats,
        schema: inMsg,
        error: (code, message, fatal) => ({ type: 'error', code, message, ...(fatal ? { fatal } : {}) }),
        onFrame: (msg) => {
          if (msg.type === 'hello') {
            sock.greeted();
            return sock.send({ type: 'hi' });
          }
          // Sends without waiting: what the socket cannot take piles up in this process.
          for (let sent = 0; sent < msg.bytes && sock.open; sent += 64 * 1024) sock.sendBinary(Buffer.alloc(64 * 1024));
        },
        onHelloTimeout: () => sock.refuse('late', 'no hello in time', 4010),
      });
    };
  }
}

const rules: SocketRules = { maxFrameBytes: 1024, maxPayload: 8 * 1024, maxBadFrames: 3, maxBufferedBytes: 256 * 1024 };
const plain = new TestEndpoint('/plain', 'plain', rules);
const guarded = new TestEndpoint('/guarded', 'guarded', { ...rules, helloTimeoutMs: 300 }, 'p.v1');
// A larger endpoint: the server reads frames up to its bound, the smaller ones close above their own.
const big: Endpoint = { path: '/big', name: 'big', maxPayload: 1024 * 1024, upgrades: { connections: 0, rejectedUpgrades: 0 }, admit: () => (ws) => ws.close() };
let server: http.Server;
let sockets: SocketServer;
let port = 0;

before(async () => {
  sockets = new SocketServer(createLogger(true), { pingEveryMs: 60_000, originAllowed: (req) => req.headers.origin === `http://127.0.0.1:${port}` });
  for (const e of [plain, guarded, big]) sockets.add(e);
  server = http.createServer((_req, res) => res.end());
  server.on('upgrade', (req, socket, head) => {
    if (!sockets.handleUpgrade(req, socket, head, new URL(req.url ?? '/', 'http://x'))) socket.end('HTTP/1.1 404 Not Found\r\n\r\n');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});

after(() => {
  sockets.close();
  server.close();
});

interface Opened {
  ws: WebSocket;
  frames: Out[];
  closed: Promise<{ code: number; reason: string }>;
}

function open(path: string, protocols: string[] = [], headers: Record<string, string> = {}): Promise<Opened> {
  const ws = new WebSocket(`ws://127.0.0.1:${port}${path}`, protocols, { headers: { Origin: `http://127.0.0.1:${port}`, ...headers } });
  const frames: Out[] = [];
  ws.on('message', (data, isBinary) => {
    if (!isBinary) frames.push(JSON.parse((data as Buffer).toString('utf8')) as Out);
  });
  const closed = new Promise<{ code: number; reason: string }>((resolve) => ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })));
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve({ ws, frames, closed }));
    ws.once('unexpected-response', (_req, res) => reject(new Error(`refused: ${res.statusCode}`)));
    ws.once('error', reject);
  });
}

async function frame(o: Opened, pred: (f: Out) => boolean): Promise<Out> {
  for (let i = 0; i < 200; i++) {
    const f = o.frames.find(pred);
    if (f) return f;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`no such frame in ${JSON.stringify(o.frames)}`);
}

test('the subprotocol is answered only when the client offered it; an endpoint without one answers none', async () => {
  const offered = await open('/guarded', ['p.v1', 'labdeck.bearer.c2VjcmV0']);
  assert.equal(offered.ws.protocol, 'p.v1', 'the protocol, never the bearer offer');
  offered.ws.close();
  // The `ws` client refuses a handshake that answers none of its offers (a browser accepts it, with protocol '').
  await assert.rejects(open('/guarded', ['something-else']), /Server sent no subprotocol/, 'not offered: not answered');
  await assert.rejects(open('/plain', ['x', 'y']), /Server sent no subprotocol/, '`ws` alone would echo the first offer');
  const bare = await open('/plain');
  assert.equal(bare.ws.protocol, '');
  bare.ws.close();
});

test('refused before the upgrade: a foreign Origin (403), the endpoint\'s own check; an unknown path is left to the caller', async () => {
  await assert.rejects(open('/plain', [], { Origin: 'http://evil.example' }), /refused: 403/);
  await assert.rejects(open('/plain', [], { 'X-Refuse': '1' }), /refused: 401/);
  await assert.rejects(open('/nowhere'), /refused: 404/);
  assert.equal(plain.upgrades.rejectedUpgrades, 2);
});

test('refused frames are answered with their code; past the budget the socket is told and closed (4008)', async () => {
  const o = await open('/plain');
  o.ws.send('{');
  o.ws.send('{"type":"nope"}');
  o.ws.send(Buffer.from([1, 2]), { binary: true });
  o.ws.send('x'.repeat(2000));
  o.ws.send('{');
  const codes = await (async () => {
    const { code } = await o.closed;
    return { code, errors: o.frames.map((f) => (f.type === 'error' ? f.code : f.type)) };
  })();
  assert.deepEqual(codes, { code: 4008, errors: ['bad-json', 'bad-message', 'binary-not-accepted', 'too-many-errors'] });
  assert.equal(plain.stats.droppedClients, 1);
});

test('a frame above the endpoint\'s payload bound closes it (1009), though the server reads larger ones for another endpoint', async () => {
  const o = await open('/plain');
  o.ws.send('x'.repeat(9 * 1024));
  assert.equal((await o.closed).code, 1009);
});

test('the hello deadline: a socket that never greets is refused; one that does is not', async () => {
  const late = await open('/guarded', ['p.v1']);
  const ok = await open('/guarded', ['p.v1']);
  ok.ws.send('{"type":"hello"}');
  await frame(ok, (f) => f.type === 'hi');
  assert.equal((await late.closed).code, 4010);
  assert.deepEqual(late.frames, [{ type: 'error', code: 'late', message: 'no hello in time', fatal: true }]);
  assert.equal(ok.ws.readyState, WebSocket.OPEN);
  ok.ws.close();
});

test('bounded send: a client that does not read is terminated once the server holds more than the bound for it', async () => {
  const o = await open('/plain');
  const before = plain.stats.terminated;
  const tcp = (o.ws as unknown as { _socket: { pause(): void; resume(): void } })._socket;
  tcp.pause();
  o.ws.send(JSON.stringify({ type: 'flood', bytes: 64 * 1024 * 1024 }));
  for (let i = 0; i < 500 && plain.stats.terminated === before; i++) await new Promise((r) => setTimeout(r, 10));
  assert.equal(plain.stats.terminated, before + 1, 'terminated');
  tcp.resume();
  const { code } = await o.closed;
  assert.equal(code, 1006, 'cut, not closed politely');
});
