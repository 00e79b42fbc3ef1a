/**
 * The one body reader (issue 18 §7) and the rules every state-changing request meets before any
 * handler runs, whoever may call the route (issue 17 §3):
 *
 * 1. **It comes from this site.** An `Origin`, when there is one, must be one of the server's own
 *    (host-guard.ts: not merely the request's Host, which a rebinding page sets; another port or a
 *    sibling subdomain is another origin, which SameSite=Lax does not stop). Without an `Origin`, a
 *    request that carries the attendee's cookie (or would get one: a join) must say
 *    `Sec-Fetch-Site: same-origin`. Why that is safe against what browsers send: every current
 *    browser sends `Origin` on a POST or PUT, same-origin or not (the Fetch standard's "append a
 *    request Origin header": all methods but GET and HEAD), and Chromium, Firefox (90+) and Safari
 *    (16.4+) add `Sec-Fetch-Site` to every request; a request with neither is not from a browser
 *    page, and a client that is not a browser holds no victim's cookie to ride on. A same-site
 *    `Sec-Fetch-Site` is refused: a sibling subdomain is exactly the neighbour to keep out. The
 *    instructor's bearer token is never sent by a browser on its own, so a request that carries it
 *    needs no Origin: the CLIs (server/admin/) and curl send none, and still work; with one, it must
 *    be ours all the same.
 * 2. **It is JSON**: `Content-Type: application/json`, nothing else. A cross-site form or a no-cors
 *    fetch can only send text/plain, form and multipart bodies without a CORS preflight (which this
 *    server never answers), so no other page can make a browser send one. An empty body with that
 *    type reads as `{}` (an action like pause that has nothing to say).
 * 3. **It is small and matches its schema** (common/api.ts): at most MAX_BODY bytes (413), valid
 *    JSON, then the route's zod schema, the one the browser built the body with (400 naming the field).
 */
import type { IncomingMessage } from 'node:http';
import type { z } from 'zod';

/** Every body the API takes is a few fields; 16 KiB is plenty, and the bound of what one request may make the server hold. */
export const MAX_BODY = 16 * 1024;

export type BodyResult<T> = { ok: true; body: T } | { ok: false; status: 400 | 403 | 413 | 415; error: string };
export type OriginVerdict = { ok: true } | { ok: false; status: 403; error: string };

/**
 * Rule 1. `bearer`: the request is authenticated by the instructor's token (already checked), not by
 * a cookie. `ours`: is this Origin one of the server's own (Auth.originAllowed).
 */
export function fromThisSite(req: IncomingMessage, bearer: boolean, ours: (req: IncomingMessage) => boolean): OriginVerdict {
  if (req.headers.origin !== undefined) {
    return ours(req) ? { ok: true } : { ok: false, status: 403, error: 'This request comes from another site, so it was refused.' };
  }
  if (bearer || req.headers['sec-fetch-site'] === 'same-origin') return { ok: true };
  return { ok: false, status: 403, error: 'This request does not say it comes from this site (no Origin, no Sec-Fetch-Site: same-origin), so it was refused.' };
}

/** Rules 2 and 3: the body as `schema` reads it, or the refusal to send. */
export async function readJsonBody<S extends z.ZodType>(req: IncomingMessage, schema: S): Promise<BodyResult<z.output<S>>> {
  const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  if (type !== 'application/json') return { ok: false, status: 415, error: 'Send the body as application/json.' };
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > MAX_BODY) return { ok: false, status: 413, error: `The body is larger than ${MAX_BODY} bytes.` };
  let size = 0;
  const chunks: Buffer[] = [];
  for await (const c of req) {
    size += (c as Buffer).length;
    if (size > MAX_BODY) return { ok: false, status: 413, error: `The body is larger than ${MAX_BODY} bytes.` };
    chunks.push(c as Buffer);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}');
  } catch (err) {
    return { ok: false, status: 400, error: `bad request: ${err instanceof Error ? err.message : String(err)}` };
  }
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    return { ok: false, status: 400, error: `bad request: ${parsed.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; ')}` };
  }
  return { ok: true, body: parsed.data };
}
