/**
 * The class view's WebSocket (`/ws/class?workshop=<id>`; common/class-protocol.ts, docs/protocol.md
 * "The class socket"): the instructor's live roster of one workshop, pushed, never polled.
 *
 * Checked before the upgrade: the Origin (one of the server's own, as for the terminal), the bearer
 * token in the subprotocol (401 without it; the answer is INSTRUCTOR_PROTOCOL, never the token), and
 * the workshop (404). Then a `snapshot`, and `update`s with the rows that changed:
 *  - a store write (store.onChange) marks its workshop dirty; a dirty workshop is recomputed at most
 *    every `minIntervalMs` (coalescing a burst of Run clicks into one frame);
 *  - every `tickMs` each watched workshop is recomputed anyway, which catches what no write announces
 *    (a socket going online, a sandbox's health, the stuck threshold crossed by time alone, the stuck
 *    rule changed through the HTTP API);
 *  - a socket with more than `maxBufferedBytes` unsent is skipped and marked stale; once it drains it
 *    gets one fresh snapshot. So a slow instructor never makes the server hold a queue of updates.
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import { INSTRUCTOR_PROTOCOL } from '../../common/instructor-socket.js';
import { parseClassClientMessage, type ClassServerMessage, type StuckSettings } from '../../common/class-protocol.js';
import type { Auth } from '../http/auth.js';
import { refuseUpgrade } from '../http/boundary.js';
import type { Logger } from '../log.js';
import type { EventLog } from '../store/events.js';
import type { StoredWorkshop, Workshops } from '../store/workshops.js';
import { classRow, rosterRows, type RosterDeps } from './roster.js';
import { stuckSettingsOr } from './stuck.js';

export interface ClassSocketDeps extends RosterDeps {
  auth: Pick<Auth, 'originAllowed' | 'instructorSocket'>;
  store: RosterDeps['store'] & Pick<Workshops, 'workshop' | 'workshopOf' | 'setStuckSettings'> & Pick<EventLog, 'onChange'>;
  stepTitles(labId: string): string[];
  log: Logger;
}

export interface ClassSocketOptions {
  /** Recompute every watched workshop this often, written or not. */
  tickMs: number;
  /** At most one frame per workshop this often: writes in between are coalesced. */
  minIntervalMs: number;
  /** Unsent bytes above which a socket is skipped until it drains (then snapshotted). */
  maxBufferedBytes: number;
  /** Refused frames a socket may send before it is closed. */
  maxBadFrames: number;
  pingEveryMs: number;
}

export const CLASS_SOCKET_DEFAULTS: ClassSocketOptions = { tickMs: 1000, minIntervalMs: 250, maxBufferedBytes: 256 * 1024, maxBadFrames: 20, pingEveryMs: 30_000 };

interface Watcher {
  ws: WebSocket;
  /** Missed an update while it was not reading: it gets a snapshot next. */
  stale: boolean;
  alive: boolean;
}

interface Room {
  workshop: string;
  watchers: Set<Watcher>;
  /** Each row as last sent (JSON), by attendee: updates carry the rows that differ. */
  sent: Map<string, string>;
  /** The stuck rule as last sent (JSON): a change, from this socket or the HTTP API, is sent at the next flush. */
  settings: string;
  lastFlush: number;
  timer: NodeJS.Timeout | null;
}

/** What the class socket did, for /api/stats-like reporting and for tests. */
export interface ClassSocketStats {
  /** Frames not sent to a socket that was not reading (it was snapshotted later instead). */
  skipped: number;
  snapshots: number;
  updates: number;
  /** The most bytes ever left unsent on one socket right after a send. */
  maxBuffered: number;
}

export class ClassSocket {
  readonly stats: ClassSocketStats = { skipped: 0, snapshots: 0, updates: 0, maxBuffered: 0 };
  private readonly wss: WebSocketServer;
  private readonly rooms = new Map<string, Room>();
  private readonly ticker: NodeJS.Timeout;
  private readonly pinger: NodeJS.Timeout;
  private readonly unsubscribe: () => void;
  private readonly opts: ClassSocketOptions;

  constructor(
    private readonly deps: ClassSocketDeps,
    opts: Partial<ClassSocketOptions> = {},
  ) {
    this.opts = { ...CLASS_SOCKET_DEFAULTS, ...opts };
    this.wss = new WebSocketServer({
      noServer: true,
      maxPayload: 64 * 1024,
      perMessageDeflate: false,
      // The bearer offer carries the token: the answer names only the protocol, never echoes it.
      handleProtocols: (offered) => (offered.has(INSTRUCTOR_PROTOCOL) ? INSTRUCTOR_PROTOCOL : false),
    });
    this.unsubscribe = deps.store.onChange((attendee) => {
      const w = deps.store.workshopOf(attendee);
      if (w) this.dirty(w.id);
    });
    this.ticker = setInterval(() => {
      for (const room of this.rooms.values()) this.flush(room);
    }, this.opts.tickMs);
    this.ticker.unref();
    this.pinger = setInterval(() => {
      for (const room of this.rooms.values()) {
        for (const w of room.watchers) {
          if (!w.alive) {
            w.ws.terminate();
            continue;
          }
          w.alive = false;
          w.ws.ping();
        }
      }
    }, this.opts.pingEveryMs);
    this.pinger.unref();
  }

  /** An upgrade already routed to CLASS_PATH. */
  handleUpgrade(req: IncomingMessage, url: URL, socket: Duplex, head: Buffer): void {
    const reject = (status: number, why: string, retryAfterS?: number) => {
      this.deps.log.warn('class socket upgrade rejected', { why, origin: (req.headers.origin ?? '').slice(0, 200), addr: req.socket.remoteAddress ?? '' });
      refuseUpgrade(socket, status, why, retryAfterS);
    };
    if (!this.deps.auth.originAllowed(req)) return reject(403, 'Forbidden origin');
    // The token under the budget of wrong tokens shared with the HTTP routes (auth.ts, issue 17 §8).
    const token = this.deps.auth.instructorSocket(req);
    if (!token.ok) return reject(token.status, token.status === 429 ? 'Too many wrong instructor tokens' : 'instructor token required', token.retryAfterS);
    const w = this.deps.store.workshop(url.searchParams.get('workshop') ?? '');
    if (!w) return reject(404, 'no such workshop');
    this.wss.handleUpgrade(req, socket, head, (ws) => this.onConnection(ws, w));
  }

  close(): void {
    clearInterval(this.ticker);
    clearInterval(this.pinger);
    this.unsubscribe();
    for (const room of this.rooms.values()) if (room.timer) clearTimeout(room.timer);
    this.rooms.clear();
    for (const ws of this.wss.clients) ws.terminate();
    this.wss.close();
  }

  private onConnection(ws: WebSocket, w: StoredWorkshop): void {
    let room = this.rooms.get(w.id);
    if (!room) {
      room = { workshop: w.id, watchers: new Set(), sent: new Map(), settings: JSON.stringify(stuckSettingsOr(this.deps.store.stuckSettings(w.id))), lastFlush: 0, timer: null };
      this.rooms.set(w.id, room);
    }
    const watcher: Watcher = { ws, stale: false, alive: true };
    room.watchers.add(watcher);
    ws.on('pong', () => (watcher.alive = true));
    ws.on('error', (err) => this.deps.log.warn('class socket error', { workshop: w.id, err: String(err) }));
    ws.on('close', () => {
      const r = this.rooms.get(w.id);
      if (!r) return;
      r.watchers.delete(watcher);
      if (r.watchers.size === 0) {
        if (r.timer) clearTimeout(r.timer);
        this.rooms.delete(w.id);
      }
    });
    let badFrames = 0;
    ws.on('message', (raw: RawData, isBinary: boolean) => {
      const parsed = isBinary ? ({ ok: false, code: 'bad-message', message: 'send JSON text frames' } as const) : parseClassClientMessage(rawToString(raw));
      if (!parsed.ok) {
        badFrames++;
        if (badFrames > this.opts.maxBadFrames) return ws.close(4008, 'too many rejected frames');
        return this.send(watcher, { type: 'error', code: parsed.code, message: parsed.message });
      }
      // The only message: the stuck rule. Kept with the workshop; the flush tells every watcher and applies it.
      const current = stuckSettingsOr(this.deps.store.stuckSettings(w.id));
      const settings: StuckSettings = { stuckAfterMs: parsed.message.stuckAfterMs ?? current.stuckAfterMs, failStreak: parsed.message.failStreak ?? current.failStreak };
      this.deps.store.setStuckSettings(w.id, settings);
      this.dirty(w.id);
    });
    this.snapshot(watcher, w);
  }

  private snapshot(watcher: Watcher, w: StoredWorkshop): void {
    const now = Date.now();
    const settings = stuckSettingsOr(this.deps.store.stuckSettings(w.id));
    const rows = rosterRows(this.deps, w, now, settings).map(classRow);
    watcher.stale = false;
    this.stats.snapshots++;
    this.send(watcher, {
      type: 'snapshot',
      workshop: { id: w.id, title: w.title, code: w.code, lab: w.labId, stepTitles: this.deps.stepTitles(w.labId) },
      settings,
      rows,
      at: now,
    });
  }

  /** A write touched the workshop: flush now, or as soon as minIntervalMs since the last flush allows. */
  private dirty(workshop: string): void {
    const room = this.rooms.get(workshop);
    if (!room || room.timer) return;
    const wait = Math.max(0, room.lastFlush + this.opts.minIntervalMs - Date.now());
    room.timer = setTimeout(() => {
      room.timer = null;
      this.flush(room);
    }, wait);
    room.timer.unref();
  }

  private flush(room: Room): void {
    if (room.timer) {
      clearTimeout(room.timer);
      room.timer = null;
    }
    room.lastFlush = Date.now();
    const w = this.deps.store.workshop(room.workshop);
    if (!w) return;
    const now = Date.now();
    const settings = stuckSettingsOr(this.deps.store.stuckSettings(w.id));
    const settingsJson = JSON.stringify(settings);
    const settingsChanged = settingsJson !== room.settings;
    room.settings = settingsJson;
    const rows = rosterRows(this.deps, w, now, settings).map(classRow);
    const changed = [];
    const seen = new Set<string>();
    for (const row of rows) {
      seen.add(row.id);
      const json = JSON.stringify(row);
      if (room.sent.get(row.id) === json) continue;
      room.sent.set(row.id, json);
      changed.push(row);
    }
    const removed = [...room.sent.keys()].filter((id) => !seen.has(id));
    for (const id of removed) room.sent.delete(id);
    for (const watcher of room.watchers) {
      if (watcher.ws.bufferedAmount > this.opts.maxBufferedBytes) {
        watcher.stale = true;
        this.stats.skipped++;
        continue;
      }
      if (watcher.stale) {
        this.snapshot(watcher, w);
        continue;
      }
      if (settingsChanged) this.send(watcher, { type: 'settings', settings });
      if (changed.length > 0 || removed.length > 0) {
        this.stats.updates++;
        this.send(watcher, { type: 'update', rows: changed, removed, at: now });
      }
    }
  }

  private send(watcher: Watcher, msg: ClassServerMessage): void {
    if (watcher.ws.readyState !== watcher.ws.OPEN) return;
    watcher.ws.send(JSON.stringify(msg));
    this.stats.maxBuffered = Math.max(this.stats.maxBuffered, watcher.ws.bufferedAmount);
  }
}

function rawToString(raw: RawData): string {
  if (Array.isArray(raw)) return Buffer.concat(raw).toString('utf8');
  if (raw instanceof ArrayBuffer) return Buffer.from(raw).toString('utf8');
  return raw.toString('utf8');
}
