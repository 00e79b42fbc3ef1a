/**
 * A session's output path to its browser: coalescing, and flow control that pauses the shell (the
 * program in it then blocks on write) while any of three reasons holds:
 *  - `acks`: the client has not acknowledged enough of what it was sent (it has not rendered it yet);
 *  - `socket`: this process holds too much for a socket the kernel will not take (`ws.bufferedAmount`):
 *    acks are the client's word, and one that acked without reading grew the server by 80 MB in 8 s;
 *  - `budget`: it floods past its share while other shells flood too (fairness.ts).
 *
 * Invariants, checked at load:
 *  - ACK_EVERY_BYTES < LOW_WATERMARK < HIGH_WATERMARK (common/protocol.ts): a client that has consumed
 *    everything it was sent has acked enough to resume the shell; an ack rounded away cannot keep it
 *    paused.
 *  - socketLowBytes < socketHighBytes: a socket paused above high resumes once it drains below low.
 *
 * Output is not delayed by a timer: chunks read in the same event-loop turn go as one frame
 * (setImmediate), so echo is never held back.
 */
import { ACK_EVERY_BYTES, HIGH_WATERMARK, LOW_WATERMARK, type ServerMessage } from '../../common/protocol.js';
import type { OutputFairness } from './fairness.js';

if (!(ACK_EVERY_BYTES < LOW_WATERMARK && LOW_WATERMARK < HIGH_WATERMARK)) {
  throw new Error('flow-control watermarks violate ACK < LOW < HIGH');
}

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

/** What flow control stops and starts: the shell's output reading. */
export interface Pausable {
  pause(): void;
  resume(): void;
}

/** The socket watermarks (issue 8, item 5); docs/protocol.md#limits. */
export interface SocketWatermarks {
  /** Above this many bytes queued for the socket the shell is paused, whatever the client acks… */
  socketHighBytes: number;
  /** …and below this it resumes. */
  socketLowBytes: number;
}

export type PauseReason = 'acks' | 'socket' | 'budget';

export interface OutputChannelDeps {
  /** The session's current client (the session owns it). */
  client(): ClientLink | null;
  /** The session's current shell, paused and resumed by flow control. */
  shell(): Pausable | null;
  watermarks: SocketWatermarks;
  /** Shared by every session of the server; this channel is its key. */
  fairness?: OutputFairness;
  /** Defers a flush to the end of this event-loop turn; setImmediate unless a test says otherwise. */
  defer?: (fn: () => void) => void;
}

export class OutputChannel {
  /** Bytes sent to the current client and not yet acknowledged. */
  private unacked = 0;
  private readonly pausedFor: Record<PauseReason, boolean> = { acks: false, socket: false, budget: false };
  private pending: Buffer[] = [];
  private flushScheduled = false;
  /** While a restored screen is prepared, live output waits, so nothing is shown twice or lost. */
  private holding = false;
  private readonly defer: (fn: () => void) => void;
  private readonly resumeBudget = () => this.setPaused('budget', false);
  /** After each frame leaves for the kernel: resume a shell paused on its socket once it has drained. */
  private readonly onSent = () => {
    const client = this.deps.client();
    if (this.pausedFor.socket && (!client || client.bufferedAmount < this.deps.watermarks.socketLowBytes)) this.setPaused('socket', false);
  };

  constructor(private readonly deps: OutputChannelDeps) {
    if (!(deps.watermarks.socketLowBytes < deps.watermarks.socketHighBytes)) {
      throw new Error('socket watermarks violate low < high');
    }
    this.defer = deps.defer ?? ((fn) => void setImmediate(fn));
  }

  get paused(): boolean {
    return this.pausedFor.acks || this.pausedFor.socket || this.pausedFor.budget;
  }

  /** Why the shell is paused now (for tests and diagnostics). */
  get pauseReasons(): PauseReason[] {
    return (Object.keys(this.pausedFor) as PauseReason[]).filter((r) => this.pausedFor[r]);
  }

  /**
   * A client attached or left: start clean. Acks for bytes sent to an old socket never come, and
   * output not yet sent belongs to the old one (a new client gets the screen instead).
   */
  reset(): void {
    this.unacked = 0;
    this.pending = [];
    this.setPaused('acks', false);
    this.setPaused('socket', false);
  }

  /** A new shell starts as paused as flow control says. */
  shellStarted(shell: Pausable): void {
    if (this.paused) shell.pause();
  }

  /** Output from the shell, to go to the client (if any) at the end of this event-loop turn. */
  push(chunk: Buffer): void {
    if (!this.deps.client()) return;
    this.pending.push(chunk);
    this.unacked += chunk.length;
    if (this.unacked > HIGH_WATERMARK) this.setPaused('acks', true);
    if (this.deps.fairness && !this.deps.fairness.spend(this, chunk.length, this.resumeBudget)) this.setPaused('budget', true);
    if (!this.flushScheduled && !this.holding) {
      this.flushScheduled = true;
      this.defer(() => this.flush());
    }
  }

  /** The client has processed `bytes` of output. */
  ack(bytes: number): void {
    this.unacked = Math.max(0, this.unacked - bytes);
    if (this.unacked < LOW_WATERMARK) this.setPaused('acks', false);
  }

  /** Hold live output until `release()` (screen restore); the caller flushes once the screen is sent. */
  hold(): void {
    this.holding = true;
  }

  release(): void {
    this.holding = false;
  }

  /** Send what is pending now (also before an exit message, so the last output comes first). */
  flush(): void {
    this.flushScheduled = false;
    const client = this.deps.client();
    if (this.holding || this.pending.length === 0 || !client) return;
    const data = this.pending.length === 1 ? this.pending[0]! : Buffer.concat(this.pending);
    this.pending = [];
    client.sendOutput(data, this.onSent);
    if (client.bufferedAmount > this.deps.watermarks.socketHighBytes) this.setPaused('socket', true);
  }

  /** The session ended: leave the fairness accounting (its resume is never called again). */
  dispose(): void {
    this.deps.fairness?.forget(this);
  }

  /** Pause the shell while any reason holds; resume when none does. */
  private setPaused(reason: PauseReason, on: boolean): void {
    const was = this.paused;
    this.pausedFor[reason] = on;
    const now = this.paused;
    if (now === was) return;
    const shell = this.deps.shell();
    if (now) shell?.pause();
    else shell?.resume();
  }
}
