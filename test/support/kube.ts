/**
 * A real Kubernetes for the tests: one offline node (docs/kubernetes-offline.md) started on the host,
 * its API server published on 127.0.0.1 only, a kubeconfig for it in a 0600 temp file, and (on request)
 * the labdeck sandbox image loaded into its containerd. Nothing here is a mock: the API server, kubelet,
 * containerd and runc are the node's own. `stop()` removes the node and its /var volume on every path.
 *
 * The node image is built by `npm run kube:build` (scripts/test.sh builds or reuses it); without it,
 * startKubeNode() fails at once with that command, rather than after a timeout.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import YAML from 'yaml';
import { podman, podmanEnv } from '../../server/sandbox/podman/cli.js';

export const KUBE_NODE_IMAGE = process.env.LABDECK_KUBE_IMAGE ?? 'localhost/labdeck-kind-node:v1.20.2';
/** Test nodes are named `<prefix><pid>-<random>`; parallel runs on one host use different prefixes. */
const PREFIX = process.env.LABDECK_KUBE_TEST_PREFIX ?? 'labdeck-kubetest-';
/** The node's hostname: its certificates and static pods name it (kube/node/files). */
const NODE = 'kind-control-plane';

export interface KubeNode {
  /** The podman container of the node. */
  readonly name: string;
  /** A kubeconfig (mode 0600) whose server is https://127.0.0.1:<published port>. */
  readonly kubeconfig: string;
  /** Seconds from `podman run` to node Ready, and to the image loaded (null when not asked). */
  readonly figures: { readySeconds: number; imageLoadSeconds: number | null };
  /** kubectl inside the node (admin credentials); resolves with its result, never rejects on an exit code. */
  kubectl(args: string[], stdin?: string): Promise<{ code: number; stdout: string; stderr: string }>;
  stop(): Promise<void>;
}

export interface KubeNodeOptions {
  /** Images (podman names) to load into the node's containerd. */
  images?: string[];
  /** Deadline for Ready; default 240 s (35 s is typical on 2 busy cores: docs/kubernetes-offline.md). */
  readyTimeoutMs?: number;
  /**
   * Admission plugins the API server gets beside NodeRestriction (the node's
   * LABDECK_NODE_ADMISSION_PLUGINS): `PodSecurityPolicy` proves deploy/psp/ on Kubernetes 1.20.
   */
  admissionPlugins?: string[];
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Run podman `to` with podman `from`'s stdout as its stdin (`podman save | podman exec -i … ctr import -`). */
function podmanPipe(from: string[], to: string[], timeoutMs: number): Promise<{ code: number; stderr: string }> {
  return new Promise((resolve) => {
    const env = podmanEnv() as NodeJS.ProcessEnv;
    const sink = spawn('podman', to, { env, stdio: ['pipe', 'ignore', 'pipe'] });
    let stderr = '';
    sink.stderr.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
    const source = spawn('podman', from, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    source.stdout.pipe(sink.stdin);
    source.stderr.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
    const timer = setTimeout(() => {
      source.kill('SIGKILL');
      sink.kill('SIGKILL');
      stderr += `\n(killed after ${timeoutMs} ms)`;
    }, timeoutMs);
    sink.on('close', (code) => {
      clearTimeout(timer);
      source.kill('SIGKILL');
      resolve({ code: code ?? 1, stderr });
    });
  });
}

export async function startKubeNode(opts: KubeNodeOptions = {}): Promise<KubeNode> {
  const exists = await podman(['image', 'exists', KUBE_NODE_IMAGE]);
  if (exists.code !== 0) {
    throw new Error(`the offline Kubernetes node image ${KUBE_NODE_IMAGE} is missing: build it with \`npm run kube:build\` (about 18 min cold, seconds warm)`);
  }
  const name = `${PREFIX}${process.pid}-${randomBytes(3).toString('hex')}`;
  const dir = await mkdtemp(path.join(os.tmpdir(), 'labdeck-kube-'));
  const kubeconfig = path.join(dir, 'kubeconfig');
  const started = performance.now();
  const stop = async (): Promise<void> => {
    await podman(['rm', '-f', '-v', '-t', '0', name], { timeoutMs: 120_000 });
    await rm(dir, { recursive: true, force: true });
  };
  const kubectl = async (args: string[], stdin?: string) => {
    if (stdin === undefined) return podman(['exec', name, 'kubectl', ...args], { timeoutMs: 60_000 });
    let stdout = '';
    const r = await new Promise<{ code: number; stderr: string }>((resolve) => {
      const p = spawn('podman', ['exec', '-i', name, 'kubectl', ...args], { env: podmanEnv() as NodeJS.ProcessEnv, stdio: ['pipe', 'pipe', 'pipe'] });
      let stderr = '';
      p.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      p.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      const timer = setTimeout(() => p.kill('SIGKILL'), 60_000);
      p.on('close', (code) => {
        clearTimeout(timer);
        resolve({ code: code ?? 1, stderr });
      });
      p.stdin.end(stdin);
    });
    return { ...r, stdout };
  };
  try {
    // The flags the node needs on this kind of host: docs/kubernetes-offline.md. Unlike there, the node
    // is on podman's default bridge so that its API server can be published, on loopback only.
    const run = await podman(
      [
        'run', '-d', '--name', name, '--hostname', NODE, '--privileged',
        '--label', 'labdeck.kubetest=1',
        '--publish', '127.0.0.1::6443',
        '--ulimit', 'nofile=20000:20000', '--ulimit', 'nproc=8192:8192',
        '--tmpfs', '/tmp', '--tmpfs', '/run', '--volume', '/var',
        ...(opts.admissionPlugins?.length ? ['--env', `LABDECK_NODE_ADMISSION_PLUGINS=${opts.admissionPlugins.join(',')}`] : []),
        KUBE_NODE_IMAGE,
      ],
      { timeoutMs: 60_000 },
    );
    if (run.code !== 0) throw new Error(`podman run ${KUBE_NODE_IMAGE}: ${run.stderr.trim()}`);
    const port = (await podman(['port', name, '6443/tcp'])).stdout.trim().split(':').pop();
    if (!port || !/^\d+$/.test(port)) throw new Error(`no published API port for ${name}`);

    const deadline = Date.now() + (opts.readyTimeoutMs ?? 240_000);
    const until = async (what: string, check: () => Promise<boolean>): Promise<void> => {
      while (!(await check())) {
        if (Date.now() > deadline) {
          const logs = await podman(['logs', '--tail', '20', name]);
          throw new Error(`kube node ${name}: ${what} not within the deadline\n${logs.stdout}${logs.stderr}`);
        }
        await sleep(500);
      }
    };
    // The image goes into containerd while the control plane starts (both take tens of seconds).
    await until('containerd', async () => (await podman(['exec', name, 'ctr', 'version'])).code === 0);
    const loading = (async () => {
      if (!opts.images?.length) return null;
      const t = performance.now();
      for (const image of opts.images) {
        const r = await podmanPipe(['save', image], ['exec', '-i', name, 'ctr', '-n', 'k8s.io', 'images', 'import', '-'], 300_000);
        if (r.code !== 0) throw new Error(`load ${image} into ${name}: ${r.stderr.trim()}`);
      }
      return (performance.now() - t) / 1000;
    })();
    loading.catch(() => undefined);
    await until('node Ready', async () => {
      const r = await podman(['exec', name, 'kubectl', 'get', 'node', NODE, '-o', 'jsonpath={.status.conditions[?(@.type=="Ready")].status}']);
      return r.stdout.trim() === 'True';
    });
    const readySeconds = (performance.now() - started) / 1000;
    if (opts.admissionPlugins?.length) {
      // An image built before the variable existed would ignore it, and the test would prove nothing.
      // (The entrypoint writes the flag before it starts kubelet, so it is there once the node is Ready.)
      const flag = `--enable-admission-plugins=NodeRestriction,${opts.admissionPlugins.join(',')}`;
      const m = await podman(['exec', name, 'grep', '-c', '--', flag, '/etc/kubernetes/manifests/kube-apiserver.yaml']);
      if (m.stdout.trim() !== '1') throw new Error(`${KUBE_NODE_IMAGE} does not take LABDECK_NODE_ADMISSION_PLUGINS (its API server lacks ${flag}): rebuild it with \`npm run kube:build\``);
    }
    // The API server's certificate names 127.0.0.1 (kube/node/files/usr/local/bin/labdeck-node-pki).
    const admin = await podman(['exec', name, 'cat', '/etc/kubernetes/admin.conf']);
    if (admin.code !== 0) throw new Error(`read admin.conf: ${admin.stderr}`);
    await writeFile(kubeconfig, admin.stdout.replace(/server: https:\/\/[^\s]+/, `server: https://127.0.0.1:${port}`), { mode: 0o600 });
    await until('default ServiceAccount', async () => (await kubectl(['get', 'serviceaccount', 'default'])).code === 0);
    const imageLoadSeconds = await loading;
    return { name, kubeconfig, figures: { readySeconds, imageLoadSeconds }, kubectl, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

const DEPLOY_WORKSHOP = fileURLToPath(new URL('../../deploy/workshop.yaml', import.meta.url));

/**
 * deploy/workshop.yaml's objects for another workshop, as an operator copies the file: every
 * `labdeck-default` becomes `namespace`, the namespace's `labdeck.workshop` label `workshop`. As
 * JSON, for `kubectl apply -f -`. The server needs these before it can make a sandbox (issue 17 §8).
 */
export async function workshopObjects(namespace: string, workshop: string): Promise<string> {
  const rename = (v: unknown): unknown => {
    if (v === 'labdeck-default') return namespace;
    if (Array.isArray(v)) return v.map(rename);
    if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, k === 'labdeck.workshop' ? workshop : rename(x)]));
    return v;
  };
  const docs = YAML.parseAllDocuments(await readFile(DEPLOY_WORKSHOP, 'utf8')).map((d) => rename(d.toJS()));
  return JSON.stringify({ apiVersion: 'v1', kind: 'List', items: docs.filter(Boolean) });
}

/** Apply deploy/workshop.yaml for `workshop` in `namespace` on the node (admin credentials). */
export async function applyWorkshop(node: KubeNode, namespace: string, workshop: string): Promise<void> {
  const r = await node.kubectl(['apply', '-f', '-'], await workshopObjects(namespace, workshop));
  if (r.code !== 0) throw new Error(`apply deploy/workshop.yaml for ${namespace}: ${r.stderr}`);
}

/** Remove every test node a killed earlier run of this prefix left behind. */
export async function removeStaleKubeNodes(): Promise<void> {
  const ps = await podman(['ps', '-aq', '--filter', 'label=labdeck.kubetest=1', '--filter', `name=^${PREFIX}`]);
  for (const id of ps.stdout.split('\n').filter(Boolean)) {
    const n = (await podman(['inspect', '--format', '{{.Name}}', id])).stdout.trim();
    // Another run's node is alive if its pid is: leave it.
    const pid = Number(/-(\d+)-[0-9a-f]{6}$/.exec(n)?.[1]);
    if (!Number.isInteger(pid) || !isAlive(pid)) await podman(['rm', '-f', '-v', '-t', '0', id], { timeoutMs: 120_000 });
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
