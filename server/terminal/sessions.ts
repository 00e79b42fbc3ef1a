/**
 * All attendee sessions of this server: created on a browser's hello, removed when they end.
 * Also runs the periodic sandbox health check that tells attendees when their sandbox died.
 */
import { FAIRNESS_DEFAULTS, OutputFairness, type FairnessOptions } from './fairness.js';
import { resetSandbox, type ResetBy } from './reset.js';
import { AttendeeSession, type SessionDeps } from './session.js';
import { workshopAllows } from '../workshop/states.js';
import { TokenBucket } from './token-bucket.js';

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
  /** New sessions, for everyone together. */
  private readonly starts: TokenBucket;
  readonly fairness: OutputFairness;

  constructor(
    private readonly deps: Omit<SessionDeps, 'onDone'>,
    private readonly opts: SessionManagerOptions,
  ) {
    this.healthTimer = setInterval(() => void this.checkAll(), opts.healthEveryMs);
    this.healthTimer.unref();
    this.starts = new TokenBucket({ perSecond: opts.newSessionsPerSecond ?? 10, burst: opts.newSessionBurst ?? 40 });
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
    if (!this.starts.take()) return 'busy';
    const session = new AttendeeSession(attendee, {
      ...this.deps,
      terminal: { fairness: this.fairness, ...this.deps.terminal },
      onDone: (a) => {
        if (this.sessions.get(a) === session) this.sessions.delete(a);
      },
    });
    this.sessions.set(attendee, session);
    return session;
  }

  /**
   * Reset an attendee's sandbox, whether or not they are connected right now: through their session,
   * or, without one, the same path (reset.ts: the lab's reset script, the event, a fresh sandbox). False
   * when they have neither a session nor a sandbox.
   */
  async reset(attendee: string, by: ResetBy): Promise<boolean> {
    const session = this.sessions.get(attendee);
    if (session) {
      await session.reset(by);
      return true;
    }
    const current = this.deps.pool.current(attendee);
    if (!current) return false;
    await resetSandbox({ ...this.deps.reset, pool: this.deps.pool }, attendee, current, by);
    return true;
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
