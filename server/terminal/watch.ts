/**
 * The watch WebSocket endpoint (`/ws/watch?attendee=<id>`, common/watch-protocol.ts): an instructor
 * watches an attendee's terminal. Before the upgrade it checks the instructor's token (carried as a
 * subprotocol; the SocketServer answers INSTRUCTOR_PROTOCOL only when it was offered) and the attendee
 * id; once open, every frame is validated under the per-socket rules (server/sockets/endpoint.ts) and
 * the watcher is handed to the attendee's terminal's WatcherSet (watchers.ts), which owns the fan-out
 * and the control that the attendee lends.
 */
import type { IncomingMessage } from 'node:http';
import type { WebSocket } from 'ws';
import { INSTRUCTOR_PROTOCOL } from '../../common/instructor-socket.js';
import { MAX_WATCH_FRAME_BYTES, WATCH_PATH, watchClientMessage, type WatchClientMessage, type WatchErrorCode, type WatchServerMessage } from '../../common/watch-protocol.js';
import type { Auth } from '../http/auth.js';
import type { Logger } from '../log.js';
import { EndpointSocket, ruleStats, type RuleStats, type SocketRules } from '../sockets/endpoint.js';
import type { Endpoint, Refusal, UpgradeStats } from '../sockets/socket-server.js';
import type { SessionManager } from './sessions.js';
import type { WatchLink } from './watchers.js';

export interface WatchGatewayOptions {
  /** Rejected frames a watcher may send before it is closed; default 50. */
  maxBadFrames?: number;
  /** Bytes queued for one watch socket above which it is terminated (output is skipped long before); default 8 MiB. */
  maxBufferedBytes?: number;
}

const ATTENDEE_ID = /^a-[A-Za-z0-9_-]{6,64}$/;
let nextWatcherId = 1;

export class WatchGateway implements Endpoint {
  readonly path = WATCH_PATH;
  readonly name = 'watch';
  readonly protocol = INSTRUCTOR_PROTOCOL;
  readonly maxPayload = 1024 * 1024;
  readonly upgrades: UpgradeStats = { connections: 0, rejectedUpgrades: 0 };
  readonly ruleStats: RuleStats = ruleStats();
  private readonly rules: SocketRules;

  constructor(
    private readonly auth: Pick<Auth, 'instructorSocket'>,
    private readonly sessions: SessionManager,
    private readonly log: Logger,
    opts: WatchGatewayOptions = {},
  ) {
    this.rules = {
      maxFrameBytes: MAX_WATCH_FRAME_BYTES,
      maxPayload: this.maxPayload,
      maxBadFrames: opts.maxBadFrames ?? 50,
      maxBufferedBytes: opts.maxBufferedBytes ?? 8 * 1024 * 1024,
    };
  }

  admit(req: IncomingMessage, url: URL): Refusal | ((ws: WebSocket) => void) {
    // The token under the budget of wrong tokens shared with the HTTP routes (auth.ts, issue 17 §8).
    const token = this.auth.instructorSocket(req);
    if (!token.ok) return token;
    const attendee = url.searchParams.get('attendee') ?? '';
    if (!ATTENDEE_ID.test(attendee)) return { status: 400, why: 'attendee=<id> required' };
    return (ws) => this.open(ws, attendee);
  }

  private open(ws: WebSocket, attendee: string): void {
    let watching: { remove(link: WatchLink): void } | null = null;
    const sock: EndpointSocket<WatchClientMessage, WatchServerMessage, WatchErrorCode> = new EndpointSocket(ws, this.rules, {
      name: this.name,
      fields: { attendee },
      log: this.log,
      stats: this.ruleStats,
      schema: watchClientMessage,
      error: (code, message, fatal) => ({ type: 'error', code, message, ...(fatal ? { fatal } : {}) }),
      onFrame: (msg) => onFrame(msg),
      onClose: () => {
        if (!watching) return;
        watching.remove(link);
        this.log.info('watch ended', { attendee, watcher: link.id });
      },
    });
    const link: WatchLink = {
      id: nextWatcherId++,
      sendJson: (msg) => sock.send(msg),
      sendOutput: (data, onSent) => sock.sendBinary(data, onSent),
      close: (code, reason) => sock.close(code, reason),
      get bufferedAmount() {
        return sock.bufferedAmount;
      },
    };
    const session = this.sessions.get(attendee);
    if (!session || session.state === 'closing' || session.state === 'done') {
      return sock.refuse('no-session', 'this attendee has no terminal open on this server right now', 4404);
    }
    const watchers = session.watchers;
    if (!watchers.add(link)) return sock.refuse('limit', 'this terminal has as many watchers as it may have; close another watch first', 4029);
    watching = watchers;
    this.log.info('watch started', { attendee, watcher: link.id });

    const onFrame = (msg: WatchClientMessage): void => {
      switch (msg.type) {
        case 'input':
          return watchers.input(link, msg.data);
        case 'control':
          return watchers.controlRequest(link, msg.action);
        case 'ping':
          return link.sendJson({ type: 'pong', t: msg.t });
      }
    };
  }
}
