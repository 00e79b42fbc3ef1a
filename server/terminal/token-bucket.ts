/**
 * A token bucket: `burst` at once, then `perSecond`. Bounds how often one client may make the server do
 * something that costs (new sessions, sessions.ts; stored progress, progress-reports.ts).
 */
export interface BucketRate {
  perSecond: number;
  burst: number;
}

export class TokenBucket {
  private tokens: number;
  private at: number;

  constructor(
    private readonly rate: BucketRate,
    private readonly now: () => number = Date.now,
  ) {
    if (!(rate.perSecond > 0 && rate.burst >= 1)) throw new Error('a token bucket needs perSecond > 0 and burst >= 1');
    this.tokens = rate.burst;
    this.at = now();
  }

  /** Take one token: false when there is none (the caller drops or refuses). */
  take(): boolean {
    this.refill();
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }

  /** Milliseconds until a token is there (0: now). */
  waitMs(): number {
    this.refill();
    return this.tokens >= 1 ? 0 : Math.ceil(((1 - this.tokens) / this.rate.perSecond) * 1000);
  }

  private refill(): void {
    const t = this.now();
    this.tokens = Math.min(this.rate.burst, this.tokens + (Math.max(0, t - this.at) / 1000) * this.rate.perSecond);
    this.at = t;
  }
}
