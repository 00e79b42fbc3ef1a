/**
 * The agent in real podman sandboxes (issue 19 §1): terminals, checks and follows fork nothing on the
 * host; and root inside an isolated sandbox, attacking through what the agent design gives it — its
 * read-only socket folder, the server's socket, a replaced agent — reaches neither another sandbox nor
 * anything of the server's beyond its own sandbox's connection.
 *   LABDECK_SANDBOX_IMAGE=<tag> node --import tsx --test test/integration/podman-agent.test.ts
 * The `before` hook builds that image with sandbox/build.sh (cached). LABDECK_SKIP_PODMAN=1 skips.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Sandbox, Shell } from '../../server/sandbox/driver.js';
import { podman } from '../../server/sandbox/podman/cli.js';
import { PODMAN_DEFAULTS, PodmanDriver } from '../../server/sandbox/podman/driver.js';
import type { PodmanSandbox } from '../../server/sandbox/podman/sandbox.js';
import { removeWorkshop } from '../support/podman.js';
import { ROOT } from '../support/server.js';

const skip = process.env.LABDECK_SKIP_PODMAN === '1' ? 'LABDECK_SKIP_PODMAN=1: podman tests skipped' : false;
const image = process.env.LABDECK_SANDBOX_IMAGE ?? PODMAN_DEFAULTS.image;
const workshop = `ta${process.pid}${randomBytes(3).toString('hex')}`;
const agentsDir = mkdtempSync(path.join(tmpdir(), 'labdeck-agents-'));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(what: string, check: () => boolean | Promise<boolean>, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) assert.fail(`timed out after ${ms} ms waiting for ${what}`);
    await sleep(50);
  }
}

/** Type `command` (which prints `expect`) and wait for it; the shell answers, or the test fails. */
async function answers(shell: Shell, command: string, expect: RegExp, ms = 20_000): Promise<void> {
  let out = '';
  const sub = shell.onData((c) => (out += c.toString()));
  try {
    shell.write(`${command}\r`);
    await until(`${expect} from the shell`, () => expect.test(out), ms);
  } finally {
    sub.dispose();
  }
}

async function run(sb: Sandbox, script: string, timeoutMs = 30_000): Promise<{ code: number; out: string }> {
  const r = await sb.exec(['bash', '-c', script], { timeoutMs });
  return { code: r.code, out: r.stdout + r.stderr };
}

/** Host processes (pid, args) whose command line mentions any of `needles`. */
function hostProcesses(needles: string[]): string[] {
  const ps = execFileSync('ps', ['-eo', 'pid=,args='], { encoding: 'utf8' });
  return ps.split('\n').filter((l) => needles.some((n) => l.includes(n)));
}

/** A python3 client of the server's socket, run by root inside the sandbox (the image has python3). */
const ATTACKER = String.raw`
import socket, struct, sys
def frame(t, ch, p=b''): return struct.pack('<IBI', len(p), t, ch) + p
def hello():
    v = b'evil'
    return frame(1, 0, struct.pack('<HI', 1, 524288) + struct.pack('<I', len(v)) + v + struct.pack('<I', 1))
mode = sys.argv[1]
s = socket.socket(socket.AF_UNIX)
s.connect('/run/labdeck/agent.sock')
s.settimeout(15)
got = 0
try:
    if mode == 'garbage':
        s.sendall(b'GET / HTTP/1.1\r\nHost: x\r\n\r\n' * 50)
    elif mode == 'huge':
        s.sendall(struct.pack('<IBI', 2**31, 1, 0) + b'x' * 100000)
    elif mode == 'flood':
        s.sendall(hello())
        for _ in range(2000):
            s.sendall(frame(0x12, 12345, b'A' * 32768))
    elif mode == 'impostor':
        s.sendall(hello())
    while True:
        d = s.recv(65536)
        if not d: break
        got += len(d)
    print('closed by the server after', got)
except (BrokenPipeError, ConnectionResetError) as e:
    print('closed by the server:', type(e).__name__)
`;

describe('the agent in podman sandboxes', { skip }, () => {
  let driver: PodmanDriver;
  let a: PodmanSandbox;
  let b: PodmanSandbox;

  before(async () => {
    const build = spawnSync('bash', [path.join(ROOT, 'sandbox/build.sh')], { encoding: 'utf8' });
    assert.equal(build.status, 0, `sandbox/build.sh failed:\n${build.stdout}${build.stderr}`);
    driver = new PodmanDriver({ workshop, isolation: 'isolated', image, agentsDir });
    a = (await driver.create()) as PodmanSandbox;
    b = (await driver.create()) as PodmanSandbox;
  }, { timeout: 15 * 60_000 });

  after(async () => {
    await driver?.close();
    await removeWorkshop(workshop);
    rmSync(agentsDir, { recursive: true, force: true });
  });

  test('terminals, commands and follows fork nothing on the host: no podman exec, one conmon per container', async () => {
    const shells = [await a.attach({ cols: 80, rows: 24 }), await a.attach({ cols: 80, rows: 24 }, {}, 'tab-1'), await b.attach({ cols: 80, rows: 24 })];
    for (const [i, s] of shells.entries()) await answers(s, `echo sh$((${i}+10))ell`, new RegExp(`sh${i + 10}ell`));
    let followed = '';
    const f = a.follow('.profile', 0, { data: (c) => (followed += c.toString()) }, 1 << 20);
    const checks = await Promise.all([a.exec(['true']), b.exec(['sh', '-c', 'exit 3']), a.exec(['cat', '/etc/hostname'])]);
    assert.deepEqual(checks.map((r) => r.code), [0, 3, 0]);
    await until('the followed file', () => followed.length > 0);
    const ids = [a.id, b.id, a.name, b.name];
    const procs = hostProcesses(ids);
    assert.deepEqual(procs.filter((l) => /podman exec/.test(l)), [], 'no podman exec for shells, checks or follows');
    const conmons = procs.filter((l) => /conmon/.test(l));
    assert.equal(conmons.length, 2, `one conmon per container:\n${conmons.join('\n')}`);
    f.dispose();
    for (const s of shells) s.kill();
  });

  test('root in A talking to the server through its socket: garbage, a huge frame, a flood, an impostor; only that connection ends, B never notices', async () => {
    const shellA = await a.attach({ cols: 80, rows: 24 });
    const shellB = await b.attach({ cols: 80, rows: 24 });
    await answers(shellA, 'export MINE=$((7*6))', /# $/);
    const connectionsBefore = a.link.connections;
    for (const mode of ['garbage', 'huge', 'flood', 'impostor']) {
      const r = await a.exec(['python3', '-c', ATTACKER, mode], { timeoutMs: 60_000 });
      assert.match(r.stdout, /closed by the server/, `${mode}: ${r.stdout}${r.stderr}`);
      // B goes on, through all of it.
      await answers(shellB, `echo b-after-${mode}-$((1+1))`, new RegExp(`b-after-${mode}-2`));
      assert.equal((await b.exec(['true'])).code, 0);
    }
    // A's own agent kept its connection (an impostor's valid hello is refused while it is there).
    assert.equal(a.link.connections, connectionsBefore);
    await answers(shellA, 'echo mine=$MINE', /mine=42/);
    shellA.kill();
    shellB.kill();
  });
  test('a container that dies takes its agent with it: its shells end, its health says so', async () => {
    const c = (await driver.create()) as PodmanSandbox;
    try {
      const shell = await c.attach({ cols: 80, rows: 24 });
      await answers(shell, 'echo c$((1+2))', /c3/);
      const ended = new Promise((r) => shell.onExit(r));
      await podman(['kill', c.id]);
      await ended;
      assert.notEqual(await c.health(), 'running');
    } finally {
      await driver.destroy(c);
    }
  });

  // Last: it unmounts A's socket folder.
  test('root in A: its socket folder is read-only and holds only its own socket; unmounting it cuts off only A', async () => {
    const probe = await run(
      a,
      'test -S /run/labdeck/agent.sock && echo HAS-SOCKET; rm -f /run/labdeck/agent.sock && echo REMOVED; ' +
        'touch /run/labdeck/x && echo CREATED; ln -s / /run/labdeck/y && echo LINKED; mount -o remount,rw /run/labdeck && echo REMOUNTED; ' +
        `find / -xdev -name '*.sock' 2>/dev/null | grep -v '^/proc'; echo done`,
    );
    assert.match(probe.out, /HAS-SOCKET/, 'positive control: it sees its own socket');
    assert.match(probe.out, /Read-only file system/);
    assert.doesNotMatch(probe.out, /REMOVED|CREATED|LINKED|REMOUNTED/);
    assert.doesNotMatch(probe.out, new RegExp(`${b.name}|${b.id.slice(0, 12)}`), "nothing of B's");
    // B's folder exists on the host, and is nowhere in A.
    assert.match(execFileSync('ls', [path.join(agentsDir, b.name)], { encoding: 'utf8' }), /agent\.sock/);
    assert.match((await run(a, `ls ${path.join(agentsDir, b.name)} 2>&1; echo done`)).out, /No such file or directory/);
    // Root in A may unmount its own folder (the runtime's mounts belong to A's user namespace): the
    // host's folder is untouched, and the agent's live connection goes on; only A would not reconnect.
    const um = await run(a, 'umount /run/labdeck && echo UNMOUNTED; test -e /run/labdeck/agent.sock || echo GONE-HERE');
    assert.match(um.out, /UNMOUNTED[\s\S]*GONE-HERE/);
    assert.match(execFileSync('ls', [path.join(agentsDir, a.name)], { encoding: 'utf8' }), /agent\.sock/, 'the host folder is untouched');
    assert.equal((await a.exec(['true'])).code, 0, 'A still answers over its connection');
    assert.equal((await b.exec(['true'])).code, 0);
  });
});
