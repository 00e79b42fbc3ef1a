/**
 * The one parser of WebSocket text frames (issue 18 §4), for every labdeck socket and both directions:
 * client frames on the server (server/sockets/endpoint.ts) and server frames in the clients
 * (common/socket-client.ts). A frame is one JSON object checked by the protocol's zod schema
 * (common/protocol.ts, watch-protocol.ts, class-protocol.ts); what is refused says why, with a code
 * every protocol's `error` frame shares.
 */
import type { z } from 'zod';

/**
 * Why a frame was refused, the same on every socket: too big, not JSON, not a message of this protocol,
 * binary where text was expected; `too-many-errors` closes a socket that keeps sending such frames.
 */
export const FRAME_ERROR_CODES = ['bad-json', 'bad-message', 'too-large', 'binary-not-accepted', 'too-many-errors'] as const;
export type FrameErrorCode = (typeof FRAME_ERROR_CODES)[number];

/**
 * The largest frame a client reads from the server: a restored screen (1000 lines of scrollback at up to
 * 500 columns with their colours) or a class snapshot of a thousand rows stays far below it.
 */
export const MAX_SERVER_FRAME_BYTES = 32 * 1024 * 1024;

/** The one result shape: the validated frame, or the reason it was refused. */
export type FrameResult<T> = { ok: true; frame: T } | { ok: false; code: 'bad-json' | 'bad-message' | 'too-large'; error: string };

/** Parse and validate one text frame; never throws. `maxBytes` bounds its UTF-8 size. */
export function parseFrame<T>(schema: z.ZodType<T>, text: string, maxBytes: number): FrameResult<T> {
  if (exceedsBytes(text, maxBytes)) return { ok: false, code: 'too-large', error: `a frame of more than ${maxBytes} bytes` };
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return { ok: false, code: 'bad-json', error: 'the frame is not valid JSON' };
  }
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue && issue.path.length ? ` at ${issue.path.join('.')}` : '';
    return { ok: false, code: 'bad-message', error: `invalid message${where}: ${issue?.message ?? 'unknown'}` };
  }
  return { ok: true, frame: parsed.data };
}

/**
 * Whether `text` takes more than `max` bytes in UTF-8, counted without encoding it (a class snapshot
 * may be megabytes) and only as far as the answer needs.
 */
export function exceedsBytes(text: string, max: number): boolean {
  // Every UTF-16 unit takes one to three bytes (a surrogate pair four for two units).
  if (text.length > max) return true;
  if (text.length * 3 <= max) return false;
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    bytes += c < 0x80 ? 1 : c < 0x800 ? 2 : 3;
    // A high surrogate followed by a low one: four bytes for the pair (3 counted here, 1 for the low one).
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length && (text.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      bytes += 1;
      i++;
    }
    if (bytes > max) return true;
  }
  return false;
}
