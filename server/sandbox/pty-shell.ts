/**
 * A Shell backed by a node-pty process: the `local` driver's bash. (Container drivers' shells live in
 * their sandbox's agent: agent/shell.ts.) Output is handed out as Buffers: utf8 decoding in node-pty
 * costs ~15% throughput (docs/host-facts.md, "The terminal data path") and the browser decodes anyway.
 */
import { chownSync } from 'node:fs';
import * as pty from 'node-pty';
import type { Disposable, Shell, TermSize } from './driver.js';
import { PtyInput } from './pty-input.js';

export interface PtyShellOptions {
  file: string;
  args: string[];
  cwd: string;
  /** The complete environment of the child: callers build it from an allow-list. */
  env: Record<string, string>;
  size: TermSize;
  /** Extra clean-up after the pty process is killed (e.g. a process-tree sweep); may be async. */
  onKill?: (pid: number) => void | Promise<void>;
  /**
   * The user the child switches to (the local driver as root): its terminal device is given to it, as
   * login(1) does, for programs that reopen their terminal by name.
   */
  ttyOwner?: { uid: number; gid: number };
}

export class PtyShell implements Shell {
  readonly pid: number;
  private readonly proc: pty.IPty;
  private readonly dataListeners = new Set<(chunk: Buffer) => void>();
  private readonly exitListeners = new Set<(e: { exitCode: number | null; signal: number | null }) => void>();
  private exited: { exitCode: number | null; signal: number | null } | null = null;
  private killed = false;
  private readonly input: PtyInput;

  constructor(private readonly opts: PtyShellOptions) {
    this.proc = pty.spawn(opts.file, opts.args, {
      name: 'xterm-256color',
      cols: opts.size.cols,
      rows: opts.size.rows,
      cwd: opts.cwd,
      env: opts.env,
      // null encoding: node-pty hands out Buffers (typed as string by its .d.ts).
      encoding: null as unknown as string,
    });
    this.pid = this.proc.pid;
    if (opts.ttyOwner) {
      try {
        chownSync((this.proc as unknown as { ptsName: string }).ptsName, opts.ttyOwner.uid, opts.ttyOwner.gid);
      } catch {
        /* the shell already ended with its terminal; its exit is reported as usual */
      }
    }
    // Input goes through our own bounded, observable queue on the pty's fd (pty-input.ts says why);
    // `fd` is a public getter of node-pty's UnixTerminal that its typings leave out.
    const fd = (this.proc as unknown as { fd?: unknown }).fd;
    if (typeof fd !== 'number') throw new Error('node-pty did not expose the pty fd');
    this.input = new PtyInput(fd);
    this.proc.onData((d) => {
      const chunk = typeof d === 'string' ? Buffer.from(d, 'utf8') : (d as unknown as Buffer);
      for (const l of this.dataListeners) l(chunk);
    });
    this.proc.onExit(({ exitCode, signal }) => {
      // node-pty reports signal 0 for a normal exit; the protocol says null.
      this.exited = { exitCode: exitCode ?? null, signal: signal ? signal : null };
      this.input.close();
      for (const l of this.exitListeners) l(this.exited);
      this.exitListeners.clear();
      this.dataListeners.clear();
    });
  }

  write(data: string): void {
    if (!this.exited) this.input.write(data);
  }

  get inputBacklog(): number {
    return this.input.backlog;
  }

  discardInput(): number {
    return this.input.discard();
  }

  resize(size: TermSize): void {
    if (!this.exited) this.proc.resize(size.cols, size.rows);
  }

  pause(): void {
    if (!this.exited) this.proc.pause();
  }

  resume(): void {
    if (!this.exited) this.proc.resume();
  }

  onData(listener: (chunk: Buffer) => void): Disposable {
    this.dataListeners.add(listener);
    return { dispose: () => this.dataListeners.delete(listener) };
  }

  onExit(listener: (e: { exitCode: number | null; signal: number | null }) => void): Disposable {
    if (this.exited) {
      const e = this.exited;
      queueMicrotask(() => listener(e));
      return { dispose: () => undefined };
    }
    this.exitListeners.add(listener);
    return { dispose: () => this.exitListeners.delete(listener) };
  }

  /** A local shell cannot outlive the server: letting go of it ends it. */
  detach(): void {
    this.kill();
  }

  kill(): void {
    if (this.killed) return;
    this.killed = true;
    // The pty's child is a session leader: signalling the negative pid reaches its whole process group.
    try {
      process.kill(-this.pid, 'SIGHUP');
    } catch {
      /* already gone */
    }
    try {
      this.proc.kill('SIGKILL');
    } catch {
      /* already gone */
    }
    void this.opts.onKill?.(this.pid);
  }
}
