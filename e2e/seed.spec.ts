/**
 * The seed talk's sequence, for real, offline (issue 12): an attendee in a privileged podman sandbox
 * clicks Run through `kind create cluster` → `podman ps` → `podman exec -it kind-control-plane bash`
 * → `kubectl get pods -A` → `ctr` / `crictl` / `nerdctl`, and reads each answer in the terminal.
 *
 * This spec runs its own labdeck server (the shared one uses the local driver): podman, privileged,
 * one workshop of its own, removed at the end with its sandboxes and their volumes. It needs the
 * sandbox image and the node image shared with sandboxes (kube/build.sh, step 7); without them it is
 * skipped, unless LABDECK_SEED_REQUIRED=1 (scripts/test.sh sets it) makes that a failure.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, test, type Page } from '@playwright/test';
import { codeBlocks, type Lab } from '../common/lab-model';
import { LAB_ID, expectInTerminal } from './helpers';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const CONTAINERS_CONF = path.join(ROOT, 'sandbox', 'containers.conf');
const NODE_IMAGE = 'localhost/labdeck-kind-node:v1.20.2';
const KIND_VOLUME = 'labdeck-kind-images';
const SANDBOX_IMAGE = process.env.LABDECK_SEED_SANDBOX_IMAGE ?? 'localhost/labdeck-sandbox:latest';
const WORKSHOP = `seed-${randomBytes(3).toString('hex')}`;

function podman(args: string[]): { code: number; out: string } {
  const r = spawnSync('podman', args, { env: { ...process.env, CONTAINERS_CONF }, encoding: 'utf8', timeout: 120_000 });
  return { code: r.status ?? -1, out: `${r.stdout ?? ''}${r.stderr ?? ''}` };
}

/** Why the sequence cannot run on this host, or null. Reads the shared store's index, mounts nothing. */
function missingPrerequisite(): string | null {
  if (podman(['image', 'exists', SANDBOX_IMAGE]).code !== 0) return `no sandbox image ${SANDBOX_IMAGE} (npm run sandbox:build)`;
  const vol = podman(['volume', 'inspect', '--format', '{{.Mountpoint}}', KIND_VOLUME]);
  const index = path.join(vol.out.trim(), 'overlay-images', 'images.json');
  if (vol.code !== 0 || !existsSync(index)) return `no node image shared with sandboxes (volume ${KIND_VOLUME}; npm run kube:build)`;
  const images = JSON.parse(readFileSync(index, 'utf8')) as { names?: string[] }[];
  if (!images.some((i) => i.names?.includes(NODE_IMAGE))) return `the volume ${KIND_VOLUME} does not hold ${NODE_IMAGE} (npm run kube:build)`;
  return null;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const addr = s.address();
      s.close(() => (typeof addr === 'object' && addr ? resolve(addr.port) : reject(new Error('no port'))));
    });
  });
}

let server: ChildProcess | null = null;
let base = '';
let dataDir = '';
let serverLog = '';

test.describe.configure({ mode: 'serial' });

test.beforeAll(async () => {
  const missing = missingPrerequisite();
  if (missing && process.env.LABDECK_SEED_REQUIRED === '1') throw new Error(`seed sequence: ${missing}`);
  test.skip(missing !== null, missing ?? '');
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  dataDir = mkdtempSync(path.join(tmpdir(), 'labdeck-e2e-seed-'));
  server = spawn(process.execPath, [path.join(ROOT, 'scripts', 'start.mjs')], {
    cwd: ROOT,
    env: {
      ...process.env,
      PORT: String(port),
      HOST: '127.0.0.1',
      LABDECK_DATA_DIR: dataDir,
      SANDBOX: 'podman',
      SANDBOX_ISOLATION: 'privileged',
      SANDBOX_IMAGE,
      WORKSHOP,
      POOL_SIZE: '0',
      // One attendee, no instructor: the join step is not what this spec is about.
      REQUIRE_JOIN: '0',
      INSTRUCTOR_TOKEN: 'e2e-seed-instructor-token',
      NEXT_TELEMETRY_DISABLED: '1',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const keep = (b: Buffer) => {
    serverLog = (serverLog + b.toString()).slice(-20_000);
  };
  server.stdout?.on('data', keep);
  server.stderr?.on('data', keep);
  await expect
    .poll(
      async () => {
        if (server?.exitCode !== null) throw new Error(`the seed server exited (${server?.exitCode}):\n${serverLog}`);
        return fetch(`${base}/healthz`).then((r) => r.status, () => 0);
      },
      { timeout: 120_000, message: 'the seed server answers /healthz' },
    )
    .toBe(200);
});

test.afterAll(async () => {
  if (server && server.exitCode === null) {
    const exited = new Promise((r) => server?.once('exit', r));
    server.kill('SIGTERM');
    await Promise.race([exited, new Promise((r) => setTimeout(r, 15_000))]);
    if (server.exitCode === null) server.kill('SIGKILL');
  }
  // A stopped server leaves its sandboxes for the next start to adopt: this workshop has no next start.
  // -v: the sandboxes' nested podman storage (the kind node and its /var) is an anonymous volume.
  const ids = podman(['ps', '-aq', '--filter', `label=labdeck.workshop=${WORKSHOP}`]).out.split('\n').filter(Boolean);
  if (ids.length) podman(['rm', '-f', '-v', '-t', '0', ...ids]);
  for (const n of podman(['network', 'ls', '-q', '--filter', `label=labdeck.workshop=${WORKSHOP}`]).out.split('\n').filter(Boolean)) {
    podman(['network', 'rm', '-f', n]);
  }
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

/** The step (1-based) and block id of the first code block that runs `cmd`. */
function find(lab: Lab, cmd: string): { step: number; id: string } {
  for (const [i, s] of lab.steps.entries()) {
    const b = codeBlocks(s.blocks).find((x) => x.run.trim().startsWith(cmd));
    if (b) return { step: i + 1, id: b.id };
  }
  throw new Error(`no block runs ${cmd}`);
}

/**
 * The terminal's text with the lines xterm wrapped joined again (`podman ps` and `kubectl get pods -A`
 * are wider than the terminal), so a table row can be matched as one line.
 */
function unwrappedText(page: Page): Promise<string> {
  return page.evaluate(() => {
    type Line = { isWrapped: boolean; translateToString(trimRight?: boolean): string };
    const h = (window as unknown as { __labdeck?: { term: { buffer: { active: { length: number; getLine(i: number): Line | undefined } } } } }).__labdeck;
    if (!h) return '';
    const buf = h.term.buffer.active;
    let out = '';
    for (let i = 0; i < buf.length; i++) {
      const line = buf.getLine(i);
      if (!line) continue;
      if (i > 0 && !line.isWrapped) out += '\n';
      out += line.translateToString(!buf.getLine(i + 1)?.isWrapped);
    }
    return out;
  });
}

/** The terminal's text from the last line that contains `marker` on (what one command printed). */
async function since(page: Page, marker: string): Promise<string> {
  const all = await unwrappedText(page);
  const at = all.lastIndexOf(marker);
  return at < 0 ? '' : all.slice(at);
}

async function run(page: Page, id: string): Promise<void> {
  const button = page.getByTestId(`run-${id}`);
  await expect(button).toBeEnabled();
  await button.click();
}

test('the seed sequence: kind create cluster, podman ps, a shell in the node, kubectl, ctr; crictl and nerdctl say why they are missing', async ({ page }, testInfo) => {
  test.setTimeout(420_000);
  const lab = (await (await fetch(`${base}/api/labs/${LAB_ID}`)).json()) as Lab;
  const kind = find(lab, 'kind create cluster');
  const ps = find(lab, 'podman ps');
  const exec = find(lab, 'podman exec -it');
  const pods = find(lab, 'kubectl get pods -A');
  const ctr = find(lab, 'ctr -n k8s.io containers list');
  const crictl = find(lab, 'crictl ps');
  const nerdctl = find(lab, 'nerdctl ps');
  expect([ps.step, exec.step, pods.step], 'the seed has these four on one slide').toEqual([kind.step, kind.step, kind.step]);

  await page.goto(`${base}/labs/${LAB_ID}?step=${kind.step}`);
  await expect(page.getByTestId('conn-status')).toHaveAttribute('data-state', 'connected', { timeout: 90_000 });

  // The Tools panel names the offline kind, and says what differs from kind.
  const toggle = page.getByTestId('preflight-toggle');
  await expect(toggle).toHaveText(/missing|✓/, { timeout: 60_000 });
  await toggle.click();
  const kindTool = page.getByTestId('preflight-panel').locator('li[data-tool="kind"]');
  await expect(kindTool).toHaveAttribute('data-found', 'true');
  await expect(kindTool).toContainText('offline kind: a local Kubernetes 1.20 node');
  await expect(kindTool).toContainText('no CoreDNS');
  await toggle.click();

  await run(page, kind.id);
  await expectInTerminal(page, 'offline kind: a local Kubernetes 1.20 node', 30_000);
  // kind's own last lines: the cluster is up and ~/.kube/config points at it.
  await expectInTerminal(page, /Set kubectl context to "kind-kind"[\s\S]*Have a nice day!/, 300_000);
  expect(await since(page, 'Creating cluster "kind"')).toMatch(/✓ Starting control-plane/);

  // The step's check (issue 11), out of band in the attendee's sandbox: the node is Ready.
  await page.getByTestId('check').click();
  await expect(page.getByTestId('check-result')).toHaveAttribute('data-passed', 'true', { timeout: 30_000 });
  await expect(page.getByTestId('check-result')).toContainText('the node kind-control-plane is Ready');

  await run(page, ps.id);
  await expect.poll(() => since(page, 'podman ps'), { timeout: 20_000 }).toMatch(/labdeck-kind-node:v1\.20\.2 .*127\.0\.0\.1:\d+->6443\/tcp\s+kind-control-plane/);

  await run(page, exec.id);
  await expectInTerminal(page, /root@kind-control-plane:\/# *$/m, 20_000);

  await run(page, pods.id);
  await expect
    .poll(() => since(page, 'kubectl get pods -A'), { timeout: 30_000 })
    .toMatch(/kube-system +kube-apiserver-kind-control-plane +1\/1 +Running/);
  const listed = await since(page, 'kubectl get pods -A');
  for (const c of ['etcd', 'kube-controller-manager', 'kube-scheduler']) {
    expect(listed).toMatch(new RegExp(`kube-system +${c}-kind-control-plane +1/1 +Running`));
  }
  const shot = testInfo.outputPath('seed-kubectl-get-pods.png');
  await page.screenshot({ path: shot, fullPage: true });
  await testInfo.attach('kubectl get pods -A inside kind-control-plane', { path: shot, contentType: 'image/png' });

  // The next slide: the same shell, still inside the node.
  await page.goto(`${base}/labs/${LAB_ID}?step=${ctr.step}`);
  await expect(page.getByTestId('conn-status')).toHaveAttribute('data-state', 'connected', { timeout: 30_000 });
  await run(page, ctr.id);
  await expect
    .poll(() => since(page, 'ctr -n k8s.io containers list'), { timeout: 20_000 })
    .toMatch(/localhost\/labdeck\/kube-apiserver:v1\.20\.2/);
  await run(page, crictl.id);
  await expect.poll(() => since(page, 'crictl ps'), { timeout: 20_000 }).toMatch(/crictl: not in this node: .*does not package crictl/);
  await run(page, nerdctl.id);
  await expect.poll(() => since(page, 'nerdctl ps'), { timeout: 20_000 }).toMatch(/nerdctl: not in this node: Debian does not package it/);

  // This slide's check: the kubelet runs the control plane (asked with ctr when crictl is missing).
  await page.getByTestId('check').click();
  await expect(page.getByTestId('check-result')).toHaveAttribute('data-passed', 'true', { timeout: 30_000 });
});
