/**
 * One attendee's session on this server: their sandbox and their terminal, tied by one lifecycle. The
 * parts, one idea per file (issue 18 §6):
 *  - attendee-sandbox.ts the attendee's sandbox: acquire, reset (reset.ts), replace, health, the
 *                        exit-status follower;
 *  - terminal.ts         one terminal in it: the browser link, the shell (shell-run.ts), output
 *                        (output-channel.ts), input (input-admission.ts), Run (block-typer.ts),
 *                        watchers (watchers.ts); issue 20's tabs make this a map;
 *  - progress-reports.ts the page's step reports, checked and rate-limited before they are stored;
 *  - lifecycle.ts        the forward-only state: starting → ready → closing → done;
 *  - announcements.ts    what the page is told after each `ready`, from providers main.ts injects.
 * This file is what ties them: attach/detach and the grace period, reset/recreate/pause serialised so
 * they never interleave, and the end (close, or goodbye at server shutdown).
 */
import type { CodeBlock } from '../../common/lab-model.js';
import type { ServerMessage } from '../../common/protocol.js';
import type { Sandbox, SandboxHealth, TermSize } from '../sandbox/driver.js';
import { PoolBusyError } from '../sandbox/pool.js';
import type { Logger } from '../log.js';
import { messageFrame, type KeptMessage, type WorkshopStatus } from './announcements.js';
import { AttendeeSandbox, type AttendeeSandboxDeps } from './attendee-sandbox.js';
import { Lifecycle, type LifecycleState } from './lifecycle.js';
import type { ClientLink } from './output-channel.js';
import { ProgressReports } from './progress-reports.js';
import type { ResetBy } from './reset.js';
import { Terminal, type TerminalSettings } from './terminal.js';
import { workshopAllows } from '../workshop/states.js';
import type { WatcherSet } from './watchers.js';

export { closingNotice, type WorkshopStatus } from './announcements.js';
export type { SessionPool } from './attendee-sandbox.js';

/** What a session records for the instructor (SQLite in production). */
export interface ProgressStore {
  recordProgress(attendee: string, labId: string, step: number): void;
  recordRun(attendee: string, labId: string, blockId: string): void;
  /** The sandbox the store assigns the attendee (one that is gone was lost in a restart), or null. */
  sandboxOf(attendee: string): string | null;
}

export interface SessionDeps extends Omit<AttendeeSandboxDeps, 'hadSandbox'> {
  store: ProgressStore;
  log: Logger;
  /** How every terminal is set up (terminal.ts). */
  terminal: TerminalSettings;
  findBlock(labId: string, blockId: string): CodeBlock | undefined;
  /** How many steps a loaded lab has, null when this server has no such lab: progress is checked against it. */
  stepCount(labId: string): number | null;
  /** How long a shell without any connected browser lives on. */
  graceMs: number;
  /** The attendee closed the instructor's message `id` (the store keeps who dismissed what). */
  dismiss?(attendee: string, id: number): void;
  /**
   * The state of the attendee's workshop, or null outside one (issue 10). A member of an open or paused
   * workshop is not reaped when their browser goes (laptops sleep at lunch); a paused one gets no shell.
   */
  workshop?(attendee: string): WorkshopStatus | null;
  onDone(attendee: string): void;
}

const PAUSED_NOTICE = 'The workshop is paused: your sandbox is stopped, your files are kept. Your shell comes back when the instructor resumes it.';

export class AttendeeSession {
  private readonly lifecycle: Lifecycle;
  private readonly box: AttendeeSandbox;
  /** The attendee's one terminal (issue 20 makes this a map of tabs). */
  private readonly terminal: Terminal;
  private readonly progressReports: ProgressReports;
  private graceTimer: NodeJS.Timeout | null = null;
  /** Serialises sandbox/shell changes (start, reset, recreate, pause) so they never interleave. */
  private queue: Promise<unknown> = Promise.resolve();

  lastSeen = Date.now();

  constructor(
    readonly attendee: string,
    private readonly deps: SessionDeps,
  ) {
    this.lifecycle = new Lifecycle((from, to) => deps.log.error('illegal state transition refused', { attendee, what: 'session', from, to }));
    this.box = new AttendeeSandbox(attendee, { ...deps, hadSandbox: (a) => deps.store.sandboxOf(a) !== null });
    this.terminal = new Terminal({
      ...deps.terminal,
      attendee,
      log: deps.log,
      findBlock: (labId, blockId) => deps.findBlock(labId, blockId),
      recordRun: (labId, blockId) => deps.store.recordRun(attendee, labId, blockId),
      // A shell that ends because its sandbox died is reported as such.
      onShellExit: () => void this.checkHealth().catch(() => undefined),
    });
    this.progressReports = new ProgressReports({ stepCount: (labId) => deps.stepCount(labId), record: (labId, step) => deps.store.recordProgress(attendee, labId, step) });
  }

  get state(): LifecycleState {
    return this.lifecycle.state;
  }

  get connected(): boolean {
    return this.terminal.client !== null;
  }

  get sandboxInfo(): { id: string; driver: string; health: SandboxHealth } | null {
    return this.box.info;
  }

  /** The attendee's sandbox, once they have one (for out-of-band checks such as preflight). */
  get currentSandbox(): Sandbox | null {
    return this.box.current;
  }

  /** The instructors watching the attendee's terminal (watch.ts). */
  get watchers(): WatcherSet {
    return this.terminal.watchers;
  }

  /** Show an instructor's message now, if a browser is attached (otherwise the next `ready` brings it). */
  notify(m: KeptMessage): void {
    this.terminal.tell(messageFrame(m));
  }

  /** The workshop's presenter moved (or stopped); an attached browser is told now, a later one after `ready`. */
  present(msg: Extract<ServerMessage, { type: 'presenter' }>): void {
    this.terminal.tell(msg);
  }

  /** Tell the attended browser, if any, about its workshop (issue 10). */
  notice(state: 'open' | 'paused' | 'closing' | 'closed', message: string, closesAt?: number): void {
    this.terminal.tell({ type: 'workshop', state, message, ...(closesAt ? { closesAt } : {}) });
  }

  /** The attendee answered the instructor's request for control, or took it back (watchers.ts). */
  control(client: ClientLink, action: 'accept' | 'end'): void {
    if (client !== this.terminal.client) return;
    this.terminal.watchers.attendeeAnswer(action);
  }

  dismiss(id: number): void {
    this.deps.dismiss?.(this.attendee, id);
  }

  /** The page reports its step: checked against the loaded lab and rate-limited (progress-reports.ts). */
  progress(client: ClientLink, labId: string, step: number): void {
    this.lastSeen = Date.now();
    this.progressReports.report(labId, step, (message) => client.sendJson({ type: 'error', code: 'unknown-step', message }));
  }

  /** The workshop pauses: the shell ends (the caller then stops the sandbox) and the page shows why. */
  pause(): Promise<void> {
    return this.serialise(async () => {
      this.terminal.end();
      // The instructor's table shows it stopped; the next shell's start says running again.
      this.box.markStopped();
      this.notice('paused', PAUSED_NOTICE);
    });
  }

  /** The workshop resumed (its sandbox started again): the attended browser gets its shell back. */
  resume(): Promise<void> {
    return this.serialise(async () => {
      this.notice('open', 'The workshop resumed: your shell is back, with your files.');
      const client = this.terminal.client;
      if (client && !this.terminal.live) await this.startShell(client);
    });
  }

  /** A browser said hello: attach it, starting or restoring the shell. */
  attach(client: ClientLink, size: TermSize, resume: boolean): Promise<void> {
    if (this.lifecycle.ending) {
      client.sendJson({ type: 'error', code: 'not-ready', message: 'session is closing; reconnect', fatal: true });
      client.close(4003, 'session closing');
      return Promise.resolve();
    }
    this.clearGrace();
    this.terminal.connect(client, size);
    this.lastSeen = Date.now();
    return this.serialise(async () => {
      if (this.terminal.client !== client) return;
      const workshop = this.deps.workshop?.(this.attendee);
      // No shell in a paused workshop (server/workshop/states.ts); a closed one's page never attaches.
      if (workshop && !workshopAllows(workshop.state, 'shell')) return this.notice('paused', PAUSED_NOTICE);
      if (this.terminal.live) await this.terminal.restore(client, resume);
      else await this.startShell(client);
    });
  }

  detach(client: ClientLink): void {
    if (!this.terminal.disconnect(client)) return;
    this.lastSeen = Date.now();
    const workshop = this.deps.workshop?.(this.attendee);
    if (workshop && workshopAllows(workshop.state, 'linger')) return;
    this.graceTimer = setTimeout(() => void this.close('grace period over'), this.deps.graceMs);
    this.graceTimer.unref();
  }

  input(client: ClientLink, data: string): void {
    this.terminal.input(client, data);
  }

  resize(client: ClientLink, cols: number, rows: number): void {
    this.terminal.resize(client, cols, rows);
  }

  ack(client: ClientLink, bytes: number): void {
    this.terminal.ack(client, bytes);
  }

  /** Type a lab block into the shell, line by line, letting each line's output settle first. */
  runBlock(client: ClientLink, labId: string, blockId: string): Promise<void> {
    return this.terminal.runBlock(client, labId, blockId);
  }

  /** Type lab text that is not a block (a solution, Killercoda's `foreground`), as Run does; false when it was not typed. */
  typeText(text: string, interrupt: boolean): Promise<boolean> {
    return this.terminal.typeText(text, interrupt);
  }

  /** The attendee asked for a new shell (after exit) or a new sandbox (after it died). */
  recreate(client: ClientLink): Promise<void> {
    if (client !== this.terminal.client) return Promise.resolve();
    return this.serialise(async () => {
      if (this.box.current && !(await this.box.healthy())) {
        await this.box.replaceDead(() => this.replacing('attendee'), (phase, fraction) => this.tellProgress(phase, fraction));
        await this.startAttached();
      } else await this.startShell(client);
    });
  }

  /** Put the attendee back to a clean sandbox: the one reset path (reset.ts). */
  reset(by: ResetBy): Promise<void> {
    return this.serialise(async () => {
      await this.box.reset(by, () => this.replacing(by), (phase, fraction) => this.tellProgress(phase, fraction));
      await this.startAttached();
    });
  }

  /** Check the sandbox; tell the attendee when it is gone. Returns its health. */
  async checkHealth(): Promise<string> {
    const { health, lost } = await this.box.check();
    if (lost) {
      this.terminal.tell({ type: 'sandbox-lost', message: `Your sandbox is ${health === 'missing' ? 'gone' : 'stopped'}. Start a new one to continue.` });
      this.terminal.shellGone();
    }
    return health;
  }

  /** End the session: the shell, every process in it and the sandbox. */
  async close(reason: string): Promise<void> {
    if (this.lifecycle.ending) return;
    this.lifecycle.transition('closing');
    this.clearGrace();
    this.progressReports.dispose();
    this.deps.log.info('session closing', { attendee: this.attendee, reason, ...this.progressReports.counts });
    this.terminal.close(reason, 4004, false);
    await this.box.release(this.queue.catch(() => undefined).then(() => this.terminal.end()));
    this.lifecycle.transition('done');
    this.deps.onDone(this.attendee);
  }

  /** Server shutdown: say goodbye but leave the sandbox for the next run to re-adopt. */
  goodbye(reason: string): void {
    if (this.lifecycle.ending) return;
    this.lifecycle.transition('closing');
    this.clearGrace();
    this.progressReports.dispose();
    this.terminal.close(reason, 1001, true);
    // Podman shells live on under dtach and are re-attached by the next server; local ones end.
    this.terminal.end('detach');
    this.box.detach();
    this.lifecycle.transition('done');
  }

  /** The old sandbox is about to go: the page is told and its shell ends. */
  private replacing(by: ResetBy): void {
    this.terminal.tell({ type: 'reset', by });
    this.terminal.end();
  }

  /** After a reset or replace: a shell in the new sandbox for the browser attached now, if any. */
  private async startAttached(): Promise<void> {
    const client = this.terminal.client;
    if (client) await this.startShell(client);
  }

  private tellProgress(phase: string, fraction: number): void {
    this.terminal.tell({ type: 'progress', phase, fraction });
  }

  private async startShell(client: ClientLink): Promise<void> {
    try {
      const { sandbox, replaced } = await this.box.ensure((phase, fraction) => this.tellProgress(phase, fraction));
      await this.terminal.start(sandbox, client, replaced);
      this.box.markRunning();
      if (this.lifecycle.is('starting')) this.lifecycle.transition('ready');
    } catch (err) {
      if (err instanceof PoolBusyError) {
        // Not a failure: the page retries (1013 = try again later) and waits in line again.
        this.terminal.tell({ type: 'error', code: 'busy', message: `Many attendees are starting sandboxes: ${err.message}` });
        this.terminal.client?.close(1013, 'busy');
        return;
      }
      this.deps.log.error('could not start a shell', { attendee: this.attendee, err: String(err) });
      this.terminal.tell({ type: 'error', code: 'spawn-failed', message: `Could not start your sandbox: ${String(err instanceof Error ? err.message : err)}`, fatal: true });
    }
  }

  private clearGrace(): void {
    if (this.graceTimer) clearTimeout(this.graceTimer);
    this.graceTimer = null;
  }

  private serialise<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.queue.then(fn, fn);
    this.queue = next.catch(() => undefined);
    return next;
  }
}
