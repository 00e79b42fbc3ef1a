/**
 * Output fairness between sessions (issue 8, item 7): when several shells flood output at once, they
 * share a fixed output budget, so the server's event loop and the CPU stay free for the attendees who
 * type. A flooding shell over its share is paused (flow control's own pause: the program blocks on its
 * write and stops burning CPU) until the next window. One flooding shell alone is never throttled.
 *
 * Why a byte budget: measured with 20 of 200 shells running `yes` (bench/scale.ts), a quiet attendee's
 * echo p99 went from ~1 ms to 73 ms; the floods got ~12 MB/s together, far more than anyone reads
 * (xterm.js renders a few MB/s). docs/performance.md has the figures before and after.
 */

export interface FairnessOptions {
  /** Accounting window. */
  windowMs: number;
  /** A session that sent more than this in one window is flooding. */
  floodBytes: number;
  /** What all flooding sessions together may send per window while two or more flood. */
  sharedBytes: number;
  /** The least one flooding session may send per window, however many flood. */
  minShareBytes: number;
}

export const FAIRNESS_DEFAULTS: FairnessOptions = {
  windowMs: 50,
  floodBytes: 16 * 1024,
  sharedBytes: 128 * 1024,
  minShareBytes: 4 * 1024,
};

export class OutputFairness {
  private readonly sent = new Map<object, number>();
  /** Sessions flooding in the last full window. */
  private flooding = 0;
  private readonly paused = new Map<object, () => void>();
  private timer: NodeJS.Timeout | null = null;

  constructor(private readonly opts: FairnessOptions = FAIRNESS_DEFAULTS) {}

  /** Sessions counted as flooding in the last window (for /api/stats and the bench). */
  get floodingSessions(): number {
    return this.flooding;
  }

  /**
   * Count `bytes` sent by `session`. Returns false when it is over its share: the caller pauses it, and
   * `resume` is called at the next window.
   */
  spend(session: object, bytes: number, resume: () => void): boolean {
    const total = (this.sent.get(session) ?? 0) + bytes;
    this.sent.set(session, total);
    this.tick();
    if (this.flooding < 2 || total <= this.share()) return true;
    this.paused.set(session, resume);
    return false;
  }

  /** The session ended: forget it (and never call its resume). */
  forget(session: object): void {
    this.sent.delete(session);
    this.paused.delete(session);
  }

  private share(): number {
    return Math.max(this.opts.minShareBytes, this.opts.sharedBytes / this.flooding);
  }

  /** Keep the window timer running while there is output; it stops after a silent window. */
  private tick(): void {
    if (this.timer) return;
    this.timer = setInterval(() => this.window(), this.opts.windowMs);
    this.timer.unref();
  }

  private window(): void {
    let flooding = 0;
    // A session paused for its share still floods: it would have sent more.
    for (const [session, n] of this.sent) if (n > this.opts.floodBytes || this.paused.has(session)) flooding++;
    const silent = this.sent.size === 0;
    this.flooding = flooding;
    this.sent.clear();
    const resumes = [...this.paused.values()];
    this.paused.clear();
    for (const r of resumes) r();
    if (silent && this.timer) {
      clearInterval(this.timer);
      this.timer = null;
    }
  }
}
