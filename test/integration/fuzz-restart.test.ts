// Hostile input and server restarts, against the real server.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { readyTerminal, startServer, TermClient } from '../support/server.js';

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
