/**
 * The watch WebSocket endpoint (`/ws/watch?attendee=<id>`, common/watch-protocol.ts): an instructor
 * watches an attendee's terminal. It checks the upgrade (Origin, the instructor's token carried as a
 * subprotocol, the attendee id), validates every frame, and hands the watcher to the attendee's
 * session's WatcherSet (watchers.ts), which owns the fan-out and the control that the attendee lends.
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import { INSTRUCTOR_PROTOCOL } from '../../common/instructor-socket.js';
import { parseWatchClientMessage, type WatchErrorCode, type WatchServerMessage } from '../../common/watch-protocol.js';
import type { Auth } from '../http/auth.js';
import { refuseUpgrade } from '../http/boundary.js';
import type { Logger } from '../log.js';
import type { SessionManager } from './sessions.js';
import type { WatchLink } from './watchers.js';

export interface WatchGatewayOptions {
  /** Keep-alive ping interval; a socket that misses one pong is terminated. */
  pingEveryMs: number;
  /** Rejected frames a watcher may send before it is closed; default 50. */
  maxBadFrames?: number;
  /** Bytes queued for one watch socket above which it is terminated (output is skipped long before); default 8 MiB. */
  maxBufferedBytes?: number;
}

/** Counters for /api/stats and the tests. */
export interface WatchStats {
  connections: number;
  rejectedUpgrades: number;
  badFrames: number;
  /** Sockets terminated because they did not read. */
  terminated: number;
}

const ATTENDEE_ID = /^a-[A-Za-z0-9_-]{6,64}$/;
let nextWatcherId = 1;

export class WatchGateway {
  private readonly wss = new WebSocketServer({
    noServer: true,
    maxPayload: 1024 * 1024,
    perMessageDeflate: false,
    // The token offered next to it is never echoed back (common/instructor-socket.ts).
    handleProtocols: () => INSTRUCTOR_PROTOCOL,
  });
  readonly stats: WatchStats = { connections: 0, rejectedUpgrades: 0, badFrames: 0, terminated: 0 };
  private readonly alive = new WeakMap<WebSocket, boolean>();
  private readonly pinger: NodeJS.Timeout;

  constructor(
    private readonly auth: Auth,
    private readonly sessions: SessionManager,
    private readonly log: Logger,
    private readonly opts: WatchGatewayOptions,
  ) {
    this.pinger = setInterval(() => {
      for (const ws of this.wss.clients) {
        if (this.alive.get(ws) === false) {
          ws.terminate();
          continue;
        }
        this.alive.set(ws, false);
        ws.ping();
      }
    }, opts.pingEveryMs);
    this.pinger.unref();
  }

  /** Handle an HTTP upgrade already routed to WATCH_PATH. */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer, url: URL): void {
    const reject = (status: number, why: string, retryAfterS?: number) => {
      this.stats.rejectedUpgrades++;
      this.log.warn('watch upgrade rejected', { why, origin: req.headers.origin ?? '', addr: req.socket.remoteAddress ?? '' });
      refuseUpgrade(socket, status, why, retryAfterS);
    };
    if (!this.auth.originAllowed(req)) return reject(403, 'Forbidden origin');
    // The token under the budget of wrong tokens shared with the HTTP routes (auth.ts, issue 17 §8).
    const token = this.auth.instructorSocket(req);
    if (!token.ok) return reject(token.status, token.status === 429 ? 'Too many wrong instructor tokens' : 'instructor token required', token.retryAfterS);
    const attendee = url.searchParams.get('attendee') ?? '';
    if (!ATTENDEE_ID.test(attendee)) return reject(400, 'attendee=<id> required');
    this.wss.handleUpgrade(req, socket, head, (ws) => this.onConnection(ws, attendee));
  }

  close(): void {
    clearInterval(this.pinger);
    for (const ws of this.wss.clients) ws.terminate();
    this.wss.close();
  }

  private onConnection(ws: WebSocket, attendee: string): void {
    this.stats.connections++;
    this.alive.set(ws, true);
    ws.on('pong', () => this.alive.set(ws, true));
    ws.on('error', (err) => this.log.warn('watch socket error', { attendee, err: String(err) }));
    const maxBuffered = this.opts.maxBufferedBytes ?? 8 * 1024 * 1024;
    const send = (data: string | Buffer, binary: boolean, onSent?: () => void) => {
      if (ws.readyState !== ws.OPEN) return onSent?.();
      ws.send(data, { binary }, onSent && (() => onSent()));
      if (ws.bufferedAmount > maxBuffered) {
        this.stats.terminated++;
        this.log.warn('watch socket not reading; terminated', { attendee, buffered: ws.bufferedAmount });
        ws.terminate();
      }
    };
    const link: WatchLink = {
      id: nextWatcherId++,
      sendJson: (msg: WatchServerMessage) => send(JSON.stringify(msg), false),
      sendOutput: (data, onSent) => send(data, true, onSent),
      close: (code, reason) => {
        if (ws.readyState === ws.OPEN || ws.readyState === ws.CONNECTING) ws.close(code, reason);
      },
      get bufferedAmount() {
        return ws.bufferedAmount;
      },
    };
    const refuse = (code: WatchErrorCode, message: string, closeCode: number) => {
      link.sendJson({ type: 'error', code, message, fatal: true });
      link.close(closeCode, code);
    };
    const session = this.sessions.get(attendee);
    if (!session || session.state === 'closing' || session.state === 'done') {
      return refuse('no-session', 'this attendee has no terminal open on this server right now', 4404);
    }
    const watchers = session.watchers;
    if (!watchers.add(link)) return refuse('limit', 'this terminal has as many watchers as it may have; close another watch first', 4029);
    this.log.info('watch started', { attendee, watcher: link.id });
    ws.on('close', () => {
      watchers.remove(link);
      this.log.info('watch ended', { attendee, watcher: link.id });
    });

    let badFrames = 0;
    const fail = (code: WatchErrorCode, message: string) => {
      this.stats.badFrames++;
      badFrames++;
      if (badFrames > (this.opts.maxBadFrames ?? 50)) return refuse('too-many-errors', `closed after ${badFrames} rejected frames`, 4008);
      link.sendJson({ type: 'error', code, message });
    };
    ws.on('message', (raw: RawData, isBinary: boolean) => {
      if (isBinary) return fail('binary-not-accepted', 'send input as JSON text frames');
      const parsed = parseWatchClientMessage(rawToString(raw));
      if (!parsed.ok) return fail(parsed.code, parsed.error);
      const msg = parsed.message;
      switch (msg.type) {
        case 'input':
          return watchers.input(link, msg.data);
        case 'control':
          return watchers.controlRequest(link, msg.action);
        case 'ping':
          return link.sendJson({ type: 'pong', t: msg.t });
      }
    });
  }
}

function rawToString(raw: RawData): string {
  if (Array.isArray(raw)) return Buffer.concat(raw).toString('utf8');
  if (raw instanceof ArrayBuffer) return Buffer.from(raw).toString('utf8');
  return raw.toString('utf8');
}
