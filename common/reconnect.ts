/**
 * When a dropped socket tries again (issue 18 §9): one backoff for every client that reconnects (the
 * attendee's terminal, the instructor's class and watch sockets). Exponential from `minMs` to `maxMs`,
 * with "equal jitter" (half the delay fixed, half random), so a room full of laptops does not reconnect
 * in lockstep after a server restart: 200 pages retrying on the same tick are 200 sandbox attaches at
 * once.
 */

export interface BackoffOptions {
  minMs: number;
  maxMs: number;
  /** Uniform in [0, 1); Math.random unless a test fixes it. */
  random?: () => number;
}

export const BACKOFF_DEFAULTS: BackoffOptions = { minMs: 500, maxMs: 15_000 };

/** The delays of one run of attempts; `reset()` once a connection has worked. */
export class Backoff {
  private attempt = 0;
  private readonly random: () => number;

  constructor(private readonly opts: BackoffOptions = BACKOFF_DEFAULTS) {
    if (!(opts.minMs > 0 && opts.minMs <= opts.maxMs)) throw new Error('backoff needs 0 < minMs <= maxMs');
    this.random = opts.random ?? Math.random;
  }

  /** Attempts since the last reset. */
  get attempts(): number {
    return this.attempt;
  }

  /** The wait before the next attempt: between half and all of min·2^attempt, capped at max. */
  next(): number {
    const ceiling = Math.min(this.opts.maxMs, this.opts.minMs * 2 ** Math.min(this.attempt, 30));
    this.attempt += 1;
    return ceiling / 2 + this.random() * (ceiling / 2);
  }

  reset(): void {
    this.attempt = 0;
  }
}

/** Timers, so a test can run the schedule without waiting. */
export interface TimerLike {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
  now(): number;
}

const REAL_TIMERS: TimerLike = {
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
  now: () => Date.now(),
};

/** Calls `connect` again after the backoff's delay; at most one attempt is ever pending. */
export class Reconnector {
  readonly backoff: Backoff;
  private timer: unknown = null;
  private stopped = false;

  constructor(
    private readonly connect: () => void,
    opts: BackoffOptions = BACKOFF_DEFAULTS,
    private readonly timers: TimerLike = REAL_TIMERS,
  ) {
    this.backoff = new Backoff(opts);
  }

  /** Whether an attempt is waiting for its time. */
  get pending(): boolean {
    return this.timer !== null;
  }

  /** Try again after the next delay; returns when (the timers' clock), or null once stopped. */
  schedule(): number | null {
    if (this.stopped) return null;
    this.cancel();
    const delay = this.backoff.next();
    this.timer = this.timers.setTimeout(() => {
      this.timer = null;
      if (!this.stopped) this.connect();
    }, delay);
    return this.timers.now() + delay;
  }

  /** Skip the wait ("Retry now", the laptop woke up). */
  now(): void {
    if (this.stopped) return;
    this.cancel();
    this.connect();
  }

  /** The connection worked: the next drop starts from the shortest delay again. */
  succeeded(): void {
    this.backoff.reset();
  }

  cancel(): void {
    if (this.timer !== null) this.timers.clearTimeout(this.timer);
    this.timer = null;
  }

  /** No more attempts, ever (the page went away). */
  stop(): void {
    this.stopped = true;
    this.cancel();
  }
}
