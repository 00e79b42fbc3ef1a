/**
 * The candidates the bench compares, behind one small interface: a Host starts a terminal server (or
 * none, for raw node-pty), and opens Terms on it. Every Term runs the same bash (no rc files, the
 * attendee prompt) so every candidate echoes the same bytes.
 *
 *  - raw:     node-pty in the bench process itself (the floor: no socket at all)
 *  - bridge:  bench/minimal-bridge.ts in its own process (ws + node-pty, binary frames)
 *  - labdeck: the real server (test/support/server.ts startServer) over common/protocol.ts
 *  - wetty:   wetty 2 from the throwaway folder bench/peers.sh fills, over socket.io
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { createRequire } from 'node:module';
import path from 'node:path';
import * as pty from 'node-pty';
import WebSocket from 'ws';
import { TERMINAL_PATH, type ServerMessage } from '../common/protocol.js';
import { TerminalClient } from '../common/terminal-client.js';
import { startServer, type RunningServer } from '../test/support/server.js';
import { BENCH_DIR, PS1, ROOT, note, sleep } from './util.js';

export type CandidateName = 'raw' | 'bridge' | 'labdeck' | 'wetty';

/** One open terminal. Output is delivered as bytes to `onData`. */
export abstract class Term {
  onData: ((chunk: Buffer) => void) | null = null;
  received = 0;
  lastDataAt = 0;
  /** true: acknowledged on receipt (a fast client); false: the caller calls consumed() at its own pace. */
  autoAck = true;
  closed = false;
  private waiters: Array<() => void> = [];

  constructor(readonly name: CandidateName) {}

  abstract send(text: string): void;
  /** The renderer has consumed `n` bytes (manual acking). */
  abstract consumed(n: number): void;
  abstract close(): void;

  protected emit(chunk: Buffer): void {
    this.received += chunk.length;
    this.lastDataAt = performance.now();
    this.onData?.(chunk);
    if (this.waiters.length) for (const w of this.waiters.splice(0)) w();
  }

  /** Wait until output has arrived and then stayed quiet for `quietMs`. */
  async settle(quietMs = 100, maxMs = 15_000): Promise<void> {
    const end = performance.now() + maxMs;
    while (performance.now() < end) {
      if (this.received > 0 && performance.now() - this.lastDataAt >= quietMs) return;
      await sleep(Math.max(5, quietMs / 4));
    }
    throw new Error(`${this.name}: no quiet prompt within ${maxMs} ms (received ${this.received} bytes)`);
  }
}

export interface Host {
  readonly name: CandidateName;
  /** The server process (RSS is sampled from it); null when the shell hangs off the bench process. */
  readonly pid: number | null;
  open(): Promise<Term>;
  stop(): Promise<void>;
}

function shellEnv(): Record<string, string> {
  return { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: '/tmp', TERM: 'xterm-256color', LANG: 'C.UTF-8', PS1 };
}

// ---------------------------------------------------------------------------------------------- raw

class RawTerm extends Term {
  private readonly p: pty.IPty;
  constructor() {
    super('raw');
    this.p = pty.spawn('/bin/bash', ['--noprofile', '--norc', '-i'], {
      name: 'xterm-256color', cols: 80, rows: 24, cwd: '/tmp', env: shellEnv(),
      encoding: null as unknown as string,
    });
    this.p.onData((d) => this.emit(d as unknown as Buffer));
    this.p.onExit(() => (this.closed = true));
  }
  get pid(): number {
    return this.p.pid;
  }
  send(text: string): void {
    this.p.write(text);
  }
  consumed(): void {}
  close(): void {
    if (this.closed) return;
    this.closed = true;
    try {
      process.kill(-this.p.pid, 'SIGKILL');
    } catch {
      /* gone */
    }
    this.p.kill('SIGKILL');
  }
}

export function rawHost(): Host {
  return {
    name: 'raw',
    pid: null,
    async open() {
      const t = new RawTerm();
      await t.settle();
      return t;
    },
    async stop() {},
  };
}

// ------------------------------------------------------------------------------------------- bridge

class WsTerm extends Term {
  readonly ws: WebSocket;
  constructor(url: string) {
    super('bridge');
    this.ws = new WebSocket(url, { perMessageDeflate: false });
    this.ws.binaryType = 'nodebuffer';
    this.ws.on('message', (d: Buffer, isBinary: boolean) => {
      if (isBinary) this.emit(d);
    });
    this.ws.on('close', () => (this.closed = true));
    this.ws.on('error', () => (this.closed = true));
  }
  send(text: string): void {
    this.ws.send(text);
  }
  consumed(): void {}
  close(): void {
    this.closed = true;
    this.ws.close();
  }
}

function childExit(proc: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (proc.exitCode !== null || proc.signalCode !== null) return resolve();
    proc.once('exit', () => resolve());
    proc.kill('SIGTERM');
    setTimeout(() => proc.kill('SIGKILL'), 3000).unref();
  });
}

export async function bridgeHost(): Promise<Host> {
  const proc = spawn(process.execPath, ['--import', 'tsx', path.join(BENCH_DIR, 'minimal-bridge.ts')], {
    cwd: ROOT, env: { ...process.env, PORT: '0' }, stdio: ['ignore', 'pipe', 'inherit'],
  });
  const port = await new Promise<number>((resolve, reject) => {
    let out = '';
    proc.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /listening (\d+)/.exec(out);
      if (m) resolve(Number(m[1]));
    });
    proc.once('exit', (c) => reject(new Error(`minimal bridge exited with ${c}`)));
  });
  return {
    name: 'bridge',
    pid: proc.pid!,
    async open() {
      const t = new WsTerm(`ws://127.0.0.1:${port}/`);
      await t.settle();
      return t;
    },
    stop: () => childExit(proc),
  };
}

// ------------------------------------------------------------------------------------------ labdeck

/**
 * A lean protocol client: common/terminal-client.ts (the browser's framing and ack accounting) over a
 * `ws` socket (test/support/server.ts's TermClient keeps all output as a string; this one only counts).
 */
export class LabdeckTerm extends Term {
  readonly ws: WebSocket;
  readonly client: TerminalClient;
  readonly messages: ServerMessage[] = [];
  onMessage: ((m: ServerMessage) => void) | null = null;

  constructor(url: string, readonly cookie: string) {
    super('labdeck');
    this.ws = new WebSocket(url.replace(/^http/, 'ws') + TERMINAL_PATH, { headers: { Origin: url, Cookie: cookie }, perMessageDeflate: false });
    this.ws.binaryType = 'nodebuffer';
    this.client = new TerminalClient(this.ws, {
      onOutput: (bytes) => {
        this.emit(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
        // Term.autoAck (a fast client) or the caller's consumed() (a paced renderer).
        if (this.autoAck) this.consumed(bytes.byteLength);
      },
      onMessage: (m) => {
        this.messages.push(m);
        this.onMessage?.(m);
      },
      onClose: () => (this.closed = true),
    });
    this.ws.on('error', () => (this.closed = true));
  }

  /** The attendee id the cookie names (`labdeck_session=<attendee>.<mac>`). */
  get attendee(): string {
    const v = this.cookie.slice(this.cookie.indexOf('=') + 1);
    return v.slice(0, v.lastIndexOf('.'));
  }

  opened(): Promise<void> {
    return new Promise((resolve, reject) => {
      if (this.ws.readyState === WebSocket.OPEN) return resolve();
      this.ws.once('open', () => resolve());
      this.ws.once('unexpected-response', (_q, res) => reject(new Error(`upgrade refused: ${res.statusCode}`)));
      this.ws.once('error', reject);
    });
  }

  hello(cols = 80, rows = 24): void {
    this.client.hello({ cols, rows });
  }

  send(text: string): void {
    this.client.send({ type: 'input', data: text });
  }

  /** Resolves `ready` when the shell is attached, `busy` when the server asked to retry (1013), or throws. */
  started(ms = 30_000): Promise<'ready' | 'busy'> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`labdeck: no ready within ${ms} ms`)), ms);
      const done = (v: 'ready' | 'busy' | Error) => {
        clearTimeout(timer);
        this.onMessage = null;
        if (v instanceof Error) reject(v);
        else resolve(v);
      };
      this.onMessage = (m) => {
        if (m.type === 'ready') done('ready');
      };
      this.ws.once('close', (code) => done(code === 1013 ? 'busy' : new Error(`labdeck: socket closed with ${code} before ready`)));
    });
  }

  consumed(n: number): void {
    this.client.consumed(n);
  }

  close(): void {
    this.closed = true;
    this.ws.close();
  }
}

export async function newCookie(server: { url: string }): Promise<string> {
  const res = await fetch(server.url + '/api/me');
  const c = res.headers.get('set-cookie');
  await res.arrayBuffer();
  if (!c) throw new Error('no session cookie');
  return c.split(';')[0]!;
}

/**
 * Open a labdeck terminal for a new attendee and wait for its first prompt. Like the page, it retries
 * when the server says `busy` (its new-session rate: many attendees joining at once).
 */
export async function openLabdeck(server: { url: string }, settle = true): Promise<LabdeckTerm> {
  const cookie = await newCookie(server);
  for (let attempt = 0; ; attempt++) {
    const t = new LabdeckTerm(server.url, cookie);
    await t.opened();
    t.hello();
    if ((await t.started()) === 'ready') {
      if (settle) await t.settle(100, 30_000);
      return t;
    }
    if (attempt >= 200) throw new Error('labdeck: still busy after 200 retries');
    await sleep(100 + Math.random() * 200);
  }
}

export async function labdeckHost(env: Record<string, string> = {}): Promise<Host & { server: RunningServer }> {
  const server = await startServer({ MAX_SESSIONS: '2000', ...env });
  let stopping = false;
  server.proc.once('exit', (code, signal) => {
    if (!stopping) note(`labdeck server exited unexpectedly (code ${code}, signal ${signal}); log tail:\n${server.log().slice(-2000)}`);
  });
  return {
    name: 'labdeck',
    pid: server.proc.pid!,
    server,
    open: () => openLabdeck(server),
    async stop() {
      stopping = true;
      await server.stop();
    },
  };
}

// -------------------------------------------------------------------------------------------- wetty

export const PEERS_DIR = process.env.BENCH_PEERS_DIR ?? '/tmp/bench-peers';

interface IoSocket {
  on(ev: string, f: (...a: unknown[]) => void): IoSocket;
  emit(ev: string, ...a: unknown[]): IoSocket;
  disconnect(): void;
}
type IoFn = (url: string, opts: Record<string, unknown>) => IoSocket;

class WettyTerm extends Term {
  private counter = 0;
  private readonly ackBytes = 262144; // wetty's FlowControlClient default
  constructor(readonly socket: IoSocket) {
    super('wetty');
    socket.on('data', (d: unknown) => {
      const b = Buffer.from(String(d), 'utf8');
      this.emit(b);
      if (this.autoAck) this.consumed(b.length);
    });
    socket.on('logout', () => (this.closed = true));
    socket.on('disconnect', () => (this.closed = true));
  }
  send(text: string): void {
    this.socket.emit('input', text);
  }
  /** As wetty's browser client: commit `ackBytes` each time that many were written to xterm. */
  consumed(n: number): void {
    this.counter += n;
    while (this.counter >= this.ackBytes) {
      this.counter -= this.ackBytes;
      this.socket.emit('commit', this.ackBytes);
    }
  }
  close(): void {
    this.closed = true;
    this.socket.disconnect();
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      const port = typeof a === 'object' && a ? a.port : 0;
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

/** Why wetty cannot run, or null when it can. */
export function wettyMissing(): string | null {
  if (!existsSync(path.join(PEERS_DIR, 'node_modules', 'wetty', 'build', 'main.js'))) return `wetty is not installed in ${PEERS_DIR} (bash bench/peers.sh)`;
  if (!existsSync(path.join(PEERS_DIR, 'node_modules', 'socket.io-client', 'package.json'))) return `socket.io-client is not installed in ${PEERS_DIR}`;
  return null;
}

export async function wettyHost(): Promise<Host> {
  const why = wettyMissing();
  if (why) throw new Error(why);
  const port = await freePort();
  // As root with --host on loopback, wetty runs `--command` itself (`env -S "<command>"`), no ssh/login.
  const proc = spawn(
    process.execPath,
    [path.join(PEERS_DIR, 'node_modules', 'wetty', 'build', 'main.js'), '--host', '127.0.0.1', '--port', String(port), '--command', 'bash --noprofile --norc -i', '--log-level', 'error'],
    { cwd: '/tmp', env: { ...shellEnv(), NODE_ENV: 'production' }, stdio: ['ignore', 'ignore', 'inherit'] },
  );
  const req = createRequire(path.join(PEERS_DIR, 'package.json'));
  const { io } = req('socket.io-client') as { io: IoFn };
  // Wait until it listens.
  for (let i = 0; ; i++) {
    try {
      const r = await fetch(`http://127.0.0.1:${port}/wetty/`);
      await r.arrayBuffer();
      break;
    } catch {
      if (i > 100 || proc.exitCode !== null) throw new Error('wetty did not start');
      await sleep(100);
    }
  }
  return {
    name: 'wetty',
    pid: proc.pid!,
    async open() {
      const socket = io(`http://127.0.0.1:${port}`, { path: '/wetty/socket.io', transports: ['websocket'], reconnection: false });
      const t = new WettyTerm(socket);
      await t.settle(100, 15_000);
      return t;
    },
    stop: () => childExit(proc),
  };
}

/** Start the hosts for `names`, skipping (with the reason) any that cannot run. */
export async function startHosts(names: CandidateName[], labdeckEnv: Record<string, string> = {}): Promise<{ hosts: Host[]; skipped: Record<string, string> }> {
  const hosts: Host[] = [];
  const skipped: Record<string, string> = {};
  for (const n of names) {
    try {
      if (n === 'raw') hosts.push(rawHost());
      else if (n === 'bridge') hosts.push(await bridgeHost());
      else if (n === 'labdeck') hosts.push(await labdeckHost(labdeckEnv));
      else hosts.push(await wettyHost());
    } catch (err) {
      skipped[n] = String(err instanceof Error ? err.message : err);
    }
  }
  return { hosts, skipped };
}

export async function stopHosts(hosts: Host[]): Promise<void> {
  await Promise.all(hosts.map((h) => h.stop().catch(() => undefined)));
}
