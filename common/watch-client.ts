/**
 * The one client of the watch protocol (common/watch-protocol.ts): the instructor's side of "watch an
 * attendee's terminal", on the framing every socket shares (socket-client.ts). Used by the dashboard
 * (app/instructor/watchConnection.ts, which adds the pane's state and reconnect) and the tests
 * (test/support/watch-client.ts), so the two cannot disagree on the protocol (issue 18 §4).
 */
import { INPUT_CHUNK_CHARS } from './protocol'; // no `.js`: the browser bundler (Turbopack) does not map it to the .ts file
import { SocketClient, chunks, type SocketLike } from './socket-client';
import { watchServerMessage, type WatchClientMessage, type WatchServerMessage } from './watch-protocol';

export interface WatchClientHandlers {
  onOpen?(): void;
  /** The attendee's terminal output, live. */
  onOutput?(bytes: Uint8Array): void;
  /** A valid server frame. */
  onMessage?(msg: WatchServerMessage): void;
  /** A text frame that is not a valid server frame: dropped, and counted in `invalidFrames`. */
  onInvalid?(error: string, text: string): void;
  onClose?(ev: { code: number; reason: string; opened: boolean }): void;
}

export class WatchClient extends SocketClient<WatchServerMessage, WatchClientMessage> {
  constructor(socket: SocketLike, handlers: WatchClientHandlers) {
    super(socket, watchServerMessage, {
      onOpen: () => handlers.onOpen?.(),
      onBinary: (bytes) => handlers.onOutput?.(bytes),
      onFrame: (msg) => handlers.onMessage?.(msg),
      onInvalid: (error, text) => handlers.onInvalid?.(error, text),
      onClose: (ev) => handlers.onClose?.(ev),
    });
  }

  /** Keys for the attendee's shell (typed by the server only while the attendee lends control), split below the frame limit. */
  input(data: string): boolean {
    let ok = true;
    for (const chunk of chunks(data, INPUT_CHUNK_CHARS)) ok = this.send({ type: 'input', data: chunk }) && ok;
    return ok;
  }

  /** Ask the attendee for control (their page prompts), or give it back. */
  control(action: 'request' | 'release'): boolean {
    return this.send({ type: 'control', action });
  }
}
