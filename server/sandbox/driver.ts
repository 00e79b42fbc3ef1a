/**
 * The sandbox layer: where an attendee's environment is created, reset and destroyed.
 * One interface, one driver per engine (local.ts, podman/, kubernetes/). Anything
 * engine-specific stays inside its driver; only server/main.ts chooses and wires a driver.
 */

export interface TermSize {
  cols: number;
  rows: number;
}

export interface Disposable {
  dispose(): void;
}

/** An interactive shell attached to a sandbox: a pty, wherever it lives. */
export interface Shell {
  /** Host pid of the process that owns the pty (bash itself); 0 when the pty lives in the sandbox's agent. */
  readonly pid: number;
  /**
   * Output the shell wrote before this attach, when it was already running (a restarted server
   * attaching to a shell that outlived it: the agent's ring, issue 19 §1). The session restores the
   * screen from it. Empty or absent for a new shell.
   */
  readonly backlog?: Buffer;
  /** Write keystrokes (UTF-8 text) to the shell. */
  write(data: string): void;
  /** Bytes written and not yet taken by the pty: grows while the program in it does not read. */
  readonly inputBacklog: number;
  /** Drop input the pty has not taken yet (as the tty's INTR flushes its queue); returns the bytes dropped. */
  discardInput(): number;
  /** Resize the pty; callers pass already-clamped sizes. */
  resize(size: TermSize): void;
  /** Stop reading output (flow control); the shell blocks once the kernel buffer fills. */
  pause(): void;
  resume(): void;
  onData(listener: (chunk: Buffer) => void): Disposable;
  /** Fires once, when the shell process is gone. */
  onExit(listener: (e: { exitCode: number | null; signal: number | null }) => void): Disposable;
  /** End the shell and everything it started in its session; idempotent. */
  kill(): void;
  /**
   * Let go of the shell without ending it, where the driver can keep it running for a later attach
   * (server shutdown). Drivers whose shells cannot outlive the server end it, as kill() does.
   */
  detach(): void;
}

export type SandboxHealth = 'running' | 'stopped' | 'missing';

export interface ExecResult {
  code: number;
  stdout: string;
  stderr: string;
  timedOut: boolean;
}

export interface ExecOptions {
  timeoutMs?: number;
  onOutput?: (chunk: string) => void;
}

/** Gets a followed file's bytes (Sandbox.follow), each chunk with the file offset of its first byte. */
export interface FollowListener {
  /** An offset below the previous chunk's end means the file was truncated or replaced. */
  data(chunk: Buffer, offset: number): void;
  /** The follow ended for good: `limit` (its byte budget is spent) or an error's text. */
  end?(reason: string): void;
}

/** The terminal every attendee has first; more (tabs, issue 20) get names of their own. */
export const MAIN_TERMINAL = 'main';

/**
 * One attendee's environment. Which attendee is not the sandbox's to know: the assignment has one
 * owner, the store, written only by the pool (pool.ts, docs/architecture.md#the-sandbox-assignment).
 */
export interface Sandbox {
  /** Driver-unique id: a folder name for local, a container id for podman. */
  readonly id: string;
  readonly driver: string;
  /** When it was created (ms since epoch). */
  readonly createdAt: number;
  /**
   * Attach to the sandbox's terminal named `terminal` (MAIN_TERMINAL by default), starting an
   * interactive login shell there if none runs. Drivers whose shells outlive the server hand back the
   * one that runs, with its `backlog`; `env` applies only to a shell started now.
   */
  attach(size: TermSize, env?: Record<string, string>, terminal?: string): Promise<Shell>;
  /**
   * Run a command out of band (preflight checks, lab checks); killed after `timeoutMs`. `onOutput`
   * gets stdout and stderr as they come (a snippet's output streamed under its block, issue 11).
   */
  exec(argv: string[], opts?: ExecOptions): Promise<ExecResult>;
  /**
   * Follow a file of the attendee's, `path` relative to their home, from byte `from`: what is there,
   * then what is appended, by name (a file created later, or replaced, is picked up). At most
   * `maxBytes` in all; then `end('limit')`. Never a symlink, never anything but a regular file. No
   * resident process on the host (issue 19 §1).
   */
  follow(path: string, from: number, listener: FollowListener, maxBytes: number): Disposable;
  /** Is it still there and running? */
  health(): Promise<SandboxHealth>;
}

export type ProgressListener = (phase: string, fraction: number) => void;

export interface DriverInfo {
  name: string;
  /** e.g. `host shell (no isolation)`, `isolated container`, `privileged container`. */
  isolation: string;
  /** Shown to the instructor at start and in the UI (e.g. what privileged mode allows). */
  warnings: string[];
}

/**
 * One thing a driver needs of the host or cluster it runs on, checked (issue 18 §10: `npm run doctor`
 * asks the driver, and knows no engine).
 */
export interface DriverCheck {
  /** What was checked, e.g. `catatonit` or `NetworkPolicy labdeck-sandbox-egress`. */
  name: string;
  ok: boolean;
  /** What was found: a version, a path, or what is wrong. One line. */
  detail: string;
  /** The command or file that fixes a failure. */
  fix?: string;
}

/** One line per check: `✓ name: detail` or `✗ name: detail — fix: …`. */
export function formatCheck(c: DriverCheck): string {
  return c.ok ? `✓ ${c.name}: ${c.detail}` : `✗ ${c.name}: ${c.detail}${c.fix ? ` — fix: ${c.fix}` : ''}`;
}

export interface SandboxDriver {
  readonly info: DriverInfo;
  /**
   * What this engine needs of the host or cluster, checked now, each failure with its fix: `npm run
   * doctor` prints them before it creates a sandbox. Drivers with nothing to check leave it out.
   */
  checks?(): Promise<DriverCheck[]>;
  /** Create and start a new, unassigned sandbox. */
  create(onProgress?: ProgressListener): Promise<Sandbox>;
  /**
   * Find sandboxes this server (same workshop) created before a restart, running or stopped (a paused
   * workshop's); the store says whose they are, and the pool destroys the ones that are nobody's.
   */
  adopt(): Promise<Sandbox[]>;
  /** Destroy it and everything in it, within a deadline; idempotent. */
  destroy(sandbox: Sandbox): Promise<void>;
  /**
   * Stop it without losing what is in it (a workshop paused overnight, issue 10): its shells and
   * processes end, its files stay, and it costs no CPU until start(). health() then says `stopped` and
   * attach() refuses. Idempotent.
   */
  stop(sandbox: Sandbox): Promise<void>;
  /** Start a stopped sandbox again, ready to attach (its files as they were); idempotent. */
  start(sandbox: Sandbox): Promise<void>;
  /** Release resources held by the driver itself. */
  close(): Promise<void>;
}
