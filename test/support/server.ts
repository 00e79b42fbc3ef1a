/**
 * Starts the real labdeck server (scripts/start.mjs → server/main.ts) on a free loopback port for a
 * test, and a real WebSocket client that speaks the terminal protocol. No part of the server is mocked.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import WebSocket from 'ws';
import { TERMINAL_PATH, type ClientMessage, type ServerMessage } from '../../common/protocol.js';
import { TerminalClient } from '../../common/terminal-client.js';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const INSTRUCTOR_TOKEN = 'test-instructor-token';

export interface RunningServer {
  url: string;
  proc: ChildProcess;
  dataDir: string;
  log: () => string;
  /** GET / and return the session cookie the server set. */
  newAttendee(): Promise<string>;
  /** A request with the instructor's bearer token (GET unless `method` says otherwise). */
  instructor(path: string, method?: string): Promise<Response>;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

export async function startServer(env: Record<string, string> = {}, opts: { dataDir?: string } = {}): Promise<RunningServer> {
  const dataDir = opts.dataDir ?? mkdtempSync(path.join(tmpdir(), 'labdeck-test-'));
  // LABDECK_TEST_DEV=1 runs Next in dev mode (no build) for quick iteration on the server alone.
  const args = [path.join(ROOT, 'scripts', 'start.mjs'), ...(process.env.LABDECK_TEST_DEV ? ['--dev'] : [])];
  const proc = spawn(process.execPath, args, {
    cwd: ROOT,
    env: { ...process.env, PORT: '0', HOST: '127.0.0.1', LABDECK_DATA_DIR: dataDir, INSTRUCTOR_TOKEN, GRACE_SECONDS: '60', REQUIRE_JOIN: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  proc.stdout.on('data', (d: Buffer) => (out += d.toString()));
  proc.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start in 180 s:\n${out}`)), 180_000);
    const check = () => {
      const m = /labdeck is ready:\s+(https?:\/\/\S+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    };
    proc.stdout.on('data', check);
    proc.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`server exited with ${code}:\n${out}`));
    });
  });
  return {
    url,
    proc,
    dataDir,
    log: () => out,
    instructor(path: string, method = 'GET') {
      // A write is JSON, like every write of the API (issue 18 §7); the token needs no Origin.
      const write = method !== 'GET' && method !== 'HEAD';
      return fetch(url + path, { method, headers: { Authorization: `Bearer ${INSTRUCTOR_TOKEN}`, ...(write ? { 'Content-Type': 'application/json' } : {}) }, body: write ? '{}' : undefined });
    },
    async newAttendee() {
      const res = await fetch(url + '/api/me');
      const cookie = res.headers.get('set-cookie');
      if (!cookie) throw new Error('no session cookie set');
      return cookie.split(';')[0]!;
    },
    stop(signal: NodeJS.Signals = 'SIGTERM') {
      return new Promise((resolve) => {
        if (proc.exitCode !== null) return resolve(proc.exitCode);
        proc.once('exit', (code) => {
          if (!opts.dataDir) rmSync(dataDir, { recursive: true, force: true });
          resolve(code);
        });
        proc.kill(signal);
      });
    },
  };
}

/**
 * A protocol client for tests: common/terminal-client.ts (the browser's own framing and ack accounting)
 * over a `ws` socket, collecting output as text and waiting for patterns.
 */
export class TermClient {
  readonly ws: WebSocket;
  readonly client: TerminalClient;
  output = '';
  readonly messages: ServerMessage[] = [];
  /** Text frames from the server that failed validation (a test can assert there are none). */
  readonly invalid: string[] = [];
  private waiters: Array<() => void> = [];
  closed: { code: number; reason: string } | null = null;

  constructor(url: string, cookie: string | null, origin: string = url) {
    const headers: Record<string, string> = { Origin: origin };
    if (cookie) headers.Cookie = cookie;
    this.ws = new WebSocket(url.replace(/^http/, 'ws') + TERMINAL_PATH, { headers });
    this.ws.binaryType = 'nodebuffer';
    this.client = new TerminalClient(
      this.ws,
      {
        onOutput: (bytes) => {
          this.output += Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8');
          this.wake();
        },
        onMessage: (msg) => {
          this.messages.push(msg);
          if (msg.type === 'screen') this.output += msg.data;
          this.wake();
        },
        onInvalid: (error, text) => {
          this.invalid.push(`${error}: ${text.slice(0, 200)}`);
          this.wake();
        },
        onClose: ({ code, reason }) => {
          this.closed = { code, reason };
          this.wake();
        },
      },
      { autoAck: true },
    );
    this.ws.on('error', () => this.wake());
  }

  /** Set false to stop acknowledging (simulates a stalled browser). */
  get autoAck(): boolean {
    return this.client.autoAck;
  }
  set autoAck(on: boolean) {
    this.client.autoAck = on;
  }

  opened(): Promise<void> {
    return new Promise((resolve, reject) => {
      if (this.ws.readyState === WebSocket.OPEN) return resolve();
      this.ws.once('open', () => resolve());
      this.ws.once('unexpected-response', (_req, res) => reject(new Error(`upgrade refused: ${res.statusCode}`)));
      this.ws.once('error', reject);
    });
  }

  /** Send a message, or any raw text (tests of what the server refuses). */
  send(msg: ClientMessage | string | object): void {
    this.ws.send(typeof msg === 'string' ? msg : JSON.stringify(msg));
  }

  hello(cols = 80, rows = 24, resume = false): void {
    this.client.hello({ cols, rows }, resume);
  }

  type(text: string): void {
    this.client.send({ type: 'input', data: text });
  }

  /** Wait until `pred` holds, re-checked on every frame; fails after `ms` with the output so far. */
  async until<T>(pred: () => T | undefined | false | null, what: string, ms = 10_000): Promise<T> {
    const deadline = Date.now() + ms;
    for (;;) {
      const v = pred();
      if (v) return v;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out after ${ms} ms waiting for ${what}; output tail:\n${this.output.slice(-600)}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, Math.min(left, 250));
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  waitForOutput(re: RegExp, ms?: number): Promise<RegExpExecArray> {
    return this.until(() => re.exec(this.output), `output ${re}`, ms);
  }

  waitForMessage<K extends ServerMessage['type']>(type: K, ms?: number, from = 0): Promise<Extract<ServerMessage, { type: K }>> {
    return this.until(
      () => this.messages.slice(from).find((m): m is Extract<ServerMessage, { type: K }> => m.type === type),
      `a ${type} message`,
      ms,
    );
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

/** Open a connected, ready terminal for a new attendee. */
export async function readyTerminal(server: RunningServer, cookie?: string, size = { cols: 80, rows: 24 }): Promise<{ term: TermClient; cookie: string }> {
  const c = cookie ?? (await server.newAttendee());
  const term = new TermClient(server.url, c);
  await term.opened();
  term.hello(size.cols, size.rows);
  await term.waitForMessage('ready', 30_000);
  return { term, cookie: c };
}
