import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { LocalDriver } from './local.js';
import { SandboxPool } from './pool.js';
import { findSandboxProcesses } from './proc-sweep.js';
import { createLogger } from '../log.js';

const root = mkdtempSync(path.join(tmpdir(), 'labdeck-local-'));
after(() => rmSync(root, { recursive: true, force: true }));

function memoryStore() {
  const m = new Map<string, string | null>();
  return {
    attendeeOfSandbox: (id: string) => [...m.entries()].find(([, s]) => s === id)?.[0] ?? null,
    setSandbox: (a: string, id: string | null) => void m.set(a, id),
  };
}

test('exec runs in the workspace with an allow-listed environment', async () => {
  process.env.LABDECK_UNIT_SECRET = 'nope';
  const driver = new LocalDriver({ root });
  const sb = await driver.create();
  const r = await sb.exec(['bash', '-c', 'pwd; echo "${LABDECK_UNIT_SECRET:-unset}"; echo $HOME']);
  const [pwd, secret, home] = r.stdout.trim().split('\n');
  assert.equal(r.code, 0);
  assert.equal(pwd, home);
  assert.equal(secret, 'unset');
  const missing = await sb.exec(['no-such-command-labdeck']);
  assert.notEqual(missing.code, 0);
  await driver.destroy(sb);
});

test('destroy ends processes that left the shell session and removes the workspace', async () => {
  const driver = new LocalDriver({ root });
  const sb = await driver.create();
  const r = await sb.exec(['bash', '-c', 'setsid sleep 300 >/dev/null 2>&1 & nohup sleep 301 >/dev/null 2>&1 & echo ok']);
  assert.equal(r.stdout.trim(), 'ok');
  // `setsid` may fork for a moment (parent + child): wait for the two sleeps to be all that is left.
  const until = Date.now() + 3000;
  while ((await findSandboxProcesses(sb.id)).length !== 2 && Date.now() < until) await new Promise((res) => setTimeout(res, 20));
  assert.equal((await findSandboxProcesses(sb.id)).length, 2);
  await driver.destroy(sb);
  assert.equal((await findSandboxProcesses(sb.id)).length, 0);
  assert.equal(await sb.health(), 'missing');
});

test('ending one shell leaves another shell of the same sandbox alone', async () => {
  const driver = new LocalDriver({ root });
  const sb = await driver.create();
  const size = { cols: 80, rows: 24 };
  const first = await sb.attach(size);
  const second = await sb.attach(size);
  let out = '';
  second.onData((c) => (out += c.toString()));
  let secondExited = false;
  second.onExit(() => (secondExited = true));
  first.write('sleep 600 &\r');
  first.kill();
  await new Promise((r) => setTimeout(r, 600));
  second.write('echo sec$((1+1))ond\r');
  const deadline = Date.now() + 5000;
  while (!/sec2ond\r\n/.test(out) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  assert.match(out, /sec2ond\r\n/);
  assert.equal(secondExited, false);
  await driver.destroy(sb);
  assert.equal(secondExited || (await findSandboxProcesses(sb.id)).length === 0, true);
});

test('pool: join takes a warm sandbox, replace hands a fresh one and destroys the old', async () => {
  const driver = new LocalDriver({ root });
  const pool = new SandboxPool(driver, memoryStore(), { size: 1 }, createLogger(true));
  await pool.start();
  await pool.drain();
  assert.equal(pool.warmCount, 1);
  const a = await pool.acquire('alice');
  assert.equal(a.attendee, 'alice');
  assert.equal(await pool.acquire('alice'), a, 'the same attendee keeps the same sandbox');
  const home = (await a.exec(['pwd'])).stdout.trim();
  writeFileSync(path.join(home, 'file'), 'x');
  const b = await pool.replace('alice');
  assert.notEqual(b.id, a.id);
  await pool.drain();
  assert.equal(existsSync(home), false, 'the old workspace is gone');
  assert.equal(pool.warmCount, 1, 'the pool was refilled');
  await pool.release('alice');
  await pool.close();
});

test('adopt removes workspaces left by a previous run', async () => {
  const driver = new LocalDriver({ root });
  const sb = await driver.create();
  const home = (await sb.exec(['pwd'])).stdout.trim();
  const again = new LocalDriver({ root });
  assert.deepEqual(await again.adopt(), []);
  assert.equal(existsSync(home), false);
});

test('pool: a waiting sandbox that dies is found by the background check and replaced', async () => {
  const driver = new LocalDriver({ root });
  const pool = new SandboxPool(driver, memoryStore(), { size: 1, checkEveryMs: 50 }, createLogger(true));
  await pool.start();
  await pool.drain();
  const first = await pool.acquire('probe');
  await pool.release('probe');
  await pool.drain();
  // Kill the waiting one behind the pool's back.
  const [waiting] = (pool as unknown as { warm: { id: string }[] }).warm;
  assert.ok(waiting);
  await driver.destroy(waiting as never);
  const deadline = Date.now() + 5000;
  while (Date.now() < deadline) {
    const now = (pool as unknown as { warm: { id: string }[] }).warm[0];
    if (now && now.id !== waiting.id && (await (now as never as { health(): Promise<string> }).health()) === 'running') break;
    await new Promise((r) => setTimeout(r, 50));
  }
  const replaced = (pool as unknown as { warm: { id: string }[] }).warm[0];
  assert.ok(replaced && replaced.id !== waiting.id && replaced.id !== first.id, 'a new sandbox waits in the pool');
  await pool.close();
});
