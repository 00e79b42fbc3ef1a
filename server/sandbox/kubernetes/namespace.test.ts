/**
 * deploy/workshop.yaml and deploy/psp/ held to what the driver needs and to issue 17 §8, read from the
 * files themselves: the objects the driver requires, a Role that only reads them, and NetworkPolicies
 * that deny a sandbox link-local addresses, the API server and the cluster's ranges. The policies are
 * evaluated by the NetworkPolicy rules (network-policy.ts) because the offline test node's CNI enforces
 * none; the API server's acceptance of the same files is kubernetes-deploy.test.ts's.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import type { V1NetworkPolicy } from '@kubernetes/client-node';
import YAML from 'yaml';
import { SANDBOX_CAPABILITIES } from './manifests.js';
import { missingError, missingObjects, namespaceChecks, POD_SECURITY_ENFORCE, REQUIRED_OBJECTS, type NamespaceFacts } from './namespace.js';
import { egressAllowed, inCidr, type Destination } from './network-policy.js';

interface K8sObject {
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  rules?: Array<{ resources: string[]; verbs: string[] }>;
  spec?: Record<string, unknown>;
}

const read = (file: string): K8sObject[] =>
  YAML.parseAllDocuments(readFileSync(new URL(`../../../deploy/${file}`, import.meta.url), 'utf8')).map((d) => d.toJS() as K8sObject).filter(Boolean);
const workshop = read('workshop.yaml');
const policies = workshop.filter((o) => o.kind === 'NetworkPolicy') as unknown as V1NetworkPolicy[];
const namespace = workshop.find((o) => o.kind === 'Namespace')!;

test('workshop.yaml holds every object the driver requires, in its namespace, and the Pod Security labels', () => {
  for (const r of REQUIRED_OBJECTS) {
    const o = workshop.find((x) => x.kind === r.kind && x.metadata.name === r.name);
    assert.ok(o, `${r.kind} ${r.name} missing from deploy/workshop.yaml`);
    assert.equal(o.metadata.namespace, namespace.metadata.name);
  }
  assert.equal(namespace.metadata.labels?.[POD_SECURITY_ENFORCE], 'baseline');
  assert.equal(namespace.metadata.labels?.['pod-security.kubernetes.io/warn'], 'restricted');
  assert.equal(namespace.metadata.labels?.['pod-security.kubernetes.io/audit'], 'restricted');
  // The server's own namespace: restricted, which its pod meets (deployment.yaml).
  assert.equal(read('namespaces.yaml')[0]!.metadata.labels?.[POD_SECURITY_ENFORCE], 'restricted');
});

test("the server's Role reads the namespace's policy objects and cannot write them", () => {
  const role = workshop.find((o) => o.kind === 'Role')!;
  for (const resource of ['resourcequotas', 'limitranges', 'networkpolicies', 'namespaces']) {
    const verbs = role.rules!.filter((r) => r.resources.includes(resource)).flatMap((r) => r.verbs);
    assert.ok(verbs.includes('get'), `${resource}: get`);
    for (const v of ['create', 'update', 'patch', 'delete', 'deletecollection', '*']) assert.ok(!verbs.includes(v), `${resource}: ${v} granted`);
  }
});

test('the sandbox PodSecurityPolicy allows exactly the capabilities the pods add, and requires dropping the rest', () => {
  const psp = read('psp/psp.yaml').find((o) => o.kind === 'PodSecurityPolicy' && o.metadata.name === 'labdeck-sandbox')!;
  assert.deepEqual(psp.spec?.allowedCapabilities, [...SANDBOX_CAPABILITIES]);
  assert.deepEqual(psp.spec?.requiredDropCapabilities, ['ALL']);
  assert.equal(psp.spec?.privileged, false);
  assert.ok(!(psp.spec?.volumes as string[]).includes('hostPath'));
});

const sandboxNs = { namespaceLabels: namespace.metadata.labels ?? {} };
/** Where a sandbox must not connect (issue 17 §8), on the address plans of kind and of common clouds. */
const DENIED: Array<[string, Destination]> = [
  ['cloud metadata service', { ip: '169.254.169.254' }],
  ['node-local DNS cache', { ip: '169.254.20.10' }],
  ['API server ClusterIP (kind, kubeadm)', { ip: '10.96.0.1' }],
  ['API server ClusterIP (a /12 service range)', { ip: '10.100.0.1' }],
  ['API server on a kind node', { ip: '172.18.0.2' }],
  ['the labdeck Service (a ClusterIP)', { ip: '10.96.123.45' }],
  ['another sandbox (kind pod range)', { ip: '10.244.0.7', pod: sandboxNs }],
  ['a pod in a 192.168 range (Calico default)', { ip: '192.168.12.3', pod: { namespaceLabels: { 'kubernetes.io/metadata.name': 'labdeck' } } }],
  ['a pod in the shared address space', { ip: '100.64.3.4', pod: sandboxNs }],
  ['AWS metadata over IPv6', { ip: 'fd00:ec2::254' }],
  ['an IPv6 link-local address', { ip: 'fe80::1' }],
];
const ALLOWED: Array<[string, Destination]> = [
  ['an address on the internet', { ip: '192.0.2.10' }],
  ['another on the internet', { ip: '203.0.113.200' }],
  ['an IPv6 internet address', { ip: '2001:db8::10' }],
  // Port 53 there; ports are not evaluated (network-policy.ts).
  ['the cluster DNS in kube-system', { ip: '10.244.0.2', pod: { namespaceLabels: { 'kubernetes.io/metadata.name': 'kube-system' } } }],
];

for (const [what, to] of DENIED) {
  test(`workshop.yaml's NetworkPolicies deny a sandbox: ${what} (${to.ip})`, () => {
    const r = egressAllowed(policies, to);
    assert.equal(r.allowed, false, r.why);
  });
}
for (const [what, to] of ALLOWED) {
  test(`workshop.yaml's NetworkPolicies allow a sandbox: ${what} (${to.ip})`, () => {
    assert.equal(egressAllowed(policies, to).allowed, true);
  });
}

test('egress evaluation follows the NetworkPolicy rules: no policy, ingress-only, an open rule, a declared exception', () => {
  const to = { ip: '10.0.0.5' };
  assert.equal(egressAllowed([], to).allowed, true, 'no policy: not isolated');
  assert.equal(egressAllowed(policies.filter((p) => p.metadata?.name === 'labdeck-no-ingress'), to).allowed, true, 'ingress-only');
  const open: V1NetworkPolicy = { metadata: { name: 'open' }, spec: { podSelector: {}, policyTypes: ['Egress'], egress: [{}] } };
  assert.match(egressAllowed([...policies, open], to).why, /open egress\[0\] allows every destination/);
  // The workshop's declaration (labdeck-egress-allow) adds to the default, and opens only what it names.
  const proxy: V1NetworkPolicy = { metadata: { name: 'labdeck-egress-allow' }, spec: { podSelector: {}, policyTypes: ['Egress'], egress: [{ to: [{ ipBlock: { cidr: '10.20.0.5/32' } }], ports: [{ protocol: 'TCP', port: 3128 }] }] } };
  assert.equal(egressAllowed([...policies, proxy], { ip: '10.20.0.5' }).allowed, true);
  assert.equal(egressAllowed([...policies, proxy], { ip: '10.20.0.6' }).allowed, false);
  // Without types, a policy with egress rules isolates egress; an empty one does not.
  assert.equal(egressAllowed([{ metadata: { name: 'x' }, spec: { podSelector: {}, egress: [{ to: [{ ipBlock: { cidr: '1.2.3.0/24' } }] }] } }], to).allowed, false);
});

test('inCidr: both families, bad input is no match (never a throw)', () => {
  assert.equal(inCidr('10.1.2.3', '10.0.0.0/8'), true);
  assert.equal(inCidr('11.1.2.3', '10.0.0.0/8'), false);
  assert.equal(inCidr('fd00:ec2::254', 'fc00::/7'), true);
  assert.equal(inCidr('10.1.2.3', 'fc00::/7'), false);
  for (const bad of ['10.0.0.0', '10.0.0.0/33', 'x/8', '']) assert.equal(inCidr('10.1.2.3', bad), false, bad);
  assert.equal(inCidr('not-an-ip', '0.0.0.0/0'), false);
});

test('a namespace lacking objects: every missing one named at once, with the fix; doctor says the same', () => {
  const facts: NamespaceFacts = { namespace: 'labdeck-x', labels: {}, present: new Set(['ResourceQuota/labdeck-sandboxes']), policies: [] };
  assert.deepEqual(missingObjects(facts).map((m) => m.split(' (')[0]), ['LimitRange labdeck-sandbox-bounds', 'NetworkPolicy labdeck-no-ingress', 'NetworkPolicy labdeck-sandbox-egress']);
  assert.match(missingError(facts)!.message, /^namespace labdeck-x lacks LimitRange labdeck-sandbox-bounds .*; NetworkPolicy labdeck-sandbox-egress .*the server does not create them .*deploy\/workshop.yaml/);
  assert.match(missingError({ ...facts, labels: null })!.message, /lacks the namespace labdeck-x itself/);
  const checks = namespaceChecks(facts, [{ name: 'the cloud metadata service', to: { ip: '169.254.169.254' } }]);
  const failed = checks.filter((c) => !c.ok).map((c) => c.name);
  assert.deepEqual(failed, ['Pod Security', 'LimitRange labdeck-sandbox-bounds', 'NetworkPolicy labdeck-no-ingress', 'NetworkPolicy labdeck-sandbox-egress', 'egress to the cloud metadata service (169.254.169.254)']);
  const complete: NamespaceFacts = { namespace: 'labdeck-default', labels: namespace.metadata.labels ?? {}, present: new Set(REQUIRED_OBJECTS.map((o) => `${o.kind}/${o.name}`)), policies };
  assert.equal(missingError(complete), null);
  assert.deepEqual(namespaceChecks(complete, [{ name: 'm', to: { ip: '169.254.169.254' } }]).filter((c) => !c.ok), []);
});
