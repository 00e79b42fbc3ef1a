/**
 * The kubernetes driver's pure parts: the pod it sends, quantities, exit statuses, pod health, the
 * pod's main command, its settings. What the cluster does with them is test/integration/kubernetes-driver.test.ts;
 * deploy/'s objects are kubernetes-deploy.test.ts's (and namespace.test.ts's).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { V1Pod } from '@kubernetes/client-node';
import { ConfigError, loadConfig } from '../../config.js';
import { exitCodeOf } from './channel.js';
import { loadKubeConfig } from './driver.js';
import { cpuQuantity, memoryQuantity, PING_GROUP_RANGE, podObject, SANDBOX_CAPABILITIES, type WorkshopSpec } from './manifests.js';
import { api, podHealth } from './sandbox.js';

const spec: WorkshopSpec = {
  workshop: 'w1',
  namespace: 'labdeck-w1',
  image: 'registry.example/labdeck-sandbox:1',
  imagePullPolicy: 'IfNotPresent',
  limits: { cpu: '1', memory: '1Gi' },
  requests: { cpu: '250m', memory: '256Mi' },
  runtimeClass: null,
};

test('quantities: podman sizes and CPU counts as Kubernetes quantities', () => {
  for (const [from, to] of [['1g', '1Gi'], ['512m', '512Mi'], ['64K', '64Ki'], ['1048576', '1048576'], ['7b', '7']] as const) assert.equal(memoryQuantity(from), to);
  assert.throws(() => memoryQuantity('1.5g'), /not a memory size/);
  assert.deepEqual([cpuQuantity(1), cpuQuantity(2), cpuQuantity(0.5), cpuQuantity(0.0001)], ['1', '2', '500m', '1m']);
});

/** Pod Security Standards' baseline: the only capabilities a container may add (kubernetes.io, "Pod Security Standards"). */
const BASELINE_CAPABILITIES = ['AUDIT_WRITE', 'CHOWN', 'DAC_OVERRIDE', 'FOWNER', 'FSETID', 'KILL', 'MKNOD', 'NET_BIND_SERVICE', 'SETFCAP', 'SETGID', 'SETPCAP', 'SETUID', 'SYS_CHROOT'];

test('pod security context (issue 17 §8): no escalation, RuntimeDefault seccomp, every capability dropped but the sandbox list, no host namespaces', () => {
  const pod = podObject(spec, 'sandbox-1');
  const c = pod.spec!.containers[0]!;
  assert.deepEqual(c.securityContext, { privileged: false, allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'], add: [...SANDBOX_CAPABILITIES] } });
  assert.deepEqual(pod.spec?.securityContext, { seccompProfile: { type: 'RuntimeDefault' }, sysctls: [PING_GROUP_RANGE] });
  assert.deepEqual([pod.spec?.hostNetwork, pod.spec?.hostPID, pod.spec?.hostIPC], [false, false, false]);
  assert.equal(pod.spec?.volumes, undefined, 'no volume at all, so no hostPath');
  // Within what baseline admits, and without the ones dropped on purpose (manifests.ts says why).
  for (const cap of SANDBOX_CAPABILITIES) assert.ok(BASELINE_CAPABILITIES.includes(cap), `${cap} is beyond baseline`);
  for (const cap of ['NET_RAW', 'MKNOD', 'SYS_ADMIN', 'NET_ADMIN', 'SYS_PTRACE']) assert.ok(!(SANDBOX_CAPABILITIES as readonly string[]).includes(cap), cap);
});

test('pod: no cluster credentials, no service links, not restarted in place, runtime class only when set', () => {
  const pod = podObject(spec, 'sandbox-1');
  assert.equal(pod.spec?.automountServiceAccountToken, false);
  assert.equal(pod.spec?.enableServiceLinks, false);
  assert.equal(pod.spec?.restartPolicy, 'Never');
  assert.equal(pod.spec?.shareProcessNamespace, true);
  assert.equal(pod.spec?.runtimeClassName, undefined);
  assert.equal(pod.metadata?.labels?.['labdeck.workshop'], 'w1');
  assert.equal(podObject({ ...spec, runtimeClass: 'kata' }, 'x').spec?.runtimeClassName, 'kata');
});

test('exit status frames: success, a non-zero code, and a failure without one', () => {
  assert.equal(exitCodeOf({ status: 'Success' }), 0);
  assert.equal(exitCodeOf({ status: 'Failure', reason: 'NonZeroExitCode', details: { causes: [{ reason: 'ExitCode', message: '3' }] } }), 3);
  assert.equal(exitCodeOf({ status: 'Failure', message: 'command not found' }), null);
});

test('pod health: running only with the sandbox container running; evicted, failed, terminating are stopped', () => {
  const running: V1Pod = { status: { phase: 'Running', containerStatuses: [{ name: 'sandbox', state: { running: {} }, ready: true, restartCount: 0, image: '', imageID: '' }] } };
  assert.equal(podHealth(running), 'running');
  assert.equal(podHealth({ status: { phase: 'Failed', reason: 'Evicted' } }), 'stopped');
  assert.equal(podHealth({ ...running, metadata: { deletionTimestamp: new Date() } }), 'stopped');
  assert.equal(podHealth({ status: { phase: 'Running', containerStatuses: [{ name: 'sandbox', state: { terminated: { exitCode: 137 } }, ready: false, restartCount: 0, image: '', imageID: '' }] } }), 'stopped');
});

test('pod: its main process is the labdeck agent, listening for the server relay (issue 19 §1)', () => {
  assert.deepEqual(podObject(spec, 'x').spec?.containers[0]?.command, ['labdeck-agent', 'listen', '/run/labdeck/agent.sock']);
});

test('settings: SANDBOX=kubernetes and its variables; bad values name the variable', () => {
  const c = loadConfig({ SANDBOX: 'kubernetes', KUBECONFIG: 'kc.yaml', KUBE_RUNTIME_CLASS: 'kata' }, '/srv', []);
  assert.equal(c.sandbox.kind, 'kubernetes');
  assert.equal(c.requireJoin, true);
  assert.equal(c.poolSize, 2);
  assert.deepEqual(c.kubernetes, {
    kubeconfig: '/srv/kc.yaml',
    namespacePrefix: 'labdeck-',
    runtimeClass: 'kata',
    imagePullPolicy: 'IfNotPresent',
    requests: { cpu: '250m', memory: '256Mi' },
  });
  assert.deepEqual(c.sandbox, { kind: 'kubernetes', image: 'localhost/labdeck-sandbox:latest', memory: '1g', cpus: 1 });
  // The quota is deploy/workshop.yaml's now: a setting that no longer does anything stops the start.
  assert.throws(() => loadConfig({ KUBE_MAX_PODS: '12' }, '/srv', []), (e: unknown) => e instanceof ConfigError && /KUBE_MAX_PODS=12: .*deploy\/workshop.yaml/.test(e.message));
  assert.equal(loadConfig({ SANDBOX: 'kubernetes' }, '/srv', []).kubernetes.kubeconfig, null);
  assert.throws(() => loadConfig({ KUBE_MEMORY_REQUEST: 'lots' }, '/srv', []), (e: unknown) => e instanceof ConfigError && /KUBE_MEMORY_REQUEST=lots/.test(e.message));
  assert.throws(() => loadConfig({ KUBE_RUNTIME_CLASS: 'Kata!' }, '/srv', []), /KUBE_RUNTIME_CLASS/);
  assert.throws(() => loadConfig({ KUBE_IMAGE_PULL_POLICY: 'sometimes' }, '/srv', []), /KUBE_IMAGE_PULL_POLICY/);
});

test('kubeconfig: a missing file and a missing cluster are named, not a stack trace', () => {
  assert.throws(() => loadKubeConfig('/nonexistent/kubeconfig'), /KUBECONFIG=\/nonexistent\/kubeconfig/);
  const saved = process.env.KUBERNETES_SERVICE_HOST;
  delete process.env.KUBERNETES_SERVICE_HOST;
  try {
    assert.throws(() => loadKubeConfig(null), /needs KUBECONFIG/);
  } finally {
    if (saved !== undefined) process.env.KUBERNETES_SERVICE_HOST = saved;
  }
});

test('an API call that never answers is given up with its name, not awaited for ever', async () => {
  await assert.rejects(api('read pod x', new Promise(() => undefined), 50), /read pod x: no answer from the API server within 50 ms/);
  assert.equal(await api('fast', Promise.resolve(7), 50), 7);
});
