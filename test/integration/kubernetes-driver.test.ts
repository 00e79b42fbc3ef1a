/**
 * The kubernetes driver against a real Kubernetes: the offline node (docs/kubernetes-offline.md) started
 * on this host by test/support/kube.ts, with the labdeck sandbox image loaded into its containerd. The
 * API server, kubelet, containerd and runc are real; nothing of Kubernetes is mocked.
 *   node --import tsx --test test/integration/kubernetes-driver.test.ts
 * Needs the node image (`npm run kube:build`) and the sandbox image (`npm run sandbox:build`, run by the
 * `before` hook: seconds when cached). LABDECK_SKIP_KUBE=1 skips it on a machine without them.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { after, afterEach, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { createLogger } from '../../server/log.js';
import type { Sandbox, Shell } from '../../server/sandbox/driver.js';
import { KubernetesDriver } from '../../server/sandbox/kubernetes/driver.js';
import { podman } from '../../server/sandbox/podman/cli.js';
import { SandboxPool } from '../../server/sandbox/pool.js';
import { assignmentStore } from '../../server/store/assignments.js';
import { openDatabase } from '../../server/store/open.js';
import { SANDBOX_CAPABILITIES } from '../../server/sandbox/kubernetes/manifests.js';
import { applyWorkshop, removeStaleKubeNodes, startKubeNode, type KubeNode } from '../support/kube.js';

const skip = process.env.LABDECK_SKIP_KUBE === '1' ? 'LABDECK_SKIP_KUBE=1: kubernetes driver tests skipped' : false;
const repo = fileURLToPath(new URL('../..', import.meta.url));
/** The image sandbox/build.sh builds (LABDECK_SANDBOX_IMAGE names another tag, as the build script takes it), loaded into the node. */
const SANDBOX_IMAGE = process.env.LABDECK_SANDBOX_IMAGE ?? 'localhost/labdeck-sandbox:latest';
const workshop = `t${process.pid}${randomBytes(3).toString('hex')}`;

/** Poll `check` until it returns true, at most `ms`; fails the test with `what` otherwise. */
async function waitFor(what: string, ms: number, check: () => Promise<boolean>): Promise<void> {
  const end = Date.now() + ms;
  for (let delay = 50; ; delay = Math.min(delay * 2, 500)) {
    if (await check()) return;
    if (Date.now() > end) assert.fail(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, delay));
  }
}

/** Collect a shell's output until `needle` appears (bounded in time, and to the last 64 KiB). */
function waitForOutput(shell: Shell, needle: string, ms: number): Promise<string> {
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => {
      sub.dispose();
      reject(new Error(`no ${JSON.stringify(needle)} within ${ms} ms; got ${JSON.stringify(out.slice(-400))}`));
    }, ms);
    const sub = shell.onData((chunk) => {
      out = (out + chunk.toString('utf8')).slice(-65536);
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

function buildSandboxImage(): Promise<void> {
  return new Promise((resolve, reject) => {
    const build = spawn('bash', [path.join(repo, 'sandbox/build.sh')], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, LABDECK_SANDBOX_TOOLS: process.env.LABDECK_SANDBOX_TOOLS ?? '0' } });
    let log = '';
    build.stdout.on('data', (d: Buffer) => (log += d.toString()));
    build.stderr.on('data', (d: Buffer) => (log += d.toString()));
    build.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`sandbox/build.sh failed:\n${log.slice(-3000)}`))));
  });
}

describe('KubernetesDriver (a real offline Kubernetes node)', { skip }, () => {
  let node: KubeNode;
  let driver: KubernetesDriver;
  const shells: Shell[] = [];
  const drivers: KubernetesDriver[] = [];
  const options = () => ({
    workshop,
    kubeconfig: node.kubeconfig,
    image: SANDBOX_IMAGE,
    imagePullPolicy: 'Never' as const,
    // Small requests: the test node has two busy cores and a control plane of its own.
    requests: { cpu: '10m', memory: '32Mi' },
    limits: { cpu: '1', memory: '512Mi' },
  });
  const newDriver = (): KubernetesDriver => {
    const d = new KubernetesDriver(options());
    drivers.push(d);
    return d;
  };
  /** The workshop's pods, by name; those being deleted (a deletionTimestamp) are on their way out and not listed. */
  const pods = async (): Promise<string[]> => {
    const r = await node.kubectl(['get', 'pods', '-n', driver.namespace, '-l', `labdeck.workshop=${workshop}`, '-o', 'json']);
    assert.equal(r.code, 0, r.stderr);
    const list = JSON.parse(r.stdout) as { items: Array<{ metadata: { name: string; deletionTimestamp?: string } }> };
    return list.items.filter((p) => !p.metadata.deletionTimestamp).map((p) => p.metadata.name).sort();
  };

  before(async () => {
    await removeStaleKubeNodes();
    await buildSandboxImage();
    node = await startKubeNode({ images: [SANDBOX_IMAGE] });
    console.log(`kube node ${node.name}: Ready after ${node.figures.readySeconds.toFixed(1)} s; ${SANDBOX_IMAGE} loaded in ${node.figures.imageLoadSeconds?.toFixed(1)} s`);
    driver = newDriver();
    // The operator's part (issue 17 §8): deploy/workshop.yaml for this workshop's namespace.
    await applyWorkshop(node, driver.namespace, workshop);
  }, { timeout: 10 * 60_000 });

  afterEach(() => {
    for (const s of shells.splice(0)) s.kill();
  });

  after(async () => {
    for (const d of drivers) await d.close();
    await node?.stop();
  }, { timeout: 5 * 60_000 });

  test('create: a running pod in the workshop namespace, counted by its quota; no credentials; doctor finds the namespace complete', async () => {
    const sb = await driver.create();
    try {
      assert.equal(await sb.health(), 'running');
      const pod = JSON.parse((await node.kubectl(['get', 'pod', '-n', driver.namespace, sb.id, '-o', 'json'])).stdout) as {
        metadata: { labels: Record<string, string> };
        spec: { automountServiceAccountToken: boolean; containers: Array<{ resources: { limits: Record<string, string> } }> };
      };
      assert.equal(pod.metadata.labels['labdeck.workshop'], workshop);
      assert.equal(pod.spec.automountServiceAccountToken, false);
      assert.deepEqual(pod.spec.containers[0]!.resources.limits, { cpu: '1', memory: '512Mi' });
      // No credentials of the cluster inside the sandbox.
      const token = await sb.exec(['test', '-e', '/var/run/secrets/kubernetes.io/serviceaccount/token']);
      assert.equal(token.code, 1, 'a service account token is mounted in the sandbox');
      // The quota controller counts the pod on its own schedule (the agent's hello can come first).
      let quota = '';
      for (const until = Date.now() + 30_000; Date.now() < until; await new Promise((r) => setTimeout(r, 250))) {
        quota = (await node.kubectl(['get', 'resourcequota', '-n', driver.namespace, 'labdeck-sandboxes', '-o', 'jsonpath={.status.hard.pods} {.status.used.pods}'])).stdout;
        if (/^250 [1-9]/.test(quota)) break;
      }
      assert.match(quota, /^250 [1-9]/, `quota counts the sandbox: ${quota}`);
      // doctor's view: every object there, and the policies deny the metadata service and this sandbox
      // to another (the API server is reached here on a published loopback port: not probed).
      const checks = await driver.checks();
      assert.deepEqual(checks.filter((c) => !c.ok), [], JSON.stringify(checks));
      assert.ok(checks.some((c) => c.name.startsWith('egress to another sandbox')), JSON.stringify(checks));
    } finally {
      await driver.destroy(sb);
    }
  });

  test('securityContext (issue 17 §8): no new privileges, seccomp on, only the sandbox capabilities; what a lab does as root still works', async () => {
    const sb = await driver.create();
    try {
      const status = await ok(sb, "grep -E '^(CapEff|CapBnd|NoNewPrivs|Seccomp):' /proc/self/status");
      const bits = { CHOWN: 0, DAC_OVERRIDE: 1, FOWNER: 3, FSETID: 4, KILL: 5, SETGID: 6, SETUID: 7, NET_BIND_SERVICE: 10 } as const;
      const mask = SANDBOX_CAPABILITIES.reduce((m, c) => m | (1n << BigInt(bits[c])), 0n).toString(16).padStart(16, '0');
      assert.match(status, new RegExp(`^CapEff:\\s+${mask}$`, 'm'), status);
      assert.match(status, new RegExp(`^CapBnd:\\s+${mask}$`, 'm'), status);
      assert.match(status, /^NoNewPrivs:\s+1$/m, status);
      assert.match(status, /^Seccomp:\s+2$/m, status);
      // Kept: files owned by another user, running as another user, ping without NET_RAW.
      assert.equal(await ok(sb, 'touch /tmp/f && chown 1234:1234 /tmp/f && stat -c %u:%g /tmp/f'), '1234:1234\n');
      assert.equal(await ok(sb, 'su -s /bin/sh nobody -c "id -u"'), '65534\n');
      assert.match(await ok(sb, 'ping -c 1 -W 2 127.0.0.1'), /1 received/);
      // Dropped: device nodes, raw sockets (MKNOD, NET_RAW).
      const mknod = await sb.exec(['mknod', '/tmp/null2', 'c', '1', '3']);
      assert.notEqual(mknod.code, 0, 'mknod worked without MKNOD');
      assert.match(mknod.stderr, /Operation not permitted/);
      const raw = await sb.exec(['python3', '-c', 'import socket; socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)']);
      assert.match(raw.stderr, /PermissionError|Operation not permitted/, `a raw socket opened: ${raw.code} ${raw.stderr}`);
    } finally {
      await driver.destroy(sb);
    }
  });

  test('a namespace without what deploy/workshop.yaml makes: create() refuses, naming every missing object, and makes nothing', async () => {
    const bare = new KubernetesDriver({ ...options(), workshop: `${workshop}b` });
    drivers.push(bare);
    const made = await node.kubectl(['create', 'namespace', bare.namespace]);
    assert.equal(made.code, 0, made.stderr);
    await assert.rejects(bare.create(), /namespace .*b lacks ResourceQuota labdeck-sandboxes .*; LimitRange labdeck-sandbox-bounds .*; NetworkPolicy labdeck-no-ingress .*; NetworkPolicy labdeck-sandbox-egress .*deploy\/workshop.yaml/);
    const failed = (await bare.checks()).filter((c) => !c.ok).map((c) => c.name);
    assert.ok(failed.includes('Pod Security') && failed.includes('NetworkPolicy labdeck-sandbox-egress'), failed.join(', '));
    const listed = await node.kubectl(['get', 'pods,resourcequotas,limitranges,networkpolicies', '-n', bare.namespace, '-o', 'name']);
    assert.equal(listed.stdout.trim(), '', `the driver created ${listed.stdout}`);
    // Once the operator applies it, the same driver goes on (prepare() is retried after a failure).
    await applyWorkshop(node, bare.namespace, `${workshop}b`);
    const sb = await bare.create();
    await bare.destroy(sb);
  });

  test('attach: typed keys reach bash in the pod and its output comes back; resize; env', async () => {
    const sb = await driver.create();
    try {
      const shell = await sb.attach({ cols: 91, rows: 27 }, { LAB_GREETING: 'hi there' });
      shells.push(shell);
      // The echo of the typed line cannot satisfy the check: only bash's expansion prints he42llo.
      shell.write('x=42; echo he${x}llo; stty size; echo "[$LAB_GREETING]"\r');
      const out = await waitForOutput(shell, '[hi there]', 30_000);
      assert.match(out, /he42llo/);
      assert.match(out, /27 91/);
      shell.resize({ cols: 120, rows: 33 });
      shell.write('stty size\r');
      await waitForOutput(shell, '33 120', 10_000);
      await assert.rejects(sb.attach({ cols: 80, rows: 24 }, { 'BAD NAME': 'x' }), /invalid environment variable/);
      // A second terminal, and commands: still one exec stream into the pod, the agent's relay (issue 19 §1).
      const tab = await sb.attach({ cols: 80, rows: 24 }, {}, 'tab-1');
      shells.push(tab);
      tab.write('echo t$((1+1))ab\r');
      await waitForOutput(tab, 't2ab', 20_000);
      assert.equal((await ok(sb, 'pgrep -c -f "^labdeck-agent relay"')).trim(), '1');
    } finally {
      await driver.destroy(sb);
    }
  });

  test('exec: output, exit code, stderr apart, and a timeout that ends the command inside the pod', async () => {
    const sb = await driver.create();
    try {
      const r = await sb.exec(['sh', '-c', 'echo out; echo err >&2; exit 3']);
      assert.deepEqual([r.code, r.stdout, r.stderr, r.timedOut], [3, 'out\n', 'err\n', false]);
      const streamed: string[] = [];
      await sb.exec(['sh', '-c', 'echo one; echo two'], { onOutput: (c) => streamed.push(c) });
      assert.match(streamed.join(''), /one\ntwo/);
      const slow = await sb.exec(['sleep', '4711'], { timeoutMs: 500 });
      assert.equal(slow.timedOut, true);
      assert.doesNotMatch(await ok(sb, 'ps -eo args'), /sleep 4711/, 'the timed-out command still runs in the pod');
      const missing = await sb.exec(['no-such-command-here']);
      assert.notEqual(missing.code, 0);
    } finally {
      await driver.destroy(sb);
    }
    // A destroyed pod: a clear failure as data, not a throw or a hang.
    const gone = await sb.exec(['true']);
    assert.notEqual(gone.code, 0);
    assert.match(gone.stderr, /not found|destroyed|gone/i);
  });

  test('flow control: pause stops the output at the source; input to a program that does not read is bounded and discardable', async () => {
    const sb = await driver.create();
    try {
      const shell = await sb.attach({ cols: 80, rows: 24 });
      shells.push(shell);
      shell.write('stty -echo; echo READY-$((1+1))\r');
      await waitForOutput(shell, 'READY-2', 30_000);
      shell.pause();
      // Needles are what bash computes, never the typed text (readline echoes it even after stty -echo).
      shell.write('yes | head -c 20000000; echo DONE-$((2+2))\r');
      // While paused, the writer blocks on its terminal: the pod's own view, not a clock.
      await waitFor('the writer to block on its tty', 30_000, async () => /^\s*(n_tty_write|wait_woken|tty_write)\s/m.test(await ok(sb, 'ps -o wchan:30,args -e | grep -E "[h]ead -c" || true')));
      let got = 0;
      shell.onData((c) => (got += c.length));
      shell.resume();
      await waitForOutput(shell, 'DONE-4', 120_000);
      assert.ok(got > 10_000_000, `output resumed: ${got} bytes`);

      shell.write('stty raw -echo; echo RAW-$((3+3)); sleep 600\r');
      await waitForOutput(shell, 'RAW-6', 10_000);
      const mb = 'x'.repeat(1 << 20);
      for (let i = 0; i < 64; i++) shell.write(mb);
      // The socket takes what the layers below it buffer (about 12 MB measured), then input waits here,
      // counted, where the session's bound sees it.
      await waitFor('input to back up', 60_000, () => Promise.resolve(shell.inputBacklog > 16 << 20));
      const dropped = shell.discardInput();
      assert.ok(dropped > 16 << 20, `discarded ${dropped}`);
      assert.ok(shell.inputBacklog < 16 << 20, `backlog after discard: ${shell.inputBacklog}`);
    } finally {
      await driver.destroy(sb);
    }
  });

  test('kill ends the shell and what it started; detach keeps it for a later attach (a server restart)', async () => {
    const sb = await driver.create();
    try {
      const first = await sb.attach({ cols: 80, rows: 24 });
      first.write('export KEPT=yes-$((6*7)); sleep 3131 &\r');
      await waitFor('sleep 3131', 20_000, async () => /sleep 3131/.test(await ok(sb, 'ps -eo args')));
      first.detach();
      // A new driver, as after a restart: adopts the pod, attaches to the same bash.
      const again = newDriver();
      const [adopted] = await again.adopt();
      assert.equal(adopted?.id, sb.id);
      const second = await adopted.attach({ cols: 80, rows: 24 });
      shells.push(second);
      assert.match(second.backlog?.toString() ?? '', /sleep 3131/, 'the screen it had comes back from the agent');
      second.write('echo "kept:$KEPT"\r');
      await waitForOutput(second, 'kept:yes-42', 20_000);
      const exited = new Promise((r) => second.onExit(r));
      second.kill();
      // A new shell at once (a reset's new shell, a reconnect): the kill's sweep must not take it too.
      // Before the fix, the socket's close queued a second sweep behind this attach, which killed it.
      const third = await adopted.attach({ cols: 80, rows: 24 });
      shells.push(third);
      await exited;
      await waitFor('the sweep to end the old shell', 20_000, async () => !/sleep 3131/.test(await ok(sb, 'ps -eo args')));
      third.write('echo fresh-$((2+3)) "kept:[$KEPT]"\r');
      await waitForOutput(third, 'fresh-5 kept:[]', 20_000);
    } finally {
      await driver.destroy(sb);
    }
  });

  test('stop and start (a workshop paused overnight): processes end, the pod and its files stay; attach waits for start', async () => {
    const sb = await driver.create();
    try {
      const shell = await sb.attach({ cols: 80, rows: 24 });
      shells.push(shell);
      shell.write('echo kept-$((40+2)) > ~/paused.txt; sleep 4242 &\r');
      await waitFor('sleep 4242', 20_000, async () => /sleep 4242/.test(await ok(sb, 'ps -eo args')));
      const exited = new Promise((r) => shell.onExit(r));
      await driver.stop(sb);
      await exited;
      assert.equal(await sb.health(), 'stopped');
      await assert.rejects(sb.attach({ cols: 80, rows: 24 }), /stopped/);
      assert.doesNotMatch(await ok(sb, 'ps -eo args'), /sleep 4242/, 'a background process outlived the pause');
      await driver.stop(sb); // idempotent
      await driver.start(sb);
      assert.equal(await sb.health(), 'running');
      const again = await sb.attach({ cols: 80, rows: 24 });
      shells.push(again);
      again.write('cat ~/paused.txt\r');
      await waitForOutput(again, 'kept-42', 20_000);
    } finally {
      await driver.destroy(sb);
    }
  });

  test('adopt after a restart: the same pods, none duplicated; dead ones removed', async () => {
    const a = await driver.create();
    const b = await driver.create();
    try {
      const before = await pods();
      const restarted = newDriver();
      const first = (await restarted.adopt()).map((s) => s.id).sort();
      const second = (await restarted.adopt()).map((s) => s.id).sort();
      assert.deepEqual(first, [a.id, b.id].sort());
      assert.deepEqual(second, first, 'a second adopt() duplicated or lost pods');
      assert.deepEqual(await pods(), before, 'adopt() created or deleted pods');
      // A pod whose sandbox died is not adopted, and is deleted.
      // Its main process (the agent, the oldest labdeck-agent: the relay is one too) killed from inside.
      await ok(b, 'kill -KILL $(pgrep -o -x labdeck-agent)').catch(() => undefined);
      await waitFor('b to be reported dead', 60_000, async () => (await b.health()) !== 'running');
      const third = (await newDriver().adopt()).map((s) => s.id);
      assert.deepEqual(third, [a.id]);
      await waitFor('the dead pod to go', 60_000, async () => !(await pods()).includes(b.id));
    } finally {
      await driver.destroy(a);
      await driver.destroy(b);
    }
  });

  test('a killed or evicted pod is reported (health), and an attached shell ends', async () => {
    const killed = await driver.create();
    const evicted = await driver.create();
    try {
      const shell = await killed.attach({ cols: 80, rows: 24 });
      shells.push(shell);
      shell.write('echo attached-ok\r');
      await waitForOutput(shell, 'attached-ok', 20_000);
      const ended = new Promise((r) => shell.onExit(r));
      // The sandbox's main process killed from inside, as an OOM kill would: the container exits, the
      // pod fails (restartPolicy Never) and stays so.
      await killed.exec(['sh', '-c', 'kill -KILL $(pgrep -o -x labdeck-agent)']);
      await ended;
      await waitFor('the killed pod to be reported', 60_000, async () => (await killed.health()) === 'stopped');
      // The eviction API, as `kubectl drain` or node pressure uses it (policy/v1beta1 on Kubernetes 1.20).
      const body = JSON.stringify({ apiVersion: 'policy/v1beta1', kind: 'Eviction', metadata: { name: evicted.id, namespace: driver.namespace } });
      const r = await node.kubectl(['create', '--raw', `/api/v1/namespaces/${driver.namespace}/pods/${evicted.id}/eviction`, '-f', '-'], body);
      assert.equal(r.code, 0, r.stderr);
      await waitFor('the evicted pod to be reported', 60_000, async () => (await evicted.health()) !== 'running');
    } finally {
      await driver.destroy(killed);
      await driver.destroy(evicted);
    }
    assert.equal(await killed.health(), 'missing');
  });

  test('a pod that cannot start fails create() with the reason, and is removed', async () => {
    const bad = new KubernetesDriver({ ...options(), image: 'localhost/labdeck-no-such-image:none' });
    drivers.push(bad);
    const before = await pods();
    await assert.rejects(bad.create(), /ErrImageNeverPull/);
    await waitFor('the failed pod to go', 30_000, async () => (await pods()).length === before.length);
  });

  test('pool: warm pods make join and reset instant; reset hands a fresh pod and deletes the old; refill', async () => {
    const store = assignmentStore(openDatabase(':memory:'));
    const pool = new SandboxPool(driver, store, { size: 1, checkEveryMs: 60_000 }, createLogger(true));
    try {
      await pool.start();
      await waitFor('the pool to fill', 120_000, () => Promise.resolve(pool.warmCount === 1));
      const first = await pool.acquire('ada');
      assert.equal(store.sandboxOf('ada'), first.id);
      await waitFor('the pool to refill', 120_000, () => Promise.resolve(pool.warmCount === 1));
      await ok(first, 'echo mine > /root/mark');
      const fresh = await pool.replace(first, 'ada');
      assert.notEqual(fresh.id, first.id);
      assert.equal((await fresh.exec(['test', '-e', '/root/mark'])).code, 1, 'the reset pod has the old files');
      await pool.drain();
      await waitFor('the old pod to be deleted', 60_000, async () => (await first.health()) === 'missing');
      await waitFor('the pool to refill after the reset', 120_000, () => Promise.resolve(pool.warmCount === 1));
      assert.equal((await pods()).length, 2, 'one assigned pod and one warm pod');
    } finally {
      await pool.close();
      for (const sb of await driver.adopt()) await driver.destroy(sb);
    }
  });

  test('NetworkPolicy: no ingress between attendees — enforced only where the CNI implements it (the bridge plugin does not)', async () => {
    const a = await driver.create();
    const b = await driver.create();
    try {
      const tag = randomBytes(4).toString('hex');
      await ok(b, `setsid socat TCP-LISTEN:8080,fork,reuseaddr SYSTEM:'echo pong-${tag}' </dev/null >/dev/null 2>&1 &`);
      const ip = (await node.kubectl(['get', 'pod', '-n', driver.namespace, b.id, '-o', 'jsonpath={.status.podIP}'])).stdout.trim();
      assert.match(ip, /^\d+\.\d+\.\d+\.\d+$/);
      // Positive control: the listener answers inside B.
      await waitFor('B listening', 10_000, async () => (await b.exec(['socat', '-T', '2', '-', 'TCP:127.0.0.1:8080'])).stdout.includes(`pong-${tag}`));
      const cni = await cniPlugins(node);
      // Plugins that implement no NetworkPolicy; anything else (calico, cilium…) is held to it.
      const enforcing = !cni.every((t) => ['bridge', 'host-local', 'loopback', 'portmap'].includes(t));
      const conn = await a.exec(['socat', '-T', '2', '-', `TCP:${ip}:8080,connect-timeout=2`], { timeoutMs: 8000 });
      if (enforcing) assert.doesNotMatch(conn.stdout, /pong/, `A reached B through a CNI (${cni.join(',')}) that enforces NetworkPolicy`);
      // This node's CNI: A reaches B. Pinned so that the docs' statement fails the day it stops being true.
      else assert.match(conn.stdout, new RegExp(`pong-${tag}`), 'the bridge CNI is documented as not enforcing NetworkPolicy');
    } finally {
      await driver.destroy(a);
      await driver.destroy(b);
    }
  });
});

/** The CNI plugin types configured on the node (its /etc/cni/net.d). */
async function cniPlugins(node: KubeNode): Promise<string[]> {
  const r = await podman(['exec', node.name, 'sh', '-c', 'cat /etc/cni/net.d/*.conflist']);
  return [...r.stdout.matchAll(/"type":\s*"([^"]+)"/g)].map((m) => m[1]!);
}
