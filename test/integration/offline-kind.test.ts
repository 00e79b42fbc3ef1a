/**
 * labdeck's offline `kind` (kube/offline-kind) in real sandboxes made with the driver's own run flags:
 * what it says, and that bad input gets a clear error and leaves nothing behind. Creating a cluster is
 * e2e/seed.spec.ts's part (it takes a minute); everything here answers in seconds.
 *   node --import tsx --test test/integration/offline-kind.test.ts
 * The `before` hook builds the sandbox image (seconds when up to date). LABDECK_SKIP_PODMAN=1 skips.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { podman } from '../../server/sandbox/podman/cli.js';
import { runFlags, type PodmanIsolation } from '../../server/sandbox/podman/run-flags.js';

const skip = process.env.LABDECK_SKIP_PODMAN === '1' ? 'LABDECK_SKIP_PODMAN=1: podman tests skipped' : false;
const repo = fileURLToPath(new URL('../..', import.meta.url));
const IMAGE = 'localhost/labdeck-sandbox:latest';
const label = `labdeck.test=offline-kind-${process.pid}-${randomBytes(3).toString('hex')}`;
const WHAT = 'offline kind: a local Kubernetes 1.20 node';

async function sandbox(isolation: PodmanIsolation): Promise<string> {
  const flags = runFlags({ isolation, pidsLimit: 512, memory: '1g', cpus: 1, devicesParent: false });
  const r = await podman(['run', '-d', '--init', '--label', label, ...flags, IMAGE, 'sleep', 'infinity'], { timeoutMs: 60_000 });
  assert.equal(r.code, 0, r.stderr);
  return r.stdout.trim().split('\n').pop()!;
}

/** `bash -lc script` in the sandbox: exit code and stdout + stderr together, as an attendee sees them. */
async function sh(id: string, script: string): Promise<{ code: number; out: string }> {
  const r = await podman(['exec', id, 'bash', '-lc', `${script} 2>&1`], { timeoutMs: 60_000 });
  return { code: r.code, out: r.stdout };
}

describe('offline kind (real podman)', { skip }, () => {
  let isolated: string;
  let privileged: string;

  before(async () => {
    const build = spawn('bash', [path.join(repo, 'sandbox/build.sh')], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, LABDECK_SANDBOX_TOOLS: '0' } });
    let log = '';
    build.stdout.on('data', (d: Buffer) => (log += d.toString()));
    build.stderr.on('data', (d: Buffer) => (log += d.toString()));
    const code = await new Promise<number | null>((resolve) => build.on('close', resolve));
    assert.equal(code, 0, `sandbox/build.sh failed:\n${log}`);
    [isolated, privileged] = await Promise.all([sandbox('isolated'), sandbox('privileged')]);
  }, { timeout: 15 * 60_000 });

  after(async () => {
    const ps = await podman(['ps', '-aq', '--filter', `label=${label}`]);
    const ids = ps.stdout.split('\n').filter(Boolean);
    // -v: a privileged sandbox's nested storage is an anonymous volume.
    if (ids.length) await podman(['rm', '-f', '-v', '-t', '0', ...ids], { timeoutMs: 120_000 });
  });

  test('it is installed as kind and says what it is, and what differs from kind', async () => {
    const help = await sh(privileged, 'kind --help');
    assert.equal(help.code, 0);
    assert.match(help.out, new RegExp(WHAT));
    assert.match(help.out, /kind create cluster \[--name NAME\]/);
    assert.match(help.out, /no CoreDNS, no kube-proxy, no crictl or nerdctl/);
    // The first line is what the lab's Tools panel shows.
    const version = await sh(privileged, 'kind version');
    assert.match(version.out.split('\n')[0]!, new RegExp(`${WHAT}.*no CoreDNS, kube-proxy, crictl or nerdctl`));
  });

  test('a privileged sandbox sees the shared node image store read-only', async () => {
    const r = await sh(privileged, 'podman info --format "{{.Store.ImageStore.Number}}" >/dev/null && findmnt -no OPTIONS /var/lib/labdeck/kind-images');
    assert.equal(r.code, 0, r.out);
    assert.match(r.out, /(^|,)ro(,|$)/);
    // Nested podman's own storage is a real filesystem (a volume), not the sandbox's overlay root.
    const fs = await sh(privileged, 'findmnt -no FSTYPE --target /var/lib/containers');
    assert.notEqual(fs.out.trim(), 'overlay');
  });

  test('in an isolated sandbox it refuses with the reason, and creates nothing', async () => {
    const r = await sh(isolated, 'kind create cluster');
    assert.equal(r.code, 1);
    assert.match(r.out, /needs a privileged sandbox/);
    assert.equal((await sh(isolated, 'podman ps -aq')).out.trim(), '');
  });

  test('bad input: a clear error, exit 1, nothing left behind', async () => {
    const cases: Array<[string, RegExp]> = [
      ['kind create cluster --name Bad_Name', /invalid cluster name "Bad_Name"/],
      ['kind create cluster --name "$(printf "a%.0s" {1..60})"', /invalid cluster name/],
      ['kind create cluster --wait forever', /invalid --wait "forever"/],
      ['kind create cluster --name', /--name needs a value/],
      ['kind create cluster --frobnicate', /unknown flag "--frobnicate"/],
      ['kind create cluster --image localhost/no-such-node:1', /node image "localhost\/no-such-node:1" is not here, and nothing can be pulled offline/],
      ['KIND_EXPERIMENTAL_PROVIDER=docker kind create cluster', /runs nodes with podman only/],
      ['kind load docker-image x', /"kind load docker-image x" is not supported here/],
      ['kind get kubeconfig --name nope', /could not locate any control plane nodes for cluster named "nope"/],
    ];
    for (const [cmd, want] of cases) {
      const r = await sh(privileged, cmd);
      assert.equal(r.code, 1, `${cmd}: ${r.out}`);
      assert.match(r.out, want, cmd);
    }
    assert.equal((await sh(privileged, 'podman ps -aq')).out.trim(), '', 'no node container left');
    assert.match((await sh(privileged, 'kind get clusters')).out, /No kind clusters found\./);
    const del = await sh(privileged, 'kind delete cluster --name never-made');
    assert.equal(del.code, 0, 'deleting a cluster that does not exist is not an error (as in kind)');
  });

  test('a create that fails after the node started removes the node again, as kind does', async (t) => {
    if ((await sh(privileged, 'podman image exists localhost/labdeck-kind-node:v1.20.2')).code !== 0) {
      t.skip('no node image shared with sandboxes (npm run kube:build)');
      return;
    }
    // Not a valid kubeconfig to merge into: the cluster cannot be written down, so it must not stay.
    const r = await sh(privileged, 'mkdir -p ~/.kube && echo "not: [yaml" > /tmp/bad-kubeconfig && kind create cluster --name bad-config --kubeconfig /tmp/bad-kubeconfig --wait 0');
    assert.equal(r.code, 1, r.out);
    assert.match(r.out, /could not merge into \/tmp\/bad-kubeconfig/);
    assert.equal((await sh(privileged, 'podman ps -aq')).out.trim(), '', 'the node was removed');
    assert.match((await sh(privileged, 'kind get clusters')).out, /No kind clusters found\./);
  });
});
