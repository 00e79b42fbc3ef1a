/**
 * The one client of the terminal protocol (common/protocol.ts): the hello, input split below the frame
 * limit, and the ack accounting, on the framing every socket shares (socket-client.ts). Used by the
 * browser (app/labs/[id]/terminalConnection.ts, which adds reconnect and the UI), the integration tests
 * (test/support/server.ts) and the bench (bench/endpoints.ts), so the three can never disagree on the
 * protocol. One TerminalClient per socket: acks owed on a socket that closed are lost with it, as the
 * server's count for that socket is.
 */
import {
  ACK_EVERY_BYTES,
  HIGH_WATERMARK,
  INPUT_CHUNK_CHARS,
  PROTOCOL_VERSION,
  serverMessage,
  type ClientMessage,
  type ServerMessage,
} from './protocol'; // no `.js`: the browser bundler (Turbopack) does not map it to the .ts file
import { SocketClient, chunks, type SocketLike } from './socket-client';

export { chunks, type SocketLike };

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

export class TerminalClient extends SocketClient<ServerMessage, ClientMessage> {
  /** Ack output as soon as it arrives (a client that renders nothing); false: the caller calls consumed(). */
  autoAck: boolean;
  private unacked = 0;
  private gone = false;

  constructor(socket: SocketLike, handlers: TerminalClientHandlers, opts: { autoAck?: boolean } = {}) {
    super(socket, serverMessage, {
      onOpen: () => handlers.onOpen?.(),
      onFrame: (msg) => handlers.onMessage?.(msg),
      onInvalid: (error, text) => handlers.onInvalid?.(error, text),
      onClose: (ev) => handlers.onClose?.(ev),
      onBinary: (bytes) => {
        handlers.onOutput?.(bytes);
        if (this.autoAck) this.consumed(bytes.byteLength);
      },
    });
    this.autoAck = opts.autoAck ?? false;
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
    if (this.gone) return;
    this.unacked += bytes;
    while (this.unacked >= ACK_EVERY_BYTES) {
      const n = Math.min(this.unacked, MAX_ACK_BYTES);
      if (!this.send({ type: 'ack', bytes: n })) return;
      this.unacked -= n;
    }
  }

  override abandon(code?: number, reason?: string): void {
    this.gone = true;
    super.abandon(code, reason);
  }
}
