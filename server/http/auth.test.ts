import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import { Auth, mintsSession, SESSION_COOKIE } from './auth.js';
import { HostGuard } from './host-guard.js';

const hosts = new HostGuard([], '127.0.0.1', () => 3000);
const auth = new Auth(Buffer.from('secret'), 'instructor-token-16', hosts, false);
const withCookie = (cookie: string) => ({ headers: { cookie } }) as IncomingMessage;
const plain = { headers: {} } as IncomingMessage;
const proxied = { headers: { 'x-forwarded-proto': 'https' } } as unknown as IncomingMessage;

test('a valid cookie names its attendee', () => {
  const id = auth.newAttendeeId();
  const header = auth.cookieHeader(id, plain);
  assert.match(header, /^labdeck_session=[^;]+; Max-Age=2592000; Path=\/; HttpOnly; SameSite=Lax$/);
  assert.equal(auth.attendeeFrom(withCookie(`other=1; ${header.split(';')[0]!}`)), id);
});

test('Secure: from a proxy\'s X-Forwarded-Proto, and always when PUBLIC_URL is https (issue 17 §8)', () => {
  const id = auth.newAttendeeId();
  assert.match(auth.cookieHeader(id, proxied), /; Secure/);
  const https = new Auth(Buffer.from('secret'), 'instructor-token-16', hosts, true);
  assert.match(https.cookieHeader(id, plain), /; Secure/);
});

test('malformed and forged cookies are no session, and never throw', () => {
  const id = auth.newAttendeeId();
  const good = auth.sign(id);
  for (const cookie of [
    `${SESSION_COOKIE}=%`,
    `${SESSION_COOKIE}=%E0%A4%A`,
    `${SESSION_COOKIE}=${good}x`,
    `${SESSION_COOKIE}=a-${'x'.repeat(100)}.${good.split('.')[1]!}`,
    `${SESSION_COOKIE}`,
    `=;;;=${SESSION_COOKIE}`,
    `${SESSION_COOKIE}=.`,
    '\u0000\uffff',
    'x'.repeat(10_000),
  ]) {
    assert.equal(auth.attendeeFrom(withCookie(cookie)), null, cookie.slice(0, 40));
  }
});

test('the cookie is minted only on responses that are never cached', () => {
  const CASES: Array<[string, string, boolean]> = [
    ['/api/me', 'GET', true],
    ['/api/me', 'POST', false],
    ['/labs/kubernetes-meets-rust', 'GET', true],
    ['/labs/kubernetes-meets-rust/', 'GET', true],
    ['/labs/kubernetes-meets-rust', 'POST', false],
    ['/', 'GET', false],
    ['/instructor', 'GET', false],
    ['/_next/static/chunks/app.js', 'GET', false],
    ['/labs/x/assets/img/a.png', 'GET', false],
    ['/api/labs', 'GET', false],
    ['/healthz', 'GET', false],
  ];
  for (const [p, method, mints] of CASES) assert.equal(mintsSession(p, method), mints, `${method} ${p}`);
});
