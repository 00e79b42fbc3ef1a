/**
 * The one client of the terminal protocol (common/protocol.ts): framing (JSON text frames out, binary
 * output and validated JSON in), the hello, and the ack accounting. Used by the browser
 * (app/labs/[id]/terminalConnection.ts, which adds reconnect and the UI), the integration tests
 * (test/support/server.ts) and the bench (bench/endpoints.ts), so the three can never disagree on the
 * protocol.
 *
 * It runs over any WebSocket-like object: the browser's `WebSocket` and `ws`'s both have the same
 * `on*` handler properties and hand text frames over as strings (ws's event-target API converts them).
 * One TerminalClient per socket: acks owed on a socket that closed are lost with it, as the server's
 * count for that socket is.
 */
import {
  ACK_EVERY_BYTES,
  HIGH_WATERMARK,
  INPUT_CHUNK_CHARS,
  PROTOCOL_VERSION,
  parseServerMessage,
  type ClientMessage,
  type ServerMessage,
} from './protocol'; // no `.js`: the browser bundler (Turbopack) does not map it to the .ts file

/**
 * An event handler property. Checked bivariantly (the method-signature trick), so the browser's
 * `(ev: MessageEvent) => any` and ws's `(ev: WebSocket.MessageEvent) => void` both fit.
 */
type Handler<E> = { bivarianceHack(ev: E): unknown }['bivarianceHack'] | null;

/** The part of a WebSocket this client uses (browser `WebSocket` and `ws` both fit). */
export interface SocketLike {
  readonly readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  onopen: Handler<unknown>;
  onmessage: Handler<{ data: unknown }>;
  onclose: Handler<{ code: number; reason: string }>;
  onerror: Handler<unknown>;
}

/** WebSocket.OPEN, which Node's `ws` and the browser share; not read from a global that Node may lack. */
const OPEN = 1;

/** The largest single ack the server accepts (its schema's bound). */
const MAX_ACK_BYTES = HIGH_WATERMARK * 4;

export interface TerminalClientHandlers {
  /** The socket opened: time to say hello. */
  onOpen?(): void;
  /**
   * Terminal output. Call `consumed(bytes.byteLength)` on the client once it has been processed (the
   * browser: once xterm has parsed it), or set `autoAck` to ack on receipt.
   */
  onOutput?(bytes: Uint8Array): void;
  /** A valid server message. */
  onMessage?(msg: ServerMessage): void;
  /** A text frame that is not a valid server message: dropped, and counted in `invalidFrames`. */
  onInvalid?(error: string, text: string): void;
  /** The socket closed; `opened` says whether it ever opened. */
  onClose?(ev: { code: number; reason: string; opened: boolean }): void;
}

export class TerminalClient {
  /** Ack output as soon as it arrives (a client that renders nothing); false: the caller calls consumed(). */
  autoAck: boolean;
  /** Server frames that failed validation. */
  invalidFrames = 0;
  private unacked = 0;
  private opened = false;
  private abandoned = false;

  constructor(
    readonly socket: SocketLike,
    private readonly handlers: TerminalClientHandlers,
    opts: { autoAck?: boolean } = {},
  ) {
    this.autoAck = opts.autoAck ?? false;
    if (socket.readyState === OPEN) this.opened = true;
    socket.onopen = () => {
      this.opened = true;
      handlers.onOpen?.();
    };
    socket.onmessage = (ev) => this.onFrame(ev.data);
    socket.onclose = (ev) => handlers.onClose?.({ code: ev.code, reason: String(ev.reason), opened: this.opened });
    // Errors are followed by a close event, which is where the caller learns about them.
    socket.onerror = () => undefined;
  }

  get isOpen(): boolean {
    return !this.abandoned && this.socket.readyState === OPEN;
  }

  /** Send one message; false when the socket is not open (nothing is queued or retried). */
  send(msg: ClientMessage): boolean {
    if (!this.isOpen) return false;
    this.socket.send(JSON.stringify(msg));
    return true;
  }

  /** The first message: nothing is spawned on the server before it. */
  hello(size: { cols: number; rows: number }, resume = false): boolean {
    return this.send({ type: 'hello', version: PROTOCOL_VERSION, cols: size.cols, rows: size.rows, ...(resume ? { resume: true } : {}) });
  }

  /** Keystrokes or a paste, split so no frame exceeds the server's limit. */
  input(data: string): boolean {
    let ok = true;
    for (const chunk of chunks(data, INPUT_CHUNK_CHARS)) ok = this.send({ type: 'input', data: chunk }) && ok;
    return ok;
  }

  /**
   * `bytes` of output were processed: ack in steps of ACK_EVERY_BYTES (the server's flow control,
   * docs/protocol.md#flow-control). What is below the step waits for the next output.
   */
  consumed(bytes: number): void {
    if (this.abandoned) return;
    this.unacked += bytes;
    while (this.unacked >= ACK_EVERY_BYTES) {
      const n = Math.min(this.unacked, MAX_ACK_BYTES);
      if (!this.send({ type: 'ack', bytes: n })) return;
      this.unacked -= n;
    }
  }

  /** Let go of the socket without hearing from it again, and close it. */
  abandon(code?: number, reason?: string): void {
    if (this.abandoned) return;
    this.abandoned = true;
    const s = this.socket;
    s.onopen = s.onmessage = s.onclose = null;
    try {
      s.close(code, reason);
    } catch {
      // Already closing: nothing left to release.
    }
  }

  private onFrame(data: unknown): void {
    if (this.abandoned) return;
    if (typeof data === 'string') {
      const parsed = parseServerMessage(data);
      if (parsed.ok) this.handlers.onMessage?.(parsed.message);
      else {
        this.invalidFrames++;
        this.handlers.onInvalid?.(parsed.error, data);
      }
      return;
    }
    const bytes = toBytes(data);
    if (!bytes) return;
    this.handlers.onOutput?.(bytes);
    if (this.autoAck) this.consumed(bytes.byteLength);
  }
}

function toBytes(data: unknown): Uint8Array | null {
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  return null;
}

/** Split text into chunks of at most `size` UTF-16 code units, never between the halves of a surrogate pair. */
export function chunks(text: string, size: number): string[] {
  const out: string[] = [];
  let i = 0;
  while (i < text.length) {
    let end = Math.min(text.length, i + size);
    const last = text.charCodeAt(end - 1);
    if (end < text.length && end - i > 1 && last >= 0xd800 && last <= 0xdbff) end -= 1;
    out.push(text.slice(i, end));
    i = end;
  }
  return out;
}
