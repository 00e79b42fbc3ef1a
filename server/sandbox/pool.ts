/**
 * Hands out sandboxes: each attendee keeps one, a warm pool of ready ones makes joining and resetting
 * instant, and sandboxes found after a restart (driver.adopt) go back to their attendees or the pool.
 * Works with any SandboxDriver; knows nothing of engines.
 */
import type { ProgressListener, Sandbox, SandboxDriver } from './driver.js';
import type { Logger } from '../log.js';

/** Where the attendee ↔ sandbox assignment survives a restart (SQLite in production). */
export interface AssignmentStore {
  attendeeOfSandbox(sandboxId: string): string | null;
  setSandbox(attendee: string, sandboxId: string | null, driver: string): void;
}

export interface PoolOptions {
  /** Ready, unassigned sandboxes to keep. 0 disables the pool. */
  size: number;
  /** Creations running at once while refilling (within `maxCreating`). */
  parallel?: number;
  /**
   * Sandboxes being created at once, for attendees and the refill together; default 4. Each podman
   * creation is a container, a network and a firewall rule: 200 at once starve the machine.
   */
  maxCreating?: number;
  /**
   * Attendees waiting for a creation slot; one more gets PoolBusyError (the page is told `busy` and
   * retries). Waiting costs a promise; the bound keeps a flood of joins from queueing without end. Default 128.
   */
  maxWaiting?: number;
  /** How often waiting sandboxes are checked (and dead ones replaced); default 15 s. */
  checkEveryMs?: number;
}

/** Every creation slot is taken and the wait queue is full: try again later. */
export class PoolBusyError extends Error {
  constructor(waiting: number) {
    super(`${waiting} attendees are already waiting for a sandbox; retrying shortly`);
    this.name = 'PoolBusyError';
  }
}

export class SandboxPool {
  private readonly warm: Sandbox[] = [];
  private readonly byAttendee = new Map<string, Sandbox>();
  private readonly background = new Set<Promise<unknown>>();
  /** Creation slots in use (refill and on-demand creations), and how many of them the refill holds. */
  private creating = 0;
  private refilling = 0;
  /** Attendees waiting for a creation slot, first come first served; each is handed a slot. */
  private readonly waiting: Array<() => void> = [];
  private closed = false;
  private checker: NodeJS.Timeout | null = null;

  constructor(
    readonly driver: SandboxDriver,
    private readonly store: AssignmentStore,
    private readonly opts: PoolOptions,
    private readonly log: Logger,
  ) {}

  /** Re-adopt what a previous run left, then fill the pool. */
  async start(): Promise<{ adopted: number; pooled: number }> {
    const found = await this.driver.adopt();
    let pooled = 0;
    for (const sb of found) {
      const attendee = sb.attendee ?? this.store.attendeeOfSandbox(sb.id);
      if (attendee && !this.byAttendee.has(attendee)) {
        sb.attendee = attendee;
        this.byAttendee.set(attendee, sb);
      } else if (this.warm.length < this.opts.size) {
        sb.attendee = null;
        this.warm.push(sb);
        pooled++;
      } else {
        void this.track(this.driver.destroy(sb));
      }
    }
    this.refill();
    // Waiting sandboxes are checked here, in the background, not when handed out: a health check
    // costs a `podman inspect` (~100 ms) that would otherwise sit on every join and reset.
    this.checker = setInterval(() => void this.checkWarm(), this.opts.checkEveryMs ?? 15_000);
    this.checker.unref();
    return { adopted: found.length, pooled };
  }

  private async checkWarm(): Promise<void> {
    for (const sb of [...this.warm]) {
      if (this.closed) return;
      const health = await sb.health().catch(() => 'missing' as const);
      if (health !== 'running' && this.warm.includes(sb)) {
        this.warm.splice(this.warm.indexOf(sb), 1);
        this.log.warn('pool: a waiting sandbox died; replacing it', { id: sb.id, health });
        void this.track(this.destroy(sb));
      }
    }
    this.refill();
  }

  get warmCount(): number {
    return this.warm.length;
  }

  /** The attendee's current sandbox, if any (e.g. re-adopted after a restart). */
  current(attendee: string): Sandbox | undefined {
    return this.byAttendee.get(attendee);
  }

  /** The attendee's sandbox: their existing one, a warm one, or a new one. */
  async acquire(attendee: string, onProgress?: ProgressListener): Promise<Sandbox> {
    const existing = this.byAttendee.get(attendee);
    if (existing) return existing;
    const sb = await this.take(onProgress);
    await this.bind(sb, attendee);
    return sb;
  }

  /** Give the attendee a fresh sandbox and destroy the old one in the background. */
  async replace(attendee: string, onProgress?: ProgressListener): Promise<Sandbox> {
    const old = this.byAttendee.get(attendee);
    this.byAttendee.delete(attendee);
    if (old) void this.track(this.destroy(old));
    const sb = await this.take(onProgress);
    await this.bind(sb, attendee);
    return sb;
  }

  /** The attendee is gone: destroy their sandbox. */
  release(attendee: string): Promise<void> {
    const sb = this.byAttendee.get(attendee);
    this.byAttendee.delete(attendee);
    if (!sb) return Promise.resolve();
    this.store.setSandbox(attendee, null, this.driver.info.name);
    return this.track(this.destroy(sb));
  }

  /** Wait for background work (creations, destructions) to settle. */
  async drain(): Promise<void> {
    while (this.background.size > 0) await Promise.allSettled([...this.background]);
  }

  /** Stop refilling; sandboxes are left as they are (a restart re-adopts them). */
  async close(): Promise<void> {
    this.closed = true;
    if (this.checker) clearInterval(this.checker);
    await this.drain();
  }

  /** Sandboxes being created right now, and attendees waiting to start one (for /api/stats and tests). */
  get creation(): { creating: number; waiting: number } {
    return { creating: this.creating, waiting: this.waiting.length };
  }

  private async take(onProgress?: ProgressListener): Promise<Sandbox> {
    // Checked by checkWarm(); one that died since is reported by the session when its shell fails.
    const warm = this.warm.shift();
    if (warm) {
      onProgress?.('sandbox ready (from the warm pool)', 1);
      this.refill();
      return warm;
    }
    await this.slot(onProgress);
    try {
      // A refill may have finished while this attendee waited.
      const sb = this.warm.shift() ?? (await this.driver.create(onProgress));
      return sb;
    } finally {
      this.releaseSlot();
      this.refill();
    }
  }

  /** Take a creation slot, waiting in line for one if all `maxCreating` are in use. */
  private async slot(onProgress?: ProgressListener): Promise<void> {
    if (this.creating < (this.opts.maxCreating ?? 4)) {
      this.creating++;
      return;
    }
    const max = this.opts.maxWaiting ?? 128;
    if (this.waiting.length >= max) throw new PoolBusyError(this.waiting.length);
    onProgress?.(`waiting for a free slot to create your sandbox (${this.waiting.length} ahead of you)`, 0);
    await new Promise<void>((resolve) => this.waiting.push(resolve));
  }

  /** Hand the slot to the next attendee in line, or free it. */
  private releaseSlot(): void {
    const next = this.waiting.shift();
    if (next) next();
    else this.creating--;
  }

  private async bind(sb: Sandbox, attendee: string): Promise<void> {
    await this.driver.assign(sb, attendee);
    sb.attendee = attendee;
    this.byAttendee.set(attendee, sb);
    this.store.setSandbox(attendee, sb.id, this.driver.info.name);
  }

  private refill(): void {
    const parallel = Math.min(this.opts.parallel ?? 2, this.opts.maxCreating ?? 4);
    // Attendees in line come first: the refill only uses slots nobody waits for.
    while (!this.closed && this.waiting.length === 0 && this.warm.length + this.refilling < this.opts.size && this.refilling < parallel && this.creating < (this.opts.maxCreating ?? 4)) {
      this.creating++;
      this.refilling++;
      const p = this.driver
        .create()
        .then((sb) => {
          if (this.closed) return this.driver.destroy(sb);
          this.warm.push(sb);
          return undefined;
        })
        .catch((err: unknown) => this.log.error('pool: could not create a sandbox', { err: String(err) }))
        .finally(() => {
          this.refilling--;
          this.releaseSlot();
          // Keep going until full, but do not spin on a driver that keeps failing.
          if (!this.closed) setTimeout(() => this.refill(), 200).unref();
        });
      void this.track(p);
    }
  }

  private destroy(sb: Sandbox): Promise<void> {
    return this.driver.destroy(sb).catch((err: unknown) => {
      this.log.error('pool: could not destroy a sandbox', { id: sb.id, err: String(err) });
    });
  }

  private track<T>(p: Promise<T>): Promise<void> {
    const settled = p.then(
      () => undefined,
      () => undefined,
    );
    this.background.add(settled);
    void settled.finally(() => this.background.delete(settled));
    return settled;
  }
}
