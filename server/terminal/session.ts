/**
 * One attendee's terminal session: where a keystroke goes after the WebSocket gateway (gateway.ts),
 * and where the shell's output comes from. It owns the attendee's sandbox (through the pool), the
 * current shell (ShellRun), and the one browser connection that drives it: a newer tab takes over
 * (the older one is told and closed). The parts, one idea per file:
 *  - lifecycle.ts      the forward-only state: starting → ready → closing → done;
 *  - output-channel.ts coalescing and flow control (acks, socket, fairness) towards the browser;
 *  - block-typer.ts    Run: typing a block line by line, the attendee's keys held meanwhile;
 *  - shell-run.ts      one shell's lifetime and its screen ring; reset/recreate start another;
 *  - watchers.ts       the instructors watching this terminal, and control lent with consent.
 * This file is the lifecycle that ties them: attach/detach, grace, reset/recreate, close.
 */
import { clampSize, type ServerMessage } from '../../common/protocol.js';
import type { CodeBlock } from '../../common/lab-model.js';
import type { DriverInfo, Sandbox, SandboxHealth, TermSize } from '../sandbox/driver.js';
import { PoolBusyError, type SandboxPool } from '../sandbox/pool.js';
import type { Logger } from '../log.js';
import type { StoredMessage } from '../store/store.js';
import { BlockTyper, TYPER_TIMING, type TyperTiming } from './block-typer.js';
import type { OutputFairness } from './fairness.js';
import { Lifecycle, type LifecycleState } from './lifecycle.js';
import { OutputChannel, type ClientLink, type SocketWatermarks } from './output-channel.js';
import { renderScreen } from './screen.js';
import { ShellRun } from './shell-run.js';
import { WatcherSet, type WatchLimits } from './watchers.js';

/** What a session records for the instructor (SQLite in production). */
export interface ProgressStore {
  recordProgress(attendee: string, labId: string, step: number): void;
  recordRun(attendee: string, labId: string, blockId: string): void;
  hadSandbox(attendee: string): boolean;
  /** The attendee's sandbox was reset (the event log of issue 10); optional for stores that keep no log. */
  recordReset?(attendee: string, by: 'instructor' | 'attendee'): void;
}

/** The instructor's messages an attendee has not dismissed yet (SQLite in production). */
export interface MessageStore {
  pendingMessages(attendee: string): StoredMessage[];
  dismissMessage(attendee: string, id: number): void;
}

/** The pool calls a session makes (all of them are in this file, marked `pool.`). */
export type SessionPool = Pick<SandboxPool, 'acquire' | 'current' | 'replace' | 'release'>;

export interface SessionDeps {
  pool: SessionPool;
  driverInfo: DriverInfo;
  findBlock(labId: string, blockId: string): CodeBlock | undefined;
  store: ProgressStore;
  log: Logger;
  /** How long a shell without any connected browser lives on. */
  graceMs: number;
  /** Bytes of recent output kept for screen restore. */
  ringBytes: number;
  /** Limits on what one client can make the server hold; defaults in SESSION_LIMITS. */
  limits?: Partial<SessionLimits>;
  /** Shared by every session of the server: floods share an output budget (fairness.ts). */
  fairness?: OutputFairness;
  /** Run's pacing and clock (tests shorten them); TYPER_TIMING unless set. */
  typing?: Partial<TyperTiming>;
  /** The instructor's kept messages (store.ts); without it a session sends none. */
  messages?: MessageStore;
  /** Watchers' output bounds (watchers.ts); WATCH_LIMITS unless set. */
  watch?: WatchLimits;
  /** Presenter mode: the step the attendee's workshop presenter is on, sent after each `ready` (presenter.ts). */
  presenter?(attendee: string): Extract<ServerMessage, { type: 'presenter' }> | null;
  /** Variables every shell of the session starts with (the exit-status report: server/classroom/exit-status.ts). */
  shellEnv?: Record<string, string>;
  /**
   * Called when the session has a sandbox (first acquired, or a new one after a reset); the returned
   * handle is disposed when the session lets go of that sandbox. The class view follows the shell's
   * exit statuses with it.
   */
  followSandbox?(attendee: string, sandbox: Sandbox): { dispose(): void };
  /** Runs the lab's reset script in the old sandbox before a reset replaces it (issue 11); never throws. */
  beforeReset?(attendee: string, labId: string | null, sandbox: Sandbox | null): Promise<void>;
  /**
   * The state of the attendee's workshop, or null outside one (issue 10). A member of an open or paused
   * workshop is not reaped when their browser goes (laptops sleep at lunch); a paused one gets no shell.
   */
  workshop?(attendee: string): WorkshopStatus | null;
  onDone(attendee: string): void;
}

/** A workshop's state as a session sees it; `closesAt` while the close countdown runs. */
export interface WorkshopStatus {
  state: 'open' | 'paused' | 'closed';
  closesAt: number | null;
}

/** What one session may make the server hold (issue 8, item 5); docs/protocol.md#limits. */
export interface SessionLimits extends SocketWatermarks {
  /**
   * Input bytes waiting for a pty that does not read (its backlog plus keys held during a Run). Input
   * past it is refused with `input-overflow` (Ctrl-C is always accepted and drops the backlog). Above
   * the client's largest paste (1 MB).
   */
  inputBacklogBytes: number;
}

export const SESSION_LIMITS: SessionLimits = {
  inputBacklogBytes: 1024 * 1024 + 128 * 1024,
  socketHighBytes: 1024 * 1024,
  socketLowBytes: 256 * 1024,
};

export class AttendeeSession {
  private readonly lifecycle: Lifecycle;
  private client: ClientLink | null = null;
  private sandbox: Sandbox | null = null;
  private run: ShellRun | null = null;
  private graceTimer: NodeJS.Timeout | null = null;
  /** Serialises sandbox/shell changes (start, reset, recreate) so they never interleave. */
  private queue: Promise<unknown> = Promise.resolve();
  private size: TermSize = { cols: 80, rows: 24 };
  private readonly limits: SessionLimits;
  private readonly output: OutputChannel;
  private readonly typer: BlockTyper;
  private readonly now: () => number;
  /** Set when input was refused, so the client is told once per overflow, not once per frame. */
  private inputRefused = false;
  /** Health from the last check (the periodic sweep, or a shell's exit). */
  private health: SandboxHealth = 'running';
  /** Logs a shell's refused state transition (a bug). */
  private readonly refusedShell: (from: string, to: string) => void;
  /** Instructors watching this terminal (issue 10); the watch gateway (watch.ts) adds and removes them. */
  readonly watchers: WatcherSet;
  /** deps.followSandbox's handle for the sandbox it follows. */
  private following: { sandbox: Sandbox; handle: { dispose(): void } } | null = null;

  labId: string | null = null;
  step: number | null = null;
  lastSeen = Date.now();

  constructor(
    readonly attendee: string,
    private readonly deps: SessionDeps,
  ) {
    this.limits = { ...SESSION_LIMITS, ...deps.limits };
    const refused = (what: string) => (from: string, to: string) =>
      deps.log.error('illegal state transition refused', { attendee, what, from, to });
    this.lifecycle = new Lifecycle(refused('session'));
    this.refusedShell = refused('shell');
    this.now = deps.typing?.now ?? TYPER_TIMING.now;
    this.typer = new BlockTyper(deps.typing);
    this.output = new OutputChannel({
      client: () => this.client,
      shell: () => this.run?.shell ?? null,
      watermarks: this.limits,
      fairness: deps.fairness,
    });
    this.watchers = new WatcherSet(
      {
        screen: () => (this.run?.live ? { bytes: this.run.ring.contents(), size: this.run.size } : null),
        size: () => this.size,
        tellAttendee: (msg) => this.client?.sendJson(msg),
        attendeeOnline: () => this.client !== null,
        type: (data, refuse) => this.write(data, refuse),
      },
      deps.watch,
    );
  }

  get state(): LifecycleState {
    return this.lifecycle.state;
  }

  get connected(): boolean {
    return this.client !== null;
  }

  get sandboxInfo(): { id: string; driver: string; health: SandboxHealth } | null {
    return this.sandbox ? { id: this.sandbox.id, driver: this.sandbox.driver, health: this.health } : null;
  }

  /** The attendee's sandbox, once they have one (for out-of-band checks such as preflight). */
  get currentSandbox(): Sandbox | null {
    return this.sandbox;
  }

  /** Show an instructor's message now, if a browser is attached (otherwise the next `ready` brings it). */
  notify(m: StoredMessage): void {
    this.client?.sendJson({ type: 'message', from: 'instructor', ...m });
  }

  /** The workshop's presenter moved (or stopped); an attached browser is told now, a later one after `ready`. */
  present(msg: Extract<ServerMessage, { type: 'presenter' }>): void {
    this.client?.sendJson(msg);
  }

  /** The attendee answered the instructor's request for control, or took it back (watchers.ts). */
  control(client: ClientLink, action: 'accept' | 'end'): void {
    if (client !== this.client) return;
    this.watchers.attendeeAnswer(action);
  }

  dismiss(id: number): void {
    this.deps.messages?.dismissMessage(this.attendee, id);
  }

  /**
   * After each `ready`: the messages not dismissed yet, who watches and who may type, and the presenter's
   * step, so a reload or a late connection still shows them.
   */
  private sendPending(client: ClientLink): void {
    for (const m of this.deps.messages?.pendingMessages(this.attendee) ?? []) client.sendJson({ type: 'message', from: 'instructor', ...m });
    for (const m of this.watchers.announce()) client.sendJson(m);
    const presenter = this.deps.presenter?.(this.attendee);
    if (presenter) client.sendJson(presenter);
    const closesAt = this.deps.workshop?.(this.attendee)?.closesAt;
    if (closesAt) client.sendJson({ type: 'workshop', state: 'closing', message: closingNotice(closesAt), closesAt });
  }

  /** Tell the attended browser, if any, about its workshop (issue 10). */
  notice(state: 'open' | 'paused' | 'closing' | 'closed', message: string, closesAt?: number): void {
    this.client?.sendJson({ type: 'workshop', state, message, ...(closesAt ? { closesAt } : {}) });
  }

  /** The workshop pauses: the shell ends (the caller then stops the sandbox) and the page shows why. */
  pause(): Promise<void> {
    return this.serialise(async () => {
      const run = this.run;
      this.run = null;
      this.typer.abort(true);
      run?.end();
      // The instructor's table shows it stopped; the next shell's start says running again.
      if (this.sandbox) this.health = 'stopped';
      this.notice('paused', PAUSED_NOTICE);
    });
  }

  /** The workshop resumed (its sandbox started again): the attended browser gets its shell back. */
  resume(): Promise<void> {
    return this.serialise(async () => {
      this.notice('open', 'The workshop resumed: your shell is back, with your files.');
      if (this.client && !this.run?.live) await this.startShell(this.client);
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
    const previous = this.client;
    if (previous && previous !== client) {
      previous.sendJson({ type: 'taken-over' });
      previous.close(4001, 'taken over by another tab');
    }
    this.client = client;
    this.lastSeen = Date.now();
    this.size = clampSize(size.cols, size.rows);
    this.output.reset();
    if (!previous) this.watchers.attendeeChanged(true);
    return this.serialise(async () => {
      if (this.client !== client) return;
      if (this.deps.workshop?.(this.attendee)?.state === 'paused') return this.notice('paused', PAUSED_NOTICE);
      const run = this.run;
      if (run?.live) await this.restore(client, run, resume);
      else await this.startShell(client);
    });
  }

  detach(client: ClientLink): void {
    if (this.client !== client) return;
    this.client = null;
    this.lastSeen = Date.now();
    this.output.reset();
    this.watchers.attendeeChanged(false);
    // Typing stops when the client that asked for it is gone; so do its held keystrokes.
    this.typer.abort(true);
    const workshop = this.deps.workshop?.(this.attendee);
    if (workshop && workshop.state !== 'closed') return;
    this.graceTimer = setTimeout(() => void this.close('grace period over'), this.deps.graceMs);
    this.graceTimer.unref();
  }

  input(client: ClientLink, data: string): void {
    if (client !== this.client) return;
    this.write(data, (code, message) => client.sendJson({ type: 'error', code, message }));
  }

  /**
   * Keys for the shell, the attendee's or a controlling watcher's: one bounded path for both, so an
   * instructor's keys wait behind a Run and are refused past the backlog exactly as the attendee's are.
   */
  private write(data: string, refuse: (code: 'not-ready' | 'input-overflow', message: string) => void): void {
    const run = this.run;
    if (!run?.live) {
      refuse('not-ready', 'the shell is not ready yet');
      return;
    }
    if (data.includes('\x03')) {
      // Ctrl-C jumps the queue: what waits behind a program that does not read is dropped, as the tty's
      // own INTR flushes its input queue, and a Run being typed stops.
      run.shell.discardInput();
      this.typer.abort(false);
      this.inputRefused = false;
      run.write(data);
      return;
    }
    const bytes = Buffer.byteLength(data, 'utf8');
    if (run.shell.inputBacklog + this.typer.heldBytes + bytes > this.limits.inputBacklogBytes) {
      if (!this.inputRefused) {
        this.inputRefused = true;
        refuse(
          'input-overflow',
          `The program in the shell is not reading its input (${Math.round(run.shell.inputBacklog / 1024)} KiB waiting): what you type is dropped until it does. Ctrl-C interrupts it.`,
        );
      }
      return;
    }
    this.inputRefused = false;
    if (!this.typer.hold(data, bytes)) run.write(data);
  }

  resize(client: ClientLink, cols: number, rows: number): void {
    if (client !== this.client) return;
    this.size = clampSize(cols, rows);
    if (this.run?.live) {
      this.run.size = this.size;
      this.run.shell.resize(this.size);
    }
    this.watchers.resized(this.size);
  }

  ack(client: ClientLink, bytes: number): void {
    if (client !== this.client) return;
    this.output.ack(bytes);
  }

  progress(labId: string, step: number): void {
    this.labId = labId;
    this.step = step;
    this.lastSeen = Date.now();
    this.deps.store.recordProgress(this.attendee, labId, step);
  }

  /** Type a lab block into the shell, line by line, letting each line's output settle first. */
  async runBlock(client: ClientLink, labId: string, blockId: string): Promise<void> {
    if (client !== this.client) return;
    const block = this.deps.findBlock(labId, blockId);
    if (!block || !block.runnable) {
      client.sendJson({ type: 'error', code: 'unknown-block', message: `no runnable block ${blockId} in lab ${labId}` });
      return;
    }
    const run = this.run;
    if (!run?.live) {
      client.sendJson({ type: 'error', code: 'not-ready', message: 'the shell is not ready yet' });
      return;
    }
    if (this.typer.full) {
      client.sendJson({ type: 'error', code: 'busy', message: 'Run: a block is being typed and another waits for it; click again once they are done (Ctrl-C stops them).' });
      return;
    }
    this.deps.store.recordRun(this.attendee, labId, blockId);
    await this.typer.type(run, toLines(block.run), () => this.client === client, { interrupt: block.interrupt });
  }

  /**
   * Type lab text that is not a block (a step's solution, Killercoda's `foreground`) into the shell,
   * visibly, exactly as Run types a block. False when no browser drives the session, no shell is
   * ready, or a Run already waits: the text is not typed.
   */
  async typeText(text: string, interrupt: boolean): Promise<boolean> {
    const client = this.client;
    const run = this.run;
    if (!client || !run?.live || this.typer.full) return false;
    await this.typer.type(run, toLines(text), () => this.client === client, { interrupt });
    return true;
  }

  /** The attendee asked for a new shell (after exit) or a new sandbox (after it died). */
  recreate(client: ClientLink): Promise<void> {
    if (client !== this.client) return Promise.resolve();
    return this.serialise(async () => {
      const healthy = this.sandbox ? (await this.sandbox.health()) === 'running' : false;
      if (!healthy && this.sandbox) await this.replaceSandbox('attendee');
      else await this.startShell(client);
    });
  }

  /** Put the attendee back to a clean sandbox. */
  reset(by: 'instructor' | 'attendee'): Promise<void> {
    return this.serialise(async () => {
      await this.deps.beforeReset?.(this.attendee, this.labId, this.sandbox);
      this.deps.store.recordReset?.(this.attendee, by);
      await this.replaceSandbox(by);
    });
  }

  /** Check the sandbox; tell the attendee when it is gone. Returns its health. */
  async checkHealth(): Promise<string> {
    const sb = this.sandbox;
    if (!sb) return 'none';
    const health = await sb.health();
    if (this.sandbox === sb) this.health = health;
    if (health !== 'running' && this.sandbox === sb) {
      this.client?.sendJson({
        type: 'sandbox-lost',
        message: `Your sandbox is ${health === 'missing' ? 'gone' : 'stopped'}. Start a new one to continue.`,
      });
      this.run?.end();
    }
    return health;
  }

  /** End the session: the shell, every process in it and the sandbox. */
  async close(reason: string): Promise<void> {
    if (this.lifecycle.ending) return;
    this.lifecycle.transition('closing');
    this.clearGrace();
    this.output.dispose();
    this.watchers.end(reason);
    this.deps.log.info('session closing', { attendee: this.attendee, reason });
    this.client?.close(4004, reason);
    this.client = null;
    // Released (unassigned) before waiting: a hello for this attendee arriving meanwhile gets another sandbox.
    const held = this.sandbox;
    const releasing = held ? this.deps.pool.release(held) : Promise.resolve();
    await this.queue.catch(() => undefined);
    this.run?.end();
    this.run = null;
    // A start or reset that was under way may have been handed one since.
    if (this.sandbox && this.sandbox !== held) await this.deps.pool.release(this.sandbox);
    await releasing;
    this.sandbox = null;
    this.follow();
    this.lifecycle.transition('done');
    this.deps.onDone(this.attendee);
  }

  /** Server shutdown: say goodbye but leave the sandbox for the next run to re-adopt. */
  goodbye(reason: string): void {
    if (this.lifecycle.ending) return;
    this.lifecycle.transition('closing');
    this.clearGrace();
    this.output.dispose();
    this.watchers.end(reason);
    this.client?.sendJson({ type: 'bye', reason });
    this.client?.close(1001, reason);
    this.client = null;
    // Podman shells live on under dtach and are re-attached by the next server; local ones end.
    this.run?.end('detach');
    this.following?.handle.dispose();
    this.following = null;
    this.lifecycle.transition('done');
  }

  private async replaceSandbox(by: 'instructor' | 'attendee'): Promise<void> {
    this.client?.sendJson({ type: 'reset', by });
    this.run?.end();
    this.run = null;
    const old = this.sandbox;
    this.sandbox = null;
    this.follow();
    this.sandbox = await this.deps.pool.replace(old, this.attendee, (phase, f) =>
      this.client?.sendJson({ type: 'progress', phase, fraction: 0.05 + 0.8 * f }),
    );
    if (this.client) await this.startShell(this.client);
  }

  private async startShell(client: ClientLink): Promise<void> {
    const progress = (phase: string, fraction: number) => this.client?.sendJson({ type: 'progress', phase, fraction });
    let replaced: string | undefined;
    try {
      if (!this.sandbox) {
        const adopted = this.deps.pool.current(this.attendee);
        if (!adopted && this.deps.store.hadSandbox(this.attendee)) {
          replaced = 'The server restarted and your previous shell was lost; this is a new one.';
        }
        progress('preparing your sandbox', 0.05);
        // The sandbox's own progress fills 5-85%; attaching the shell is the rest.
        this.sandbox = await this.deps.pool.acquire(this.attendee, (phase, f) => progress(phase, 0.05 + 0.8 * f));
      }
      this.follow();
      this.run?.end();
      progress('starting your shell', 0.9);
      const shell = await this.sandbox.attach(this.size, this.deps.shellEnv);
      this.health = 'running';
      const run = new ShellRun(shell, this.deps.ringBytes, this.size, this.refusedShell);
      // A shell that outlived the server comes back with what it wrote: its screen (issue 19 §1).
      const backlog = shell.backlog ?? Buffer.alloc(0);
      run.ring.push(backlog);
      run.own(shell.onData((chunk) => this.onOutput(run, chunk)));
      run.own(shell.onExit((e) => this.onExit(run, e)));
      run.ready();
      this.run = run;
      this.output.shellStarted(shell);
      this.watchers.shellStarted();
      if (this.lifecycle.is('starting')) this.lifecycle.transition('ready');
      if (this.client === client && backlog.length > 0) await this.restore(client, run, true);
      else if (this.client === client) {
        client.sendJson({
          type: 'ready',
          attendee: this.attendee,
          driver: this.deps.driverInfo.name,
          isolation: this.deps.driverInfo.isolation,
          resumed: false,
          ...(replaced ? { replaced } : {}),
        });
        this.sendPending(client);
      }
    } catch (err) {
      if (err instanceof PoolBusyError) {
        // Not a failure: the page retries (1013 = try again later) and waits in line again.
        this.client?.sendJson({ type: 'error', code: 'busy', message: `Many attendees are starting sandboxes: ${err.message}` });
        this.client?.close(1013, 'busy');
        return;
      }
      this.deps.log.error('could not start a shell', { attendee: this.attendee, err: String(err) });
      this.client?.sendJson({
        type: 'error',
        code: 'spawn-failed',
        message: `Could not start your sandbox: ${String(err instanceof Error ? err.message : err)}`,
        fatal: true,
      });
    }
  }

  private async restore(client: ClientLink, run: ShellRun, resume: boolean): Promise<void> {
    this.output.hold();
    const bytes = run.ring.contents();
    try {
      const screen = resume || bytes.length > 0 ? await renderScreen(bytes, run.size) : '';
      if (this.client !== client) return;
      client.sendJson({
        type: 'ready',
        attendee: this.attendee,
        driver: this.deps.driverInfo.name,
        isolation: this.deps.driverInfo.isolation,
        resumed: true,
      });
      if (screen) client.sendJson({ type: 'screen', data: screen });
      this.sendPending(client);
    } finally {
      this.output.release();
    }
    this.output.flush();
    if (run.size.cols !== this.size.cols || run.size.rows !== this.size.rows) {
      run.size = this.size;
      run.shell.resize(this.size);
      this.watchers.resized(this.size);
    }
  }

  private onOutput(run: ShellRun, chunk: Buffer): void {
    if (run !== this.run) return;
    run.lastOutputAt = this.now();
    run.ring.push(chunk);
    this.output.push(chunk);
    this.watchers.output(chunk);
  }

  private onExit(run: ShellRun, e: { exitCode: number | null; signal: number | null }): void {
    if (run !== this.run) return;
    this.output.flush();
    run.end();
    this.client?.sendJson({ type: 'exit', code: e.exitCode, signal: e.signal });
    // A shell that ends because its sandbox died is reported as such.
    void this.checkHealth().catch(() => undefined);
  }

  /** Keep deps.followSandbox on the current sandbox: the old one's handle goes, the new one's comes. */
  private follow(): void {
    if (this.following?.sandbox === this.sandbox) return;
    this.following?.handle.dispose();
    this.following = null;
    if (this.sandbox && this.deps.followSandbox) this.following = { sandbox: this.sandbox, handle: this.deps.followSandbox(this.attendee, this.sandbox) };
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

const PAUSED_NOTICE = 'The workshop is paused: your sandbox is stopped, your files are kept. Your shell comes back when the instructor resumes it.';

/** The closing warning, with the time left as of now (the page counts down from `closesAt`). */
export function closingNotice(closesAt: number): string {
  const seconds = Math.max(0, Math.round((closesAt - Date.now()) / 1000));
  return `The workshop closes in ${seconds} s: your sandbox and its files will be deleted. Save anything you want to keep now.`;
}

/** Lab text as the lines Run types: line endings normalised, trailing blank lines dropped. */
function toLines(text: string): string[] {
  return text.replace(/\r\n?/g, '\n').replace(/\n+$/, '').split('\n');
}
