// Hostile input and server restarts, against the real server.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { readyTerminal, startServer, TermClient } from '../support/server.js';
import { rawRequest, type RawAnswer } from '../support/raw-http.js';

/** A small deterministic PRNG so a failing fuzz run can be repeated (seed printed on failure). */
function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const VALID = [
  { type: 'resize', cols: 80, rows: 24 },
  { type: 'ack', bytes: 1000 },
  { type: 'ping', t: 1 },
  { type: 'progress', labId: 'kubernetes-meets-rust', step: 1 },
  { type: 'hello', version: 1, cols: 80, rows: 24 },
];
const WEIRD: unknown[] = [null, true, -1, 1e308, 'x'.repeat(300), [], {}, { $ne: 1 }, '__proto__', NaN, -0];

function mutate(rand: () => number): string | Buffer {
  const base = JSON.parse(JSON.stringify(VALID[Math.floor(rand() * VALID.length)])) as Record<string, unknown>;
  const r = rand();
  if (r < 0.1) return Buffer.from(Array.from({ length: Math.floor(rand() * 64) }, () => Math.floor(rand() * 256)));
  if (r < 0.25) {
    const text = JSON.stringify(base);
    return text.slice(0, Math.floor(rand() * text.length));
  }
  if (r < 0.4) {
    const chars = [...JSON.stringify(base)];
    const i = Math.floor(rand() * chars.length);
    chars[i] = String.fromCharCode(Math.floor(rand() * 128));
    return chars.join('');
  }
  const keys = Object.keys(base);
  const k = r < 0.7 ? keys[Math.floor(rand() * keys.length)]! : `k${Math.floor(rand() * 5)}`;
  base[k] = WEIRD[Math.floor(rand() * WEIRD.length)];
  if (rand() < 0.1) return JSON.stringify(base).repeat(Math.floor(rand() * 20000));
  return JSON.stringify(base);
}

describe('fuzz', () => {
  test('10,000 random and mutated frames: the server stays up, other sessions answer', async () => {
    const server = await startServer();
    const seed = Number(process.env.FUZZ_SEED ?? Date.now() % 100000);
    const rand = prng(seed);
    try {
      const { term: bystander } = await readyTerminal(server);
      const cookie = await server.newAttendee();
      let sent = 0;
      let connections = 0;
      const deadline = Date.now() + 60_000;
      while (sent < 10_000 && Date.now() < deadline) {
        const c = new TermClient(server.url, cookie);
        await c.opened();
        connections++;
        // Batches of frames, each followed by a ping: the pong proves the server processed the batch.
        // The server drops a client after 50 rejected frames; then a new connection carries on.
        while (sent < 10_000 && !c.closed) {
          for (let i = 0; i < 25 && sent < 10_000; i++, sent++) {
            const frame = mutate(rand);
            if (typeof frame === 'string') c.ws.send(frame);
            else c.ws.send(frame, { binary: true });
          }
          const t = Date.now();
          if (c.ws.readyState === c.ws.OPEN) c.send({ type: 'ping', t });
          await c.until(() => c.closed || c.messages.some((m) => m.type === 'pong' && m.t === t), 'a pong or a close', 10_000);
        }
        c.ws.terminate();
      }
      assert.equal(sent, 10_000, `fuzz seed ${seed}: sent ${sent} frames before the deadline`);
      bystander.type('echo by$((7*6))stander\r');
      await bystander.waitForOutput(/by42stander/, 10_000);
      const stats = (await (await server.instructor('/api/stats')).json()) as {
        gateway: { badFrames: number; droppedClients: number };
      };
      assert.ok(stats.gateway.badFrames > 5000, `fuzz seed ${seed}: ${stats.gateway.badFrames} frames counted as bad`);
      assert.ok(stats.gateway.droppedClients >= 1);
      assert.ok(connections > 1);
      bystander.close();
    } finally {
      await server.stop();
    }
  });
});

const pick = <T>(rand: () => number, xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;

/** Printable ASCII, a few bytes HTTP forbids, and non-ASCII (as UTF-8 bytes on the wire). */
function junk(rand: () => number, max: number): string {
  const alphabet = ['a', 'Z', '0', '%', '%2F', '..', '/', '?', '#', ';', '=', ',', ' ', '\t', '"', '\\', '\u0000', '\u007f', 'é', '☃', '\ud83d\ude00', '%E0%A4%A', '%', '<script>'];
  return Array.from({ length: Math.floor(rand() * max) }, () => pick(rand, alphabet)).join('');
}

/**
 * One random request as raw bytes. Always complete (ends its head, and its body matches
 * Content-Length): what is measured is how the server answers bad input, not how long it waits for
 * input that never comes.
 */
function randomRequest(rand: () => number, port: number, goodCookie: string): string {
  const r = rand();
  if (r < 0.08) return `x${junk(rand, 40)}\r\n\r\n`;
  if (r < 0.12) return pick(rand, ['GET / HTTP/9.9', 'GET /\r\nHost: x', 'GET  HTTP/1.1', '\u0000\u0001 / HTTP/1.1', `GET /${'a'.repeat(70_000)} HTTP/1.1`]) + '\r\n\r\n';
  const method = pick(rand, ['GET', 'GET', 'GET', 'POST', 'HEAD', 'PUT', 'DELETE', 'OPTIONS', 'PATCH', 'BREW', 'get']);
  const upgrade = rand() < 0.3;
  const path =
    (upgrade ? pick(rand, ['/ws/terminal', '/ws/terminal', '/_next/webpack-hmr', '/']) : pick(rand, ['/', '/api/me', '/api/labs/', '/labs/kubernetes-meets-rust', '/labs/kubernetes-meets-rust/assets/', '/_next/static/', '/healthz', '/api/instructor/attendees', '/api/sandboxes/x/reset', '/api/preflight?lab=', '//', '*', 'http://evil.example/'])) +
    (rand() < 0.6 ? junk(rand, 30).replace(/[ \t\u0000]/g, '') : '');
  const headers: string[] = [];
  const h = rand();
  if (h < 0.6) headers.push(`Host: 127.0.0.1:${port}`);
  else if (h < 0.7) headers.push(`Host: evil.example:${port}`);
  else if (h < 0.75) headers.push('Host: ');
  else if (h < 0.8) headers.push(`Host: ${'h'.repeat(20_000)}`);
  else if (h < 0.85) headers.push('Host: ünïcode.example');
  else if (h < 0.9) headers.push(`Host: localhost:${port}`, 'Host: evil.example');
  const c = rand();
  if (c < 0.25) headers.push('Cookie: labdeck_session=%');
  else if (c < 0.45) headers.push(`Cookie: ${goodCookie}`);
  else if (c < 0.55) headers.push(`Cookie: labdeck_session=${junk(rand, 50).replace(/[\r\n\u0000]/g, '')}`);
  else if (c < 0.6) headers.push(`Cookie: ${'x=1; '.repeat(3000)}`);
  if (upgrade) {
    headers.push('Connection: Upgrade', 'Upgrade: websocket', 'Sec-WebSocket-Version: 13', 'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==');
    headers.push(pick(rand, [`Origin: http://127.0.0.1:${port}`, `Origin: http://evil.example:${port}`, 'Origin: null', 'Origin: %', '']));
  } else headers.push('Connection: close');
  for (let i = Math.floor(rand() * 3); i > 0; i--) headers.push(`${pick(rand, ['X-Forwarded-Proto', 'Accept', 'Authorization', 'X-Junk', 'Content-Type'])}: ${junk(rand, 60).replace(/[\r\n\u0000]/g, '')}`);
  const body = method === 'POST' || method === 'PUT' ? pick(rand, ['{"name":"fuzz"}', '{', '', 'x'.repeat(20_000), '{"name":' + '['.repeat(5000) + '}']) : '';
  if (body) headers.push(`Content-Length: ${Buffer.byteLength(body)}`);
  return `${method} ${path} HTTP/1.1\r\n${headers.filter(Boolean).join('\r\n')}\r\n\r\n${body}`;
}

describe('fuzz the HTTP and upgrade layer', () => {
  test('500 random requests and handshakes: every one answered or closed, the server still serves', async () => {
    const server = await startServer();
    const seed = Number(process.env.FUZZ_SEED ?? Date.now() % 100000);
    const rand = prng(seed);
    const port = Number(new URL(server.url).port);
    try {
      const goodCookie = await server.newAttendee();
      // The measured attack first (issue 8, item 4), then random requests, 10 in flight at a time.
      const requests = [
        ...Array.from({ length: 20 }, () => `GET /ws/terminal HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nOrigin: http://127.0.0.1:${port}\r\nCookie: labdeck_session=%\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n`),
        ...Array.from({ length: 480 }, () => randomRequest(rand, port, goodCookie)),
      ];
      // Requests that never end their head: the server must close them itself (headersTimeout), in the
      // background of the rest.
      const incomplete = Promise.all(
        [`GET / HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n`, '\r\n\r\n', `POST /api/me HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nContent-Length: 10\r\n\r\n{`].map((req) =>
          rawRequest(port, req, 40_000),
        ),
      );
      const answers: RawAnswer[] = [];
      const deadline = Date.now() + 120_000;
      for (let i = 0; i < requests.length && Date.now() < deadline; i += 10) {
        answers.push(...(await Promise.all(requests.slice(i, i + 10).map((req) => rawRequest(port, Buffer.from(req, 'utf8'), 10_000)))));
      }
      assert.equal(answers.length, requests.length, `fuzz seed ${seed}: ${answers.length} requests before the deadline`);
      const hung = requests.filter((_, i) => answers[i]!.hung);
      assert.equal(hung.length, 0, `fuzz seed ${seed}: ${hung.length} sockets got neither an answer nor a close in 10 s, e.g. ${JSON.stringify(hung[0]?.slice(0, 300))}`);
      assert.deepEqual((await incomplete).map((a) => a.closed), [true, true, true], 'incomplete requests are closed by the server');
      assert.deepEqual(answers.slice(0, 20).map((a) => a.status), Array(20).fill(401), 'the % cookie upgrades get 401');
      const serverErrors = requests.filter((_, i) => (answers[i]!.status ?? 0) >= 500);
      assert.equal(serverErrors.length, 0, `fuzz seed ${seed}: ${serverErrors.length} answers were 5xx, e.g. ${JSON.stringify(serverErrors[0]?.slice(0, 300))}`);
      assert.doesNotMatch(server.log(), /uncaught|URIError|request failed|upgrade failed/i, `fuzz seed ${seed}`);
      assert.equal(server.proc.exitCode, null, 'the server is still running');
      const health = await fetch(server.url + '/healthz');
      assert.equal(health.status, 200);
      const { term } = await readyTerminal(server);
      term.type('echo fu$((2+3))zz\r');
      await term.waitForOutput(/fu5zz/, 10_000);
      term.close();
    } finally {
      await server.stop();
    }
  });
});

describe('restarts', () => {
  test('SIGTERM says goodbye to browsers and exits cleanly', async () => {
    const server = await startServer();
    const { term } = await readyTerminal(server);
    const code = await server.stop('SIGTERM');
    const bye = term.messages.find((m) => m.type === 'bye');
    assert.ok(bye, 'a bye message before the socket closed');
    assert.equal(code, 0);
  });

  test('SIGKILL then start again: the local shell is replaced and the attendee is told', async () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'labdeck-restart-'));
    try {
      const first = await startServer({}, { dataDir });
      const { cookie, term } = await readyTerminal(first);
      term.type('echo before\r');
      await term.waitForOutput(/before/);
      await first.stop('SIGKILL');
      await term.until(() => term.closed, 'the socket to drop');

      const second = await startServer({}, { dataDir });
      try {
        const again = new TermClient(second.url, cookie);
        await again.opened();
        again.hello(80, 24, true);
        const ready = await again.waitForMessage('ready', 30_000);
        assert.equal(ready.resumed, false);
        assert.match(ready.replaced ?? '', /restarted/);
        again.type('echo af$((4+4))ter\r');
        await again.waitForOutput(/af8ter/);
        again.close();
      } finally {
        await second.stop();
      }
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
