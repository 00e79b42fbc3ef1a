/**
 * One terminal of an attendee (issue 18 §6): the browser link that drives it (a newer tab takes over),
 * the shell running in it (ShellRun, with its screen ring), its output towards the browser
 * (output-channel.ts), its input (input-admission.ts), the Run typer (block-typer.ts) and the
 * instructors watching it (watchers.ts). The sandbox it runs in is the session's (attendee-sandbox.ts):
 * a terminal is handed one to start a shell in, and the session decides when (attach, reset, recreate,
 * pause). Several terminals in one sandbox (issue 20's tabs) are several of these.
 */
import type { CodeBlock } from '../../common/lab-model.js';
import { clampSize, type ServerMessage } from '../../common/protocol.js';
import type { DriverInfo, Sandbox, TermSize } from '../sandbox/driver.js';
import type { Logger } from '../log.js';
import type { Announcer } from './announcements.js';
import { BlockTyper, TYPER_TIMING, type TyperTiming } from './block-typer.js';
import type { OutputFairness } from './fairness.js';
import { InputAdmission, type AdmissionRefusal } from './input-admission.js';
import { OutputChannel, type ClientLink, type SocketWatermarks } from './output-channel.js';
import { renderScreen } from './screen.js';
import { ShellRun } from './shell-run.js';
import { WatcherSet, type WatchLimits } from './watchers.js';

/** What one terminal may make the server hold (issue 8, item 5); docs/protocol.md#limits. */
export interface TerminalLimits extends SocketWatermarks {
  /**
   * Input bytes waiting for a pty that does not read (its backlog plus keys held during a Run). Input
   * past it is refused with `input-overflow` (Ctrl-C is always accepted and drops the backlog). Above
   * the client's largest paste (1 MB).
   */
  inputBacklogBytes: number;
}

export const TERMINAL_LIMITS: TerminalLimits = {
  inputBacklogBytes: 1024 * 1024 + 128 * 1024,
  socketHighBytes: 1024 * 1024,
  socketLowBytes: 256 * 1024,
};

/** How every terminal of the server is set up (the same for all; main.ts wires them). */
export interface TerminalSettings {
  driverInfo: DriverInfo;
  /** Bytes of recent output kept for screen restore. */
  ringBytes: number;
  /** Limits on what one client can make the server hold; TERMINAL_LIMITS unless set. */
  limits?: Partial<TerminalLimits>;
  /** Shared by every terminal of the server: floods share an output budget (fairness.ts). */
  fairness?: OutputFairness;
  /** Run's pacing and clock (tests shorten them); TYPER_TIMING unless set. */
  typing?: Partial<TyperTiming>;
  /** Watchers' output bounds (watchers.ts); WATCH_LIMITS unless set. */
  watch?: WatchLimits;
  /** Variables every shell starts with (the exit-status report: server/classroom/exit-status.ts). */
  shellEnv?: Record<string, string>;
  /** What the page is told after each `ready` besides the shell (announcements.ts). */
  announcements?: Announcer[];
}

export interface TerminalDeps extends TerminalSettings {
  attendee: string;
  log: Logger;
  findBlock(labId: string, blockId: string): CodeBlock | undefined;
  /** A Run click, recorded for the instructor. */
  recordRun(labId: string, blockId: string): void;
  /** The shell ended by itself (exit, or its sandbox died): the session checks the sandbox. */
  onShellExit(): void;
}

export class Terminal {
  private client_: ClientLink | null = null;
  private run: ShellRun | null = null;
  private size_: TermSize = { cols: 80, rows: 24 };
  private readonly output: OutputChannel;
  private readonly typer: BlockTyper;
  private readonly admission: InputAdmission;
  private readonly now: () => number;
  /** Logs a shell's refused state transition (a bug). */
  private readonly refusedShell: (from: string, to: string) => void;
  /** Instructors watching this terminal (issue 10); the watch endpoint (watch.ts) adds and removes them. */
  readonly watchers: WatcherSet;

  constructor(private readonly deps: TerminalDeps) {
    const limits = { ...TERMINAL_LIMITS, ...deps.limits };
    this.refusedShell = (from, to) => deps.log.error('illegal state transition refused', { attendee: deps.attendee, what: 'shell', from, to });
    this.now = deps.typing?.now ?? TYPER_TIMING.now;
    this.typer = new BlockTyper(deps.typing);
    this.admission = new InputAdmission(limits.inputBacklogBytes, this.typer);
    this.output = new OutputChannel({
      client: () => this.client_,
      shell: () => this.run?.shell ?? null,
      watermarks: limits,
      fairness: deps.fairness,
    });
    this.watchers = new WatcherSet(
      {
        screen: () => (this.run?.live ? { bytes: this.run.ring.contents(), size: this.run.size } : null),
        size: () => this.size_,
        tellAttendee: (msg) => this.tell(msg),
        attendeeOnline: () => this.client_ !== null,
        type: (data, refuse) => this.admission.write(this.run, data, refuse),
      },
      deps.watch,
    );
  }

  /** The browser that drives this terminal, if one is attached. */
  get client(): ClientLink | null {
    return this.client_;
  }

  /** A shell runs and takes keys. */
  get live(): boolean {
    return this.run?.live ?? false;
  }

  /** Send to the attached browser, if any. */
  tell(msg: ServerMessage): void {
    this.client_?.sendJson(msg);
  }

  /** A browser said hello: it drives this terminal now; the one it replaces is told and closed (4001). */
  connect(client: ClientLink, size: TermSize): void {
    const previous = this.client_;
    if (previous && previous !== client) {
      previous.sendJson({ type: 'taken-over' });
      previous.close(4001, 'taken over by another tab');
    }
    this.client_ = client;
    this.size_ = clampSize(size.cols, size.rows);
    this.output.reset();
    if (!previous) this.watchers.attendeeChanged(true);
  }

  /** The browser went away (false: it was not the one driving, nothing changes). */
  disconnect(client: ClientLink): boolean {
    if (this.client_ !== client) return false;
    this.client_ = null;
    this.output.reset();
    // Issue 17 §6: control lent to an instructor ends here too (watchers.ts).
    this.watchers.attendeeChanged(false);
    // Typing stops when the client that asked for it is gone; so do its held keystrokes.
    this.typer.abort(true);
    return true;
  }

  /** Start a shell in `sandbox` (ending the one there was) and tell `client`, if it still drives, that it is ready. */
  async start(sandbox: Sandbox, client: ClientLink, replaced?: string): Promise<void> {
    this.run?.end();
    this.tell({ type: 'progress', phase: 'starting your shell', fraction: 0.9 });
    const shell = await sandbox.attach(this.size_, this.deps.shellEnv);
    const run = new ShellRun(shell, this.deps.ringBytes, this.size_, this.refusedShell);
    // A shell that outlived the server comes back with what it wrote: its screen (issue 19 §1).
    const backlog = shell.backlog ?? Buffer.alloc(0);
    run.ring.push(backlog);
    run.own(shell.onData((chunk) => this.onOutput(run, chunk)));
    run.own(shell.onExit((e) => this.onExit(run, e)));
    run.ready();
    this.run = run;
    this.output.shellStarted(shell);
    this.watchers.shellStarted();
    if (this.client_ !== client) return;
    if (backlog.length > 0) return this.restore(client, true);
    client.sendJson({ type: 'ready', ...this.ready(), resumed: false, ...(replaced ? { replaced } : {}) });
    this.announce(client);
  }

  /** A browser came back to the running shell: the screen as it is, then live output. */
  async restore(client: ClientLink, resume: boolean): Promise<void> {
    const run = this.run;
    if (!run?.live) return;
    this.output.hold();
    const bytes = run.ring.contents();
    try {
      const screen = resume || bytes.length > 0 ? await renderScreen(bytes, run.size) : '';
      if (this.client_ !== client) return;
      client.sendJson({ type: 'ready', ...this.ready(), resumed: true });
      if (screen) client.sendJson({ type: 'screen', data: screen });
      this.announce(client);
    } finally {
      this.output.release();
    }
    this.output.flush();
    if (run.size.cols !== this.size_.cols || run.size.rows !== this.size_.rows) {
      run.size = this.size_;
      run.shell.resize(this.size_);
      this.watchers.resized(this.size_);
    }
  }

  /** End the shell (`detach`: leave it running where the driver can, for the next server); Run stops with it. */
  end(how: 'kill' | 'detach' = 'kill'): void {
    const run = this.run;
    this.run = null;
    if (how === 'kill') this.typer.abort(true);
    run?.end(how);
  }

  /** The shell ended on the server's side (the sandbox is gone): it takes no more keys. */
  shellGone(): void {
    this.run?.end();
  }

  input(client: ClientLink, data: string): void {
    if (client !== this.client_) return;
    this.admission.write(this.run, data, (code: AdmissionRefusal, message) => client.sendJson({ type: 'error', code, message }));
  }

  resize(client: ClientLink, cols: number, rows: number): void {
    if (client !== this.client_) return;
    this.size_ = clampSize(cols, rows);
    if (this.run?.live) {
      this.run.size = this.size_;
      this.run.shell.resize(this.size_);
    }
    this.watchers.resized(this.size_);
  }

  ack(client: ClientLink, bytes: number): void {
    if (client !== this.client_) return;
    this.output.ack(bytes);
  }

  /** Type a lab block into the shell, line by line, letting each line's output settle first. */
  async runBlock(client: ClientLink, labId: string, blockId: string): Promise<void> {
    if (client !== this.client_) return;
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
    this.deps.recordRun(labId, blockId);
    await this.typer.type(run, toLines(block.run), () => this.client_ === client, { interrupt: block.interrupt });
  }

  /**
   * Type lab text that is not a block (a step's solution, Killercoda's `foreground`) into the shell,
   * visibly, exactly as Run types a block. False when no browser drives the terminal, no shell is
   * ready, or a Run already waits: the text is not typed.
   */
  async typeText(text: string, interrupt: boolean): Promise<boolean> {
    const client = this.client_;
    const run = this.run;
    if (!client || !run?.live || this.typer.full) return false;
    await this.typer.type(run, toLines(text), () => this.client_ === client, { interrupt });
    return true;
  }

  /** The session ends: the browser is closed with `code` (or told `bye` first), every watcher is told. */
  close(reason: string, code: number, bye: boolean): void {
    this.output.dispose();
    this.watchers.end(reason);
    if (bye) this.client_?.sendJson({ type: 'bye', reason });
    this.client_?.close(code, reason);
    this.client_ = null;
  }

  private ready(): { attendee: string; driver: string; isolation: string } {
    return { attendee: this.deps.attendee, driver: this.deps.driverInfo.name, isolation: this.deps.driverInfo.isolation };
  }

  /** After each `ready`: what the providers have for the attendee, then who watches and who may type. */
  private announce(client: ClientLink): void {
    for (const provider of this.deps.announcements ?? []) for (const m of provider(this.deps.attendee)) client.sendJson(m);
    for (const m of this.watchers.announce()) client.sendJson(m);
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
    this.tell({ type: 'exit', code: e.exitCode, signal: e.signal });
    this.deps.onShellExit();
  }
}

/** Lab text as the lines Run types: line endings normalised, trailing blank lines dropped. */
function toLines(text: string): string[] {
  return text.replace(/\r\n?/g, '\n').replace(/\n+$/, '').split('\n');
}
