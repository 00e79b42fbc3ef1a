/**
 * Who is who: attendees are identified by a signed session cookie (minted where it is needed, see
 * mintsSession); the instructor by a bearer token, whose wrong guesses are rate-limited per address on
 * every route and socket that takes it (issue 17 §8). WebSocket upgrades must also come from one of the
 * server's own origins (host-guard.ts).
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { parseCookie, stringifySetCookie } from 'cookie';
import { tokenFromProtocols } from '../../common/instructor-socket.js';
import type { HostGuard } from './host-guard.js';
import { clientAddress, FailureBudget } from './rate-limit.js';

export const SESSION_COOKIE = 'labdeck_session';

/**
 * Wrong instructor tokens one address may send: 10 at once, then one every 6 s. A generated token is
 * 144 random bits and a chosen one at least 16 characters (config.ts), so this is not what keeps it
 * secret; it keeps a weak chosen token from being found by brute force, and tells the operator (the log
 * line "instructor token refused") that someone is trying. Per address only: an overall budget would let
 * anyone lock the instructor out.
 */
export const WRONG_TOKENS = { perAddress: { burst: 10, perSecond: 1 / 6 }, maxAddresses: 10_000 } as const;

/** The verdict on an instructor's credentials; a refusal carries the status and, for 429, the wait. */
export type InstructorVerdict = { ok: true } | { ok: false; status: 401 | 429; why: string; retryAfterS?: number };

export class Auth {
  private readonly wrongTokens = new FailureBudget(WRONG_TOKENS);

  constructor(
    private readonly secret: Buffer,
    private readonly instructorToken: string,
    /** The server's own host names: the terminal socket's Origin must be one of them. */
    private readonly hosts: HostGuard,
    /** PUBLIC_URL is https: every cookie is Secure, whatever the request says (issue 17 §8). */
    private readonly httpsOnly: boolean,
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

  /**
   * The session cookie for a response to `req`: Secure when PUBLIC_URL is https, or when a proxy says
   * the request came over TLS (X-Forwarded-Proto, trusted only to add Secure).
   */
  cookieHeader(attendee: string, req: IncomingMessage): string {
    const secure = this.httpsOnly || req.headers['x-forwarded-proto'] === 'https';
    return stringifySetCookie(SESSION_COOKIE, this.sign(attendee), { path: '/', httpOnly: true, sameSite: 'lax', maxAge: 2_592_000, secure });
  }

  /** An instructor HTTP request: `Authorization: Bearer <token>`. */
  instructor(req: IncomingMessage): InstructorVerdict {
    const h = req.headers.authorization;
    if (h === undefined) return this.judge(req, null);
    const m = /^Bearer\s+(.+)$/i.exec(h);
    return this.judge(req, m ? m[1]!.trim() : '');
  }

  /**
   * An instructor WebSocket upgrade (watch, class, and whatever instructor socket comes next): the
   * token in the subprotocol header (common/instructor-socket.ts says why not Authorization or the
   * URL), under the same budget of wrong tokens as HTTP. The Origin check is the caller's, as for every
   * upgrade.
   */
  instructorSocket(req: IncomingMessage): InstructorVerdict {
    const header = req.headers['sec-websocket-protocol'];
    return this.judge(req, header === undefined ? null : (tokenFromProtocols(header) ?? ''));
  }

  /**
   * `token` null: none was offered (no guess, nothing spent); '' or another string: compared. An
   * address out of budget is refused before any comparison, the right token included: otherwise the
   * refusal itself would tell a guesser which guess was right.
   */
  private judge(req: IncomingMessage, token: string | null): InstructorVerdict {
    const address = clientAddress(req);
    const refusal = this.wrongTokens.check(address);
    if (refusal) {
      const s = refusal.retryAfterS;
      return { ok: false, status: 429, retryAfterS: s, why: `Too many wrong instructor tokens from your address: wait ${s} second${s === 1 ? '' : 's'}, then try again.` };
    }
    if (token !== null && safeEqual(token, this.instructorToken)) return { ok: true };
    if (token !== null) this.wrongTokens.fail(address);
    return { ok: false, status: 401, why: 'instructor token required (Authorization: Bearer <token>)' };
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
 * Does a request to this path get a session cookie when it has none (issue 17 §4)? Only the pages that
 * need one to work: the attendee view (HTML that Next renders per request, `private, no-store`: its
 * terminal socket is identified by the cookie) and `GET /api/me` (`no-store`: the page asks who it is).
 * A minted cookie makes no attendee row: rows come from joining (POST /api/join, which sets its own
 * cookie only once the join succeeded), from a solo-mode shell, or a rename by someone who has a row's
 * right to one. Never on a POST (`POST /api/me` without a session is 401: it cannot rename nobody),
 * never on static pages, `/_next/*` or lab assets: those responses are cacheable, and a shared cache
 * would hand one attendee's cookie to everyone behind it.
 */
export function mintsSession(pathname: string, method: string): boolean {
  if (method !== 'GET' && method !== 'HEAD') return false;
  return pathname === '/api/me' || /^\/labs\/[^/]+\/?$/.test(pathname);
}

function safeEqual(a: string, b: string): boolean {
  const ab = Buffer.from(a);
  const bb = Buffer.from(b);
  return ab.length === bb.length && timingSafeEqual(ab, bb);
}
