/**
 * A workshop's capacity and lifecycle (issue 10): prepare sandboxes before the doors open, close with a
 * warning, pause overnight and resume, reset a selection. The instructor's routes are
 * server/http/capacity-api.ts; this is what they do. Progress of the long actions (prepare, reset) is
 * kept here, in memory, per workshop: it describes work this process is doing and ends with it. What
 * must outlive a restart (the state, the close deadline) is in the store.
 */
import type { Capacity, PrepareStatus, ResetState, TransitionResult } from '../../common/api.js';
import type { ToolRequirement } from '../../common/lab-model.js';
import type { LabCatalog } from '../labs/catalog.js';
import type { Logger } from '../log.js';
import type { Sandbox } from '../sandbox/driver.js';
import type { SandboxPool } from '../sandbox/pool.js';
import { parsePreflight, preflightScript } from '../sandbox/preflight.js';
import type { Assignments } from '../store/assignments.js';
import type { StoredWorkshop, Workshops } from '../store/workshops.js';
import { closingNotice, type WorkshopStatus } from '../terminal/session.js';
import type { SessionManager } from '../terminal/sessions.js';

/** What WorkshopControl reads and writes of the store (its workshops and assignments modules). */
export type WorkshopControlStore = Pick<Workshops, 'workshop' | 'workshopOf' | 'members' | 'workshopTimes' | 'setClosesAt' | 'closingWorkshops' | 'moveWorkshop'> &
  Pick<Assignments, 'workshopSandboxes'>;

export interface WorkshopControlOptions {
  /** How long the smoke test of a prepared sandbox may take (the lab's tool check). */
  smokeTimeoutMs: number;
  /** Sandboxes stopped, started or reset at once: each is a podman call of a second or more. */
  parallel?: number;
}

/** The smoke test's last line: the tool check ran to its end. */
const SMOKE_DONE = '@@labdeck smoke-done';

/** The most attendees one reset request names: a workshop's MAX_ATTENDEES. */
export const MAX_RESET_SELECTION = 1000;

export class WorkshopControl {
  private readonly prepares = new Map<string, PrepareStatus>();
  private readonly resets = new Map<string, Map<string, ResetState>>();
  private readonly closeTimers = new Map<string, NodeJS.Timeout>();

  constructor(
    private readonly store: WorkshopControlStore,
    private readonly pool: SandboxPool,
    private readonly sessions: SessionManager,
    private readonly labs: Pick<LabCatalog, 'lab'>,
    private readonly log: Logger,
    private readonly opts: WorkshopControlOptions,
  ) {}

  /** The workshop state a session needs (SessionDeps.workshop): one indexed query. */
  statusOf(attendee: string): WorkshopStatus | null {
    const w = this.store.workshopOf(attendee);
    return w ? { state: w.state, closesAt: w.state === 'open' ? this.store.workshopTimes(w.id).closesAt : null } : null;
  }

  /** After a restart: a close countdown that was running goes on (or ends now, if its time passed). */
  recover(): void {
    for (const c of this.store.closingWorkshops()) this.armClose(c.id, c.closesAt);
  }

  capacity(w: StoredWorkshop): Capacity {
    const times = this.store.workshopTimes(w.id);
    const creation = this.pool.creation;
    return {
      state: w.state,
      ready: this.pool.warmCount,
      inUse: this.store.workshopSandboxes(w.id).length,
      joined: this.store.members(w.id).length,
      capacity: w.maxAttendees,
      creating: creation.creating,
      waiting: creation.waiting,
      closesAt: times.closesAt,
      pausedAt: times.pausedAt,
      prepare: this.prepares.get(w.id) ?? null,
      resets: Object.fromEntries(this.resets.get(w.id) ?? []),
    };
  }

  /**
   * Make `count` more sandboxes ready, each smoke-tested with the workshop lab's tool check. Null when
   * one is already running for this workshop; the progress is in capacity().prepare.
   */
  prepare(w: StoredWorkshop, count: number): PrepareStatus | null {
    if (this.prepares.get(w.id)?.running) return null;
    const tools = this.labs.lab(w.labId)?.tools ?? [];
    const status: PrepareStatus = { requested: count, done: 0, ready: 0, failed: [], missingTools: [], running: true, startedAt: Date.now(), finishedAt: null };
    this.prepares.set(w.id, status);
    const missing = new Set<string>();
    const { planned, done } = this.pool.prepare(
      count,
      (sb) => this.smoke(sb, tools, missing),
      (r) => {
        status.done++;
        if (r.problem === null) status.ready++;
        else {
          status.failed.push(r);
          this.log.warn('prepare: a sandbox failed its smoke test and was destroyed', { workshop: w.id, id: r.id, problem: r.problem });
        }
        status.missingTools = [...missing].sort();
      },
    );
    // The pool holds at most PREPARE_MAX ready: what was asked beyond it is not planned, and shown so.
    status.requested = planned;
    void done.finally(() => {
      status.running = false;
      status.finishedAt = Date.now();
      this.log.info('prepare finished', { workshop: w.id, asked: count, planned, ready: status.ready, failed: status.failed.length });
    });
    return status;
  }

  /**
   * The smoke test: the lab's tool check (preflight.ts, without its nested-container check, which
   * costs seconds per sandbox) must run to the end, in time. A sandbox that cannot run it (exec fails,
   * it hangs, the sandbox died) is broken; a tool it lacks is reported, not failed, because every
   * sandbox of the same image lacks it and destroying them would not help.
   */
  private async smoke(sb: Sandbox, tools: ToolRequirement[], missing: Set<string>): Promise<string | null> {
    const script = `${preflightScript(tools, { engine: false })}\necho ${SMOKE_DONE}`;
    const r = await sb.exec(['bash', '-c', script], { timeoutMs: this.opts.smokeTimeoutMs });
    if (r.timedOut) return `the lab's tool check did not finish in ${Math.round(this.opts.smokeTimeoutMs / 1000)} s`;
    if (!r.stdout.includes(SMOKE_DONE)) return `the lab's tool check did not run (exit ${r.code}): ${(r.stderr || r.stdout).trim().slice(0, 300)}`;
    for (const t of parsePreflight(r.stdout, tools).tools) if (!t.found) missing.add(t.name);
    return null;
  }

  /** Start the close countdown: members are warned now, their sandboxes destroyed at the end. */
  close(w: StoredWorkshop, warnMs: number): number {
    const closesAt = Date.now() + warnMs;
    this.store.setClosesAt(w.id, closesAt);
    for (const m of this.store.members(w.id)) this.sessions.get(m.attendee)?.notice('closing', closingNotice(closesAt), closesAt);
    this.armClose(w.id, closesAt);
    return closesAt;
  }

  private armClose(id: string, closesAt: number): void {
    clearTimeout(this.closeTimers.get(id));
    const timer = setTimeout(() => void this.finishClose(id), Math.max(0, closesAt - Date.now()));
    timer.unref();
    this.closeTimers.set(id, timer);
  }

  /** The countdown ended: the workshop is closed (no join, no shell), every member's sandbox destroyed. */
  private async finishClose(id: string): Promise<void> {
    this.closeTimers.delete(id);
    const w = this.store.workshop(id);
    // The table (states.ts) refuses a second close, and one of a workshop gone meanwhile.
    if (!w || !this.store.moveWorkshop(id, 'closed')) return;
    await this.each(this.store.members(id), async (m) => {
      const session = this.sessions.get(m.attendee);
      if (session) {
        session.notice('closed', `The workshop "${w.title}" is closed: thank you for taking part.`);
        await session.close('workshop closed');
      }
      // No session (or one that ended before it got a sandbox): the assigned sandbox still goes.
      const sb = this.pool.current(m.attendee);
      if (sb) await this.pool.release(sb);
    });
    this.log.info('workshop closed', { workshop: id });
  }

  /** Stop every member's sandbox (files kept); their pages show "paused" and get no shell. */
  async pause(w: StoredWorkshop): Promise<TransitionResult> {
    // The state first: a hello arriving meanwhile finds the workshop paused and starts no shell. A
    // move the table refuses (the workshop closed or paused meanwhile) touches no sandbox.
    if (!this.store.moveWorkshop(w.id, 'paused')) return this.unmoved(w.id);
    return this.transition(w, 'paused', async (attendee, sb) => {
      await this.sessions.get(attendee)?.pause();
      if (sb) await this.pool.driver.stop(sb);
    });
  }

  /** Start every member's sandbox again; connected pages get their shell back, with their files. */
  async resume(w: StoredWorkshop): Promise<TransitionResult> {
    const result = await this.transition(w, 'open', async (_attendee, sb) => {
      if (sb) await this.pool.driver.start(sb);
    });
    // Open only once the sandboxes run, so no hello tries to attach to a stopped one; a workshop closed
    // meanwhile stays closed (closed → open is refused: states.ts), and its sessions are not resumed.
    if (!this.store.moveWorkshop(w.id, 'open')) return { ...result, state: this.store.workshop(w.id)?.state ?? 'closed' };
    await this.each(this.store.members(w.id), async (m) => this.sessions.get(m.attendee)?.resume());
    return result;
  }

  /** A pause or resume that the table refused: nothing was done; the state it is in. */
  private unmoved(id: string): TransitionResult {
    return { state: this.store.workshop(id)?.state ?? 'closed', sandboxes: 0, failed: [] };
  }

  private async transition(w: StoredWorkshop, state: 'open' | 'paused', fn: (attendee: string, sb: Sandbox | undefined) => Promise<void>): Promise<TransitionResult> {
    const failed: TransitionResult['failed'] = [];
    let sandboxes = 0;
    await this.each(this.store.members(w.id), async (m) => {
      const sb = this.pool.current(m.attendee);
      try {
        await fn(m.attendee, sb);
        if (sb) sandboxes++;
      } catch (err) {
        failed.push({ attendee: m.attendee, error: err instanceof Error ? err.message : String(err) });
        this.log.error(`workshop ${state === 'paused' ? 'pause' : 'resume'}: a sandbox failed`, { workshop: w.id, attendee: m.attendee, err: String(err) });
      }
    });
    return { state, sandboxes, failed };
  }

  /**
   * Reset the named members (all members when `attendees` is undefined) in the background; returns the
   * ones queued, or the first id that is not a member. Each one's progress is in capacity().resets.
   */
  reset(w: StoredWorkshop, attendees: string[] | undefined): { queued: string[] } | { notMember: string } {
    const members = new Set(this.store.members(w.id).map((m) => m.attendee));
    const chosen = attendees ? [...new Set(attendees)] : [...members];
    const stranger = chosen.find((a) => !members.has(a));
    if (stranger !== undefined) return { notMember: stranger };
    const states = this.resets.get(w.id) ?? new Map<string, ResetState>();
    this.resets.set(w.id, states);
    for (const a of chosen) states.set(a, { state: 'queued', at: Date.now() });
    void this.each(chosen, async (a) => {
      states.set(a, { state: 'resetting', at: Date.now() });
      try {
        const done = await this.sessions.reset(a, 'instructor');
        states.set(a, { state: done ? 'done' : 'skipped', at: Date.now() });
      } catch (err) {
        states.set(a, { state: 'failed', error: err instanceof Error ? err.message : String(err), at: Date.now() });
        this.log.error('reset failed', { workshop: w.id, attendee: a, err: String(err) });
      }
    });
    return { queued: chosen };
  }

  /** Server shutdown: no countdown fires on a closing store. */
  dispose(): void {
    for (const t of this.closeTimers.values()) clearTimeout(t);
    this.closeTimers.clear();
  }

  /** Run `fn` over `items`, `parallel` at a time; one failing does not stop the others. */
  private async each<T>(items: T[], fn: (item: T) => Promise<unknown>): Promise<void> {
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < items.length) {
        const item = items[next++]!;
        await fn(item).catch((err: unknown) => this.log.error('workshop action failed', { err: String(err) }));
      }
    };
    await Promise.all(Array.from({ length: Math.min(items.length, this.opts.parallel ?? 4) }, worker));
  }
}
