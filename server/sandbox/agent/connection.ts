/**
 * One connection to a sandbox's agent, over any Duplex: a Unix socket (podman), an exec stream's
 * relay (kubernetes), a child's stdio (tests; a local driver later). It owns the hello, the channel
 * table and the bounds; shell.ts, exec.ts and follow.ts own what goes over a channel.
 *
 * The agent is untrusted (root in the sandbox can replace it, issue 19 §1). What it can make the
 * server hold is bounded per connection: one frame (LIMIT.FROM_AGENT_PAYLOAD) in the decoder, the
 * channels the server opened (no frame can create one), exec output (`reserve`, heldBytesMax), and
 * output it sends past a pause (shell.ts stops reading the socket: `holdReading`). Any violation —
 * an oversized or malformed frame, an unknown type, a frame for a channel it was never given —
 * ends this connection alone; the sandbox's link waits for the next one.
 */
import type { Duplex } from 'node:stream';
import type { Disposable } from '../driver.js';
import { FrameDecoder, PayloadReader, ProtocolError, encodeFrame } from './codec.js';
import { FRAME, LIMIT, PROTOCOL } from './frames.js';

export interface AgentHello {
  version: number;
  ringBytes: number;
  agentVersion: string;
  /** The agent's pid inside its sandbox. */
  pid: number;
}

/** A channel's owner: its frames, and the end of the connection under it. */
export interface ChannelHandler {
  /** A frame on this channel; throwing (a ProtocolError for bad input) ends the connection. */
  frame(type: number, payload: Buffer): void;
  /** The connection ended; the channel with it. */
  lost(why: string): void;
}

export interface ConnectionOptions {
  /** How long the agent has to say hello; default 10 s. */
  helloTimeoutMs?: number;
  /** Exec output every command of this connection may hold at once; default 8 MiB. */
  heldBytesMax?: number;
}

/** Channels the server may have open on one connection: the agent's own tables. */
export const MAX_CHANNELS = LIMIT.MAX_TERMINALS + LIMIT.MAX_EXECS + LIMIT.MAX_FOLLOWS;
/** Frames still in flight for a channel the server let go of are dropped, up to this many bytes each… */
const STRAY_BYTES = 1 << 20;
/** …for this many recently released channels; a frame for any other channel is a violation. */
const STRAY_CHANNELS = 64;
/** Bytes queued for an agent that does not read: past this the connection is ended. */
const WRITE_MAX = 8 << 20;

/** The frame types an agent may send. */
const FROM_AGENT = new Set<number>([
  FRAME.HELLO, FRAME.PING, FRAME.PONG, FRAME.ERROR,
  FRAME.TERM_OPENED, FRAME.TERM_DATA, FRAME.TERM_INPUT_ACK, FRAME.TERM_EXIT, FRAME.TERM_CLOSED,
  FRAME.EXEC_STDOUT, FRAME.EXEC_STDERR, FRAME.EXEC_EXIT,
  FRAME.FOLLOW_DATA, FRAME.FOLLOW_END,
]);

export class AgentConnection {
  /** Resolves with the agent's hello; rejects if the connection ends first or it is late. */
  readonly hello: Promise<AgentHello>;
  private helloInfo: AgentHello | null = null;
  private settleHello!: { resolve(h: AgentHello): void; reject(e: Error): void };
  private readonly helloTimer: NodeJS.Timeout;
  private readonly decoder = new FrameDecoder(LIMIT.FROM_AGENT_PAYLOAD);
  private readonly channels = new Map<number, ChannelHandler>();
  private readonly released = new Map<number, number>();
  private nextChan = 1;
  private why: string | null = null;
  private readonly closeListeners = new Set<(why: string) => void>();
  private readonly holds = new Set<object>();
  private held = 0;
  private readonly heldMax: number;

  constructor(
    private readonly stream: Duplex,
    opts: ConnectionOptions = {},
  ) {
    this.heldMax = opts.heldBytesMax ?? 8 << 20;
    this.hello = new Promise<AgentHello>((resolve, reject) => (this.settleHello = { resolve, reject }));
    // Nobody may be listening yet when it fails; the rejection is still delivered to whoever awaits it.
    this.hello.catch(() => undefined);
    this.helloTimer = setTimeout(() => this.close(`no hello within ${opts.helloTimeoutMs ?? 10_000} ms`), opts.helloTimeoutMs ?? 10_000);
    this.helloTimer.unref();
    stream.on('data', (chunk: Buffer) => this.onData(chunk));
    stream.on('end', () => this.close('the agent closed the connection'));
    stream.on('close', () => this.close('the connection closed'));
    stream.on('error', (err: Error) => this.close(`connection error: ${err.message}`));
  }

  get closed(): boolean {
    return this.why !== null;
  }

  /** Why it ended, once it has. */
  get closeReason(): string | null {
    return this.why;
  }

  get info(): AgentHello | null {
    return this.helloInfo;
  }

  /** Bytes written and not yet taken by the transport. */
  get writableLength(): number {
    return this.stream.writableLength;
  }

  onClose(listener: (why: string) => void): Disposable {
    if (this.why !== null) {
      const why = this.why;
      queueMicrotask(() => listener(why));
      return { dispose: () => undefined };
    }
    this.closeListeners.add(listener);
    return { dispose: () => this.closeListeners.delete(listener) };
  }

  /** A new channel for `handler`; throws when the connection is gone or the table is full. */
  open(handler: ChannelHandler): number {
    if (this.why !== null) throw new Error(`agent connection closed: ${this.why}`);
    if (this.channels.size >= MAX_CHANNELS) throw new Error(`too many channels on one agent connection (${MAX_CHANNELS})`);
    const chan = this.nextChan;
    this.nextChan = this.nextChan >= 0xffff_fffe ? 1 : this.nextChan + 1;
    this.channels.set(chan, handler);
    return chan;
  }

  /** The channel's owner is done with it; frames still in flight for it are dropped. */
  release(chan: number): void {
    if (!this.channels.delete(chan)) return;
    this.released.set(chan, STRAY_BYTES);
    if (this.released.size > STRAY_CHANNELS) this.released.delete(this.released.keys().next().value!);
  }

  send(type: number, chan: number, payload?: Buffer): void {
    if (this.why !== null) return;
    if (this.stream.writableLength > WRITE_MAX) {
      this.close('the agent does not read what it is sent');
      return;
    }
    this.stream.write(encodeFrame(type, chan, payload));
  }

  /** Stop reading the connection while `owner` holds it (an agent that ignores a pause). */
  holdReading(owner: object): void {
    this.holds.add(owner);
    this.stream.pause();
  }

  releaseReading(owner: object): void {
    if (this.holds.delete(owner) && this.holds.size === 0 && this.why === null) this.stream.resume();
  }

  /** Take `bytes` of this connection's exec-output budget; false when it would go past heldBytesMax. */
  reserve(bytes: number): boolean {
    if (this.held + bytes > this.heldMax) return false;
    this.held += bytes;
    return true;
  }

  unreserve(bytes: number): void {
    this.held = Math.max(0, this.held - bytes);
  }

  close(why: string): void {
    if (this.why !== null) return;
    this.why = why;
    clearTimeout(this.helloTimer);
    this.settleHello.reject(new Error(`agent connection ended before its hello: ${why}`));
    this.stream.destroy();
    const handlers = [...this.channels.values()];
    this.channels.clear();
    for (const h of handlers) h.lost(why);
    for (const l of this.closeListeners) l(why);
    this.closeListeners.clear();
  }

  private onData(chunk: Buffer): void {
    if (this.why !== null) return;
    try {
      for (const f of this.decoder.push(chunk)) {
        this.dispatch(f.type, f.chan, f.payload);
        if (this.why !== null) return;
      }
    } catch (err) {
      this.close(err instanceof ProtocolError ? `protocol error: ${err.message}` : `error handling an agent frame: ${String(err)}`);
    }
  }

  private dispatch(type: number, chan: number, payload: Buffer): void {
    if (!FROM_AGENT.has(type)) throw new ProtocolError(`frame type 0x${type.toString(16)} is not one an agent sends`);
    if (this.helloInfo === null) {
      if (type !== FRAME.HELLO || chan !== 0) throw new ProtocolError('the first frame must be HELLO');
      const r = new PayloadReader(payload, 'HELLO');
      const hello = { version: r.u16(), ringBytes: r.u32(), agentVersion: r.str(256), pid: r.u32() };
      r.end();
      if (hello.version !== PROTOCOL.VERSION) throw new ProtocolError(`the agent speaks protocol ${hello.version}, this server ${PROTOCOL.VERSION}`);
      this.helloInfo = hello;
      clearTimeout(this.helloTimer);
      this.settleHello.resolve(hello);
      return;
    }
    if (type === FRAME.HELLO) throw new ProtocolError('a second HELLO');
    if (chan === 0) {
      if (type === FRAME.PING) this.send(FRAME.PONG, 0, payload.length <= 64 ? Buffer.from(payload) : undefined);
      else if (type !== FRAME.PONG) throw new ProtocolError(`frame type 0x${type.toString(16)} on channel 0`);
      return;
    }
    const handler = this.channels.get(chan);
    if (handler) return handler.frame(type, payload);
    const allowance = this.released.get(chan);
    if (allowance === undefined) throw new ProtocolError(`a frame for channel ${chan}, which the server never opened`);
    const left = allowance - payload.length;
    if (left < 0) throw new ProtocolError(`more than ${STRAY_BYTES} bytes for released channel ${chan}`);
    this.released.set(chan, left);
  }
}
