/**
 * Hands out sandboxes: each attendee keeps one, a warm pool of ready ones makes joining and resetting
 * instant, and sandboxes found after a restart (driver.adopt) go back to their attendees or the pool.
 * Works with any SandboxDriver; knows nothing of engines.
 *
 * Who has which sandbox is the AssignmentStore's fact alone (docs/architecture.md#the-sandbox-assignment):
 * the pool writes it, nothing else does, and it never keeps a copy. What the pool owns is the live
 * handles, keyed by sandbox id, so that whoever lets go of a sandbox names the sandbox, not the
 * attendee: a session that is closing releases the sandbox it had, never one a newer session of the
 * same attendee was given meanwhile.
 */
import type { ProgressListener, Sandbox, SandboxDriver } from './driver.js';
import type { Logger } from '../log.js';

/**
 * The one owner of the attendee ↔ sandbox assignment (SQLite in production: it survives a restart,
 * including a SIGKILL, and its file is root-only 0600, out of any sandbox's reach).
 */
export interface AssignmentStore {
  /** The sandbox assigned to the attendee, or null. */
  sandboxOf(attendee: string): string | null;
  /** The attendee the sandbox is assigned to, or null. */
  attendeeOfSandbox(sandboxId: string): string | null;
  /** Assign the sandbox to the attendee, replacing any earlier assignment of theirs. */
  assign(attendee: string, sandboxId: string, driver: string): void;
  /** The sandbox belongs to no one any more (destroyed, or about to be). */
  unassign(sandboxId: string): void;
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
  /**
   * Most ready sandboxes the pool holds, prepared ones included (prepare() creates no more; a restart
   * keeps up to this many of the ones it finds). Default PREPARE_MAX.
   */
  maxReady?: number;
}

/** The most sandboxes one "prepare" may make ready: a room of 200, as the workshops. */
export const PREPARE_MAX = 200;

/** What became of one sandbox prepare() created: `problem` is null when it passed the smoke test. */
export interface PreparedSandbox {
  id: string;
  problem: string | null;
}

/**
 * The smoke test a prepared sandbox must pass before it waits in the pool: the reason it failed, or
 * null. It runs out of band (Sandbox.exec), never in an attendee's shell.
 */
export type SmokeTest = (sandbox: Sandbox) => Promise<string | null>;

/** Every creation slot is taken and the wait queue is full: try again later. */
export class PoolBusyError extends Error {
  constructor(waiting: number) {
    super(`${waiting} attendees are already waiting for a sandbox; retrying shortly`);
    this.name = 'PoolBusyError';
  }
}

export class SandboxPool {
  private readonly warm: Sandbox[] = [];
  /** Live sandboxes handed out (assigned in the store), by sandbox id. */
  private readonly handedOut = new Map<string, Sandbox>();
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
    const keep = Math.max(this.opts.size, this.opts.maxReady ?? PREPARE_MAX);
    for (const sb of found) {
      if (this.store.attendeeOfSandbox(sb.id) !== null) {
        // Stopped ones too: a paused workshop's, started again when it resumes.
        this.handedOut.set(sb.id, sb);
      } else if (this.warm.length < keep && (await sb.health().catch(() => 'missing' as const)) === 'running') {
        // Prepared sandboxes beyond POOL_SIZE were asked for (prepare()): a restart keeps them.
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

  /**
   * The attendee's live sandbox, if the store assigns them one that this server holds (e.g. re-adopted
   * after a restart). A sandbox the store names but no longer exists is not returned: it was lost.
   */
  current(attendee: string): Sandbox | undefined {
    const id = this.store.sandboxOf(attendee);
    return id === null ? undefined : this.handedOut.get(id);
  }

  /** The attendee that `sandbox` is assigned to, or null (warm, released, or unknown). */
  attendeeOf(sandbox: Sandbox): string | null {
    return this.handedOut.get(sandbox.id) === sandbox ? this.store.attendeeOfSandbox(sandbox.id) : null;
  }

  /** The attendee's sandbox: their existing one, a warm one, or a new one. */
  async acquire(attendee: string, onProgress?: ProgressListener): Promise<Sandbox> {
    const existing = this.current(attendee);
    if (existing) return existing;
    const sb = await this.take(onProgress);
    this.bind(sb, attendee);
    return sb;
  }

  /** Give the attendee a fresh sandbox in place of `old` (theirs, or null), which is destroyed in the background. */
  async replace(old: Sandbox | null, attendee: string, onProgress?: ProgressListener): Promise<Sandbox> {
    if (old) void this.release(old);
    const sb = await this.take(onProgress);
    this.bind(sb, attendee);
    return sb;
  }

  /**
   * Destroy `sandbox`. It is unassigned at once, before this returns, so from then on no one is handed
   * it; the promise settles when it is gone. Idempotent; a sandbox the pool never handed out is only destroyed.
   */
  release(sandbox: Sandbox): Promise<void> {
    if (this.handedOut.get(sandbox.id) === sandbox) {
      this.handedOut.delete(sandbox.id);
      this.store.unassign(sandbox.id);
    }
    return this.track(this.destroy(sandbox));
  }

  /**
   * Create `count` more ready sandboxes (within `maxReady`), smoke-test each, and keep those that pass;
   * one that fails is destroyed. Creations take the same bounded slots as attendees' (`maxCreating`),
   * in line with them, so a prepare running while the doors open slows no one more than a join would.
   * `onEach` hears of every sandbox as it is done. Returns how many it will create (fewer than `count`
   * when `maxReady` is reached) and a promise that settles when all are done.
   */
  prepare(count: number, smoke: SmokeTest, onEach: (r: PreparedSandbox) => void): { planned: number; done: Promise<void> } {
    const room = Math.max(0, (this.opts.maxReady ?? PREPARE_MAX) - this.warm.length);
    const planned = Math.min(count, room);
    let left = planned;
    const worker = async (): Promise<void> => {
      while (left > 0 && !this.closed) {
        left--;
        let sb: Sandbox;
        this.creating++;
        // A prepare waits like an attendee would, but never fails for a full line: it takes its turn.
        if (this.creating > (this.opts.maxCreating ?? 4)) {
          this.creating--;
          await new Promise<void>((resolve) => this.waiting.push(resolve));
        }
        try {
          sb = await this.driver.create();
        } catch (err) {
          onEach({ id: '', problem: `could not create: ${err instanceof Error ? err.message : String(err)}` });
          continue;
        } finally {
          this.releaseSlot();
        }
        const problem = await smoke(sb).catch((err: unknown) => `smoke test failed: ${err instanceof Error ? err.message : String(err)}`);
        if (problem === null && !this.closed) this.warm.push(sb);
        else await this.destroy(sb);
        onEach({ id: sb.id, problem: this.closed && problem === null ? 'the server is stopping' : problem });
      }
    };
    const workers = Array.from({ length: Math.min(left, this.opts.maxCreating ?? 4) }, () => this.track(worker()));
    return { planned, done: Promise.all(workers).then(() => undefined) };
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

  private bind(sb: Sandbox, attendee: string): void {
    this.handedOut.set(sb.id, sb);
    this.store.assign(attendee, sb.id, this.driver.info.name);
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
