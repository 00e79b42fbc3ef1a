/**
 * The watch WebSocket (`/ws/watch?attendee=<id>`, issue 10): the instructor watches an attendee's
 * terminal, the same shell the attendee types in, read-only until the attendee accepts a request for
 * control. Imported by the server (server/terminal/watch.ts), the dashboard (app/instructor/WatchPane.tsx)
 * and the tests; docs/protocol.md#watch describes it for humans.
 *
 * Framing as on the terminal socket: binary frames server → watcher are raw terminal output; text frames
 * both ways are one JSON object with a string-literal `type`, validated by the schemas below. The socket
 * is authenticated like every instructor socket (common/instructor-socket.ts).
 */
import { z } from 'zod';
import { FRAME_ERROR_CODES } from './frame';
import { INPUT_CHUNK_CHARS, MAX_CLIENT_FRAME_BYTES } from './protocol';

export const WATCH_PATH = '/ws/watch';

/** Watchers of one attendee at once: a co-instructor or two and a projector, not a crowd. */
export const MAX_WATCHERS_PER_ATTENDEE = 4;

export const watchClientMessage = z.discriminatedUnion('type', [
  /** Keys for the attendee's shell: typed only while the attendee has granted control, refused otherwise. */
  z.object({ type: z.literal('input'), data: z.string().max(INPUT_CHUNK_CHARS) }).strict(),
  /** `request`: ask the attendee for control (their page prompts); `release`: give it back (or withdraw the request). */
  z.object({ type: z.literal('control'), action: z.enum(['request', 'release']) }).strict(),
  z.object({ type: z.literal('ping'), t: z.number().finite() }).strict(),
]);
export type WatchClientMessage = z.infer<typeof watchClientMessage>;

/** Largest text frame the server reads from a watcher: as on the terminal socket. */
export const MAX_WATCH_FRAME_BYTES = MAX_CLIENT_FRAME_BYTES;

export const watchErrorCode = z.enum([
  /** A refused frame (common/frame.ts). */
  ...FRAME_ERROR_CODES,
  /** Keys sent while the attendee has not granted control to this watcher: nothing was typed. */
  'not-in-control',
  /** Another watcher has asked for, or holds, control. */
  'control-busy',
  /** The attendee has no terminal session on this server (not connected, or it ended). */
  'no-session',
  /** Too many watchers of this attendee (MAX_WATCHERS_PER_ATTENDEE). */
  'limit',
  /** The shell is not ready, or does not read its input; as on the terminal socket. */
  'not-ready',
  'input-overflow',
]);
export type WatchErrorCode = z.infer<typeof watchErrorCode>;

const size = { cols: z.number().int().positive(), rows: z.number().int().positive() };

/** Server → watcher text frames (not `.strict()`, as on the terminal socket: newer servers may add fields). */
export const watchServerMessage = z.discriminatedUnion('type', [
  /**
   * Reset the watcher's terminal to this state (a serialized screen, the attendee's size): sent first,
   * after a new shell starts, and after the watcher fell behind and output was skipped (`skipped` says
   * how many bytes it missed). Live output follows as binary frames.
   */
  z.object({ type: z.literal('screen'), data: z.string(), ...size, skipped: z.number().int().min(0) }),
  /** The attendee's terminal was resized. */
  z.object({ type: z.literal('resize'), ...size }),
  /**
   * Who may type: `none`, `requested` (by this watcher or `other`), `granted` (to this watcher or
   * `other`). `ended` is set once, when control or a request ended: the attendee declined or took
   * control back, the watcher released it, or the attendee's browser went away (`attendee-left`, issue
   * 17 §6: a lent keyboard never outlives the attendee; they must consent again).
   */
  z.object({
    type: z.literal('control'),
    state: z.enum(['none', 'requested', 'granted']),
    mine: z.boolean(),
    ended: z.enum(['declined', 'taken-back', 'released', 'attendee-left']).optional(),
  }),
  /** Whether the attendee's own browser is attached right now (their shell lives on without it for a while). */
  z.object({ type: z.literal('attendee'), online: z.boolean() }),
  /** The session ended (grace period over, server stopping); the socket closes after it. */
  z.object({ type: z.literal('ended'), reason: z.string() }),
  z.object({ type: z.literal('pong'), t: z.number() }),
  z.object({ type: z.literal('error'), code: watchErrorCode, message: z.string(), fatal: z.boolean().optional() }),
]);
export type WatchServerMessage = z.infer<typeof watchServerMessage>;

/** The watch socket's URL path and query for one attendee. */
export function watchPath(attendee: string): string {
  return `${WATCH_PATH}?attendee=${encodeURIComponent(attendee)}`;
}
