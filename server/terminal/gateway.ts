/**
 * The terminal WebSocket endpoint: where a keystroke enters the server. It checks the upgrade (origin,
 * session cookie), validates every frame against common/protocol.ts, and hands valid messages to the
 * attendee's session (session.ts). Nothing is spawned before a valid `hello`.
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket, type RawData } from 'ws';
import { parseClientMessage, type ServerMessage, type ErrorCode } from '../../common/protocol.js';
import type { Auth } from '../http/auth.js';
import { refuseUpgrade } from '../http/boundary.js';
import type { Logger } from '../log.js';
import type { ClientLink } from './output-channel.js';
import type { SessionManager } from './sessions.js';

export interface GatewayOptions {
  /** Rejected frames a connection may send before it is closed (its shell lives on). */
  maxBadFrames: number;
  /** Keep-alive ping interval; a socket that misses one pong is terminated. */
  pingEveryMs: number;
  /** A socket that has not sent `hello` this long after opening is closed (4010); default 10 s. */
  helloTimeoutMs?: number;
  /**
   * Open sockets per attendee (cookie); more are closed at once (4029). Only one drives the shell (a newer
   * tab takes over), so this bounds sockets held open without a hello or parked by a script; default 8.
   */
  maxConnectionsPerAttendee?: number;
  /**
   * Bytes queued in this process for one socket (`ws.bufferedAmount`) above which it is terminated: a
   * client that does not read cannot make the server hold its pongs and errors. Shell output pauses long
   * before (SessionLimits.socketHighBytes); default 8 MiB.
   */
  maxBufferedBytes?: number;
  /**
   * No join, no shell (REQUIRE_JOIN=1): a reason to refuse the attendee a shell, or null to let them
   * have one. Asked at each hello, before any session or sandbox exists. Unset: everyone (solo mode).
   */
  refuseShell?: (attendee: string) => string | null;
}

const GATEWAY_DEFAULTS = { helloTimeoutMs: 10_000, maxConnectionsPerAttendee: 8, maxBufferedBytes: 8 * 1024 * 1024 };

/** Counters exposed on /api/stats and used by tests. */
export interface GatewayStats {
  connections: number;
  rejectedUpgrades: number;
  badFrames: number;
  droppedClients: number;
  /** Sockets closed for a limit: no hello in time, too many per attendee, not reading, server busy or full. */
  limited: number;
}

let nextClientId = 1;

export class TerminalGateway {
  private readonly wss = new WebSocketServer({ noServer: true, maxPayload: 4 * 1024 * 1024, perMessageDeflate: false });
  readonly stats: GatewayStats = { connections: 0, rejectedUpgrades: 0, badFrames: 0, droppedClients: 0, limited: 0 };
  private readonly alive = new WeakMap<WebSocket, boolean>();
  private readonly pinger: NodeJS.Timeout;
  /** Open sockets per attendee. */
  private readonly perAttendee = new Map<string, number>();
  private readonly limits: typeof GATEWAY_DEFAULTS;

  constructor(
    private readonly auth: Auth,
    private readonly sessions: SessionManager,
    private readonly log: Logger,
    private readonly opts: GatewayOptions,
  ) {
    this.limits = {
      helloTimeoutMs: opts.helloTimeoutMs ?? GATEWAY_DEFAULTS.helloTimeoutMs,
      maxConnectionsPerAttendee: opts.maxConnectionsPerAttendee ?? GATEWAY_DEFAULTS.maxConnectionsPerAttendee,
      maxBufferedBytes: opts.maxBufferedBytes ?? GATEWAY_DEFAULTS.maxBufferedBytes,
    };
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

  /** Handle an HTTP upgrade already routed to the terminal path. */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const reject = (status: number, why: string) => {
      this.stats.rejectedUpgrades++;
      this.log.warn('terminal upgrade rejected', { why, origin: req.headers.origin ?? '', addr: req.socket.remoteAddress ?? '' });
      refuseUpgrade(socket, status, why);
    };
    if (!this.auth.originAllowed(req)) return reject(403, 'Forbidden origin');
    const attendee = this.auth.attendeeFrom(req);
    if (!attendee) return reject(401, 'No valid session; open the lab page first');
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
    ws.on('error', (err) => this.log.warn('terminal socket error', { attendee, err: String(err) }));
    const { maxBufferedBytes } = this.limits;
    const send = (data: string | Buffer, binary: boolean, onSent?: () => void) => {
      if (ws.readyState !== ws.OPEN) return onSent?.();
      ws.send(data, { binary }, onSent && (() => onSent()));
      if (ws.bufferedAmount > maxBufferedBytes) {
        this.stats.limited++;
        this.log.warn('terminal socket not reading; terminated', { attendee, buffered: ws.bufferedAmount });
        ws.terminate();
      }
    };
    const link: ClientLink = {
      id: nextClientId++,
      sendJson: (msg: ServerMessage) => send(JSON.stringify(msg), false),
      sendOutput: (data: Buffer, onSent?: () => void) => send(data, true, onSent),
      close: (code, reason) => {
        if (ws.readyState === ws.OPEN || ws.readyState === ws.CONNECTING) ws.close(code, reason);
      },
      get bufferedAmount() {
        return ws.bufferedAmount;
      },
    };
    const refuse = (code: ErrorCode, message: string, closeCode: number, fatal: boolean) => {
      this.stats.limited++;
      link.sendJson({ type: 'error', code, message, fatal });
      link.close(closeCode, code);
    };
    let badFrames = 0;
    let session: ReturnType<SessionManager['get']> | null = null;

    const open = (this.perAttendee.get(attendee) ?? 0) + 1;
    this.perAttendee.set(attendee, open);
    const helloTimer = setTimeout(() => {
      if (!session) refuse('hello-timeout', `no hello within ${this.limits.helloTimeoutMs / 1000} s`, 4010, false);
    }, this.limits.helloTimeoutMs);
    helloTimer.unref();
    ws.on('close', () => {
      clearTimeout(helloTimer);
      const left = (this.perAttendee.get(attendee) ?? 1) - 1;
      if (left > 0) this.perAttendee.set(attendee, left);
      else this.perAttendee.delete(attendee);
      session?.detach(link);
    });
    if (open > this.limits.maxConnectionsPerAttendee) {
      refuse('limit', `Too many open terminal connections for you (${this.limits.maxConnectionsPerAttendee}): close other tabs of this lab.`, 4029, true);
      return;
    }

    const fail = (code: ErrorCode, message: string) => {
      this.stats.badFrames++;
      badFrames++;
      if (badFrames > this.opts.maxBadFrames) {
        this.stats.droppedClients++;
        link.sendJson({ type: 'error', code: 'too-many-errors', message: `closed after ${badFrames} rejected frames; reload to reconnect`, fatal: true });
        ws.close(4008, 'too many rejected frames');
        return;
      }
      link.sendJson({ type: 'error', code, message });
    };

    ws.on('message', (raw: RawData, isBinary: boolean) => {
      if (isBinary) return fail('binary-not-accepted', 'send input as JSON text frames');
      const text = rawToString(raw);
      const parsed = parseClientMessage(text);
      if (!parsed.ok || !parsed.message) return fail(parsed.error!.code, parsed.error!.message);
      const msg = parsed.message;
      if (msg.type === 'hello') {
        if (session) return fail('bad-message', 'hello was already received');
        const refused = this.opts.refuseShell?.(attendee);
        if (refused) {
          link.sendJson({ type: 'error', code: 'join-required', message: refused, fatal: true });
          return link.close(4011, 'join required');
        }
        const got = this.sessions.getOrCreate(attendee);
        if (got === 'full') return refuse('limit', 'The server is full: no more sessions can be started.', 4009, true);
        if (got === 'busy') return refuse('busy', 'Many attendees are joining right now; retrying in a moment…', 1013, false);
        clearTimeout(helloTimer);
        session = got;
        void session.attach(link, { cols: msg.cols, rows: msg.rows }, msg.resume ?? false);
        return;
      }
      if (msg.type === 'ping') return link.sendJson({ type: 'pong', t: msg.t });
      if (!session) return fail('not-ready', 'send hello first');
      switch (msg.type) {
        case 'input':
          return session.input(link, msg.data);
        case 'resize':
          return session.resize(link, msg.cols, msg.rows);
        case 'ack':
          return session.ack(link, msg.bytes);
        case 'run':
          void session.runBlock(link, msg.labId, msg.blockId);
          return;
        case 'progress':
          return session.progress(msg.labId, msg.step);
        case 'recreate':
          void session.recreate(link);
          return;
        case 'dismiss':
          return session.dismiss(msg.id);
        case 'control':
          return session.control(link, msg.action);
      }
    });
  }
}

function rawToString(raw: RawData): string {
  if (Array.isArray(raw)) return Buffer.concat(raw).toString('utf8');
  if (raw instanceof ArrayBuffer) return Buffer.from(raw).toString('utf8');
  return raw.toString('utf8');
}
