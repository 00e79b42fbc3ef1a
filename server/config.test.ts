import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError, isLoopback, loadConfig } from './config.js';

test('defaults bind to loopback with the local sandbox', () => {
  const c = loadConfig({}, '/srv/labdeck', []);
  assert.equal(c.host, '127.0.0.1');
  assert.equal(c.port, 3000);
  assert.equal(c.sandbox, 'local');
  assert.equal(c.labsDir, '/srv/labdeck/labs');
  assert.ok(isLoopback(c.host));
});

test('bad values name the variable', () => {
  assert.throws(() => loadConfig({ PORT: 'eighty' }, '/x', []), (e: unknown) => e instanceof ConfigError && /PORT=eighty/.test(e.message));
  assert.throws(() => loadConfig({ SANDBOX: 'docker' }, '/x', []), /SANDBOX=docker: expected one of local, podman/);
  assert.throws(() => loadConfig({ INSTRUCTOR_TOKEN: 'short' }, '/x', []), /INSTRUCTOR_TOKEN/);
  assert.throws(() => loadConfig({ WORKSHOP: 'Bad Name' }, '/x', []), /WORKSHOP/);
});

test('LABS_DIR and HOST are honoured', () => {
  const c = loadConfig({ LABS_DIR: 'decks', HOST: '0.0.0.0', SANDBOX: 'podman' }, '/srv', []);
  assert.equal(c.labsDir, '/srv/decks');
  assert.equal(c.host, '0.0.0.0');
  assert.equal(isLoopback(c.host), false);
  assert.equal(c.poolSize, 2);
});
