/**
 * The JSON body of a POST or PUT, for every route file (workshop, capacity, presenter): one place for
 * the rules a body must meet. Like every other write of the server it must be JSON (no cross-site form
 * can send that) and, when the browser names an origin, ours.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { z } from 'zod';
import type { ApiErrorBody } from '../../common/api.js';
import type { Auth } from './auth.js';

/** What a route file gets from api.ts to answer and to read a body. */
export interface Io {
  json<T extends object>(res: ServerResponse, status: number, body: T): void;
  readJson(req: IncomingMessage): Promise<unknown>;
}

/**
 * A body matching `schema`, or null once the refusal was answered (403, 415, 400). With `emptyIsObject`,
 * a request with no body at all needs no content type and reads as `{}` (actions like pause whose body
 * is optional).
 */
export async function readBody<S extends z.ZodType>(
  req: IncomingMessage,
  res: ServerResponse,
  schema: S,
  auth: Auth,
  io: Io,
  opts: { emptyIsObject?: boolean } = {},
): Promise<z.infer<S> | null> {
  if (req.headers.origin !== undefined && !auth.originAllowed(req)) {
    io.json<ApiErrorBody>(res, 403, { error: 'this request comes from another site' });
    return null;
  }
  const hasBody = (req.headers['content-length'] !== undefined && req.headers['content-length'] !== '0') || req.headers['transfer-encoding'] !== undefined;
  if ((hasBody || !opts.emptyIsObject) && !/^application\/json\b/i.test(req.headers['content-type'] ?? '')) {
    io.json<ApiErrorBody>(res, 415, { error: 'send the body as application/json' });
    return null;
  }
  let raw: unknown;
  try {
    raw = await io.readJson(req);
  } catch (err) {
    io.json<ApiErrorBody>(res, 400, { error: `bad request: ${err instanceof Error ? err.message : String(err)}` });
    return null;
  }
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    io.json<ApiErrorBody>(res, 400, { error: `bad request: ${parsed.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; ')}` });
    return null;
  }
  return parsed.data;
}
