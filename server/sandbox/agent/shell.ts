/**
 * A Shell whose pty lives in the sandbox's agent (issue 19 §1): the same contract as the pty-backed
 * shells (driver.ts), over one channel of the sandbox's agent connection.
 *
 * - Output: the agent numbers every byte its terminal ever wrote. This side counts what it got, so
 *   when the connection is replaced (a restarted agent connection, a new relay) it re-attaches to the
 *   same terminal instance asking for exactly the bytes after that count: none lost, none doubled,
 *   while the agent's ring still holds them. A fresh attach (a restarted server) gets the ring as
 *   `backlog`, from which the session restores the screen.
 * - Flow control: pause() asks the agent to stop sending; bytes in flight still arrive. An agent
 *   that sends more than PAUSE_SLACK past a pause is not believed: the connection stops being read
 *   until resume() (connection.ts holdReading), so a flood costs the server nothing.
 * - Input: keystrokes wait here and at most LIMIT.INPUT_WINDOW bytes are ahead of what the pty has
 *   consumed (the agent's INPUT_ACK), so `inputBacklog` is what the program has not read, as for a
 *   local pty, and discardInput() drops it on both sides. Bytes sent but not yet acknowledged are
 *   kept and sent again after a reconnect from the agent's own count of what it received.
 * - kill() asks the agent to end the terminal's session and sweep its marked processes, by name AND
 *   instance: a kill can never reach a newer shell of the same name (issue 18 bug 1).
 */
import type { Disposable, Shell, TermSize } from '../driver.js';
import { PayloadReader, PayloadWriter, ProtocolError } from './codec.js';
import type { AgentConnection, ChannelHandler } from './connection.js';
import { ERROR_CODE, FRAME, LIMIT, NO_OFFSET } from './frames.js';

/** What to start when the named terminal does not exist yet. */
export interface TerminalSpec {
  /** `[A-Za-z0-9_.-]{1,32}`: "main" for the attendee's first terminal, tab ids later (issue 20). */
  name: string;
  cwd: string;
  argv: string[];
  /** Set over the agent's own environment (the sandbox's); the agent adds the terminal's marker. */
  env: Record<string, string>;
  size: TermSize;
}

/** The sandbox's side of a shell: the live connection, and a kill kept for when there is none. */
export interface ShellLink {
  current(): AgentConnection | null;
  kill(name: string, instance: number): void;
  forget(shell: AgentShell): void;
}

type ExitEvent = { exitCode: number | null; signal: number | null };

/** Output accepted past a pause before the agent is taken to ignore it (in flight: socket buffers). */
export const PAUSE_SLACK = 1 << 20;
const ENV_KEY_RE = /^[A-Za-z_][A-Za-z0-9_]*$/;

export class AgentShell implements Shell, ChannelHandler {
  /** No host process owns this pty: it is the agent's, in the sandbox. */
  readonly pid = 0;
  /** The agent's number for this terminal (names are reused; instances never). */
  instance = 0;
  /** Output the terminal wrote before this attach: what a fresh client restores the screen from. */
  backlog: Buffer = Buffer.alloc(0);
  /** True when the agent started the shell for this attach; false when it was already running. */
  created = false;
  /** Output bytes the agent's ring no longer had when this side re-attached (0 unless a long outage). */
  lostBytes = 0;

  private conn: AgentConnection | null = null;
  private chan = 0;
  private size: TermSize;
  /** Output bytes received (the agent's offset of the next byte). */
  private offset = 0;
  /** Bytes of the next TERM_DATA to drop: the agent resent something this side had. */
  private skip = 0;
  private opening: { resolve(): void; reject(e: Error): void; left: number; parts: Buffer[]; first: boolean } | null = null;

  private queue: Buffer[] = [];
  private queued = 0;
  private inSent = 0;
  private inAcked = 0;
  /** Sent and not yet acknowledged, from `retainedFrom`: what a reconnect may need to send again. */
  private retained: Buffer[] = [];
  private retainedFrom = 0;

  private paused = false;
  private pausedBytes = 0;
  private early: Buffer[] = [];
  private earlyBytes = 0;
  private readonly dataListeners = new Set<(chunk: Buffer) => void>();
  private readonly exitListeners = new Set<(e: ExitEvent) => void>();
  private exited: ExitEvent | null = null;
  private letGo = false;

  constructor(
    private readonly link: ShellLink,
    private readonly spec: TerminalSpec,
  ) {
    this.size = spec.size;
    for (const [k, v] of Object.entries(spec.env)) {
      if (!ENV_KEY_RE.test(k) || v.includes('\0')) throw new Error(`invalid environment variable ${JSON.stringify(k)}`);
    }
  }

  get name(): string {
    return this.spec.name;
  }

  /** Open (or attach to) the named terminal on `conn`; resolves once its backlog is here. */
  open(conn: AgentConnection): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.opening = { resolve, reject, left: 0, parts: [], first: true };
      this.bind(conn, 0, NO_OFFSET);
    });
  }

  /** A new connection replaced the one this shell was on: the same terminal instance, from where it was. */
  reattach(conn: AgentConnection): void {
    if (this.letGo || this.exited || this.instance === 0) return;
    this.bind(conn, this.instance, this.offset);
  }

  private bind(conn: AgentConnection, instance: number, resume: number | bigint): void {
    this.conn = conn;
    this.chan = conn.open(this);
    const w = new PayloadWriter().str(this.spec.name).u64(instance).u64(resume).u16(this.size.cols).u16(this.size.rows).str(this.spec.cwd).strs(this.spec.argv);
    conn.send(FRAME.TERM_OPEN, this.chan, w.strs(Object.entries(this.spec.env).map(([k, v]) => `${k}=${v}`)).done());
    if (this.paused) conn.send(FRAME.TERM_PAUSE, this.chan);
  }

  frame(type: number, payload: Buffer): void {
    switch (type) {
      case FRAME.TERM_OPENED:
        return this.opened(new PayloadReader(payload, 'TERM_OPENED'));
      case FRAME.TERM_DATA:
        return this.data(payload);
      case FRAME.TERM_INPUT_ACK: {
        const r = new PayloadReader(payload, 'TERM_INPUT_ACK');
        const consumed = r.u64();
        r.end();
        if (consumed > this.inSent) throw new ProtocolError(`input acknowledged past what was sent (${consumed} > ${this.inSent})`);
        if (consumed > this.inAcked) {
          this.inAcked = consumed;
          this.trimRetained(consumed);
          this.flush();
        }
        return;
      }
      case FRAME.TERM_EXIT: {
        const r = new PayloadReader(payload, 'TERM_EXIT');
        const code = r.i32();
        const signal = r.i32();
        r.end();
        this.end({ exitCode: code < 0 ? null : code, signal: signal > 0 ? signal : null });
        return;
      }
      case FRAME.TERM_CLOSED:
        // Another channel took this terminal over: this handle no longer drives it.
        this.end({ exitCode: null, signal: null });
        return;
      case FRAME.ERROR: {
        const r = new PayloadReader(payload, 'ERROR');
        const code = r.u16();
        const message = r.str(1024);
        if (this.opening) {
          const o = this.opening;
          this.opening = null;
          this.release();
          o.reject(new Error(`the sandbox agent could not open terminal ${this.spec.name}: ${message}`));
        } else {
          // NOT_FOUND on a re-attach: the shell ended while no connection was there to say so.
          if (code !== ERROR_CODE.NOT_FOUND) throw new ProtocolError(`unexpected error on a terminal: ${message}`);
          this.end({ exitCode: null, signal: null });
        }
        return;
      }
      default:
        throw new ProtocolError(`frame type 0x${type.toString(16)} on a terminal channel`);
    }
  }

  private opened(r: PayloadReader): void {
    const instance = r.u64();
    const created = r.u8() === 1;
    const start = r.u64();
    const end = r.u64();
    const inReceived = r.u64();
    r.u32(); // the shell's pid inside the sandbox: shown nowhere yet
    r.end();
    if (start > end || end - start > LIMIT.RING_BYTES) throw new ProtocolError(`TERM_OPENED with a backlog of ${end - start} bytes`);
    if (this.opening?.first) {
      this.instance = instance;
      this.created = created;
      this.offset = start;
      this.opening.left = end - start;
      this.opening.first = false;
      this.inSent = this.inAcked = this.retainedFrom = inReceived;
      if (this.opening.left === 0) this.openDone();
      return;
    }
    if (instance !== this.instance) throw new ProtocolError(`re-attached to instance ${instance}, not ${this.instance}`);
    if (start > this.offset) {
      this.lostBytes += start - this.offset;
      this.offset = start;
    } else this.skip = this.offset - start;
    if (inReceived > this.inSent || inReceived < this.retainedFrom) throw new ProtocolError('the agent received input that was never sent');
    this.resend(inReceived);
    this.flush();
  }

  private openDone(): void {
    const o = this.opening!;
    this.opening = null;
    this.backlog = Buffer.concat(o.parts);
    o.resolve();
  }

  private data(chunk: Buffer): void {
    if (this.skip > 0) {
      const n = Math.min(this.skip, chunk.length);
      this.skip -= n;
      chunk = chunk.subarray(n);
      if (chunk.length === 0) return;
    }
    this.offset += chunk.length;
    if (this.opening) {
      const o = this.opening;
      if (o.first) throw new ProtocolError('terminal data before TERM_OPENED');
      const take = Math.min(o.left, chunk.length);
      o.parts.push(chunk.subarray(0, take));
      o.left -= take;
      chunk = chunk.subarray(take);
      if (o.left === 0) this.openDone();
      if (chunk.length === 0) return;
    }
    if (this.paused) {
      this.pausedBytes += chunk.length;
      if (this.pausedBytes > PAUSE_SLACK) this.conn?.holdReading(this);
    }
    if (this.dataListeners.size === 0) {
      // Nobody subscribed yet (attach has just resolved): kept for the first listener, bounded.
      this.early.push(chunk);
      this.earlyBytes += chunk.length;
      if (this.earlyBytes > PAUSE_SLACK) this.conn?.holdReading(this.early);
      return;
    }
    for (const l of this.dataListeners) l(chunk);
  }

  lost(): void {
    this.conn = null;
    this.chan = 0;
    if (this.opening) {
      const o = this.opening;
      this.opening = null;
      o.reject(new Error('the connection to the sandbox agent ended while opening a terminal'));
    }
    // Otherwise wait: the link re-attaches this shell when the agent connects again.
  }

  write(data: string): void {
    if (this.exited || this.letGo || data.length === 0) return;
    const buf = Buffer.from(data, 'utf8');
    this.queue.push(buf);
    this.queued += buf.length;
    this.flush();
  }

  private flush(): void {
    const conn = this.conn;
    if (!conn || this.opening || this.exited) return;
    let room = LIMIT.INPUT_WINDOW - (this.inSent - this.inAcked);
    while (room > 0 && this.queue.length > 0) {
      const head = this.queue[0]!;
      const n = Math.min(room, LIMIT.DATA_CHUNK, head.length);
      const piece = head.subarray(0, n);
      if (n === head.length) this.queue.shift();
      else this.queue[0] = head.subarray(n);
      this.queued -= n;
      this.inSent += n;
      room -= n;
      this.retained.push(piece);
      conn.send(FRAME.TERM_DATA, this.chan, piece);
    }
  }

  /** Drop retained input the agent has consumed. */
  private trimRetained(upTo: number): void {
    while (this.retained.length > 0 && this.retainedFrom < upTo) {
      const head = this.retained[0]!;
      const n = Math.min(head.length, upTo - this.retainedFrom);
      if (n === head.length) this.retained.shift();
      else this.retained[0] = head.subarray(n);
      this.retainedFrom += n;
    }
  }

  /** After a re-attach: send again what the agent did not receive. */
  private resend(received: number): void {
    this.trimRetained(received);
    for (const piece of this.retained) this.conn?.send(FRAME.TERM_DATA, this.chan, piece);
  }

  get inputBacklog(): number {
    return this.queued + (this.inSent - this.inAcked);
  }

  discardInput(): number {
    const dropped = this.queued;
    this.queue = [];
    this.queued = 0;
    if (this.conn && !this.opening) this.conn.send(FRAME.TERM_DISCARD, this.chan);
    return dropped;
  }

  resize(size: TermSize): void {
    this.size = size;
    if (this.conn && !this.exited) this.conn.send(FRAME.TERM_RESIZE, this.chan, new PayloadWriter().u16(size.cols).u16(size.rows).done());
  }

  pause(): void {
    if (this.paused || this.exited) return;
    this.paused = true;
    this.pausedBytes = 0;
    this.conn?.send(FRAME.TERM_PAUSE, this.chan);
  }

  resume(): void {
    if (!this.paused) return;
    this.paused = false;
    this.pausedBytes = 0;
    this.conn?.releaseReading(this);
    if (!this.exited) this.conn?.send(FRAME.TERM_RESUME, this.chan);
  }

  onData(listener: (chunk: Buffer) => void): Disposable {
    this.dataListeners.add(listener);
    if (this.early.length > 0) {
      // After the caller's synchronous set-up (the session subscribes, then makes this its shell).
      const early = this.early;
      this.early = [];
      this.earlyBytes = 0;
      queueMicrotask(() => {
        for (const chunk of early) for (const l of this.dataListeners) l(chunk);
        this.conn?.releaseReading(early);
      });
    }
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

  /** Let go, leaving the shell running in the sandbox with its output going into the agent's ring. */
  detach(): void {
    if (this.letGo || this.exited) return;
    this.letGo = true;
    if (this.conn) this.conn.send(FRAME.TERM_DETACH, this.chan);
    this.release();
    this.link.forget(this);
  }

  kill(): void {
    if (this.letGo || this.exited) return;
    this.letGo = true;
    // By name and instance (sent at once, or first on the next connection): it reaches only this shell.
    this.link.kill(this.spec.name, this.instance);
    this.end({ exitCode: null, signal: 9 });
  }

  /** The sandbox is gone with its agent: this shell has ended, with no exit status. */
  abandon(): void {
    this.end({ exitCode: null, signal: null });
  }

  private release(): void {
    if (this.conn && this.chan) {
      this.conn.releaseReading(this);
      this.conn.releaseReading(this.early);
      this.conn.release(this.chan);
    }
    this.conn = null;
    this.chan = 0;
  }

  private end(e: ExitEvent): void {
    if (this.exited) return;
    this.exited = e;
    this.release();
    this.queue = [];
    this.queued = 0;
    this.link.forget(this);
    if (this.opening) {
      // An ended terminal attached to: its backlog, then its end.
      this.openDone();
    }
    const listeners = [...this.exitListeners];
    this.exitListeners.clear();
    queueMicrotask(() => {
      for (const chunk of this.early.splice(0)) for (const l of this.dataListeners) l(chunk);
      for (const l of listeners) l(e);
      this.dataListeners.clear();
    });
  }
}
