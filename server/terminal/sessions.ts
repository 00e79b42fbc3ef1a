/**
 * All attendee sessions of this server: created on a browser's hello, removed when they end.
 * Also runs the periodic sandbox health check that tells attendees when their sandbox died.
 */
import { FAIRNESS_DEFAULTS, OutputFairness, type FairnessOptions } from './fairness.js';
import { AttendeeSession, type SessionDeps } from './session.js';
import { workshopAllows } from '../workshop/states.js';

export interface SessionManagerOptions {
  /** Most sessions this server holds at once; hellos beyond are refused with an error. */
  maxSessions: number;
  /** How often sandboxes of connected attendees are checked. */
  healthEveryMs: number;
  /**
   * New sessions started per second, over all attendees, after a burst of `newSessionBurst`; hellos
   * beyond are answered `busy` and the page retries. Cookies cost nothing to mint, so a per-attendee
   * count cannot stop one script from starting many shells; a per-address one would lock out a room
   * behind one NAT address. docs/protocol.md#limits has the reasoning. Defaults 10/s, burst 40.
   */
  newSessionsPerSecond?: number;
  newSessionBurst?: number;
  /** Output fairness between flooding sessions (fairness.ts); FAIRNESS_DEFAULTS unless set. */
  fairness?: Partial<FairnessOptions>;
}

export class SessionManager {
  private readonly sessions = new Map<string, AttendeeSession>();
  private readonly healthTimer: NodeJS.Timeout;
  private checking = false;
  /** Token bucket for new sessions: `tokens` as of `tokensAt`. */
  private tokens: number;
  private tokensAt = Date.now();
  private readonly rate: number;
  private readonly burst: number;
  readonly fairness: OutputFairness;

  constructor(
    private readonly deps: Omit<SessionDeps, 'onDone'>,
    private readonly opts: SessionManagerOptions,
  ) {
    this.healthTimer = setInterval(() => void this.checkAll(), opts.healthEveryMs);
    this.healthTimer.unref();
    this.rate = opts.newSessionsPerSecond ?? 10;
    this.burst = opts.newSessionBurst ?? 40;
    this.tokens = this.burst;
    this.fairness = new OutputFairness({ ...FAIRNESS_DEFAULTS, ...opts.fairness });
  }

  get size(): number {
    return this.sessions.size;
  }

  get(attendee: string): AttendeeSession | undefined {
    return this.sessions.get(attendee);
  }

  all(): AttendeeSession[] {
    return [...this.sessions.values()];
  }

  /**
   * The attendee's session, created if there is room: `full` at MAX_SESSIONS, `busy` when sessions are
   * being started faster than the new-session rate.
   */
  getOrCreate(attendee: string): AttendeeSession | 'full' | 'busy' {
    const existing = this.sessions.get(attendee);
    if (existing && existing.state !== 'closing' && existing.state !== 'done') return existing;
    if (this.sessions.size >= this.opts.maxSessions) return 'full';
    const now = Date.now();
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.tokensAt) / 1000) * this.rate);
    this.tokensAt = now;
    if (this.tokens < 1) return 'busy';
    this.tokens -= 1;
    const session = new AttendeeSession(attendee, {
      fairness: this.fairness,
      ...this.deps,
      onDone: (a) => {
        if (this.sessions.get(a) === session) this.sessions.delete(a);
      },
    });
    this.sessions.set(attendee, session);
    return session;
  }

  /** Reset an attendee's sandbox, whether or not they are connected right now. */
  async reset(attendee: string, by: 'instructor' | 'attendee'): Promise<boolean> {
    const session = this.sessions.get(attendee);
    if (session) {
      await session.reset(by);
      return true;
    }
    const current = this.deps.pool.current(attendee);
    if (current) {
      await this.deps.pool.replace(current, attendee);
      return true;
    }
    return false;
  }

  /** Server shutdown: tell every browser, end shells, keep sandboxes for re-adoption. */
  shutdown(reason: string): void {
    clearInterval(this.healthTimer);
    for (const s of this.sessions.values()) s.goodbye(reason);
    this.sessions.clear();
  }

  private async checkAll(): Promise<void> {
    if (this.checking) return;
    this.checking = true;
    try {
      for (const s of this.sessions.values()) {
        // A paused workshop's sandboxes are stopped on purpose: not "lost" (server/workshop/states.ts).
        const workshop = this.deps.workshop?.(s.attendee);
        if (s.connected && (!workshop || workshopAllows(workshop.state, 'health-check'))) await s.checkHealth().catch(() => undefined);
      }
    } finally {
      this.checking = false;
    }
  }
}
