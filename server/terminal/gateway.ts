/**
 * The terminal WebSocket endpoint (`/ws/terminal`): where a keystroke enters the server. Before the
 * upgrade it checks the session cookie (the Origin is the SocketServer's); once open, every frame is
 * validated against common/protocol.ts under the per-socket rules (server/sockets/endpoint.ts), and
 * valid ones go to the attendee's session (session.ts). Nothing is spawned before a valid `hello`.
 */
import type { IncomingMessage } from 'node:http';
import type { WebSocket } from 'ws';
import { MAX_CLIENT_FRAME_BYTES, TERMINAL_PATH, clientMessage, type ClientMessage, type ErrorCode, type ServerMessage } from '../../common/protocol.js';
import type { Auth } from '../http/auth.js';
import type { Logger } from '../log.js';
import { EndpointSocket, ruleStats, type SocketRules } from '../sockets/endpoint.js';
import type { Endpoint, Refusal, UpgradeStats } from '../sockets/socket-server.js';
import type { ClientLink } from './output-channel.js';
import type { AttendeeSession } from './session.js';
import type { SessionManager } from './sessions.js';

export interface GatewayOptions {
  /** Rejected frames a connection may send before it is closed (its shell lives on). */
  maxBadFrames: number;
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

export class TerminalGateway implements Endpoint {
  readonly path = TERMINAL_PATH;
  readonly name = 'terminal';
  /** Above MAX_CLIENT_FRAME_BYTES: a frame between the two is answered `too-large`, the socket stays. */
  readonly maxPayload = 4 * 1024 * 1024;
  readonly upgrades: UpgradeStats = { connections: 0, rejectedUpgrades: 0 };
  private readonly rules: SocketRules;
  private readonly ruleStats = ruleStats();
  private limited = 0;
  /** Open sockets per attendee. */
  private readonly perAttendee = new Map<string, number>();
  private readonly maxPerAttendee: number;

  constructor(
    private readonly auth: Pick<Auth, 'attendeeFrom'>,
    private readonly sessions: SessionManager,
    private readonly log: Logger,
    private readonly opts: GatewayOptions,
  ) {
    this.rules = {
      maxFrameBytes: MAX_CLIENT_FRAME_BYTES,
      maxPayload: this.maxPayload,
      maxBadFrames: opts.maxBadFrames,
      maxBufferedBytes: opts.maxBufferedBytes ?? GATEWAY_DEFAULTS.maxBufferedBytes,
      helloTimeoutMs: opts.helloTimeoutMs ?? GATEWAY_DEFAULTS.helloTimeoutMs,
    };
    this.maxPerAttendee = opts.maxConnectionsPerAttendee ?? GATEWAY_DEFAULTS.maxConnectionsPerAttendee;
  }

  get stats(): GatewayStats {
    const r = this.ruleStats;
    return { ...this.upgrades, badFrames: r.badFrames, droppedClients: r.droppedClients, limited: this.limited + r.terminated };
  }

  admit(req: IncomingMessage): Refusal | ((ws: WebSocket) => void) {
    const attendee = this.auth.attendeeFrom(req);
    if (!attendee) return { status: 401, why: 'No valid session; open the lab page first' };
    return (ws) => this.open(ws, attendee);
  }

  private open(ws: WebSocket, attendee: string): void {
    let session: AttendeeSession | null = null;
    const sock: EndpointSocket<ClientMessage, ServerMessage, ErrorCode> = new EndpointSocket(ws, this.rules, {
      name: this.name,
      fields: { attendee },
      log: this.log,
      stats: this.ruleStats,
      schema: clientMessage,
      error: (code, message, fatal) => ({ type: 'error', code, message, ...(fatal ? { fatal } : {}) }),
      onFrame: (msg) => onFrame(msg),
      onHelloTimeout: () => {
        if (!session) refuse('hello-timeout', `no hello within ${(this.rules.helloTimeoutMs ?? 0) / 1000} s`, 4010, false);
      },
      onClose: () => {
        const left = (this.perAttendee.get(attendee) ?? 1) - 1;
        if (left > 0) this.perAttendee.set(attendee, left);
        else this.perAttendee.delete(attendee);
        session?.detach(link);
      },
    });
    const link: ClientLink = {
      id: nextClientId++,
      sendJson: (msg) => sock.send(msg),
      sendOutput: (data, onSent) => sock.sendBinary(data, onSent),
      close: (code, reason) => sock.close(code, reason),
      get bufferedAmount() {
        return sock.bufferedAmount;
      },
    };
    const refuse = (code: ErrorCode, message: string, closeCode: number, fatal: boolean) => {
      this.limited++;
      link.sendJson({ type: 'error', code, message, fatal });
      link.close(closeCode, code);
    };

    const open = (this.perAttendee.get(attendee) ?? 0) + 1;
    this.perAttendee.set(attendee, open);
    if (open > this.maxPerAttendee) {
      refuse('limit', `Too many open terminal connections for you (${this.maxPerAttendee}): close other tabs of this lab.`, 4029, true);
      return;
    }

    const onFrame = (msg: ClientMessage): void => {
      if (msg.type === 'hello') {
        if (session) return sock.reject('bad-message', 'hello was already received');
        const refused = this.opts.refuseShell?.(attendee);
        if (refused) {
          link.sendJson({ type: 'error', code: 'join-required', message: refused, fatal: true });
          return link.close(4011, 'join required');
        }
        const got = this.sessions.getOrCreate(attendee);
        if (got === 'full') return refuse('limit', 'The server is full: no more sessions can be started.', 4009, true);
        if (got === 'busy') return refuse('busy', 'Many attendees are joining right now; retrying in a moment…', 1013, false);
        sock.greeted();
        session = got;
        void session.attach(link, { cols: msg.cols, rows: msg.rows }, msg.resume ?? false);
        return;
      }
      if (msg.type === 'ping') return link.sendJson({ type: 'pong', t: msg.t });
      if (!session) return sock.reject('not-ready', 'send hello first');
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
          return session.progress(link, msg.labId, msg.step);
        case 'recreate':
          void session.recreate(link);
          return;
        case 'dismiss':
          return session.dismiss(msg.id);
        case 'control':
          return session.control(link, msg.action);
      }
    };
  }
}
