import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError, isLoopback, loadConfig } from './config.js';

test('defaults bind to loopback with the local sandbox', () => {
  const c = loadConfig({}, '/srv/labdeck', []);
  assert.equal(c.host, '127.0.0.1');
  assert.equal(c.port, 3000);
  assert.equal(c.labsDir, '/srv/labdeck/labs');
  assert.deepEqual(c.sandbox, { kind: 'local', image: 'localhost/labdeck-sandbox:latest', memory: '1g', cpus: 1 });
  assert.deepEqual(c.podman, { isolation: 'isolated', pidsLimit: 512 });
  assert.deepEqual(c.allowedHosts, []);
  assert.ok(isLoopback(c.host));
});

/** Each bad value must stop the start with a message naming the variable and the value. */
const BAD: Array<[Record<string, string>, RegExp]> = [
  [{ PORT: 'eighty' }, /^PORT=eighty: expected a whole number from 0 to 65535/],
  [{ PORT: '70000' }, /^PORT=70000: expected a whole number/],
  [{ PORT: '-1' }, /^PORT=-1: /],
  [{ SANDBOX: 'docker' }, /^SANDBOX=docker: expected one of local, podman/],
  [{ SANDBOX_ISOLATION: 'none' }, /^SANDBOX_ISOLATION=none: expected one of isolated, privileged/],
  [{ INSTRUCTOR_TOKEN: 'short' }, /^INSTRUCTOR_TOKEN: use at least 16 characters/],
  // Issue 17 §8: 15 characters passed the old 8-character rule; the message says how to make a good one.
  [{ INSTRUCTOR_TOKEN: 'fifteen-chars-x' }, /^INSTRUCTOR_TOKEN: use at least 16 characters .*openssl rand -base64 18/],
  [{ WORKSHOP: 'Bad Name' }, /^WORKSHOP=Bad Name: use lower-case/],
  [{ SANDBOX_CPUS: 'abc' }, /^SANDBOX_CPUS=abc: expected a number of CPUs/],
  [{ SANDBOX_CPUS: '0' }, /^SANDBOX_CPUS=0: expected a number of CPUs above 0/],
  [{ SANDBOX_CPUS: '1e3' }, /^SANDBOX_CPUS=1e3: /],
  [{ SANDBOX_MEMORY: 'lots' }, /^SANDBOX_MEMORY=lots: expected a size of at least 6m/],
  [{ SANDBOX_MEMORY: '1t' }, /^SANDBOX_MEMORY=1t: /],
  [{ SANDBOX_MEMORY: '4m' }, /^SANDBOX_MEMORY=4m: expected a size of at least 6m/],
  [{ SANDBOX_MEMORY: '-1g' }, /^SANDBOX_MEMORY=-1g: /],
  [{ SANDBOX_PIDS: '8' }, /^SANDBOX_PIDS=8: expected a whole number from 16/],
  [{ POOL_SIZE: '1.5' }, /^POOL_SIZE=1.5: /],
  [{ GRACE_SECONDS: '0' }, /^GRACE_SECONDS=0: /],
  [{ MAX_SESSIONS: 'many' }, /^MAX_SESSIONS=many: /],
  [{ NEW_SESSIONS_PER_SECOND: '0' }, /^NEW_SESSIONS_PER_SECOND=0: expected a whole number from 1/],
  [{ POOL_MAX_CREATING: '1.5' }, /^POOL_MAX_CREATING=1.5: /],
  [{ SCREEN_RING_BYTES: '10' }, /^SCREEN_RING_BYTES=10: /],
  [{ CLOSE_WARNING_SECONDS: '3601' }, /^CLOSE_WARNING_SECONDS=3601: expected a whole number from 0 to 3600/],
  [{ PREPARE_CHECK_SECONDS: '0' }, /^PREPARE_CHECK_SECONDS=0: expected a whole number from 1 to 600/],
  [{ HOST: 'evil host' }, /^HOST=evil host: expected an IP address or a host name/],
  [{ PUBLIC_URL: 'lab.example.org' }, /^PUBLIC_URL=lab.example.org: expected the http\(s\) URL/],
  [{ PUBLIC_URL: 'ftp://lab.example.org' }, /^PUBLIC_URL=ftp:\/\/lab.example.org: /],
  [{ PUBLIC_URL: 'https://lab.example.org/labdeck' }, /^PUBLIC_URL=https:\/\/lab.example.org\/labdeck: .*no path/],
  [{ ALLOWED_HOSTS: 'ok.example, bad/host' }, /^ALLOWED_HOSTS=ok.example, bad\/host: "bad\/host" is not a host name/],
  [{ ALLOWED_HOSTS: 'user@evil.example' }, /^ALLOWED_HOSTS=user@evil.example: /],
  [{ ALLOW_LOCAL_ON_NETWORK: 'yes' }, /^ALLOW_LOCAL_ON_NETWORK=yes: expected one of 0, 1/],
  [{ ALLOWED_ORIGINS: 'https://lab.example.org' }, /^ALLOWED_ORIGINS=https:\/\/lab.example.org: replaced by ALLOWED_HOSTS/],
];

for (const [env, message] of BAD) {
  test(`rejected at start: ${JSON.stringify(env)}`, () => {
    assert.throws(
      () => loadConfig(env, '/x', []),
      (e: unknown) => e instanceof ConfigError && message.test(e.message),
    );
  });
}

test('several bad values are all named at once', () => {
  assert.throws(
    () => loadConfig({ SANDBOX_CPUS: 'abc', PORT: 'x' }, '/x', []),
    (e: unknown) => e instanceof ConfigError && /PORT=x/.test(e.message) && /SANDBOX_CPUS=abc/.test(e.message),
  );
});

test('good values are parsed', () => {
  const c = loadConfig({ SANDBOX: 'podman', SANDBOX_CPUS: '0.5', SANDBOX_MEMORY: '512M', POOL_SIZE: '0', PORT: '0' }, '/x', []);
  assert.deepEqual(c.sandbox, { kind: 'podman', image: 'localhost/labdeck-sandbox:latest', memory: '512m', cpus: 0.5 });
  assert.equal(c.poolSize, 0);
  assert.equal(c.port, 0);
});

test('LABS_DIR and HOST are honoured', () => {
  const c = loadConfig({ LABS_DIR: 'decks', HOST: '0.0.0.0', SANDBOX: 'podman' }, '/srv', []);
  assert.equal(c.labsDir, '/srv/decks');
  assert.equal(c.host, '0.0.0.0');
  assert.equal(isLoopback(c.host), false);
  assert.equal(c.poolSize, 2);
});

test('PUBLIC_URL and ALLOWED_HOSTS become the allowed host names', () => {
  const c = loadConfig({ PUBLIC_URL: 'https://Lab.Example.org', ALLOWED_HOSTS: 'lab2.example.org:8443, [fd00::1]' }, '/x', []);
  assert.equal(c.publicUrl?.origin, 'https://lab.example.org');
  assert.deepEqual(c.allowedHosts, [
    { hostname: 'lab.example.org', port: null },
    { hostname: 'lab2.example.org', port: 8443 },
    { hostname: '[fd00::1]', port: null },
  ]);
});

test('a network HOST with the local sandbox is refused unless explicitly allowed', () => {
  for (const HOST of ['0.0.0.0', '::', '192.168.1.10', 'lab.example.org']) {
    assert.throws(
      () => loadConfig({ HOST }, '/x', []),
      (e: unknown) => e instanceof ConfigError && e.message.includes(`HOST=${HOST} with SANDBOX=local`) && /ALLOW_LOCAL_ON_NETWORK=1/.test(e.message) && /SANDBOX=podman/.test(e.message),
    );
  }
  assert.equal(loadConfig({ HOST: '0.0.0.0', ALLOW_LOCAL_ON_NETWORK: '1' }, '/x', []).allowLocalOnNetwork, true);
  for (const HOST of ['127.0.0.1', '127.0.0.2', 'localhost', '::1']) assert.equal(loadConfig({ HOST }, '/x', []).host, HOST);
});

test('REQUIRE_JOIN: off only in solo mode (loopback and the local driver) unless set; a bad value is named', () => {
  const requireJoin = (env: Record<string, string>) => loadConfig(env, '/x', []).requireJoin;
  assert.equal(requireJoin({}), false, 'npm start on a laptop');
  assert.equal(requireJoin({ HOST: '::1' }), false);
  assert.equal(requireJoin({ SANDBOX: 'podman' }), true, 'a podman sandbox is for a room');
  assert.equal(requireJoin({ HOST: '0.0.0.0', ALLOW_LOCAL_ON_NETWORK: '1' }), true, 'a network HOST');
  assert.equal(requireJoin({ HOST: '0.0.0.0', SANDBOX: 'podman', REQUIRE_JOIN: '0' }), false, 'the operator may say otherwise');
  assert.equal(requireJoin({ REQUIRE_JOIN: '1' }), true);
  assert.throws(() => loadConfig({ REQUIRE_JOIN: 'yes' }, '/x', []), /^Error: REQUIRE_JOIN=yes: expected one of 0, 1|REQUIRE_JOIN=yes: expected one of 0, 1/);
});

test('isLoopback knows loopback names and nothing else', () => {
  for (const h of ['localhost', '127.0.0.1', '127.9.8.7', '::1', '[::1]']) assert.ok(isLoopback(h), h);
  for (const h of ['0.0.0.0', '::', '127.evil.example', '10.0.0.1', 'localhost.evil.example', '']) assert.ok(!isLoopback(h), h);
});

test('the close warning and the prepare smoke test have their defaults, in ms', () => {
  const c = loadConfig({}, '/srv/labdeck', []);
  assert.equal(c.closeWarningMs, 60_000);
  assert.equal(c.prepareCheckMs, 60_000);
  assert.equal(loadConfig({ CLOSE_WARNING_SECONDS: '0' }, '/srv/labdeck', []).closeWarningMs, 0);
});
