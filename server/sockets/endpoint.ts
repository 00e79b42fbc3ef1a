/**
 * The per-socket rules every labdeck WebSocket follows once open (issue 18 §4), in one place so the
 * terminal, watch and class sockets (and the next ones) cannot drift apart:
 *
 *  - frames: text only, at most `maxPayload` bytes (larger: closed 1009, as `ws` itself does), each
 *    parsed by common/frame.ts's parseFrame against the protocol's schema;
 *  - a bad-frame budget: a refused frame is answered with an `error` frame; after `maxBadFrames` of them
 *    the socket is told `too-many-errors` and closed (4008);
 *  - bounded send: a socket that holds more than `maxBufferedBytes` unsent in this process is
 *    terminated (a client that does not read cannot make the server queue without end); what slows
 *    down sooner (flow control, skipped watch output, class snapshots) is the endpoint's own;
 *  - a hello deadline, for a protocol whose first frame must come in time.
 *
 * The keepalive and the subprotocol answer are the SocketServer's (socket-server.ts).
 */
import type { RawData, WebSocket } from 'ws';
import type { z } from 'zod';
import { parseFrame, type FrameErrorCode } from '../../common/frame.js';
import type { Logger } from '../log.js';

export interface SocketRules {
  /** The largest text frame read (parseFrame's bound); above it, `too-large`. */
  maxFrameBytes: number;
  /** The largest frame received at all; above it the socket is closed (1009). */
  maxPayload: number;
  /** Refused frames a socket may send before it is closed. */
  maxBadFrames: number;
  /** Bytes queued in this process for the socket above which it is terminated. */
  maxBufferedBytes: number;
  /** A socket whose endpoint has not called `greeted()` this long after opening: `onHelloTimeout`. */
  helloTimeoutMs?: number;
}

/** What the rules did, per endpoint (the terminal's are on /api/stats). */
export interface RuleStats {
  badFrames: number;
  /** Closed for too many refused frames. */
  droppedClients: number;
  /** Terminated because they did not read. */
  terminated: number;
}

export function ruleStats(): RuleStats {
  return { badFrames: 0, droppedClients: 0, terminated: 0 };
}

/**
 * What an endpoint plugs in. `Code` is its protocol's error codes, which include the frame codes
 * (common/frame.ts) the rules themselves send.
 */
export interface EndpointWiring<In, Out, Code extends string> {
  /** The endpoint's name and the socket's owner, for logs. */
  name: string;
  fields: Record<string, unknown>;
  log: Logger;
  stats: RuleStats;
  /** The protocol's client frames. */
  schema: z.ZodType<In>;
  /** The protocol's `error` frame. */
  error(code: Code | FrameErrorCode, message: string, fatal: boolean): Out;
  /** A valid frame. */
  onFrame(frame: In): void;
  onClose?(): void;
  /** The hello deadline passed (only with `helloTimeoutMs`). */
  onHelloTimeout?(): void;
}

/** One open socket under the rules. */
export class EndpointSocket<In, Out, Code extends string = FrameErrorCode> {
  private badFrames = 0;
  private helloTimer: NodeJS.Timeout | null = null;

  constructor(
    private readonly ws: WebSocket,
    private readonly rules: SocketRules,
    private readonly wiring: EndpointWiring<In, Out, Code>,
  ) {
    if (rules.helloTimeoutMs !== undefined) {
      this.helloTimer = setTimeout(() => {
        this.helloTimer = null;
        wiring.onHelloTimeout?.();
      }, rules.helloTimeoutMs);
      this.helloTimer.unref();
    }
    ws.on('close', () => {
      this.greeted();
      wiring.onClose?.();
    });
    ws.on('message', (raw: RawData, isBinary: boolean) => this.onMessage(raw, isBinary));
  }

  get open(): boolean {
    return this.ws.readyState === this.ws.OPEN;
  }

  /** Bytes queued in this process for the socket and not yet handed to the kernel. */
  get bufferedAmount(): number {
    return this.ws.bufferedAmount;
  }

  /** The protocol's first frame arrived: the hello deadline no longer applies. */
  greeted(): void {
    if (this.helloTimer) clearTimeout(this.helloTimer);
    this.helloTimer = null;
  }

  send(msg: Out): void {
    this.sendRaw(JSON.stringify(msg), false);
  }

  /** Binary output; `onSent` runs once the frame has been handed to the kernel (or at once when the socket is gone). */
  sendBinary(data: Buffer, onSent?: () => void): void {
    this.sendRaw(data, true, onSent);
  }

  close(code: number, reason: string): void {
    if (this.ws.readyState === this.ws.OPEN || this.ws.readyState === this.ws.CONNECTING) this.ws.close(code, reason);
  }

  /** Say why (a fatal `error` frame) and close. */
  refuse(code: Code | FrameErrorCode, message: string, closeCode: number): void {
    this.send(this.wiring.error(code, message, true));
    this.close(closeCode, code);
  }

  /** A frame refused (unparsable, or not acceptable now): answered with an error, and counted against the budget. */
  reject(code: Code | FrameErrorCode, message: string): void {
    this.wiring.stats.badFrames++;
    this.badFrames++;
    if (this.badFrames > this.rules.maxBadFrames) {
      this.wiring.stats.droppedClients++;
      this.refuse('too-many-errors', `closed after ${this.badFrames} rejected frames; reload to reconnect`, 4008);
      return;
    }
    this.send(this.wiring.error(code, message, false));
  }

  private onMessage(raw: RawData, isBinary: boolean): void {
    if (this.ws.readyState !== this.ws.OPEN) return;
    if (isBinary) return this.reject('binary-not-accepted', 'send JSON text frames');
    if (rawLength(raw) > this.rules.maxPayload) {
      // What `ws` does above its own maxPayload, for an endpoint whose bound is below the server's.
      this.close(1009, 'Max payload size exceeded');
      return;
    }
    const parsed = parseFrame(this.wiring.schema, rawToString(raw), this.rules.maxFrameBytes);
    if (!parsed.ok) return this.reject(parsed.code, parsed.error);
    this.wiring.onFrame(parsed.frame);
  }

  private sendRaw(data: string | Buffer, binary: boolean, onSent?: () => void): void {
    const ws = this.ws;
    if (ws.readyState !== ws.OPEN) return onSent?.();
    ws.send(data, { binary }, onSent && (() => onSent()));
    if (ws.bufferedAmount > this.rules.maxBufferedBytes) {
      this.wiring.stats.terminated++;
      this.wiring.log.warn(`${this.wiring.name} socket not reading; terminated`, { ...this.wiring.fields, buffered: ws.bufferedAmount });
      ws.terminate();
    }
  }
}

function rawLength(raw: RawData): number {
  if (Array.isArray(raw)) return raw.reduce((n, b) => n + b.length, 0);
  return raw.byteLength;
}

/** A text frame as `ws` hands it over (one buffer, fragments, or an ArrayBuffer), as a string. */
export function rawToString(raw: RawData): string {
  if (Array.isArray(raw)) return Buffer.concat(raw).toString('utf8');
  if (raw instanceof ArrayBuffer) return Buffer.from(raw).toString('utf8');
  return raw.toString('utf8');
}
