/**
 * The one WebSocket server of labdeck (issue 18 §4): every socket (the terminal, the instructor's watch
 * and class sockets, and whatever comes next) is upgraded here, routed by its path to its Endpoint.
 * What every socket shares happens here once: the Origin check, the answer to the subprotocol offer,
 * and the keepalive; what each socket may do once open is endpoint.ts's per-socket rules.
 *
 *  - Origin: one of the server's own (Auth.originAllowed), or 403 before anything else runs.
 *  - Subprotocol: an endpoint that speaks one (the instructor's sockets: INSTRUCTOR_PROTOCOL) answers
 *    it only when the client offered it; no other offer is ever echoed (the bearer token travels as an
 *    offer, common/instructor-socket.ts). An endpoint without one answers none.
 *  - Keepalive: every `pingEveryMs` each socket is pinged; one that did not answer the previous ping
 *    is terminated (conference NATs drop idle connections without a word).
 *  - Frame size: `ws` reads frames up to the largest endpoint's `maxPayload`; each endpoint's socket
 *    closes (1009) on a frame above its own (endpoint.ts).
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import { refuseUpgrade } from '../http/boundary.js';
import type { Logger } from '../log.js';

/** Why an upgrade is refused: the HTTP status and the sentence written back. */
export interface Refusal {
  status: number;
  why: string;
  /** Seconds for a Retry-After header (a 429: the instructor's budget of wrong tokens, issue 17 §8). */
  retryAfterS?: number;
}

/** Upgrades and connections of one endpoint (its own stats add what it limits). */
export interface UpgradeStats {
  connections: number;
  rejectedUpgrades: number;
}

export interface Endpoint {
  /** The URL path it serves, e.g. `/ws/terminal`. */
  readonly path: string;
  /** For logs: `terminal`, `watch`, `class`. */
  readonly name: string;
  /** The subprotocol it speaks, answered only when the client offered it. */
  readonly protocol?: string;
  /** The largest frame its sockets accept (endpoint.ts closes them with 1009 above it). */
  readonly maxPayload: number;
  /** Counted here: sockets opened, upgrades refused. */
  readonly upgrades: UpgradeStats;
  /**
   * The endpoint's own checks before the upgrade (a cookie, the instructor's token, the resource named
   * in the query): a refusal, or what to do with the socket once it is open.
   */
  admit(req: IncomingMessage, url: URL): Refusal | ((ws: WebSocket) => void);
}

export interface SocketServerOptions {
  /** Keepalive ping interval; a socket that misses one pong is terminated. */
  pingEveryMs: number;
  /** The Origin rule (Auth.originAllowed). */
  originAllowed(req: IncomingMessage): boolean;
}

export class SocketServer {
  private readonly wss: WebSocketServer;
  private readonly endpoints = new Map<string, Endpoint>();
  private readonly alive = new WeakMap<WebSocket, boolean>();
  private readonly pinger: NodeJS.Timeout;
  /** The endpoint whose upgrade is being completed: `ws` asks for the subprotocol synchronously inside it. */
  private upgrading: Endpoint | null = null;

  constructor(
    private readonly log: Logger,
    private readonly opts: SocketServerOptions,
  ) {
    this.wss = new WebSocketServer({
      noServer: true,
      perMessageDeflate: false,
      // Raised to the largest endpoint's as they are added (never 0: that would mean no limit).
      maxPayload: 1024,
      handleProtocols: (offered) => {
        const protocol = this.upgrading?.protocol;
        return protocol !== undefined && offered.has(protocol) ? protocol : false;
      },
    });
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

  /** Serve `endpoint` at its path (one endpoint per path). */
  add(endpoint: Endpoint): void {
    if (this.endpoints.has(endpoint.path)) throw new Error(`two WebSocket endpoints at ${endpoint.path}`);
    this.endpoints.set(endpoint.path, endpoint);
    this.wss.options.maxPayload = Math.max(this.wss.options.maxPayload ?? 0, endpoint.maxPayload);
  }

  /**
   * An upgrade the HTTP boundary admitted (Host checked): handled (answered or upgraded) when an
   * endpoint serves its path, false otherwise (the caller answers it).
   */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer, url: URL): boolean {
    const endpoint = this.endpoints.get(url.pathname);
    if (!endpoint) return false;
    const reject = (r: Refusal) => {
      endpoint.upgrades.rejectedUpgrades++;
      this.log.warn(`${endpoint.name} upgrade rejected`, { why: r.why, origin: (req.headers.origin ?? '').slice(0, 200), addr: req.socket.remoteAddress ?? '' });
      refuseUpgrade(socket, r.status, r.why, r.retryAfterS);
    };
    if (!this.opts.originAllowed(req)) {
      reject({ status: 403, why: 'Forbidden origin' });
      return true;
    }
    const admitted = endpoint.admit(req, url);
    if (typeof admitted !== 'function') {
      reject(admitted);
      return true;
    }
    this.upgrading = endpoint;
    try {
      this.wss.handleUpgrade(req, socket, head, (ws) => {
        endpoint.upgrades.connections++;
        this.alive.set(ws, true);
        ws.on('pong', () => this.alive.set(ws, true));
        ws.on('error', (err) => this.log.warn(`${endpoint.name} socket error`, { err: String(err) }));
        admitted(ws);
      });
    } finally {
      this.upgrading = null;
    }
    return true;
  }

  /** Server shutdown: every socket is cut (the endpoints said goodbye first where they had something to say). */
  close(): void {
    clearInterval(this.pinger);
    for (const ws of this.wss.clients) ws.terminate();
    this.wss.close();
  }
}
