/**
 * deploy/ (labdeck on Kubernetes) against a real API server: the offline node of test/support/kube.ts,
 * started with the PodSecurityPolicy admission plugin on (Kubernetes 1.20 has no Pod Security
 * Admission; deploy/psp/ stands in for workshop.yaml's labels there, issue 17 §8). The kustomizations
 * are validated by kubectl (client-side, against the server's OpenAPI schema) and by a server-side dry
 * run, then applied for real; a privileged or hostPath pod in the sandbox namespace is refused while
 * the driver's own pods run; the driver runs with the ServiceAccount's own token, which proves the
 * Role grants enough, and `kubectl auth can-i` proves it grants no more. Last, the server's own image
 * (deploy/image/build.sh, built or reused in before()) runs as the Deployment.
 *   node --import tsx --test test/integration/kubernetes-deploy.test.ts
 * LABDECK_SKIP_KUBE=1 skips it on a machine without the node image.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import YAML from 'yaml';
import type { V1NetworkPolicy } from '@kubernetes/client-node';
import { KubernetesDriver } from '../../server/sandbox/kubernetes/driver.js';
import { egressAllowed } from '../../server/sandbox/kubernetes/network-policy.js';
import { podman } from '../../server/sandbox/podman/cli.js';
import { removeStaleKubeNodes, startKubeNode, type KubeNode } from '../support/kube.js';

const skip = process.env.LABDECK_SKIP_KUBE === '1' ? 'LABDECK_SKIP_KUBE=1: kubernetes deploy tests skipped' : false;
const repo = fileURLToPath(new URL('../..', import.meta.url));
const SA = 'system:serviceaccount:labdeck:labdeck';
const VERSION = (JSON.parse(await readFile(path.join(repo, 'package.json'), 'utf8')) as { version: string }).version;
/** deploy/image/build.sh's image: what the Deployment runs (deploy/kustomization.yaml `images:`); LABDECK_SERVER_IMAGE as the script takes it. */
const SERVER_IMAGE = process.env.LABDECK_SERVER_IMAGE ?? `localhost/labdeck-server:${VERSION}`;
const SERVER_IMAGE_NAME = SERVER_IMAGE.slice(0, SERVER_IMAGE.lastIndexOf(':'));
const SERVER_IMAGE_TAG = SERVER_IMAGE.slice(SERVER_IMAGE.lastIndexOf(':') + 1);
/** sandbox/build.sh's image, loaded into the node for the pods (LABDECK_SANDBOX_IMAGE as the script takes it). */
const SANDBOX_IMAGE = process.env.LABDECK_SANDBOX_IMAGE ?? 'localhost/labdeck-sandbox:latest';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('deploy/ on a real API server', { skip }, () => {
  let node: KubeNode;
  const drivers: KubernetesDriver[] = [];

  before(async () => {
    await removeStaleKubeNodes();
    // Cached by its stamp (under a second when nothing changed; about 80 s when the app did).
    const build = spawnSync('bash', [path.join(repo, 'deploy/image/build.sh')], { encoding: 'utf8', timeout: 8 * 60_000 });
    assert.equal(build.status, 0, `deploy/image/build.sh failed:\n${build.stdout}${build.stderr}`);
    node = await startKubeNode({ images: [SANDBOX_IMAGE, SERVER_IMAGE], admissionPlugins: ['PodSecurityPolicy'] });
    const cp = await podman(['cp', path.join(repo, 'deploy'), `${node.name}:/tmp/deploy`]);
    assert.equal(cp.code, 0, cp.stderr);
  }, { timeout: 15 * 60_000 });

  after(async () => {
    for (const d of drivers) await d.close();
    await node?.stop();
  }, { timeout: 5 * 60_000 });

  test('the kustomizations are valid: schema-checked by kubectl and accepted by a server-side dry run', async () => {
    // A dry run creates nothing, so the objects inside the two namespaces need them to exist first.
    const workshopNs = YAML.parseAllDocuments(await readFile(path.join(repo, 'deploy/workshop.yaml'), 'utf8')).map((d) => d.toJS() as { kind: string }).filter((o) => o?.kind === 'Namespace');
    for (const stdin of [await readFile(path.join(repo, 'deploy/namespaces.yaml'), 'utf8'), JSON.stringify({ apiVersion: 'v1', kind: 'List', items: workshopNs })]) {
      const ns = await node.kubectl(['apply', '-f', '-'], stdin);
      assert.equal(ns.code, 0, ns.stderr);
    }
    const dry = await node.kubectl(['apply', '-k', '/tmp/deploy', '--dry-run=server', '-o', 'name']);
    assert.equal(dry.code, 0, dry.stderr);
    for (const o of ['namespace/labdeck', 'namespace/labdeck-default', 'serviceaccount/labdeck', 'role.rbac.authorization.k8s.io/labdeck-sandboxes',
      'rolebinding.rbac.authorization.k8s.io/labdeck-sandboxes', 'configmap/labdeck-settings', 'persistentvolumeclaim/labdeck-data',
      'deployment.apps/labdeck', 'service/labdeck', 'resourcequota/labdeck-sandboxes', 'limitrange/labdeck-sandbox-bounds',
      'networkpolicy.networking.k8s.io/labdeck-no-ingress', 'networkpolicy.networking.k8s.io/labdeck-sandbox-egress', 'networkpolicy.networking.k8s.io/labdeck-egress-allow']) {
      assert.ok(dry.stdout.split('\n').includes(o), `${o} missing from:\n${dry.stdout}`);
    }
    const psp = await node.kubectl(['apply', '-k', '/tmp/deploy/psp', '--dry-run=server', '-o', 'name']);
    assert.equal(psp.code, 0, psp.stderr);
    for (const o of ['podsecuritypolicy.policy/labdeck-sandbox', 'podsecuritypolicy.policy/labdeck-server', 'rolebinding.rbac.authorization.k8s.io/labdeck-psp-sandbox']) {
      assert.ok(psp.stdout.split('\n').includes(o), `${o} missing from:\n${psp.stdout}`);
    }
    // Negative control: the same check refuses a broken object (an unknown field in the Deployment).
    const broken = await node.kubectl(['apply', '--dry-run=server', '-f', '-'], JSON.stringify({
      apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'x', namespace: 'default' },
      spec: { selector: { matchLabels: { a: 'b' } }, template: { metadata: { labels: { a: 'b' } }, spec: { containers: [{ name: 'c', image: 'i', livenessProbe: { httpGett: {} } }] } } },
    }));
    assert.notEqual(broken.code, 0, 'an unknown field passed the validation');
  });

  test('applied: the NetworkPolicies as the API server stored them (after kubectl 1.20\'s kustomize) deny a sandbox the cluster and link-local addresses', async () => {
    for (const dir of ['/tmp/deploy', '/tmp/deploy/psp']) {
      const apply = await node.kubectl(['apply', '-k', dir]);
      assert.equal(apply.code, 0, apply.stderr);
    }
    const got = await node.kubectl(['get', 'networkpolicies', '-n', 'labdeck-default', '-o', 'json']);
    assert.equal(got.code, 0, got.stderr);
    const policies = (JSON.parse(got.stdout) as { items: V1NetworkPolicy[] }).items;
    assert.equal(policies.length, 3);
    const sandboxNs = { namespaceLabels: { 'kubernetes.io/metadata.name': 'labdeck-default' } };
    for (const to of [{ ip: '169.254.169.254' }, { ip: '10.96.0.1' }, { ip: '172.18.0.2' }, { ip: '10.244.0.9', pod: sandboxNs }]) {
      assert.equal(egressAllowed(policies, to).allowed, false, `a sandbox may reach ${to.ip}`);
    }
    // DNS stays open: the kube-system peer kept no label of kustomize's commonLabels.
    assert.equal(egressAllowed(policies, { ip: '10.244.0.2', pod: { namespaceLabels: { 'kubernetes.io/metadata.name': 'kube-system' } } }).allowed, true);
    assert.equal(egressAllowed(policies, { ip: '192.0.2.10' }).allowed, true);
  });

  test('PodSecurityPolicy (Kubernetes 1.20): a privileged, hostPath, host-namespace or extra-capability pod in the sandbox namespace is refused; the sandbox pod is admitted', async () => {
    const pod = (name: string, patch: { spec?: object; container?: object }) => JSON.stringify({
      apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'labdeck-default' },
      spec: {
        automountServiceAccountToken: false,
        containers: [{ name: 'c', image: SANDBOX_IMAGE, imagePullPolicy: 'Never', command: ['sleep', 'infinity'],
          resources: { requests: { cpu: '10m', memory: '32Mi' } },
          securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } }, ...patch.container }],
        ...patch.spec,
      },
    });
    // As the server's ServiceAccount would (a compromised server is the case: it may create pods there).
    const asServer = (body: string) => node.kubectl(['create', `--as=${SA}`, '--dry-run=server', '-o', 'name', '-f', '-'], body);
    // Positive control: the same pod without the escalation is admitted, by labdeck-sandbox.
    const plain = await asServer(pod('plain', {}));
    assert.equal(plain.code, 0, plain.stderr);
    // Each refused for its own reason, named by the policy (`PodSecurityPolicy: unable to admit pod: [<field>: …]`).
    const refused: Array<[string, { spec?: object; container?: object }, RegExp]> = [
      ['privileged', { container: { securityContext: { privileged: true } } }, /securityContext\.privileged: Invalid value: true/],
      ['hostpath', { spec: { volumes: [{ name: 'root', hostPath: { path: '/' } }] }, container: { volumeMounts: [{ name: 'root', mountPath: '/host' }] } }, /"hostPath": hostPath volumes are not allowed/],
      ['hostpid', { spec: { hostPID: true } }, /hostPID: Invalid value: true/],
      ['hostnetwork', { spec: { hostNetwork: true } }, /hostNetwork: Invalid value: true/],
      ['sysadmin', { container: { securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'], add: ['SYS_ADMIN'] } } } }, /capabilities\.add: Invalid value: "SYS_ADMIN"/],
      ['escalation', { container: { securityContext: { allowPrivilegeEscalation: true } } }, /allowPrivilegeEscalation: Invalid value: true/],
    ];
    for (const [name, patch, why] of refused) {
      const r = await asServer(pod(name, patch));
      assert.notEqual(r.code, 0, `${name} pod admitted in labdeck-default`);
      assert.match(r.stderr, /is forbidden: PodSecurityPolicy: unable to admit pod/, `${name}: ${r.stderr}`);
      assert.match(r.stderr, why, `${name}: ${r.stderr}`);
    }
    // PodSecurityPolicy also asks who creates the pod: a cluster-admin may use every policy, so its own
    // privileged pod passes (Pod Security Admission's namespace label would refuse it: docs).
    const admin = await node.kubectl(['create', '--dry-run=server', '-o', 'name', '-f', '-'], pod('admin-privileged', refused[0]![1]));
    assert.equal(admin.code, 0, admin.stderr);
  });

  test('applied: the driver works with the ServiceAccount token alone (least RBAC is enough), its pods admitted by PodSecurityPolicy', async () => {
    // Kubernetes 1.20 makes a token Secret for every ServiceAccount (the token controller, a moment later).
    let token = '';
    for (let i = 0; i < 60 && !token; i++) {
      const secret = await node.kubectl(['-n', 'labdeck', 'get', 'sa', 'labdeck', '-o', 'jsonpath={.secrets[0].name}']);
      if (secret.stdout.trim()) {
        const data = await node.kubectl(['-n', 'labdeck', 'get', 'secret', secret.stdout.trim(), '-o', 'jsonpath={.data.token}']);
        token = Buffer.from(data.stdout.trim(), 'base64').toString('utf8');
      }
      if (!token) await new Promise((r) => setTimeout(r, 500));
    }
    assert.ok(token, 'no token for the labdeck ServiceAccount');
    const admin = YAML.parse(await readFile(node.kubeconfig, 'utf8')) as { clusters: unknown[] };
    const kubeconfig = `${node.kubeconfig}.labdeck-sa`;
    await writeFile(kubeconfig, YAML.stringify({
      apiVersion: 'v1', kind: 'Config', clusters: admin.clusters,
      users: [{ name: 'labdeck', user: { token } }],
      contexts: [{ name: 'labdeck', context: { cluster: (admin.clusters[0] as { name: string }).name, user: 'labdeck' } }],
      'current-context': 'labdeck',
    }), { mode: 0o600 });

    const driver = new KubernetesDriver({ workshop: 'default', kubeconfig, image: SANDBOX_IMAGE, imagePullPolicy: 'Never', requests: { cpu: '10m', memory: '32Mi' } });
    drivers.push(driver);
    const sb = await driver.create();
    const psp = await node.kubectl(['get', 'pod', '-n', 'labdeck-default', sb.id, '-o', 'jsonpath={.metadata.annotations.kubernetes\\.io/psp}']);
    assert.equal(psp.stdout, 'labdeck-sandbox', 'the sandbox pod was admitted by another policy');
    const r = await sb.exec(['sh', '-c', 'echo in-$(hostname)']);
    assert.deepEqual([r.code, r.stdout], [0, 'in-sandbox\n'], r.stderr);
    const shell = await sb.attach({ cols: 80, rows: 24 });
    const seen = new Promise<void>((resolve) => shell.onData((c) => c.toString().includes('rbac-ok-7') && resolve()));
    shell.write('echo rbac-ok-$((3+4))\r');
    await seen;
    shell.kill();
    assert.deepEqual((await driver.adopt()).map((s) => s.id), [sb.id]);
    await driver.destroy(sb);
    assert.equal(await sb.health(), 'missing');

    // A workshop whose namespace the operator did not make: refused, and the message says where.
    const other = new KubernetesDriver({ workshop: 'other', kubeconfig, imagePullPolicy: 'Never' });
    drivers.push(other);
    await assert.rejects(other.create(), /prepare namespace labdeck-other: .*forbidden/i);
  });

  test('the ServiceAccount can do nothing else: no secrets, no other namespace, nothing cluster-wide', async () => {
    const can = async (args: string[]): Promise<string> => (await node.kubectl(['auth', 'can-i', `--as=${SA}`, ...args])).stdout.trim();
    // Positive controls: what the driver needs.
    assert.equal(await can(['create', 'pods', '-n', 'labdeck-default']), 'yes');
    assert.equal(await can(['create', 'pods/exec', '-n', 'labdeck-default']), 'yes');
    // A namespace's own object is authorised as inside it (what the Role's namespaces rule relies on).
    assert.equal(await can(['get', 'namespaces/labdeck-default', '-n', 'labdeck-default']), 'yes');
    assert.equal(await can(['list', 'networkpolicies', '-n', 'labdeck-default']), 'yes');
    assert.equal(await can(['get', 'resourcequotas', '-n', 'labdeck-default']), 'yes');
    for (const args of [
      ['create', 'pods', '-n', 'default'],
      ['create', 'pods', '-n', 'labdeck'],
      ['get', 'secrets', '-n', 'labdeck-default'],
      ['get', 'secrets', '-n', 'labdeck'],
      ['create', 'namespaces'],
      ['delete', 'namespaces/labdeck-default'],
      ['get', 'namespaces/labdeck', '-n', 'labdeck'],
      // Issue 17 §8: the namespace's bounds are the operator's; the server reads them.
      ['delete', 'resourcequotas', '-n', 'labdeck-default'],
      ['create', 'resourcequotas', '-n', 'labdeck-default'],
      ['update', 'limitranges', '-n', 'labdeck-default'],
      ['create', 'limitranges', '-n', 'labdeck-default'],
      ['update', 'networkpolicies', '-n', 'labdeck-default'],
      ['create', 'networkpolicies', '-n', 'labdeck-default'],
      ['delete', 'networkpolicies', '-n', 'labdeck-default'],
      ['patch', 'namespaces/labdeck-default', '-n', 'labdeck-default'],
      ['use', 'podsecuritypolicies/labdeck-server', '-n', 'labdeck-default'],
      ['create', 'rolebindings', '-n', 'labdeck-default'],
      ['list', 'nodes'],
      ['create', 'pods/exec', '-n', 'kube-system'],
    ]) {
      assert.equal(await can(args), 'no', `the ServiceAccount may ${args.join(' ')}`);
    }
  });

  test('the server image runs in the cluster: Deployment Ready, /healthz through the Service, its pool made and re-adopted with the ServiceAccount', { timeout: 8 * 60_000 }, async () => {
    // What this node lacks and a real cluster has, and nothing else, goes into a test overlay over
    // deploy/ (applied by the same kubectl -k): no kube-proxy, so the in-cluster client is pointed at the
    // API server's own address (the `kubernetes` Service's endpoint) instead of its ClusterIP; no
    // storage provisioner, so a hostPath volume pre-bound to the PVC; the images loaded above.
    const ep = await node.kubectl(['get', 'endpoints', 'kubernetes', '-o', 'jsonpath={.subsets[0].addresses[0].ip} {.subsets[0].ports[0].port}']);
    const [apiHost, apiPort] = ep.stdout.trim().split(' ');
    assert.ok(apiHost && apiPort, `no endpoint for the kubernetes Service: ${ep.stdout}${ep.stderr}`);
    const dataDir = '/var/lib/labdeck-test-data';
    const mk = await podman(['exec', node.name, 'install', '-d', '-o', '10001', '-g', '10001', '-m', '0700', dataDir]);
    assert.equal(mk.code, 0, mk.stderr);
    const pv = await node.kubectl(['apply', '-f', '-'], JSON.stringify({
      apiVersion: 'v1', kind: 'PersistentVolume', metadata: { name: 'labdeck-test-data' },
      spec: {
        capacity: { storage: '1Gi' }, accessModes: ['ReadWriteOnce'], storageClassName: '',
        hostPath: { path: dataDir, type: 'Directory' }, claimRef: { namespace: 'labdeck', name: 'labdeck-data' },
      },
    }));
    assert.equal(pv.code, 0, pv.stderr);

    const dir = await mkdtemp(path.join(os.tmpdir(), 'labdeck-overlay-'));
    try {
      await writeFile(path.join(dir, 'kustomization.yaml'), YAML.stringify({
        apiVersion: 'kustomize.config.k8s.io/v1beta1', kind: 'Kustomization',
        // `bases:`, not `resources:`: the kustomize in kubectl 1.20 (v2.0.3) takes a directory only there.
        bases: ['../deploy'],
        // An overlay's images: match the name the base has already set (deploy/kustomization.yaml).
        images: [{ name: 'registry.example.org/labdeck-server', newName: SERVER_IMAGE_NAME, newTag: SERVER_IMAGE_TAG }],
        patchesStrategicMerge: ['settings.yaml', 'deployment.yaml'],
      }));
      await writeFile(path.join(dir, 'settings.yaml'), YAML.stringify({
        apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'labdeck-settings', namespace: 'labdeck' },
        data: {
          SANDBOX_IMAGE, KUBE_IMAGE_PULL_POLICY: 'Never', POOL_SIZE: '1',
          KUBE_CPU_REQUEST: '10m', KUBE_MEMORY_REQUEST: '32Mi', PUBLIC_URL: 'http://labdeck.test',
        },
      }));
      await writeFile(path.join(dir, 'deployment.yaml'), YAML.stringify({
        apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'labdeck', namespace: 'labdeck' },
        spec: { template: { spec: { containers: [{
          name: 'labdeck', imagePullPolicy: 'Never',
          env: [{ name: 'KUBERNETES_SERVICE_HOST', value: apiHost }, { name: 'KUBERNETES_SERVICE_PORT', value: apiPort }],
          resources: { requests: { cpu: '50m', memory: '128Mi' } },
        }] } } },
      }));
      const cp = await podman(['cp', dir, `${node.name}:/tmp/overlay`]);
      assert.equal(cp.code, 0, cp.stderr);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
    const apply = await node.kubectl(['apply', '-k', '/tmp/overlay']);
    assert.equal(apply.code, 0, apply.stderr);
    const image = await node.kubectl(['-n', 'labdeck', 'get', 'deploy', 'labdeck', '-o', 'jsonpath={.spec.template.spec.containers[0].image}']);
    assert.equal(image.stdout, SERVER_IMAGE);

    const diagnose = async (): Promise<string> => {
      const pods = await node.kubectl(['-n', 'labdeck', 'describe', 'pods']);
      const logs = await node.kubectl(['-n', 'labdeck', 'logs', 'deploy/labdeck', '--tail', '40']);
      return `${pods.stdout.slice(-3000)}\n--- server log ---\n${logs.stdout}${logs.stderr}`;
    };
    const ready = async (): Promise<void> => {
      // The startup probe allows 120 s (deployment.yaml); on 2 busy cores the server starts in seconds.
      const r = await node.kubectl(['-n', 'labdeck', 'rollout', 'status', 'deploy/labdeck', '--timeout=50s']);
      if (r.code !== 0) assert.fail(`the Deployment did not become Ready: ${r.stdout}${r.stderr}\n${await diagnose()}`);
    };
    await ready();
    // Admitted under PodSecurityPolicy by the server's own policy (non-root, no capability).
    const serverPsp = await node.kubectl(['-n', 'labdeck', 'get', 'pods', '-l', 'app.kubernetes.io/component=server', '-o', 'jsonpath={.items[*].metadata.annotations.kubernetes\\.io/psp}']);
    assert.equal(serverPsp.stdout, 'labdeck-server');

    // Through the Service, with kubectl port-forward from this host (the node has no kube-proxy): kubectl
    // resolves svc/labdeck by its selector and named target port. The Host is PUBLIC_URL's, as an Ingress
    // would pass it; the server's Host check refuses any other (the API server's own service proxy
    // forwards its own Host, so it gets a 421, which is why it is not used here).
    const body = await viaPortForward(node.kubeconfig, '/healthz', 'labdeck.test');
    assert.equal(body.status, 200, `${body.text}\n${await diagnose()}`);
    const health = JSON.parse(body.text) as { ok: boolean; labs: number };
    assert.equal(health.ok, true, body.text);
    assert.ok(health.labs > 0, `no labs in the image: ${body.text}`);
    // Negative control: the same route with a name that is not the server's.
    assert.equal((await viaPortForward(node.kubeconfig, '/healthz', 'evil.example')).status, 421);

    // The server filled its pool (POOL_SIZE=1) in labdeck-default, with the ServiceAccount's own token:
    // the in-cluster config, the Role and the sandbox image by name.
    const poolPods = async (): Promise<string[]> => {
      const r = await node.kubectl(['-n', 'labdeck-default', 'get', 'pods', '-l', 'labdeck.workshop=default', '-o', 'jsonpath={.items[*].metadata.name}']);
      return r.stdout.split(' ').filter(Boolean).sort();
    };
    let pooled: string[] = [];
    for (let i = 0; i < 120 && pooled.length === 0; i++) {
      pooled = await poolPods();
      if (pooled.length === 0) await sleep(500);
    }
    assert.equal(pooled.length, 1, `the server made no pool pod: ${await diagnose()}`);
    const running = await node.kubectl(['-n', 'labdeck-default', 'wait', '--for=condition=Ready', `pod/${pooled[0]}`, '--timeout=90s']);
    assert.equal(running.code, 0, `${running.stdout}${running.stderr}`);

    // A new server pod (Recreate) lists the pods with the ServiceAccount and re-adopts the warm one:
    // still one pod, the same one, and the log says so.
    const old = await node.kubectl(['-n', 'labdeck', 'get', 'pods', '-l', 'app.kubernetes.io/component=server', '-o', 'jsonpath={.items[0].metadata.name}']);
    const del = await node.kubectl(['-n', 'labdeck', 'delete', 'pod', old.stdout.trim(), '--wait=true']);
    assert.equal(del.code, 0, del.stderr);
    let next = '';
    for (let i = 0; i < 120 && !next; i++) {
      const r = await node.kubectl(['-n', 'labdeck', 'get', 'pods', '-l', 'app.kubernetes.io/component=server', '-o', 'jsonpath={.items[*].metadata.name}']);
      next = r.stdout.split(' ').find((n) => n && n !== old.stdout.trim()) ?? '';
      if (!next) await sleep(500);
    }
    assert.ok(next, 'no new server pod after the old one was deleted');
    const again = await node.kubectl(['-n', 'labdeck', 'wait', '--for=condition=Ready', `pod/${next}`, '--timeout=50s']);
    assert.equal(again.code, 0, `${again.stdout}${again.stderr}\n${await diagnose()}`);
    let log = '';
    for (let i = 0; i < 60 && !log.includes('re-adopted'); i++) {
      log = (await node.kubectl(['-n', 'labdeck', 'logs', `pod/${next}`])).stdout;
      if (!log.includes('re-adopted')) await sleep(500);
    }
    assert.match(log, /re-adopted sandboxes from a previous run adopted=1/, log);
    assert.deepEqual(await poolPods(), pooled);
  });
});

/**
 * GET `target` from svc/labdeck through `kubectl port-forward` (this host's kubectl, a free loopback
 * port), with the given Host header; the forward ends with the request. Bounded: 30 s in all.
 */
async function viaPortForward(kubeconfig: string, target: string, host: string): Promise<{ status: number; text: string }> {
  const pf = spawn('kubectl', ['--kubeconfig', kubeconfig, '-n', 'labdeck', 'port-forward', '--address', '127.0.0.1', 'svc/labdeck', ':80'], { stdio: ['ignore', 'pipe', 'pipe'] });
  const timer = setTimeout(() => pf.kill('SIGKILL'), 30_000);
  try {
    let out = '';
    const port = await new Promise<number>((resolve, reject) => {
      pf.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        const m = /Forwarding from 127\.0\.0\.1:(\d+)/.exec(out);
        if (m) resolve(Number(m[1]));
      });
      pf.stderr.on('data', (d: Buffer) => (out += d.toString()));
      pf.on('close', (code) => reject(new Error(`kubectl port-forward ended (${code}): ${out}`)));
    });
    return await new Promise((resolve, reject) => {
      const req = http.get({ host: '127.0.0.1', port, path: target, headers: { host }, timeout: 20_000 }, (res) => {
        let text = '';
        res.on('data', (d: Buffer) => (text += d.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
      });
      req.on('timeout', () => req.destroy(new Error(`GET ${target} via port-forward: no answer in 20 s`)));
      req.on('error', reject);
    });
  } finally {
    clearTimeout(timer);
    pf.kill('SIGTERM');
  }
}
