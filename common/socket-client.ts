/**
 * The client side every labdeck socket shares (issue 18 §4): JSON text frames out, and in, server
 * frames validated by common/frame.ts's parseFrame against the protocol's schema (an invalid one is
 * dropped and counted, never handed on), binary frames as bytes. Each protocol has one client built on
 * it (terminal-client.ts, watch-client.ts, class-client.ts), used by the browser, the tests and the
 * bench alike, so they can never disagree on a protocol.
 *
 * It runs over any WebSocket-like object: the browser's `WebSocket` and `ws`'s both have the same
 * `on*` handler properties and hand text frames over as strings (ws's event-target API converts them).
 * One client per socket: reconnecting opens a new socket and a new client (common/reconnect.ts).
 */
import type { z } from 'zod';
import { MAX_SERVER_FRAME_BYTES, parseFrame } from './frame'; // no `.js`: the browser bundler (Turbopack) does not map it to the .ts file

/**
 * An event handler property. Checked bivariantly (the method-signature trick), so the browser's
 * `(ev: MessageEvent) => any` and ws's `(ev: WebSocket.MessageEvent) => void` both fit.
 */
type Handler<E> = { bivarianceHack(ev: E): unknown }['bivarianceHack'] | null;

/** The part of a WebSocket a client uses (browser `WebSocket` and `ws` both fit). */
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

export interface SocketClientHandlers<S> {
  /** The socket opened. */
  onOpen?(): void;
  /** A binary frame. */
  onBinary?(bytes: Uint8Array): void;
  /** A valid server frame. */
  onFrame?(frame: S): void;
  /** A text frame that is not a valid server frame: dropped, and counted in `invalidFrames`. */
  onInvalid?(error: string, text: string): void;
  /** The socket closed; `opened` says whether it ever opened. */
  onClose?(ev: { code: number; reason: string; opened: boolean }): void;
}

export class SocketClient<S, C> {
  /** Server frames that failed validation. */
  invalidFrames = 0;
  private opened = false;
  private abandoned = false;

  constructor(
    readonly socket: SocketLike,
    private readonly schema: z.ZodType<S>,
    private readonly handlers: SocketClientHandlers<S>,
  ) {
    if (socket.readyState === OPEN) this.opened = true;
    socket.onopen = () => {
      this.opened = true;
      handlers.onOpen?.();
    };
    socket.onmessage = (ev) => this.onData(ev.data);
    socket.onclose = (ev) => handlers.onClose?.({ code: ev.code, reason: String(ev.reason), opened: this.opened });
    // Errors are followed by a close event, which is where the caller learns about them.
    socket.onerror = () => undefined;
  }

  get isOpen(): boolean {
    return !this.abandoned && this.socket.readyState === OPEN;
  }

  /** Send one frame; false when the socket is not open (nothing is queued or retried). */
  send(msg: C): boolean {
    if (!this.isOpen) return false;
    this.socket.send(JSON.stringify(msg));
    return true;
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

  private onData(data: unknown): void {
    if (this.abandoned) return;
    if (typeof data === 'string') {
      const parsed = parseFrame(this.schema, data, MAX_SERVER_FRAME_BYTES);
      if (parsed.ok) this.handlers.onFrame?.(parsed.frame);
      else {
        this.invalidFrames++;
        this.handlers.onInvalid?.(parsed.error, data);
      }
      return;
    }
    const bytes = toBytes(data);
    if (bytes) this.handlers.onBinary?.(bytes);
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
