/**
 * Who is who: attendees are identified by a signed session cookie (minted where it is needed, see
 * mintsSession); the instructor by a bearer token. WebSocket upgrades must also come from one of the
 * server's own origins (host-guard.ts).
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { parseCookie, stringifySetCookie } from 'cookie';
import { tokenFromProtocols } from '../../common/instructor-socket.js';
import type { HostGuard } from './host-guard.js';

export const SESSION_COOKIE = 'labdeck_session';

export class Auth {
  constructor(
    private readonly secret: Buffer,
    private readonly instructorToken: string,
    /** The server's own host names: the terminal socket's Origin must be one of them. */
    private readonly hosts: HostGuard,
  ) {}

  newAttendeeId(): string {
    return `a-${randomBytes(9).toString('base64url')}`;
  }

  sign(attendee: string): string {
    return `${attendee}.${this.mac(attendee)}`;
  }

  /** The attendee named by a valid session cookie, or null. */
  attendeeFrom(req: IncomingMessage): string | null {
    // The maintained parser never throws (a bad %-escape stays as it is) and ignores malformed pairs.
    const value = req.headers.cookie ? parseCookie(req.headers.cookie)[SESSION_COOKIE] : undefined;
    if (!value) return null;
    const dot = value.lastIndexOf('.');
    if (dot <= 0) return null;
    const attendee = value.slice(0, dot);
    if (!/^a-[A-Za-z0-9_-]{6,64}$/.test(attendee)) return null;
    return safeEqual(value.slice(dot + 1), this.mac(attendee)) ? attendee : null;
  }

  cookieHeader(attendee: string, secure: boolean): string {
    return stringifySetCookie(SESSION_COOKIE, this.sign(attendee), { path: '/', httpOnly: true, sameSite: 'lax', maxAge: 2_592_000, secure });
  }

  isInstructor(req: IncomingMessage): boolean {
    const h = req.headers.authorization ?? '';
    const m = /^Bearer\s+(.+)$/i.exec(h);
    return m !== null && safeEqual(m[1]!.trim(), this.instructorToken);
  }

  /**
   * An instructor WebSocket upgrade: the token in the subprotocol header (common/instructor-socket.ts
   * says why not Authorization or the URL); the Origin check is the caller's, as for every upgrade.
   */
  isInstructorSocket(req: IncomingMessage): boolean {
    const token = tokenFromProtocols(req.headers['sec-websocket-protocol']);
    return token !== null && safeEqual(token, this.instructorToken);
  }

  /** Origin names one of the server's own hosts (not merely the request's Host, which a rebinding page sets). */
  originAllowed(req: IncomingMessage): boolean {
    return this.hosts.originAllowed(req.headers.origin);
  }

  private mac(attendee: string): string {
    return createHmac('sha256', this.secret).update(attendee).digest('base64url').slice(0, 32);
  }
}

/**
 * Does a request to this path get a session cookie when it has none? Only the attendee view (HTML that
 * Next renders per request, `private, no-store`) and `/api/me` (`no-store`) need one. Never static
 * pages, `/_next/*` or lab assets: those responses are cacheable, and a shared cache would hand one
 * attendee's cookie to everyone behind it.
 */
export function mintsSession(pathname: string, method: string): boolean {
  if (pathname === '/api/me') return true;
  return (method === 'GET' || method === 'HEAD') && /^\/labs\/[^/]+\/?$/.test(pathname);
}

function safeEqual(a: string, b: string): boolean {
  const ab = Buffer.from(a);
  const bb = Buffer.from(b);
  return ab.length === bb.length && timingSafeEqual(ab, bb);
}
