/**
 * The HTTP boundary: what every request and every upgrade goes through before any handler runs
 * (issue 8, items 2, 4 and 6). It checks the Host (host-guard.ts), parses the URL where a failure is a
 * 400, sets the security headers, and makes sure an upgrade is always answered, whatever a handler
 * throws: a socket that is never answered is a hung client and a leaked descriptor.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { HostGuard } from './host-guard.js';

/**
 * The pages' policy. Next.js inlines its bootstrap and React Server Component payload as inline
 * `<script>`s and prerenders the static pages at build time, so nonces cannot reach them:
 * `'unsafe-inline'` stays for scripts. What injects markup is closed at the source instead (lab markdown
 * is rendered with raw HTML off); this policy still stops framing, plugins, `<base>` hijacks, form
 * posts and connections elsewhere. Dev mode adds eval for React Refresh.
 */
export function pageCsp(dev: boolean): string {
  return [
    "default-src 'self'",
    `script-src 'self' 'unsafe-inline'${dev ? " 'unsafe-eval'" : ''}`,
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data: blob:",
    "font-src 'self' data:",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join('; ');
}

/** Headers every response carries; a handler may replace the CSP with a stricter one (lab assets do). */
export function setSecurityHeaders(res: ServerResponse, csp: string): void {
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('Referrer-Policy', 'same-origin');
  res.setHeader('X-Frame-Options', 'DENY');
  res.setHeader('Content-Security-Policy', csp);
}

export type Admitted = { ok: true; url: URL } | { ok: false; status: number; why: string };

/**
 * Host first (a refused request gets no cookie and runs no handler), then the target: origin-form only
 * (`/path?query`): absolute-form and `*` are for proxies, and labdeck is not one. A path whose
 * %-escapes do not decode is refused here, once, rather than failing in each router that decodes it
 * (Next's own answers a 500).
 */
export function admit(req: IncomingMessage, hosts: HostGuard): Admitted {
  const host = hosts.checkHost(req);
  if (!host.ok) return host;
  const target = req.url ?? '';
  const bad = { ok: false, status: 400, why: 'Bad request target' } as const;
  if (!target.startsWith('/') || target.startsWith('//')) return bad;
  try {
    const url = new URL(`http://localhost${target}`);
    decodeURIComponent(url.pathname);
    return { ok: true, url };
  } catch {
    return bad;
  }
}

export function refuse(res: ServerResponse, status: number, why: string): void {
  res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': 'no-store', Connection: 'close' });
  res.end(`${why}\n`);
}

/**
 * An HTTP answer written straight onto an upgrade's socket, which is then closed; `retryAfterS` adds
 * Retry-After (a 429: too many wrong instructor tokens, auth.ts).
 */
export function refuseUpgrade(socket: Duplex, status: number, why: string, retryAfterS?: number): void {
  if (socket.destroyed) return;
  const reason = why.replace(/[^\x20-\x7e]/g, '');
  const retry = retryAfterS === undefined ? '' : `Retry-After: ${Math.ceil(retryAfterS)}\r\n`;
  socket.end(`HTTP/1.1 ${status} ${reason}\r\nConnection: close\r\n${retry}Content-Type: text/plain\r\nContent-Length: ${reason.length + 1}\r\n\r\n${reason}\n`);
  // A client that never reads must not keep the socket: end() waits for it, destroySoon does not wait forever.
  setTimeout(() => socket.destroy(), 5000).unref();
}

/**
 * Runs an upgrade handler so that every request is answered: a throw (or a rejected promise) becomes
 * a 500 on the socket, and a socket error closes it instead of becoming an uncaught exception.
 */
export function guardUpgrade(
  socket: Duplex,
  handler: () => void | Promise<void>,
  onError: (err: unknown) => void,
): void {
  socket.on('error', () => socket.destroy());
  const fail = (err: unknown) => {
    onError(err);
    refuseUpgrade(socket, 500, 'Internal error');
  };
  try {
    const done = handler();
    if (done) done.catch(fail);
  } catch (err) {
    fail(err);
  }
}
