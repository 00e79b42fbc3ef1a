/**
 * The sandbox namespace as the operator made it (deploy/workshop.yaml), read and checked; never
 * written. Issue 17 §8: a server that may create or change its namespace's NetworkPolicy, quota or
 * limits can open them up, so its Role only reads them; the driver refuses to make sandboxes in a
 * namespace that lacks one of them, and says which, and `npm run doctor` also checks what the egress
 * policies really allow (network-policy.ts).
 */
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { ApiException, type CoreV1Api, type NetworkingV1Api, type V1NetworkPolicy } from '@kubernetes/client-node';
import type { DriverCheck } from '../driver.js';
import { egressAllowed, type Destination } from './network-policy.js';
import { api, errorText } from './sandbox.js';

/**
 * What deploy/workshop.yaml must have made in the namespace. The names are this table's (one owner);
 * a unit test holds workshop.yaml to it.
 */
export const REQUIRED_OBJECTS = [
  { kind: 'ResourceQuota', name: 'labdeck-sandboxes', why: 'bounds the pods, CPU and memory of the workshop' },
  { kind: 'LimitRange', name: 'labdeck-sandbox-bounds', why: 'bounds each container' },
  { kind: 'NetworkPolicy', name: 'labdeck-no-ingress', why: 'denies connections into a sandbox' },
  { kind: 'NetworkPolicy', name: 'labdeck-sandbox-egress', why: 'denies connections from a sandbox to the cluster, the API server and link-local addresses' },
] as const;

/** Pod Security Admission's label (Kubernetes 1.23 beta, 1.25 GA); older clusters ignore it. */
export const POD_SECURITY_ENFORCE = 'pod-security.kubernetes.io/enforce';

const FIX = 'apply deploy/workshop.yaml for this workshop (docs/kubernetes-driver.md)';

export interface NamespaceFacts {
  namespace: string;
  /** The namespace's labels; null when it does not exist. */
  labels: Record<string, string> | null;
  /** `Kind/name` of each REQUIRED_OBJECTS entry found. */
  present: Set<string>;
  policies: V1NetworkPolicy[];
}

const is404 = (err: unknown): boolean => err instanceof ApiException && err.code === 404;

/** Read the namespace and what it must hold; an error other than "not found" (forbidden…) is thrown, named. */
export async function readNamespaceFacts(core: CoreV1Api, net: NetworkingV1Api, namespace: string): Promise<NamespaceFacts> {
  const facts: NamespaceFacts = { namespace, labels: null, present: new Set(), policies: [] };
  const step = async <T>(what: string, call: () => Promise<T>): Promise<T | null> => {
    try {
      return await api(what, call());
    } catch (err) {
      if (is404(err)) return null;
      throw new Error(`${what} in namespace ${namespace}: ${errorText(err)}; the server only reads the namespace: ${FIX}`);
    }
  };
  const ns = await step('read the namespace', () => core.readNamespace({ name: namespace }));
  if (!ns) return facts;
  facts.labels = ns.metadata?.labels ?? {};
  for (const o of REQUIRED_OBJECTS) {
    if (o.kind === 'NetworkPolicy') continue;
    const read = (): Promise<unknown> => o.kind === 'ResourceQuota'
      ? core.readNamespacedResourceQuota({ name: o.name, namespace })
      : core.readNamespacedLimitRange({ name: o.name, namespace });
    if (await step(`read ${o.kind} ${o.name}`, read)) facts.present.add(`${o.kind}/${o.name}`);
  }
  const list = await step('list NetworkPolicies', () => net.listNamespacedNetworkPolicy({ namespace }));
  facts.policies = list?.items ?? [];
  for (const p of facts.policies) facts.present.add(`NetworkPolicy/${p.metadata?.name ?? ''}`);
  return facts;
}

/** What the namespace lacks, one phrase each; empty when the driver may make sandboxes in it. */
export function missingObjects(facts: NamespaceFacts): string[] {
  if (!facts.labels) return [`the namespace ${facts.namespace} itself`];
  return REQUIRED_OBJECTS.filter((o) => !facts.present.has(`${o.kind}/${o.name}`)).map((o) => `${o.kind} ${o.name} (${o.why})`);
}

/** The error create() fails with when something is missing: every missing object at once, and the fix. */
export function missingError(facts: NamespaceFacts): Error | null {
  const missing = missingObjects(facts);
  if (missing.length === 0) return null;
  return new Error(`namespace ${facts.namespace} lacks ${missing.join('; ')}: the server does not create them (issue 17 §8); ${FIX}`);
}

/** An address a sandbox must not reach, by name. */
export interface Probe {
  name: string;
  to: Destination;
}

/**
 * The addresses doctor probes: the API server as this server reaches it (an IP, or its name resolved),
 * the cloud metadata service, and another sandbox when one is running.
 */
export async function probesFor(apiServer: string, podIp: string | null, namespaceLabels: Record<string, string>): Promise<Probe[]> {
  const probes: Probe[] = [{ name: 'the cloud metadata service', to: { ip: '169.254.169.254' } }];
  let host = apiServer;
  try {
    host = new URL(apiServer).hostname.replace(/^\[|\]$/g, '');
  } catch {
    /* not a URL: taken as a host */
  }
  const ip = isIP(host) ? host : await lookup(host).then((a) => a.address, () => null);
  // A loopback address (a published or forwarded port on this machine) is the pod's own loopback
  // from inside a pod: nothing a policy governs, and not where the pod would find the API server.
  if (ip && !/^127\.|^::1$/.test(ip)) probes.push({ name: `the API server (${host})`, to: { ip } });
  if (podIp) probes.push({ name: 'another sandbox', to: { ip: podIp, pod: { namespaceLabels } } });
  return probes;
}

/** doctor's lines for the namespace: each required object, the Pod Security label, and each probe denied. */
export function namespaceChecks(facts: NamespaceFacts, probes: Probe[]): DriverCheck[] {
  const ns = facts.namespace;
  if (!facts.labels) return [{ name: `namespace ${ns}`, ok: false, detail: 'does not exist (the server does not create it)', fix: FIX }];
  const checks: DriverCheck[] = [{ name: `namespace ${ns}`, ok: true, detail: 'exists' }];
  const level = facts.labels[POD_SECURITY_ENFORCE];
  checks.push(
    level
      ? { name: 'Pod Security', ok: true, detail: `enforce=${level} (Pod Security Admission, Kubernetes 1.23+; before 1.25 PodSecurityPolicy can do it instead: deploy/psp/)` }
      : { name: 'Pod Security', ok: false, detail: `no ${POD_SECURITY_ENFORCE} label: nothing stops a privileged or hostPath pod in ${ns}`, fix: FIX },
  );
  for (const o of REQUIRED_OBJECTS) {
    const found = facts.present.has(`${o.kind}/${o.name}`);
    checks.push(found ? { name: `${o.kind} ${o.name}`, ok: true, detail: 'present' } : { name: `${o.kind} ${o.name}`, ok: false, detail: `missing (it ${o.why})`, fix: FIX });
  }
  for (const p of probes) {
    const r = egressAllowed(facts.policies, p.to);
    checks.push({
      name: `egress to ${p.name} (${p.to.ip})`,
      ok: !r.allowed,
      detail: r.allowed ? `allowed: ${r.why}` : 'denied by the NetworkPolicies (enforced only by a CNI that implements them)',
      ...(r.allowed ? { fix: `deny ${p.to.ip} in NetworkPolicy labdeck-sandbox-egress (an \`except\` entry: deploy/workshop.yaml) and allow nothing wider in another policy` } : {}),
    });
  }
  return checks;
}
