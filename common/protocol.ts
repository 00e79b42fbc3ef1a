/**
 * The terminal WebSocket protocol, imported by both the browser (app/) and the server (server/terminal/).
 * docs/protocol.md describes it for humans; this file is the definition.
 *
 * Framing:
 *  - Binary frames, server → client: raw terminal output bytes, nothing else.
 *  - Text frames, both ways: one JSON object with a string-literal `type`, validated by the schemas below.
 *  - Binary frames client → server are rejected (keystrokes travel as `input` JSON so they can be validated).
 */
import { z } from 'zod';
import { FRAME_ERROR_CODES } from './frame'; // no `.js`: the browser bundler (Turbopack) does not map it to the .ts file

export const PROTOCOL_VERSION = 1;

/** Resize bounds: anything outside is clamped, non-integers are rejected. */
export const MIN_COLS = 2;
export const MAX_COLS = 500;
export const MIN_ROWS = 1;
export const MAX_ROWS = 200;

/** Largest text frame the server accepts (a 1 MB paste is split by the client into `input` frames below this). */
export const MAX_CLIENT_FRAME_BYTES = 256 * 1024;
/** The client splits pastes into chunks of at most this many UTF-16 code units. */
export const INPUT_CHUNK_CHARS = 32 * 1024;

/**
 * Flow control (see docs/protocol.md#flow-control).
 * The client acks consumed output bytes in steps of ACK_EVERY_BYTES; the server pauses the shell when
 * un-acked bytes exceed HIGH_WATERMARK and resumes below LOW_WATERMARK.
 * Invariant: ACK_EVERY_BYTES < LOW_WATERMARK < HIGH_WATERMARK, so a client that has consumed everything
 * it was sent has always acked enough to bring the server below LOW_WATERMARK: the shell cannot stay
 * paused forever because of an ack rounded away.
 * Sizes measured in bench/ (docs/performance.md): 512 KiB / 192 KiB bring ^C under a `yes` flood into a
 * 20 MB/s renderer from 62 ms (1 MiB / 256 KiB) to 15 ms, with the same throughput relative to raw node-pty.
 */
export const ACK_EVERY_BYTES = 64 * 1024;
export const LOW_WATERMARK = 192 * 1024;
export const HIGH_WATERMARK = 512 * 1024;

/**
 * The instructor's undismissed messages an attendee is shown at most (the newest): what the server
 * sends after `ready` and what the page keeps, so a chatty dashboard cannot bury a lab under notices.
 */
export const MAX_SHOWN_MESSAGES = 20;

const dim = z.number().int().finite();

export const clientMessage = z.discriminatedUnion('type', [
  /** First message: nothing is spawned until it arrives. */
  z.object({
    type: z.literal('hello'),
    version: z.literal(PROTOCOL_VERSION),
    cols: dim,
    rows: dim,
    /** Set by a reconnecting client: the screen is restored from the server's terminal state. */
    resume: z.boolean().optional(),
  }).strict(),
  z.object({ type: z.literal('input'), data: z.string().max(INPUT_CHUNK_CHARS) }).strict(),
  z.object({ type: z.literal('resize'), cols: dim, rows: dim }).strict(),
  z.object({ type: z.literal('ack'), bytes: z.number().int().positive().max(HIGH_WATERMARK * 4) }).strict(),
  /** Run a lab block: the server types `run` into the shell line by line (see docs/protocol.md). */
  z.object({
    type: z.literal('run'),
    labId: z.string().max(200),
    blockId: z.string().max(200),
  }).strict(),
  /** Progress report: the attendee is on step `step` of lab `labId`. */
  z.object({ type: z.literal('progress'), labId: z.string().max(200), step: z.number().int().min(0).max(10_000) }).strict(),
  /** Ask for a fresh sandbox (after the sandbox died, or by the attendee's own choice). */
  z.object({ type: z.literal('recreate') }).strict(),
  z.object({ type: z.literal('ping'), t: z.number().finite() }).strict(),
  /** The attendee closed the instructor's message `id`: it is not shown again, on any reload. */
  z.object({ type: z.literal('dismiss'), id: z.number().int().positive() }).strict(),
  /**
   * The attendee's answer to the instructor's request to type in their shell (`control`): `accept`
   * grants it; `end` declines a request or takes control back. docs/protocol.md#watch.
   */
  z.object({ type: z.literal('control'), action: z.enum(['accept', 'end']) }).strict(),
]);
export type ClientMessage = z.infer<typeof clientMessage>;

/** Why a frame was rejected or an action failed; the `code` of an `error` message. */
export const errorCode = z.enum([
  /** A refused frame (common/frame.ts): bad-json, bad-message, too-large, binary-not-accepted, too-many-errors. */
  ...FRAME_ERROR_CODES,
  'not-ready',
  'unknown-block',
  /**
   * A `progress` frame naming a lab this server has not loaded, or a step that lab does not have
   * (issue 17 §5): nothing is stored.
   */
  'unknown-step',
  'spawn-failed',
  /** A limit of this server was reached (sessions, connections per attendee); `fatal` says whether retrying helps. */
  'limit',
  /**
   * Too much at once. For new sessions and sandboxes being created the socket then closes with 1013
   * (try again later) and the page retries; for a Run clicked while two are queued, nothing closes.
   */
  'busy',
  /** Input refused: the program in the shell does not read it (Ctrl-C is always accepted). */
  'input-overflow',
  /** No `hello` within the deadline after the socket opened. */
  'hello-timeout',
  /** No join, no shell (REQUIRE_JOIN=1): this browser has not joined an open workshop; the page links to /join. */
  'join-required',
]);
export type ErrorCode = z.infer<typeof errorCode>;

/**
 * Server → client text frames. Not `.strict()`: a page loaded from an older build keeps working when a
 * newer server adds a field; an unknown `type` is still rejected (parseFrame returns an error).
 */
export const serverMessage = z.discriminatedUnion('type', [
  /** Sandbox start progress; `fraction` in [0, 1]. */
  z.object({ type: z.literal('progress'), phase: z.string(), fraction: z.number() }),
  /** The shell is attached; output follows as binary frames. */
  z.object({
    type: z.literal('ready'),
    attendee: z.string(),
    driver: z.string(),
    isolation: z.string(),
    /** True when this is the same shell as before the reconnect (the screen was restored). */
    resumed: z.boolean(),
    /** Set when the previous shell was lost and this is a new one, with the reason. */
    replaced: z.string().optional(),
  }),
  /** Serialized terminal state to write before any further output, on reconnect. */
  z.object({ type: z.literal('screen'), data: z.string() }),
  /** The shell exited; a `recreate` message (or the page's button) starts a new one. */
  z.object({ type: z.literal('exit'), code: z.number().nullable(), signal: z.number().nullable() }),
  /** The sandbox was reset; the client clears its screen and waits for `ready`. */
  z.object({ type: z.literal('reset'), by: z.enum(['instructor', 'attendee']) }),
  /** The sandbox is gone or broken; `recreate` is the way forward. */
  z.object({ type: z.literal('sandbox-lost'), message: z.string() }),
  /** Another tab of the same attendee took over this shell. */
  z.object({ type: z.literal('taken-over') }),
  /** The server is shutting down; reconnect after it comes back. */
  z.object({ type: z.literal('bye'), reason: z.string() }),
  z.object({ type: z.literal('pong'), t: z.number() }),
  /**
   * A message from the instructor (POST /api/workshops/:id/messages), shown as a notice until the
   * attendee sends `dismiss`. Sent when posted, and again after every `ready` while not dismissed.
   * `text` is plain text: the page never renders it as HTML.
   */
  z.object({
    type: z.literal('message'),
    id: z.number().int(),
    text: z.string(),
    from: z.literal('instructor'),
    /** True when it went to the whole workshop. */
    toAll: z.boolean(),
    /** When it was sent, ms since the epoch. */
    at: z.number(),
  }),
  /**
   * How many instructors watch this terminal right now (docs/protocol.md#watch); 0 when nobody does.
   * Sent when it changes and after every `ready`; the page shows a notice while it is above 0.
   */
  z.object({ type: z.literal('watching'), watchers: z.number().int().min(0) }),
  /**
   * Who may type in this shell besides the attendee: `requested` (the instructor asks; the page shows
   * Accept / Decline), `granted` (the instructor's keys are typed), `none`. Sent when it changes and
   * after every `ready`.
   */
  z.object({ type: z.literal('control'), state: z.enum(['none', 'requested', 'granted']) }),
  /**
   * Presenter mode (POST /api/workshops/:id/presenter): the step of `labId` the instructor is on, or
   * null when they stopped presenting. Sent when it changes and after every `ready` while presenting;
   * a page that follows the instructor moves to it.
   */
  z.object({ type: z.literal('presenter'), labId: z.string(), step: z.number().int().min(0).nullable() }),
  /**
   * The attendee's workshop changed state (issue 10). `closing`: it closes at `closesAt` (ms since the
   * epoch) and the sandbox is destroyed then; `paused`: the shell is gone and the sandbox stopped, files
   * kept, until `open` comes (a `ready` follows with the shell back); `closed`: the session ends.
   */
  z.object({
    type: z.literal('workshop'),
    state: z.enum(['open', 'paused', 'closing', 'closed']),
    message: z.string(),
    closesAt: z.number().optional(),
  }),
  /** A rejected message or a failed action; the session goes on unless `fatal`. */
  z.object({ type: z.literal('error'), code: errorCode, message: z.string(), fatal: z.boolean().optional() }),
]);
export type ServerMessage = z.infer<typeof serverMessage>;

/** Clamp a validated size into the bounds above. */
export function clampSize(cols: number, rows: number): { cols: number; rows: number } {
  return {
    cols: Math.min(MAX_COLS, Math.max(MIN_COLS, cols)),
    rows: Math.min(MAX_ROWS, Math.max(MIN_ROWS, rows)),
  };
}

/** The WebSocket path of the terminal endpoint. */
export const TERMINAL_PATH = '/ws/terminal';
