/**
 * A watch-socket client for tests: the one client of the watch protocol (common/watch-client.ts, the
 * dashboard's own) over a real `ws` socket, collecting output and frames and waiting for them.
 */
import WebSocket from 'ws';
import { instructorProtocols } from '../../common/instructor-socket.js';
import { WatchClient as ProtocolClient } from '../../common/watch-client.js';
import { watchPath, type WatchClientMessage, type WatchServerMessage } from '../../common/watch-protocol.js';
import { INSTRUCTOR_TOKEN } from './server.js';

export class WatchClient {
  readonly ws: WebSocket;
  readonly client: ProtocolClient;
  /** Screens and live output, in arrival order, as text. */
  output = '';
  readonly messages: WatchServerMessage[] = [];
  readonly invalid: string[] = [];
  closed: { code: number; reason: string } | null = null;
  private waiters: Array<() => void> = [];

  constructor(url: string, attendee: string, opts: { token?: string | null; origin?: string } = {}) {
    const token = opts.token === undefined ? INSTRUCTOR_TOKEN : opts.token;
    this.ws = new WebSocket(url.replace(/^http/, 'ws') + watchPath(attendee), token === null ? [] : instructorProtocols(token), {
      headers: { Origin: opts.origin ?? url },
    });
    this.ws.binaryType = 'nodebuffer';
    this.client = new ProtocolClient(this.ws, {
      onOutput: (bytes) => {
        this.output += Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8');
        this.wake();
      },
      onMessage: (msg) => {
        this.messages.push(msg);
        if (msg.type === 'screen') this.output += msg.data;
        this.wake();
      },
      onInvalid: (error) => {
        this.invalid.push(error);
        this.wake();
      },
      onClose: ({ code, reason }) => {
        this.closed = { code, reason };
        this.wake();
      },
    });
    this.ws.on('error', () => this.wake());
  }

  /** Resolves once open; rejects with the HTTP status of a refused upgrade. */
  opened(): Promise<void> {
    return new Promise((resolve, reject) => {
      if (this.ws.readyState === WebSocket.OPEN) return resolve();
      this.ws.once('open', () => resolve());
      this.ws.once('unexpected-response', (_req, res) => reject(new Error(`upgrade refused: ${res.statusCode}`)));
      this.ws.once('error', reject);
    });
  }

  /** Any frame, even one the protocol client would not build (tests of what the server refuses). */
  send(msg: WatchClientMessage): void {
    this.ws.send(JSON.stringify(msg));
  }

  type(data: string): void {
    this.client.input(data);
  }

  async until<T>(pred: () => T | undefined | false | null, what: string, ms = 10_000): Promise<T> {
    const deadline = Date.now() + ms;
    for (;;) {
      const v = pred();
      if (v) return v;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out after ${ms} ms waiting for ${what}; frames: ${JSON.stringify(this.messages.slice(-8)).slice(0, 800)}; output tail:\n${this.output.slice(-400)}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, Math.min(left, 250));
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  /** The first frame of `type` at or after index `from` matching `pred`. */
  waitFor<K extends WatchServerMessage['type']>(type: K, pred: (m: Extract<WatchServerMessage, { type: K }>) => boolean = () => true, from = 0, ms?: number): Promise<Extract<WatchServerMessage, { type: K }>> {
    return this.until(
      () => this.messages.slice(from).find((m): m is Extract<WatchServerMessage, { type: K }> => m.type === type && pred(m as Extract<WatchServerMessage, { type: K }>)),
      `a ${type} frame`,
      ms,
    );
  }

  waitForOutput(re: RegExp, ms?: number): Promise<RegExpExecArray> {
    return this.until(() => re.exec(this.output), `output ${re}`, ms);
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
