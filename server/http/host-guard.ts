/**
 * Which host names this server answers to: the defence against DNS rebinding (issue 8, item 2).
 *
 * A page on evil.example can make its own name resolve to 127.0.0.1; the browser then sends that page's
 * requests, cookies aside, to labdeck with `Host: evil.example:PORT` and `Origin: http://evil.example:PORT`.
 * So neither "Origin equals Host" nor the peer address tells a rebinding page from a real attendee; only
 * the name does. Every request and upgrade is refused unless its Host is a loopback name on the server's
 * port, a configured public name (PUBLIC_URL, ALLOWED_HOSTS), or the address the server is bound to; the
 * terminal socket's Origin must name one of the same hosts.
 */
import type { IncomingMessage } from 'node:http';
import { networkInterfaces } from 'node:os';
import { isIP } from 'node:net';
import { isLoopback, isWildcard, type HostName } from '../config.js';

export type HostVerdict = { ok: true } | { ok: false; status: 400 | 421; why: string };

export class HostGuard {
  /**
   * @param publicHosts PUBLIC_URL's host and ALLOWED_HOSTS (config.allowedHosts).
   * @param bindHost HOST: when it is not loopback, the bound address is a valid name too; a wildcard
   *   bind (0.0.0.0, ::) allows this machine's interface addresses.
   * @param port the port the server listens on, read when a request arrives (PORT=0 picks it at listen).
   */
  constructor(
    private readonly publicHosts: readonly HostName[],
    private readonly bindHost: string,
    private readonly port: () => number,
  ) {}

  /** The verdict on a request's Host header: 400 when missing or malformed, 421 when not ours. */
  checkHost(req: IncomingMessage): HostVerdict {
    const raw = req.headers.host;
    if (!raw) return { ok: false, status: 400, why: 'Missing Host header' };
    const parsed = parseAuthority(raw, 80);
    if (!parsed) return { ok: false, status: 400, why: 'Malformed Host header' };
    if (!this.allows(parsed.hostname, parsed.port)) {
      return { ok: false, status: 421, why: 'This server does not answer to that host name; see ALLOWED_HOSTS in docs/operations.md' };
    }
    return { ok: true };
  }

  /** Browsers always send Origin on a WebSocket; it must name one of our own hosts, like Host. */
  originAllowed(origin: string | undefined): boolean {
    if (!origin) return false;
    let url: URL;
    try {
      url = new URL(origin);
    } catch {
      return false;
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') return false;
    if (url.origin !== origin.toLowerCase().replace(/\/$/, '')) return false;
    const port = url.port ? Number(url.port) : url.protocol === 'https:' ? 443 : 80;
    return this.allows(url.hostname, port);
  }

  private allows(hostname: string, port: number): boolean {
    const own = this.port();
    if (isLoopback(hostname)) return port === own;
    if (this.publicHosts.some((h) => h.hostname === hostname && (h.port === null || h.port === port))) return true;
    return port === own && this.boundNames().includes(hostname);
  }

  /**
   * The bound address as a Host would carry it (IPv6 in brackets), plus every interface's for a
   * wildcard bind. An address is never a rebinding page's name: that page's Host is its own domain.
   */
  private boundNames(): string[] {
    if (isLoopback(this.bindHost)) return [];
    const addrs = [this.bindHost.toLowerCase()];
    if (isWildcard(this.bindHost)) addrs.push(...Object.values(networkInterfaces()).flatMap((list) => (list ?? []).map((a) => a.address)));
    return addrs.map((a) => (isIP(a) === 6 ? `[${a}]` : a));
  }
}

/** `host[:port]` → lower-case hostname (IPv6 in brackets) and port; null when it is not just that. */
export function parseAuthority(raw: string, defaultPort: number): { hostname: string; port: number } | null {
  // A Host is a name and an optional port: no user info, path, query, or whitespace to smuggle.
  if (!/^[A-Za-z0-9.\-_[\]:]+$/.test(raw)) return null;
  let url: URL;
  try {
    url = new URL(`http://${raw}`);
  } catch {
    return null;
  }
  const m = /:(\d+)$/.exec(raw);
  const port = m ? Number(m[1]) : defaultPort;
  if (port < 1 || port > 65535) return null;
  return { hostname: url.hostname, port };
}
