/**
 * One attendee's terminal session: where a keystroke goes after the WebSocket gateway, and where the
 * shell's output comes from. It owns the attendee's sandbox (through the pool), the current shell, the
 * output ring for screen restore, and flow control. At most one browser connection drives it; a newer
 * tab takes over (the older one is told and closed).
 *
 * Lifecycle: the session moves forward only: starting → ready → closing → done. Each shell inside it
 * (a ShellRun) does the same; a reset or recreate ends the current ShellRun and starts a new one.
 */
import {
  ACK_EVERY_BYTES,
  HIGH_WATERMARK,
  LOW_WATERMARK,
  clampSize,
  type ServerMessage,
  type SessionState,
} from '../../common/protocol.js';
import type { CodeBlock } from '../../common/lab-model.js';
import type { DriverInfo, Disposable, Sandbox, SandboxHealth, Shell, TermSize } from '../sandbox/driver.js';
import { PoolBusyError, type SandboxPool } from '../sandbox/pool.js';
import type { Logger } from '../log.js';
import type { OutputFairness } from './fairness.js';
import { ByteRing, renderScreen } from './screen.js';

/** The browser end of a session, as the gateway presents it. */
export interface ClientLink {
  readonly id: number;
  sendJson(msg: ServerMessage): void;
  /** Send output; `onSent` runs once the frame has been handed to the kernel (or the socket is gone). */
  sendOutput(data: Buffer, onSent?: () => void): void;
  close(code: number, reason: string): void;
  /** Bytes queued in this process for the socket and not yet handed to the kernel (`ws.bufferedAmount`). */
  readonly bufferedAmount: number;
}

/** What a session records for the instructor (SQLite in production). */
export interface ProgressStore {
  recordProgress(attendee: string, labId: string, step: number): void;
  recordRun(attendee: string, labId: string, blockId: string): void;
  hadSandbox(attendee: string): boolean;
}

export interface SessionDeps {
  pool: SandboxPool;
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
  /** Runs the lab's reset script in the old sandbox before a reset replaces it (issue 11); never throws. */
  beforeReset?(attendee: string, labId: string | null, sandbox: Sandbox | null): Promise<void>;
  onDone(attendee: string): void;
}

/** What one session may make the server hold (issue 8, item 5); docs/protocol.md#limits. */
export interface SessionLimits {
  /**
   * Input bytes waiting for a pty that does not read. Input past it is refused with `input-overflow`
   * (Ctrl-C is always accepted and drops the backlog). Above the client's largest paste (1 MB).
   */
  inputBacklogBytes: number;
  /**
   * Output queued in this process for a socket the client does not read (`ws.bufferedAmount`): above
   * `socketHighBytes` the shell is paused whatever the client acks, below `socketLowBytes` it resumes.
   * Acks alone trust the client: one that acks without reading grew the server by 80 MB in 8 s.
   */
  socketHighBytes: number;
  socketLowBytes: number;
}

export const SESSION_LIMITS: SessionLimits = {
  inputBacklogBytes: 1024 * 1024 + 128 * 1024,
  socketHighBytes: 1024 * 1024,
  socketLowBytes: 256 * 1024,
};

// Flow control invariant (see common/protocol.ts): ACK_EVERY_BYTES < LOW_WATERMARK < HIGH_WATERMARK.
if (!(ACK_EVERY_BYTES < LOW_WATERMARK && LOW_WATERMARK < HIGH_WATERMARK)) {
  throw new Error('flow-control watermarks violate ACK < LOW < HIGH');
}

/** Run-line pacing: wait for the shell to go quiet between the lines of a block, within bounds. */
const RUN_QUIET_MS = 120;
const RUN_MAX_WAIT_MS = 1500;

/** A Run being typed, or waiting for the one before it. */
interface RunTyping {
  aborted: boolean;
  readonly done: Promise<void>;
}

class ShellRun {
  state: SessionState = 'starting';
  readonly ring: ByteRing;
  private readonly subs: Disposable[] = [];
  lastOutputAt = 0;

  constructor(
    readonly shell: Shell,
    ringBytes: number,
    public size: TermSize,
  ) {
    this.ring = new ByteRing(ringBytes);
  }

  own(d: Disposable): void {
    this.subs.push(d);
  }

  /** End the shell (`detach`: let go of it, leaving it running where the driver can). */
  end(how: 'kill' | 'detach' = 'kill'): void {
    if (this.state === 'done') return;
    this.state = 'closing';
    for (const d of this.subs.splice(0)) d.dispose();
    if (how === 'detach') this.shell.detach();
    else this.shell.kill();
    this.state = 'done';
  }
}

export class AttendeeSession {
  state: SessionState = 'starting';
  private client: ClientLink | null = null;
  private sandbox: Sandbox | null = null;
  private run: ShellRun | null = null;
  private graceTimer: NodeJS.Timeout | null = null;
  /** Serialises sandbox/shell changes (start, reset, recreate) so they never interleave. */
  private queue: Promise<unknown> = Promise.resolve();
  private size: TermSize = { cols: 80, rows: 24 };

  // Flow control: bytes sent to the current client and not yet acknowledged. The shell is paused
  // while the client's acks lag (`acks`), its socket does not drain (`socket`), or it floods past its
  // share while others flood too (`budget`, fairness.ts).
  private unacked = 0;
  private readonly pausedFor = { acks: false, socket: false, budget: false };
  private readonly resumeBudget = () => this.setPaused('budget', false);
  /** After each frame leaves for the kernel: resume a shell paused on its socket once it has drained. */
  private readonly onSent = () => {
    if (this.pausedFor.socket && (!this.client || this.client.bufferedAmount < this.limits.socketLowBytes)) this.setPaused('socket', false);
  };
  private readonly limits: SessionLimits;
  /** Set when input was refused, so the client is told once per overflow, not once per frame. */
  private inputRefused = false;
  // Output coalescing within one event-loop turn; `holding` while a restored screen is being prepared.
  private pending: Buffer[] = [];
  private flushScheduled = false;
  private holding = false;

  // While Run types a block line by line, the attendee's own keystrokes wait, so the two never
  // interleave; Ctrl-C goes through at once and stops the rest of the block. At most one more Run
  // waits behind it: the queue cannot grow with frames.
  private running: RunTyping | null = null;
  private runWaiting: RunTyping | null = null;
  private heldInput: string[] = [];
  private heldBytes = 0;

  labId: string | null = null;
  step: number | null = null;
  lastSeen = Date.now();

  constructor(
    readonly attendee: string,
    private readonly deps: SessionDeps,
  ) {
    this.limits = { ...SESSION_LIMITS, ...deps.limits };
  }

  get connected(): boolean {
    return this.client !== null;
  }

  /** Health from the last check (the periodic sweep, or a shell's exit). */
  private health: SandboxHealth = 'running';

  get sandboxInfo(): { id: string; driver: string; health: SandboxHealth } | null {
    return this.sandbox ? { id: this.sandbox.id, driver: this.sandbox.driver, health: this.health } : null;
  }

  /** The attendee's sandbox, once they have one (for out-of-band checks such as preflight). */
  get currentSandbox(): Sandbox | null {
    return this.sandbox;
  }

  /** A browser said hello: attach it, starting or restoring the shell. */
  attach(client: ClientLink, size: TermSize, resume: boolean): Promise<void> {
    if (this.state === 'closing' || this.state === 'done') {
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
    // A new connection starts with clean accounting: acks for bytes sent to an old socket are lost.
    this.unacked = 0;
    this.pending = [];
    this.setPaused('acks', false);
    this.setPaused('socket', false);
    return this.serialise(async () => {
      if (this.client !== client) return;
      const run = this.run;
      if (run && run.state === 'ready') {
        await this.restore(client, run, resume);
      } else {
        await this.startShell(client);
      }
    });
  }

  detach(client: ClientLink): void {
    if (this.client !== client) return;
    this.client = null;
    this.lastSeen = Date.now();
    this.pending = [];
    this.unacked = 0;
    this.setPaused('acks', false);
    this.setPaused('socket', false);
    // Typing stops when the client that asked for it is gone; so do its held keystrokes.
    this.abortRuns(true);
    this.graceTimer = setTimeout(() => void this.close('grace period over'), this.deps.graceMs);
    this.graceTimer.unref();
  }

  input(client: ClientLink, data: string): void {
    if (client !== this.client) return;
    const run = this.run;
    if (!run || run.state !== 'ready') {
      client.sendJson({ type: 'error', code: 'not-ready', message: 'the shell is not ready yet' });
      return;
    }
    if (data.includes('\x03')) {
      // Ctrl-C jumps the queue: what waits behind a program that does not read is dropped, as the tty's
      // own INTR flushes its input queue, and a Run being typed stops.
      run.shell.discardInput();
      this.abortRuns(false);
      this.inputRefused = false;
      run.shell.write(data);
      return;
    }
    const bytes = Buffer.byteLength(data, 'utf8');
    if (run.shell.inputBacklog + this.heldBytes + bytes > this.limits.inputBacklogBytes) {
      if (!this.inputRefused) {
        this.inputRefused = true;
        client.sendJson({
          type: 'error',
          code: 'input-overflow',
          message: `The program in the shell is not reading its input (${Math.round(run.shell.inputBacklog / 1024)} KiB waiting): what you type is dropped until it does. Ctrl-C interrupts it.`,
        });
      }
      return;
    }
    this.inputRefused = false;
    if (this.running) {
      this.heldInput.push(data);
      this.heldBytes += bytes;
      return;
    }
    run.shell.write(data);
  }

  resize(client: ClientLink, cols: number, rows: number): void {
    if (client !== this.client) return;
    this.size = clampSize(cols, rows);
    if (this.run?.state === 'ready') {
      this.run.size = this.size;
      this.run.shell.resize(this.size);
    }
  }

  ack(client: ClientLink, bytes: number): void {
    if (client !== this.client) return;
    this.unacked = Math.max(0, this.unacked - bytes);
    if (this.unacked < LOW_WATERMARK) this.setPaused('acks', false);
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
    if (!run || run.state !== 'ready') {
      client.sendJson({ type: 'error', code: 'not-ready', message: 'the shell is not ready yet' });
      return;
    }
    if (this.runWaiting) {
      client.sendJson({ type: 'error', code: 'busy', message: 'Run: a block is being typed and another waits for it; click again once they are done (Ctrl-C stops them).' });
      return;
    }
    this.deps.store.recordRun(this.attendee, labId, blockId);
    await this.type(client, run, block.run, block.interrupt);
  }

  /**
   * Type lab text that is not a block (a step's solution, Killercoda's `foreground`) into the shell,
   * visibly, exactly as Run types a block. False when no browser drives the session or no shell is
   * ready: the text is not typed.
   */
  async typeText(text: string, interrupt: boolean): Promise<boolean> {
    const client = this.client;
    const run = this.run;
    if (!client || !run || run.state !== 'ready' || this.runWaiting) return false;
    await this.type(client, run, text, interrupt);
    return true;
  }

  /** `interrupt`: Ctrl-C first (Killercoda's `{{exec interrupt}}`), so a `watch` still running stops. */
  private async type(client: ClientLink, run: ShellRun, text: string, interrupt: boolean): Promise<void> {
    const lines = text.replace(/\r\n?/g, '\n').replace(/\n+$/, '').split('\n');
    let finished!: () => void;
    const typing: RunTyping = { aborted: false, done: new Promise<void>((r) => (finished = r)) };
    try {
      // A second Run while one is typing waits for it (one at most: a third is refused above).
      const before = this.running;
      if (before) {
        this.runWaiting = typing;
        await before.done;
        if (this.runWaiting === typing) this.runWaiting = null;
      }
      if (typing.aborted) return;
      this.running = typing;
      if (interrupt && run.state === 'ready') {
        run.shell.write('\x03');
        await waitForQuiet(run);
      }
      for (const [i, line] of lines.entries()) {
        if (run.state !== 'ready' || typing.aborted || this.client !== client) break;
        run.shell.write(line + '\r');
        if (i < lines.length - 1) await waitForQuiet(run);
      }
    } finally {
      if (this.running === typing) {
        this.running = null;
        const held = this.heldInput.splice(0).join('');
        this.heldBytes = 0;
        if (held && run.state === 'ready') run.shell.write(held);
      }
      finished();
    }
  }

  /** Stop the Run being typed and the one waiting; `dropHeld`: also the keystrokes held for after them. */
  private abortRuns(dropHeld: boolean): void {
    if (this.running) this.running.aborted = true;
    if (this.runWaiting) this.runWaiting.aborted = true;
    this.runWaiting = null;
    if (dropHeld) {
      this.heldInput = [];
      this.heldBytes = 0;
    }
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
    if (this.state === 'closing' || this.state === 'done') return;
    this.state = 'closing';
    this.clearGrace();
    this.deps.fairness?.forget(this);
    this.deps.log.info('session closing', { attendee: this.attendee, reason });
    this.client?.close(4004, reason);
    this.client = null;
    await this.queue.catch(() => undefined);
    this.run?.end();
    this.run = null;
    await this.deps.pool.release(this.attendee);
    this.sandbox = null;
    this.state = 'done';
    this.deps.onDone(this.attendee);
  }

  /** Server shutdown: say goodbye but leave the sandbox for the next run to re-adopt. */
  goodbye(reason: string): void {
    this.clearGrace();
    this.deps.fairness?.forget(this);
    this.client?.sendJson({ type: 'bye', reason });
    this.client?.close(1001, reason);
    this.client = null;
    // Podman shells live on under dtach and are re-attached by the next server; local ones end.
    this.run?.end('detach');
  }

  private async replaceSandbox(by: 'instructor' | 'attendee'): Promise<void> {
    const client = this.client;
    client?.sendJson({ type: 'reset', by });
    this.run?.end();
    this.run = null;
    this.sandbox = null;
    this.sandbox = await this.deps.pool.replace(this.attendee, (phase, f) =>
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
      this.run?.end();
      progress('starting your shell', 0.9);
      const shell = await this.sandbox.attach(this.size);
      this.health = 'running';
      const run = new ShellRun(shell, this.deps.ringBytes, this.size);
      run.own(shell.onData((chunk) => this.onOutput(run, chunk)));
      run.own(shell.onExit((e) => this.onExit(run, e)));
      run.state = 'ready';
      this.run = run;
      // A new shell starts as paused as the client's flow control says.
      if (this.isPaused()) shell.pause();
      if (this.state === 'starting') this.state = 'ready';
      if (this.client === client) {
        client.sendJson({
          type: 'ready',
          attendee: this.attendee,
          driver: this.deps.driverInfo.name,
          isolation: this.deps.driverInfo.isolation,
          resumed: false,
          ...(replaced ? { replaced } : {}),
        });
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
    // Hold live output while the screen is rendered, so nothing is shown twice or lost.
    this.holding = true;
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
    } finally {
      this.holding = false;
    }
    this.flush();
    if (run.size.cols !== this.size.cols || run.size.rows !== this.size.rows) {
      run.size = this.size;
      run.shell.resize(this.size);
    }
  }

  private onOutput(run: ShellRun, chunk: Buffer): void {
    if (run !== this.run) return;
    run.lastOutputAt = Date.now();
    run.ring.push(chunk);
    if (!this.client) return;
    this.pending.push(chunk);
    this.unacked += chunk.length;
    if (this.unacked > HIGH_WATERMARK) this.setPaused('acks', true);
    if (this.deps.fairness && !this.deps.fairness.spend(this, chunk.length, this.resumeBudget)) this.setPaused('budget', true);
    if (!this.flushScheduled && !this.holding) {
      // Coalesce chunks read in the same event-loop turn; setImmediate adds no timer delay to echo.
      this.flushScheduled = true;
      setImmediate(() => this.flush());
    }
  }

  private flush(): void {
    this.flushScheduled = false;
    if (this.holding || this.pending.length === 0 || !this.client) return;
    const data = this.pending.length === 1 ? this.pending[0]! : Buffer.concat(this.pending);
    this.pending = [];
    this.client.sendOutput(data, this.onSent);
    if (this.client.bufferedAmount > this.limits.socketHighBytes) this.setPaused('socket', true);
  }

  private onExit(run: ShellRun, e: { exitCode: number | null; signal: number | null }): void {
    if (run !== this.run) return;
    this.flush();
    run.end();
    this.client?.sendJson({ type: 'exit', code: e.exitCode, signal: e.signal });
    // A shell that ends because its sandbox died is reported as such.
    void this.checkHealth().catch(() => undefined);
  }

  private isPaused(): boolean {
    return this.pausedFor.acks || this.pausedFor.socket || this.pausedFor.budget;
  }

  /** Pause the shell while any reason holds; resume when none does. */
  private setPaused(reason: keyof AttendeeSession['pausedFor'], on: boolean): void {
    const wasPaused = this.isPaused();
    this.pausedFor[reason] = on;
    const paused = this.isPaused();
    if (paused !== wasPaused) {
      if (paused) this.run?.shell.pause();
      else this.run?.shell.resume();
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

function waitForQuiet(run: ShellRun): Promise<void> {
  const started = Date.now();
  return new Promise((resolve) => {
    const tick = () => {
      const now = Date.now();
      const quietFor = now - Math.max(run.lastOutputAt, started);
      if (run.state !== 'ready' || quietFor >= RUN_QUIET_MS || now - started >= RUN_MAX_WAIT_MS) resolve();
      else setTimeout(tick, 20);
    };
    setTimeout(tick, 20);
  });
}
