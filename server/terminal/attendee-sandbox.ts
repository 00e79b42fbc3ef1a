/**
 * The attendee's sandbox, as their session holds it (issue 18 §6): acquired from the pool when a shell
 * first needs it, reset (reset.ts, the one reset path) or replaced when it died, checked for health, and
 * followed for the shell's exit statuses while it is theirs (server/classroom/exit-status.ts). Every
 * terminal of the session runs in it (terminal.ts); which sandbox is whose is the store's fact, written
 * by the pool alone (docs/architecture.md#the-sandbox-assignment): this keeps only the live handle it
 * was handed.
 */
import type { Disposable, ProgressListener, Sandbox, SandboxHealth } from '../sandbox/driver.js';
import type { SandboxPool } from '../sandbox/pool.js';
import { resetSandbox, type ResetBy, type ResetDeps } from './reset.js';

/** The pool calls a session makes (all of them are in this file and reset.ts). */
export type SessionPool = Pick<SandboxPool, 'acquire' | 'current' | 'replace' | 'release'>;

export interface AttendeeSandboxDeps {
  pool: SessionPool;
  /** True when the store still assigns the attendee a sandbox (one lost in a restart shows as replaced). */
  hadSandbox(attendee: string): boolean;
  reset: Omit<ResetDeps, 'pool'>;
  /** Follows the sandbox while the session has it; the handle is disposed when it lets go of it. */
  followSandbox?(attendee: string, sandbox: Sandbox): Disposable;
}

export class AttendeeSandbox {
  private sandbox: Sandbox | null = null;
  /** Health from the last check (the periodic sweep, or a shell's exit). */
  private health: SandboxHealth = 'running';
  /** deps.followSandbox's handle for the sandbox it follows. */
  private following: { sandbox: Sandbox; handle: Disposable } | null = null;

  constructor(
    readonly attendee: string,
    private readonly deps: AttendeeSandboxDeps,
  ) {}

  /** The sandbox, once the attendee has one (for out-of-band checks such as preflight). */
  get current(): Sandbox | null {
    return this.sandbox;
  }

  get info(): { id: string; driver: string; health: SandboxHealth } | null {
    return this.sandbox ? { id: this.sandbox.id, driver: this.sandbox.driver, health: this.health } : null;
  }

  /** A shell started in it: it runs. */
  markRunning(): void {
    this.health = 'running';
  }

  /** The workshop paused: it is stopped on purpose (the instructor's table says so). */
  markStopped(): void {
    if (this.sandbox) this.health = 'stopped';
  }

  /**
   * The sandbox to start a shell in: the one the session has, or the attendee's from the pool (theirs
   * if the store assigns one that lives, else a warm or new one). `replaced` says so when the previous
   * one was lost.
   */
  async ensure(onProgress: ProgressListener): Promise<{ sandbox: Sandbox; replaced?: string }> {
    let replaced: string | undefined;
    if (!this.sandbox) {
      const adopted = this.deps.pool.current(this.attendee);
      if (!adopted && this.deps.hadSandbox(this.attendee)) replaced = 'The server restarted and your previous shell was lost; this is a new one.';
      onProgress('preparing your sandbox', 0.05);
      // The sandbox's own progress fills 5-85%; attaching the shell is the rest.
      this.sandbox = await this.deps.pool.acquire(this.attendee, (phase, f) => onProgress(phase, 0.05 + 0.8 * f));
    }
    this.follow();
    return { sandbox: this.sandbox, ...(replaced ? { replaced } : {}) };
  }

  /** Reset to a clean sandbox: the lab's reset script, the event, a fresh one (reset.ts). */
  async reset(by: ResetBy, replacing: () => void, onProgress: ProgressListener): Promise<void> {
    const old = this.sandbox;
    this.sandbox = await resetSandbox({ ...this.deps.reset, pool: this.deps.pool }, this.attendee, old, by, {
      replacing: () => this.letGo(replacing),
      onProgress: (phase, f) => onProgress(phase, 0.05 + 0.8 * f),
    });
  }

  /**
   * A fresh sandbox in place of one that died (the attendee's "start a new sandbox"): there is nothing
   * left to clean up in it, so no reset script, and it is not a reset in the event log.
   */
  async replaceDead(replacing: () => void, onProgress: ProgressListener): Promise<void> {
    const old = this.sandbox;
    this.letGo(replacing);
    this.sandbox = await this.deps.pool.replace(old, this.attendee, (phase, f) => onProgress(phase, 0.05 + 0.8 * f));
  }

  /** Whether the sandbox answers (false when there is none). */
  async healthy(): Promise<boolean> {
    return this.sandbox ? (await this.sandbox.health()) === 'running' : false;
  }

  /** Ask the sandbox how it is; `lost` when it is not running and is still the session's. */
  async check(): Promise<{ health: SandboxHealth | 'none'; lost: boolean }> {
    const sb = this.sandbox;
    if (!sb) return { health: 'none', lost: false };
    const health = await sb.health();
    const still = this.sandbox === sb;
    if (still) this.health = health;
    return { health, lost: health !== 'running' && still };
  }

  /**
   * The session ends: the sandbox is released now (unassigned before anything waits, so a hello for this
   * attendee arriving meanwhile gets another one), and, once `settled` (the changes under way), any
   * other one a start or reset under way was handed since.
   */
  async release(settled: Promise<unknown>): Promise<void> {
    const held = this.sandbox;
    const releasing = held ? this.deps.pool.release(held) : Promise.resolve();
    await settled;
    if (this.sandbox && this.sandbox !== held) await this.deps.pool.release(this.sandbox);
    await releasing;
    this.sandbox = null;
    this.follow();
  }

  /** Server shutdown: stop following, keep the sandbox (and its assignment) for the next run to re-adopt. */
  detach(): void {
    this.following?.handle.dispose();
    this.following = null;
  }

  /** The sandbox is about to be replaced: it is the session's no more. */
  private letGo(replacing: () => void): void {
    replacing();
    this.sandbox = null;
    this.follow();
  }

  /** Keep deps.followSandbox on the current sandbox: the old one's handle goes, the new one's comes. */
  private follow(): void {
    if (this.following?.sandbox === this.sandbox) return;
    this.following?.handle.dispose();
    this.following = null;
    if (this.sandbox && this.deps.followSandbox) this.following = { sandbox: this.sandbox, handle: this.deps.followSandbox(this.attendee, this.sandbox) };
  }
}
