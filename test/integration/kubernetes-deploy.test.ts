/**
 * deploy/ (labdeck on Kubernetes) against a real API server: the offline node of test/support/kube.ts.
 * The kustomization is validated by kubectl (client-side, against the server's OpenAPI schema) and by a
 * server-side dry run, then applied for real; the driver then runs with the ServiceAccount's own token,
 * which proves the Role grants enough, and `kubectl auth can-i` proves it grants no more.
 *   node --import tsx --test test/integration/kubernetes-deploy.test.ts
 * LABDECK_SKIP_KUBE=1 skips it on a machine without the node image.
 */
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import YAML from 'yaml';
import { KubernetesDriver } from '../../server/sandbox/kubernetes/driver.js';
import { podman } from '../../server/sandbox/podman/cli.js';
import { removeStaleKubeNodes, startKubeNode, type KubeNode } from '../support/kube.js';

const skip = process.env.LABDECK_SKIP_KUBE === '1' ? 'LABDECK_SKIP_KUBE=1: kubernetes deploy tests skipped' : false;
const repo = fileURLToPath(new URL('../..', import.meta.url));
const SA = 'system:serviceaccount:labdeck:labdeck';

describe('deploy/ on a real API server', { skip }, () => {
  let node: KubeNode;
  const drivers: KubernetesDriver[] = [];

  before(async () => {
    await removeStaleKubeNodes();
    node = await startKubeNode({ images: ['localhost/labdeck-sandbox:latest'] });
    const cp = await podman(['cp', path.join(repo, 'deploy'), `${node.name}:/tmp/deploy`]);
    assert.equal(cp.code, 0, cp.stderr);
  }, { timeout: 10 * 60_000 });

  after(async () => {
    for (const d of drivers) await d.close();
    await node?.stop();
  }, { timeout: 5 * 60_000 });

  test('the kustomization is valid: schema-checked by kubectl and accepted by a server-side dry run', async () => {
    // A dry run creates nothing, so the objects inside the two namespaces need them to exist first.
    const ns = await node.kubectl(['apply', '-f', '/tmp/deploy/namespaces.yaml']);
    assert.equal(ns.code, 0, ns.stderr);
    const dry = await node.kubectl(['apply', '-k', '/tmp/deploy', '--dry-run=server', '-o', 'name']);
    assert.equal(dry.code, 0, dry.stderr);
    for (const o of ['namespace/labdeck', 'namespace/labdeck-default', 'serviceaccount/labdeck', 'role.rbac.authorization.k8s.io/labdeck-sandboxes',
      'rolebinding.rbac.authorization.k8s.io/labdeck-sandboxes', 'configmap/labdeck-settings', 'persistentvolumeclaim/labdeck-data',
      'deployment.apps/labdeck', 'service/labdeck']) {
      assert.ok(dry.stdout.split('\n').includes(o), `${o} missing from:\n${dry.stdout}`);
    }
    // Negative control: the same check refuses a broken object (an unknown field in the Deployment).
    const broken = await node.kubectl(['apply', '--dry-run=server', '-f', '-'], JSON.stringify({
      apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'x', namespace: 'default' },
      spec: { selector: { matchLabels: { a: 'b' } }, template: { metadata: { labels: { a: 'b' } }, spec: { containers: [{ name: 'c', image: 'i', livenessProbe: { httpGett: {} } }] } } },
    }));
    assert.notEqual(broken.code, 0, 'an unknown field passed the validation');
  });

  test('applied: the driver works with the ServiceAccount token alone (least RBAC is enough)', async () => {
    const apply = await node.kubectl(['apply', '-k', '/tmp/deploy']);
    assert.equal(apply.code, 0, apply.stderr);
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

    const driver = new KubernetesDriver({ workshop: 'default', kubeconfig, imagePullPolicy: 'Never', requests: { cpu: '10m', memory: '32Mi' }, maxPods: 4 });
    drivers.push(driver);
    const sb = await driver.create();
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
    for (const args of [
      ['create', 'pods', '-n', 'default'],
      ['create', 'pods', '-n', 'labdeck'],
      ['get', 'secrets', '-n', 'labdeck-default'],
      ['get', 'secrets', '-n', 'labdeck'],
      ['create', 'namespaces'],
      ['delete', 'namespaces/labdeck-default'],
      ['get', 'namespaces/labdeck', '-n', 'labdeck'],
      ['delete', 'resourcequotas', '-n', 'labdeck-default'],
      ['update', 'networkpolicies', '-n', 'labdeck-default'],
      ['create', 'rolebindings', '-n', 'labdeck-default'],
      ['list', 'nodes'],
      ['create', 'pods/exec', '-n', 'kube-system'],
    ]) {
      assert.equal(await can(args), 'no', `the ServiceAccount may ${args.join(' ')}`);
    }
  });
});
