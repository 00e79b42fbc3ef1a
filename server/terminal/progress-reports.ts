/**
 * The attendee's step, as their page reports it in `progress` frames (issue 17 §5: progress was whatever
 * the attendee said; 2000 frames with made-up lab ids grew the database by 4.9 MB in under 2 s). Before
 * anything is stored:
 *  - rate: a token bucket per session, like the exit statuses' (exit-status.ts FOLLOW_DEFAULTS: 2 a
 *    second after a burst of 20). A report beyond it waits for the next token, and a newer one
 *    replaces it: intermediate steps of someone paging fast are dropped (and counted), the step they
 *    land on is still stored, a little later, and at most one report per session ever waits;
 *  - validity: the lab must be loaded on this server and the step one of its steps. Anything else is
 *    refused with `unknown-step` and stores nothing.
 * Storing is then the store's: a step already current changes only `last_seen`; a move adds one
 * `step` event, which is what the rate bounds (at most burst + 2 per second of events per attendee).
 */
import { TokenBucket, type BucketRate } from './token-bucket.js';

export const PROGRESS_RATE: BucketRate = { perSecond: 2, burst: 20 };

export interface ProgressReportsDeps {
  /** How many steps the lab has, or null when this server has not loaded it. */
  stepCount(labId: string): number | null;
  /** Store a valid report. */
  record(labId: string, step: number): void;
  rate?: BucketRate;
  now?: () => number;
}

/** What became of the reports, for logs and tests. */
export interface ProgressCounts {
  stored: number;
  /** Replaced by a newer report while waiting for a token. */
  dropped: number;
  /** Naming a lab or step that does not exist. */
  refused: number;
}

interface Waiting {
  labId: string;
  step: number;
  refuse: (message: string) => void;
}

export class ProgressReports {
  readonly counts: ProgressCounts = { stored: 0, dropped: 0, refused: 0 };
  private readonly bucket: TokenBucket;
  private waiting: Waiting | null = null;
  private timer: NodeJS.Timeout | null = null;

  constructor(private readonly deps: ProgressReportsDeps) {
    this.bucket = new TokenBucket(deps.rate ?? PROGRESS_RATE, deps.now);
  }

  /** A `progress` frame; `refuse` tells the page why it was not stored. */
  report(labId: string, step: number, refuse: (message: string) => void): void {
    // One already waits: this newer one takes its place (never overtakes it, so the last word wins).
    if (this.waiting) {
      this.counts.dropped++;
      this.waiting = { labId, step, refuse };
      return;
    }
    if (this.bucket.take()) return this.apply({ labId, step, refuse });
    this.waiting = { labId, step, refuse };
    this.schedule();
  }

  /** The session ended: a waiting report goes with it. */
  dispose(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (this.waiting) this.counts.dropped++;
    this.waiting = null;
  }

  private schedule(): void {
    this.timer = setTimeout(() => {
      this.timer = null;
      const w = this.waiting;
      if (!w) return;
      if (!this.bucket.take()) return this.schedule();
      this.waiting = null;
      this.apply(w);
    }, Math.max(1, this.bucket.waitMs()));
    this.timer.unref();
  }

  private apply({ labId, step, refuse }: Waiting): void {
    const steps = this.deps.stepCount(labId);
    if (steps === null) {
      this.counts.refused++;
      return refuse(`no lab ${JSON.stringify(labId.slice(0, 80))} on this server: progress not recorded`);
    }
    if (step >= steps) {
      this.counts.refused++;
      return refuse(`lab ${labId} has ${steps} steps (0 to ${steps - 1}): step ${step} is not one of them`);
    }
    this.counts.stored++;
    this.deps.record(labId, step);
  }
}
