import { test } from 'node:test';
import assert from 'node:assert/strict';
import { allowListedEnv, runCommand } from './exec.js';

test('runCommand resolves exit status, output and a missing command as data', async () => {
  const ok = await runCommand('sh', ['-c', 'echo out; echo err >&2; exit 3']);
  assert.deepEqual({ code: ok.code, stdout: ok.stdout, stderr: ok.stderr, timedOut: ok.timedOut }, { code: 3, stdout: 'out\n', stderr: 'err\n', timedOut: false });
  const missing = await runCommand('/nonexistent/labdeck-command', []);
  assert.equal(missing.code, 127);
  assert.match(missing.stderr, /ENOENT/);
});

test('runCommand kills a command past its deadline and says so', async () => {
  const r = await runCommand('sleep', ['30'], { timeoutMs: 200 });
  assert.equal(r.timedOut, true);
  assert.notEqual(r.code, 0);
});

test('runCommand passes only the environment it is given', async () => {
  process.env.LABDECK_EXEC_SECRET = 'nope';
  const r = await runCommand('/usr/bin/env', [], { env: allowListedEnv(['PATH']) });
  delete process.env.LABDECK_EXEC_SECRET;
  assert.doesNotMatch(r.stdout, /LABDECK_EXEC_SECRET/);
  assert.match(r.stdout, /^PATH=/m);
});

test('allowListedEnv keeps listed variables the server has and defaults the rest', () => {
  process.env.LABDECK_EXEC_LISTED = 'yes';
  process.env.LABDECK_EXEC_UNLISTED = 'no';
  const env = allowListedEnv(['LABDECK_EXEC_LISTED', 'LABDECK_EXEC_ABSENT'], { LABDECK_EXEC_ABSENT: 'default', LABDECK_EXEC_LISTED: 'default' });
  delete process.env.LABDECK_EXEC_LISTED;
  delete process.env.LABDECK_EXEC_UNLISTED;
  assert.deepEqual(env, { LABDECK_EXEC_LISTED: 'yes', LABDECK_EXEC_ABSENT: 'default' });
});
