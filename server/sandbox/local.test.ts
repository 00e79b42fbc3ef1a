import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { chownSync, existsSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pgrep } from '../../test/support/procs.js';
import { LocalDriver, SANDBOX_UID_BASE, SANDBOX_UID_COUNT } from './local.js';
import { SandboxPool } from './pool.js';
import { assignmentStore } from '../store/assignments.js';
import { openDatabase } from '../store/open.js';
import { findSandboxProcesses } from './proc-sweep.js';
import { createLogger } from '../log.js';

const root = mkdtempSync(path.join(tmpdir(), 'labdeck-local-'));
after(() => rmSync(root, { recursive: true, force: true }));
const rootOnly = process.getuid?.() === 0 ? false : 'only root can run a sandbox as a user of its own';


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
  const store = assignmentStore(openDatabase(':memory:'));
  const pool = new SandboxPool(driver, store, { size: 1 }, createLogger(true));
  await pool.start();
  await pool.drain();
  assert.equal(pool.warmCount, 1);
  const a = await pool.acquire('alice');
  assert.equal(pool.attendeeOf(a), 'alice');
  assert.equal(store.sandboxOf('alice'), a.id, 'the store holds the assignment');
  assert.equal(await pool.acquire('alice'), a, 'the same attendee keeps the same sandbox');
  const home = (await a.exec(['pwd'])).stdout.trim();
  writeFileSync(path.join(home, 'file'), 'x');
  const b = await pool.replace(a, 'alice');
  assert.notEqual(b.id, a.id);
  assert.equal(pool.attendeeOf(a), null, 'the old one is no one\'s');
  assert.equal(store.sandboxOf('alice'), b.id);
  await pool.drain();
  assert.equal(existsSync(home), false, 'the old workspace is gone');
  assert.equal(pool.warmCount, 1, 'the pool was refilled');
  await pool.release(b);
  assert.equal(store.sandboxOf('alice'), null, 'released: unassigned in the store');
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
  const pool = new SandboxPool(driver, assignmentStore(openDatabase(':memory:')), { size: 1, checkEveryMs: 50 }, createLogger(true));
  await pool.start();
  await pool.drain();
  const first = await pool.acquire('probe');
  await pool.release(first);
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

test('as root, each sandbox runs as its own uid and group, without root\'s groups, in a 0700 home it owns', { skip: rootOnly }, async () => {
  const driver = new LocalDriver({ root });
  const [a, b] = [await driver.create(), await driver.create()];
  const ids = async (sb: typeof a) => (await sb.exec(['bash', '-c', 'id -u; id -g; id -G; echo "$USER $LOGNAME"'])).stdout.trim().split('\n');
  const [uid, gid, groups, names] = await ids(a);
  const uidNumber = Number(uid);
  assert.ok(uidNumber >= SANDBOX_UID_BASE && uidNumber < SANDBOX_UID_BASE + SANDBOX_UID_COUNT, `uid ${uid} in the sandbox range`);
  assert.equal(gid, uid);
  assert.equal(groups, uid, 'no supplementary groups');
  assert.equal(names, 'attendee attendee');
  const home = statSync((await a.exec(['pwd'])).stdout.trim());
  assert.equal(home.uid, uidNumber);
  assert.equal(home.mode & 0o777, 0o700);
  assert.equal(statSync(root).mode & 0o777, 0o711, 'sandboxes can traverse the root but not list it');
  assert.notEqual((await ids(b))[0], uid, 'another sandbox, another uid');
  await driver.destroy(a);
  await driver.destroy(b);
});

test('as root, destroy also ends processes that shed the sandbox marker and the session', { skip: rootOnly }, async () => {
  const driver = new LocalDriver({ root });
  const sb = await driver.create();
  const tag = `${5000 + Math.floor(Math.random() * 4000)}7`;
  await sb.exec(['bash', '-c', `env -u LABDECK_SANDBOX -u LABDECK_SHELL setsid sleep ${tag} >/dev/null 2>&1 & echo started`]);
  const until = Date.now() + 3000;
  while (pgrep(`^sleep ${tag}$`).length === 0 && Date.now() < until) await new Promise((res) => setTimeout(res, 20));
  assert.equal(pgrep(`^sleep ${tag}$`).length, 1, 'the escaped sleep runs');
  assert.equal((await findSandboxProcesses(sb.id)).length, 0, 'it carries no marker');
  await driver.destroy(sb);
  assert.deepEqual(pgrep(`^sleep ${tag}$`), []);
});

test('as root, a workspace root that someone else owns is refused', { skip: rootOnly }, async () => {
  const planted = path.join(root, 'planted');
  mkdirSync(planted, { mode: 0o777 });
  chownSync(planted, SANDBOX_UID_BASE - 1, SANDBOX_UID_BASE - 1);
  const driver = new LocalDriver({ root: planted });
  await assert.rejects(driver.create(), /not a folder owned by this server's user/);
  await assert.rejects(driver.adopt(), /not a folder owned by this server's user/);
});

test('without own users (a server that is not root) the shell is the server\'s own user', async () => {
  const driver = new LocalDriver({ root, ownUsers: false });
  const sb = await driver.create();
  const r = await sb.exec(['id', '-u']);
  assert.equal(r.stdout.trim(), String(process.getuid?.()));
  assert.equal(driver.info.isolation, 'host shell (no isolation)');
  await driver.destroy(sb);
});

test('adopt also sweeps workspaces of the older layout (inside the data folder)', async () => {
  const legacyRoot = path.join(root, 'legacy-workspaces');
  mkdirSync(path.join(legacyRoot, 'local-0123456789ab'), { recursive: true });
  writeFileSync(path.join(legacyRoot, 'local-0123456789ab', 'old'), 'x');
  const driver = new LocalDriver({ root: path.join(root, 'new-root'), legacyRoot });
  assert.deepEqual(await driver.adopt(), []);
  assert.equal(existsSync(legacyRoot), false);
});

test('close ends the driver\'s sandboxes and removes its emptied root', async () => {
  const own = path.join(root, 'closing');
  const driver = new LocalDriver({ root: own });
  const home = (await (await driver.create()).exec(['pwd'])).stdout.trim();
  await driver.close();
  assert.equal(existsSync(home), false);
  assert.equal(existsSync(own), false);
});
