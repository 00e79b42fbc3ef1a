/**
 * The podman driver against real podman and the real sandbox image (no mocks).
 *   node --import tsx --test test/integration/podman-driver.test.ts
 * The `before` hook builds the image with sandbox/build.sh (about a minute cold, under a second when up
 * to date). Set LABDECK_SKIP_PODMAN=1 to skip on a machine without podman.
 * Every container and network is labelled with a workshop name unique to this run and swept in `after`.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import net from 'node:net';
import path from 'node:path';
import { after, afterEach, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { Sandbox, Shell } from '../../server/sandbox/driver.js';
import { podman } from '../../server/sandbox/podman/cli.js';
import { removeWorkshop } from '../support/podman.js';
import { PODMAN_DEFAULTS, PodmanDriver } from '../../server/sandbox/podman/driver.js';

const skip = process.env.LABDECK_SKIP_PODMAN === '1' ? 'LABDECK_SKIP_PODMAN=1: podman driver tests skipped' : false;
const repo = fileURLToPath(new URL('../..', import.meta.url));
const workshop = `t${process.pid}${randomBytes(3).toString('hex')}`;
const timings: Record<string, number[]> = {};
/** The image under test: LABDECK_SANDBOX_IMAGE (what sandbox/build.sh builds), else the default tag. */
const image = process.env.LABDECK_SANDBOX_IMAGE ?? PODMAN_DEFAULTS.image;
/** Each sandbox's agent socket folder (the server's data folder's `agents/` in production). */
const agentsDir = mkdtempSync(path.join(tmpdir(), 'labdeck-agents-'));

function record(name: string, ms: number): void {
  (timings[name] ??= []).push(Math.round(ms));
}

/** Poll `check` until it returns true, at most `ms`; fails the test with `what` otherwise. */
async function waitFor(what: string, ms: number, check: () => Promise<boolean>): Promise<void> {
  const end = Date.now() + ms;
  for (let delay = 20; ; delay = Math.min(delay * 2, 250)) {
    if (await check()) return;
    if (Date.now() > end) assert.fail(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, delay));
  }
}

/** Collect a shell's output until `needle` appears (bounded). */
function waitForOutput(shell: Shell, needle: string, ms: number): Promise<string> {
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => {
      sub.dispose();
      reject(new Error(`no ${JSON.stringify(needle)} within ${ms} ms; got ${JSON.stringify(out.slice(-400))}`));
    }, ms);
    const sub = shell.onData((chunk) => {
      out += chunk.toString('utf8');
      if (out.includes(needle)) {
        clearTimeout(timer);
        sub.dispose();
        resolve(out);
      }
    });
  });
}

async function ok(sb: Sandbox, script: string, timeoutMs = 15_000): Promise<string> {
  const r = await sb.exec(['bash', '-c', script], { timeoutMs });
  assert.equal(r.code, 0, `${script}\n→ exit ${r.code}\n${r.stderr}`);
  return r.stdout;
}

describe('PodmanDriver (real podman)', { skip }, () => {
  let driver: PodmanDriver;
  let a: Sandbox;
  let b: Sandbox;
  const shells: Shell[] = [];

  before(async () => {
    const started = performance.now();
    const build = spawn('bash', [path.join(repo, 'sandbox/build.sh')], { stdio: ['ignore', 'pipe', 'pipe'] });
    let log = '';
    build.stdout.on('data', (d: Buffer) => (log += d.toString()));
    build.stderr.on('data', (d: Buffer) => (log += d.toString()));
    const code = await new Promise<number | null>((resolve) => build.on('close', resolve));
    assert.equal(code, 0, `sandbox/build.sh failed:\n${log}`);
    record('image build (before hook)', performance.now() - started);
    driver = new PodmanDriver({ workshop, isolation: 'isolated', image, agentsDir });
    let t = performance.now();
    a = await driver.create();
    record('create → exec ok', performance.now() - t);
    t = performance.now();
    b = await driver.create();
    record('create → exec ok', performance.now() - t);
  }, { timeout: 15 * 60_000 });

  afterEach(() => {
    for (const s of shells.splice(0)) s.kill();
  });

  after(async () => {
    await driver?.close();
    await removeWorkshop(workshop);
    rmSync(agentsDir, { recursive: true, force: true });
    const left = await podman(['ps', '-aq', '--filter', `label=labdeck.workshop=${workshop}`]);
    const summary = Object.entries(timings).map(([k, v]) => `${k}: ${v.join(', ')} ms`);
    console.log(`podman driver timings\n  ${summary.join('\n  ')}`);
    assert.equal(left.stdout.trim(), '', 'test containers left behind');
  });

  test('info: isolated has no warnings; privileged warns that it is not isolation', () => {
    assert.equal(driver.info.isolation, 'isolated container');
    assert.deepEqual(driver.info.warnings, []);
    assert.ok(!driver.runFlags().includes('--privileged'));
    const priv = new PodmanDriver({ workshop, isolation: 'privileged' });
    assert.equal(priv.info.isolation, 'privileged container');
    assert.match(priv.info.warnings.join(' '), /not isolated.*cgroup/i);
    assert.ok(priv.runFlags().includes('--privileged'));
    assert.throws(() => new PodmanDriver({ workshop: 'Bad Name; rm -rf /' }), /workshop name/);
  });

  test('exec: output, exit code, timeout that also ends the command inside', async () => {
    const r = await a.exec(['sh', '-c', 'echo out; echo err >&2; exit 3']);
    assert.deepEqual([r.code, r.stdout, r.stderr, r.timedOut], [3, 'out\n', 'err\n', false]);
    const t = performance.now();
    const slow = await a.exec(['sleep', '4711'], { timeoutMs: 500 });
    assert.equal(slow.timedOut, true);
    assert.ok(performance.now() - t < 5000, 'timeout was not enforced');
    const ps = await ok(a, 'ps -eo args');
    assert.doesNotMatch(ps, /sleep 4711/, 'timed-out command still runs inside the sandbox');
    assert.equal(await a.health(), 'running');
  });

  test("an isolated sandbox cannot reach the host's cgroups (release_agent, other containers)", async () => {
    // Root in an isolated sandbox has CAP_SYS_ADMIN (for nested podman), so it can mount cgroup v1.
    // In the host's cgroup namespace that mount showed libpod_parent (every container) and the
    // hierarchy root's release_agent, a known escape; in the sandbox's private namespace it does not.
    const probe = await a.exec(
      ['bash', '-c', 'mkdir -p /tmp/cgp && mount -t cgroup -o pids cgroup /tmp/cgp && ls /tmp/cgp; echo "named:"; mkdir -p /tmp/cgn && mount -t cgroup -o none,name=labdeckprobe cgroup /tmp/cgn 2>&1 && echo NAMED-MOUNTED'],
      { timeoutMs: 15_000 },
    );
    assert.match(probe.stdout, /pids\.current/, 'positive control: the mount shows the sandbox\'s own cgroup');
    assert.doesNotMatch(probe.stdout, /release_agent|libpod_parent|machine\.slice/);
    assert.doesNotMatch(probe.stdout, /NAMED-MOUNTED/, 'a new named hierarchy (with its own release_agent) is refused');
  });

  test('an isolated sandbox cannot grant itself devices through its devices cgroup', async () => {
    // Root in the sandbox can mount the v1 devices controller (CAP_SYS_ADMIN); under podman's default
    // parent, `echo a > devices.allow` succeeded and granted every host device (measured).
    const probe = await a.exec(
      ['bash', '-c', 'mkdir -p /tmp/cgd && mount -t cgroup -o devices cgroup /tmp/cgd && cat /tmp/cgd/devices.list && echo a > /tmp/cgd/devices.allow; echo "after:"; cat /tmp/cgd/devices.list'],
      { timeoutMs: 15_000 },
    );
    assert.match(probe.stdout, /c 1:3 rwm/, 'positive control: the sandbox sees its own device list');
    assert.match(probe.stderr, /not permitted|denied/i);
    assert.doesNotMatch(probe.stdout.split('after:')[1] ?? '', /^a \*:\* rwm$/m);
  });

  test("an isolated sandbox cannot write the host's kernel settings, even through a fresh /proc", async () => {
    // kernel.core_pattern is global; writing it from a sandbox is a known route to host root. Measured
    // before the user namespace: remount and a fresh proc mount both worked, and so did the write.
    // The probe writes back the current value, so it changes nothing even if it succeeded.
    const probe = await a.exec(
      ['bash', '-c', 'cur=$(cat /proc/sys/kernel/core_pattern); mkdir -p /tmp/p && mount -t proc proc /tmp/p && echo PROC-MOUNTED; (echo "$cur" > /tmp/p/sys/kernel/core_pattern) && echo WROTE; mount -o remount,rw /proc/sys 2>/dev/null; (echo "$cur" > /proc/sys/kernel/core_pattern) && echo WROTE-SYS; true'],
      { timeoutMs: 15_000 },
    );
    assert.match(probe.stdout, /PROC-MOUNTED/, 'positive control: the sandbox may mount its own /proc');
    assert.doesNotMatch(probe.stdout, /WROTE/);
    assert.match(probe.stderr, /denied|not permitted|read-only/i);
  });

  test('A cannot see B: processes, files, nested containers, open ports', async () => {
    const tag = randomBytes(4).toString('hex');
    // B: a background process, a file, a nested container, a listening port.
    await ok(b, `setsid sleep 4242 </dev/null >/dev/null 2>&1 &`);
    await ok(b, `echo secret > /root/secret-${tag}`);
    await ok(
      b,
      // A nested image from B's own files (no registry): sleep plus the libraries it links.
      `mkdir -p /tmp/r && cp --parents /usr/bin/sleep $(ldd /usr/bin/sleep | grep -o '/[^ ]*') /tmp/r && ` +
        `tar -C /tmp/r -c . | podman import -q - localhost/sleeper >/dev/null && ` +
        `podman run -d --name inner-${tag} localhost/sleeper /usr/bin/sleep 600 >/dev/null`,
      60_000,
    );
    await ok(b, `setsid socat TCP-LISTEN:8080,fork,reuseaddr SYSTEM:'echo pong-${tag}' </dev/null >/dev/null 2>&1 &`);
    const bIp = (await ok(b, `ip -4 -o addr show eth0 | awk '{print $4}' | cut -d/ -f1`)).trim();
    assert.match(bIp, /^\d+\.\d+\.\d+\.\d+$/);

    // Positive controls: each of these is visible from B itself (and the port from the host).
    assert.match(await ok(b, 'ps -eo args'), /sleep 4242/);
    await ok(b, `test -e /root/secret-${tag}`);
    assert.match(await ok(b, 'podman ps --format {{.Names}}'), new RegExp(`inner-${tag}`));
    await waitFor(`B's listener on ${bIp}:8080 from the host`, 5000, () => hostCanRead(bIp, 8080, `pong-${tag}`));

    // From A: none of it.
    assert.doesNotMatch(await ok(a, 'ps -eo args'), /sleep 4242|socat|inner-/);
    const file = await a.exec(['test', '-e', `/root/secret-${tag}`]);
    assert.equal(file.code, 1, 'B\'s file is visible in A');
    assert.equal((await ok(a, 'podman ps -a --format {{.Names}}')).trim(), '', 'A lists containers');
    assert.doesNotMatch(await ok(a, 'podman images --format {{.Repository}}'), /sleeper/);
    // Another sandbox coming and going must not lift the isolation of A and B (netavark 1.4 deletes
    // its FORWARD jump when any isolated container is torn down: see podman/isolation.ts).
    const c = await driver.create();
    await driver.destroy(c);
    const t = performance.now();
    const conn = await a.exec(['socat', '-T', '2', '-', `TCP:${bIp}:8080,connect-timeout=2`], { timeoutMs: 5000 });
    assert.notEqual(conn.code, 0, `A reached B's port: ${conn.stdout}`);
    assert.doesNotMatch(conn.stdout, /pong/);
    assert.ok(performance.now() - t < 6000);
  });

  test('a fork bomb in A is stopped by its pids limit while B still answers', { timeout: 60_000 }, async () => {
    const cgroup = (await podman(['inspect', '--format', '{{.State.CgroupPath}}', a.id])).stdout.trim();
    const pidsDir = `/sys/fs/cgroup/pids${cgroup}`;
    const max = Number((await readFile(`${pidsDir}/pids.max`, 'utf8')).trim());
    assert.equal(max, PODMAN_DEFAULTS.pidsLimit);
    const current = async () => Number((await readFile(`${pidsDir}/pids.current`, 'utf8')).trim());

    // The bomb's first shell returns at once and its children live on as orphans, so `timeout` is
    // given a child that stays (exec sleep: no fork needed at the limit); when it fires, timeout
    // kills its whole process group, which every bomb process still belongs to.
    const bomb = a.exec(['bash', '-c', 'timeout -s KILL 10 bash -c ":(){ :|:& };:; exec sleep 10"; true'], { timeoutMs: 30_000 });
    await waitFor('A to hit its pids limit', 10_000, async () => (await current()) >= max - 5);
    let peak = 0;
    const t = performance.now();
    const r = await b.exec(['true'], { timeoutMs: 5000 });
    const bMs = performance.now() - t;
    peak = Math.max(peak, await current());
    record('B exec true during A fork bomb', bMs);
    assert.equal(r.code, 0);
    assert.ok(bMs < 3000, `B took ${bMs} ms`);
    assert.ok(peak <= max, `pids.current ${peak} > pids.max ${max}`);
    const res = await bomb;
    assert.match(res.stderr, /fork|Resource temporarily unavailable/, 'the bomb never hit the limit');
    // A recovers once `timeout` has killed the bomb's process group: its pids drain and exec answers.
    await waitFor('A\'s pids to drain after the bomb', 20_000, async () => (await current()) < 20);
    assert.equal((await a.exec(['true'], { timeoutMs: 5000 })).code, 0);
  });

  test('attach: a real pty login shell; kill() ends it and what it started', async () => {
    const shell = await a.attach({ cols: 100, rows: 30 });
    shells.push(shell);
    const seen = waitForOutput(shell, 'he2llo', 10_000);
    shell.write('echo he$((1+1))llo\r');
    await seen;
    const cols = waitForOutput(shell, 'cols=120', 10_000);
    shell.resize({ cols: 120, rows: 40 });
    // The new size travels host pty → podman exec → the container's pty asynchronously: on a loaded
    // host the first `tput` can still read the old size, so ask again until the new one shows.
    const ask = () => shell.write('echo cols=$(tput cols)\r');
    ask();
    const asking = setInterval(ask, 1000);
    await cols.finally(() => clearInterval(asking));
    const bg = waitForOutput(shell, 'started-9', 10_000);
    shell.write('sleep 4343 & echo started-$((4+5))\r');
    await bg;
    assert.match(await ok(a, 'ps -eo args'), /sleep 4343/);
    const exited = new Promise((r) => shell.onExit(r));
    shell.kill();
    await exited;
    await waitFor('the shell and its sleep to be gone from A', 10_000, async () => !/sleep 4343|bash -l/.test(await ok(a, 'ps -eo args')));
  });

  test('kill then attach at once: the new shell is not swept away with the old one (issue 18 bug 1)', async () => {
    // A reset or recreate kills the shell and attaches the next one at once. The old driver swept the
    // killed shell's marked processes a second time when its exec client exited, which could catch
    // the new shell.
    for (let round = 0; round < 6; round++) {
      const first = await a.attach({ cols: 80, rows: 24 });
      const firstUp = waitForOutput(first, `fi${round}1rst`, 15_000);
      first.write(`echo fi${round}$((1))rst\r`);
      await firstUp;
      const firstGone = new Promise((r) => first.onExit(r));
      first.kill();
      const second = await a.attach({ cols: 80, rows: 24 });
      shells.push(second);
      let secondExit: unknown = null;
      second.onExit((e) => (secondExit = e));
      const up = waitForOutput(second, `se${round}2cond`, 15_000);
      second.write(`echo se${round}$((2))cond\r`);
      await up;
      await firstGone;
      // Whatever clean-up the first shell's end triggers has run by now (an exec takes ~0.2 s):
      // the second shell must still answer, several times over.
      for (let i = 0; i < 6; i++) {
        await new Promise((r) => setTimeout(r, 250));
        const still = waitForOutput(second, `al${round}${i}ive`, 10_000);
        second.write(`echo al${round}$((${i}))ive\r`);
        await still.catch((err: unknown) => assert.fail(`round ${round}: the new shell died after the old one was killed (exit ${JSON.stringify(secondExit)}): ${String(err)}`));
      }
      second.kill();
    }
  });

  test('destroy + create gives a clean sandbox', async () => {
    const tag = randomBytes(4).toString('hex');
    await ok(b, `echo x > /root/left-${tag}; setsid sleep 4444 </dev/null >/dev/null 2>&1 &`);
    const old = b as Sandbox & { name: string; network: string };
    let t = performance.now();
    await driver.destroy(b);
    record('destroy (rm -f -t 0 + network rm)', performance.now() - t);
    assert.equal(await b.health(), 'missing');
    assert.equal((await podman(['container', 'exists', old.name])).code, 1);
    assert.equal((await podman(['network', 'exists', old.network])).code, 1);
    await driver.destroy(b); // idempotent

    t = performance.now();
    b = await driver.create();
    record('create → exec ok', performance.now() - t);
    assert.notEqual(b.id, old.id);
    assert.equal((await b.exec(['test', '-e', `/root/left-${tag}`])).code, 1);
    assert.doesNotMatch(await ok(b, 'ps -eo args'), /sleep 4444/);
    assert.equal((await ok(b, 'podman ps -a --format {{.Names}}')).trim(), '');
    const shell = await b.attach({ cols: 80, rows: 24 });
    shells.push(shell);
    const seen = waitForOutput(shell, 'he2llo', 10_000);
    t = performance.now();
    shell.write('echo he$((1+1))llo\r');
    await seen;
    record('attach → echo round trip', performance.now() - t);
  });

  // Whose sandbox is whose is the store's (pool.ts), not the driver's: podman-server.test.ts re-adopts
  // an attendee's sandbox after a SIGKILL through it.
  test('adopt: a second driver finds the running and the stopped sandboxes, and no duplicates', async () => {
    // A stopped sandbox (a paused workshop's) is found too: the store decides whether it is someone's
    // (pool.ts keeps it) or nobody's (the pool destroys it, network included).
    const stopped = (await driver.create()) as Sandbox & { name: string; network: string };
    await driver.stop(stopped);
    assert.equal(await stopped.health(), 'stopped');

    // A container from a server before the agent (no agent label, `sleep infinity` as its main process):
    // nothing can attach to it, so adopt() removes it and its attendee gets a new sandbox.
    const legacy = (await podman(['run', '-d', '--init', '--label', `labdeck.workshop=${workshop}`, image, 'sleep', 'infinity'])).stdout.trim();
    assert.match(legacy, /^[0-9a-f]{64}$/);

    // The first server stops (its agents dial on); the next one adopts their containers.
    await driver.close();
    const second = new PodmanDriver({ workshop, image, agentsDir });
    const t = performance.now();
    const found = await second.adopt();
    record('adopt', performance.now() - t);
    assert.deepEqual(found.map((s) => s.id).sort(), [a.id, b.id, stopped.id].sort());
    assert.equal((await podman(['container', 'exists', legacy])).code, 1, 'the agentless container is removed');
    // Socket folders: one per adopted sandbox, none left for what is gone.
    assert.deepEqual(readdirSync(agentsDir).sort(), [a, b, stopped].map((s) => (s as Sandbox & { name: string }).name).sort());
    // Adopting again changes nothing: same three, no new containers.
    assert.equal((await second.adopt()).length, 3);
    const adoptedStopped = found.find((s) => s.id === stopped.id)!;
    await second.destroy(adoptedStopped);
    assert.equal((await podman(['container', 'exists', stopped.id])).code, 1, 'stopped sandbox not removed');
    assert.equal((await podman(['network', 'exists', stopped.network])).code, 1, 'its network not removed');
    const ps = await podman(['ps', '-aq', '--filter', `label=labdeck.workshop=${workshop}`]);
    assert.equal(ps.stdout.trim().split('\n').length, 2);
    // The adopted handle works.
    const adoptedA = found.find((s) => s.id === a.id);
    assert.ok(adoptedA);
    assert.equal((await adoptedA.exec(['hostname'])).stdout, 'sandbox\n');
    await second.close();
  });
});

/** Connect from the host to ip:port and read until `needle` or 2 s. */
function hostCanRead(ip: string, port: number, needle: string): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = net.connect({ host: ip, port, timeout: 2000 });
    let buf = '';
    const done = (v: boolean) => {
      sock.destroy();
      resolve(v);
    };
    sock.on('data', (d) => {
      buf += d.toString();
      if (buf.includes(needle)) done(true);
    });
    sock.on('timeout', () => done(false));
    sock.on('error', () => done(false));
    sock.on('end', () => done(buf.includes(needle)));
  });
}
