import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import { networkInterfaces } from 'node:os';
import { HostGuard, parseAuthority } from './host-guard.js';

const req = (host: string | undefined) => ({ headers: host === undefined ? {} : { host } }) as IncomingMessage;
const verdict = (g: HostGuard, host: string | undefined) => {
  const v = g.checkHost(req(host));
  return v.ok ? 200 : v.status;
};

test('loopback names on the server port are ours; everything else is refused', () => {
  const g = new HostGuard([], '127.0.0.1', () => 3000);
  const CASES: Array<[string | undefined, number]> = [
    ['localhost:3000', 200],
    ['LOCALHOST:3000', 200],
    ['127.0.0.1:3000', 200],
    ['127.1.2.3:3000', 200],
    ['[::1]:3000', 200],
    ['localhost:3001', 421],
    ['localhost', 421],
    ['evil.example:3000', 421],
    ['127.0.0.1.evil.example:3000', 421],
    ['localhost.evil.example:3000', 421],
    ['10.0.0.5:3000', 421],
    [undefined, 400],
    ['', 400],
    ['localhost:3000/x', 400],
    ['user@localhost:3000', 400],
    ['local host:3000', 400],
    ['localhost:99999', 400],
    ['[::1', 400],
    ['ünïcode.example', 400],
  ];
  for (const [host, status] of CASES) assert.equal(verdict(g, host), status, String(host));
});

test('PUBLIC_URL / ALLOWED_HOSTS names: any port unless one is given', () => {
  const g = new HostGuard(
    [
      { hostname: 'lab.example.org', port: null },
      { hostname: 'lab2.example.org', port: 8443 },
    ],
    '127.0.0.1',
    () => 3000,
  );
  assert.equal(verdict(g, 'lab.example.org'), 200);
  assert.equal(verdict(g, 'Lab.Example.org:443'), 200);
  assert.equal(verdict(g, 'lab2.example.org:8443'), 200);
  assert.equal(verdict(g, 'lab2.example.org'), 421);
  assert.equal(verdict(g, 'sub.lab.example.org'), 421);
  assert.equal(verdict(g, 'localhost:3000'), 200);
});

test('a bound address is a valid name on the server port; a wildcard bind allows this machine', () => {
  const bound = new HostGuard([], '192.0.2.7', () => 4000);
  assert.equal(verdict(bound, '192.0.2.7:4000'), 200);
  assert.equal(verdict(bound, '192.0.2.7:4001'), 421);
  assert.equal(verdict(bound, '192.0.2.8:4000'), 421);
  const any = new HostGuard([], '0.0.0.0', () => 4000);
  const mine = Object.values(networkInterfaces())
    .flatMap((l) => l ?? [])
    .find((a) => a.family === 'IPv4' && !a.internal);
  if (mine) assert.equal(verdict(any, `${mine.address}:4000`), 200);
  assert.equal(verdict(any, '0.0.0.0:4000'), 200);
  assert.equal(verdict(new HostGuard([], '::', () => 4000), '[::]:4000'), 200);
  assert.equal(verdict(any, 'evil.example:4000'), 421);
});

test('the socket Origin must name one of our hosts, not merely match Host', () => {
  const g = new HostGuard([{ hostname: 'lab.example.org', port: null }], '127.0.0.1', () => 3000);
  const CASES: Array<[string | undefined, boolean]> = [
    ['http://localhost:3000', true],
    ['http://127.0.0.1:3000', true],
    ['https://lab.example.org', true],
    ['http://evil.example:3000', false],
    ['http://localhost:4000', false],
    ['null', false],
    ['file://', false],
    ['http://localhost:3000/path', false],
    ['chrome-extension://abc', false],
    [undefined, false],
    ['', false],
  ];
  for (const [origin, ok] of CASES) assert.equal(g.originAllowed(origin), ok, String(origin));
});

test('parseAuthority', () => {
  assert.deepEqual(parseAuthority('Example.org:8080', 80), { hostname: 'example.org', port: 8080 });
  assert.deepEqual(parseAuthority('[::1]:3000', 80), { hostname: '[::1]', port: 3000 });
  assert.deepEqual(parseAuthority('[::1]', 80), { hostname: '[::1]', port: 80 });
  assert.equal(parseAuthority('::1', 80), null);
  assert.equal(parseAuthority('a:0', 80), null);
});
