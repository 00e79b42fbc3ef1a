/**
 * Who is who: attendees are identified by a signed session cookie (set on their first page request);
 * the instructor by a bearer token. WebSocket upgrades must also come from an allowed origin.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

export const SESSION_COOKIE = 'labdeck_session';

export class Auth {
  constructor(
    private readonly secret: Buffer,
    private readonly instructorToken: string,
    /** Extra origins allowed to open the terminal socket (the server's own origin always is). */
    private readonly allowedOrigins: string[],
  ) {}

  newAttendeeId(): string {
    return `a-${randomBytes(9).toString('base64url')}`;
  }

  sign(attendee: string): string {
    return `${attendee}.${this.mac(attendee)}`;
  }

  /** The attendee named by a valid session cookie, or null. */
  attendeeFrom(req: IncomingMessage): string | null {
    const value = readCookie(req.headers.cookie, SESSION_COOKIE);
    if (!value) return null;
    const dot = value.lastIndexOf('.');
    if (dot <= 0) return null;
    const attendee = value.slice(0, dot);
    if (!/^a-[A-Za-z0-9_-]{6,64}$/.test(attendee)) return null;
    return safeEqual(value.slice(dot + 1), this.mac(attendee)) ? attendee : null;
  }

  cookieHeader(attendee: string, secure: boolean): string {
    const attrs = [`${SESSION_COOKIE}=${this.sign(attendee)}`, 'Path=/', 'HttpOnly', 'SameSite=Lax', 'Max-Age=2592000'];
    if (secure) attrs.push('Secure');
    return attrs.join('; ');
  }

  isInstructor(req: IncomingMessage): boolean {
    const h = req.headers.authorization ?? '';
    const m = /^Bearer\s+(.+)$/i.exec(h);
    return m !== null && safeEqual(m[1]!.trim(), this.instructorToken);
  }

  /** Same-origin (Origin's host equals Host) or explicitly allowed. Browsers always send Origin on WebSocket. */
  originAllowed(req: IncomingMessage): boolean {
    const origin = req.headers.origin;
    if (!origin) return false;
    if (this.allowedOrigins.includes(origin)) return true;
    try {
      return new URL(origin).host === req.headers.host;
    } catch {
      return false;
    }
  }

  private mac(attendee: string): string {
    return createHmac('sha256', this.secret).update(attendee).digest('base64url').slice(0, 32);
  }
}

export function readCookie(header: string | undefined, name: string): string | null {
  if (!header) return null;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    if (part.slice(0, eq).trim() === name) return decodeURIComponent(part.slice(eq + 1).trim());
  }
  return null;
}

function safeEqual(a: string, b: string): boolean {
  const ab = Buffer.from(a);
  const bb = Buffer.from(b);
  return ab.length === bb.length && timingSafeEqual(ab, bb);
}
