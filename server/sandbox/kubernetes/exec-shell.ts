/**
 * A Shell over a Kubernetes exec channel (channel.ts) with a tty: the same contract as the pty-backed
 * shells. Input goes through a bounded, observable queue (as pty-input.ts does for a pty): a frame is
 * handed to the socket only while the socket's own buffer is small, so a program that does not read
 * shows up as `inputBacklog` growing here, where the session bounds it and Ctrl-C can discard it.
 */
import type { Disposable, Shell, TermSize } from '../driver.js';
import type { ExecChannel } from './channel.js';

/** The socket's buffer above which input waits in our queue; and the largest stdin frame. */
const SOCKET_HIGH_WATER = 64 * 1024;
const FRAME_BYTES = 16 * 1024;
const RETRY_MIN_MS = 1;
const RETRY_MAX_MS = 64;

export interface ExecShellHooks {
  /** After kill(): end what the shell left in the pod (dtach keeps it alive otherwise). */
  onKill(): void | Promise<void>;
}

type ExitEvent = { exitCode: number | null; signal: number | null };

export class ExecShell implements Shell {
  /** No host process owns this pty: it lives in the pod, behind the API server. */
  readonly pid = 0;
  private channel: ExecChannel | null = null;
  private readonly dataListeners = new Set<(chunk: Buffer) => void>();
  private readonly exitListeners = new Set<(e: ExitEvent) => void>();
  private exited: ExitEvent | null = null;
  private killed = false;
  /** True after detach(): the exit that follows is not the shell's end. */
  detaching = false;

  /** True once kill() or detach() ran: the exit that follows needs no clean-up of its own. */
  get letGo(): boolean {
    return this.killed;
  }
  private queue: Buffer[] = [];
  private queued = 0;
  private retryMs = 0;
  private retryTimer: NodeJS.Timeout | null = null;

  constructor(private readonly hooks: ExecShellHooks) {}

  /** The channel's handlers; attach() opens the channel with them, then hands it over. */
  readonly handlers = {
    onStdout: (chunk: Buffer): void => {
      for (const l of this.dataListeners) l(chunk);
    },
    onClose: (code: number | null): void => this.finish(code),
  };

  bind(channel: ExecChannel, size: TermSize): void {
    this.channel = channel;
    channel.resize(size.cols, size.rows);
  }

  write(data: string): void {
    if (this.exited || data.length === 0) return;
    const buf = Buffer.from(data, 'utf8');
    for (let i = 0; i < buf.length; i += FRAME_BYTES) this.queue.push(buf.subarray(i, i + FRAME_BYTES));
    this.queued += buf.length;
    if (!this.retryTimer) this.flush();
  }

  private flush(): void {
    this.retryTimer = null;
    const ch = this.channel;
    if (!ch || this.exited) return;
    while (this.queue.length > 0 && ch.buffered < SOCKET_HIGH_WATER) {
      const head = this.queue.shift()!;
      this.queued -= head.length;
      ch.sendStdin(head);
    }
    if (this.queue.length === 0) {
      this.retryMs = 0;
      return;
    }
    // The far end is not reading: wait, longer each time, instead of spinning the event loop.
    this.retryMs = Math.min(RETRY_MAX_MS, Math.max(RETRY_MIN_MS, this.retryMs * 2));
    this.retryTimer = setTimeout(() => this.flush(), this.retryMs);
  }

  get inputBacklog(): number {
    return this.queued + (this.channel?.buffered ?? 0);
  }

  discardInput(): number {
    const dropped = this.queued;
    this.queue = [];
    this.queued = 0;
    return dropped;
  }

  resize(size: TermSize): void {
    if (!this.exited) this.channel?.resize(size.cols, size.rows);
  }

  pause(): void {
    if (!this.exited) this.channel?.pause();
  }

  resume(): void {
    if (!this.exited) this.channel?.resume();
  }

  onData(listener: (chunk: Buffer) => void): Disposable {
    this.dataListeners.add(listener);
    return { dispose: () => this.dataListeners.delete(listener) };
  }

  onExit(listener: (e: ExitEvent) => void): Disposable {
    if (this.exited) {
      const e = this.exited;
      queueMicrotask(() => listener(e));
      return { dispose: () => undefined };
    }
    this.exitListeners.add(listener);
    return { dispose: () => this.exitListeners.delete(listener) };
  }

  detach(): void {
    if (this.killed) return;
    this.killed = true;
    this.detaching = true;
    this.channel?.close();
  }

  kill(): void {
    if (this.killed) return;
    this.killed = true;
    this.channel?.close();
    void this.hooks.onKill();
  }

  private finish(code: number | null): void {
    if (this.exited) return;
    this.exited = { exitCode: code, signal: null };
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = null;
    this.discardInput();
    for (const l of this.exitListeners) l(this.exited);
    this.exitListeners.clear();
    this.dataListeners.clear();
  }
}
