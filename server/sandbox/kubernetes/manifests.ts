/**
 * The Kubernetes objects of a workshop, as plain data: its namespace, the namespace's ResourceQuota,
 * LimitRange and NetworkPolicy, and one attendee's pod. Pure functions, so the unit tests and the
 * deploy/ dry-run test see exactly what the driver sends.
 */
import type { V1LimitRange, V1Namespace, V1NetworkPolicy, V1Pod, V1ResourceQuota } from '@kubernetes/client-node';

/** Every object the driver creates carries these; adopt() and the tests' clean-up select by them. */
export const LABEL_WORKSHOP = 'labdeck.workshop';
export const LABEL_MANAGED_BY = 'app.kubernetes.io/managed-by';
export const MANAGED_BY = 'labdeck';
/** The one container of a sandbox pod: exec names it. */
export const SANDBOX_CONTAINER = 'sandbox';
/** Where the pod's main process, the labdeck agent, listens for the server's relay (agent-relay.ts, issue 19 §1). */
export const AGENT_POD_SOCKET = '/run/labdeck/agent.sock';

export interface WorkshopSpec {
  workshop: string;
  namespace: string;
  image: string;
  imagePullPolicy: 'Always' | 'IfNotPresent' | 'Never';
  /** Per sandbox, as Kubernetes quantities (`1Gi`, `500m`). */
  limits: { cpu: string; memory: string };
  requests: { cpu: string; memory: string };
  /** Sandbox pods the namespace may hold at once (the ResourceQuota's `pods`). */
  maxPods: number;
  runtimeClass: string | null;
}

function meta(spec: WorkshopSpec, name: string): { name: string; labels: Record<string, string> } {
  return { name, labels: { [LABEL_WORKSHOP]: spec.workshop, [LABEL_MANAGED_BY]: MANAGED_BY } };
}

export function namespaceObject(spec: WorkshopSpec): V1Namespace {
  return { apiVersion: 'v1', kind: 'Namespace', metadata: meta(spec, spec.namespace) };
}

/** podman's `--memory` form (`1g`, `512m`, bytes) as a Kubernetes quantity (`1Gi`, `512Mi`). */
export function memoryQuantity(podmanMemory: string): string {
  const m = /^(\d+)([bkmg]?)$/i.exec(podmanMemory);
  if (!m) throw new Error(`not a memory size: ${podmanMemory}`);
  const unit = { '': '', b: '', k: 'Ki', m: 'Mi', g: 'Gi' }[m[2]!.toLowerCase()] ?? '';
  return `${m[1]}${unit}`;
}

/** A number of CPUs as a Kubernetes quantity, in millicores when it is not whole. */
export function cpuQuantity(cpus: number): string {
  if (!(cpus > 0)) throw new Error(`not a number of CPUs: ${cpus}`);
  return Number.isInteger(cpus) ? String(cpus) : `${Math.max(1, Math.round(cpus * 1000))}m`;
}

/** Scale a quantity like `1Gi` or `500m` by a whole number, keeping its unit. */
export function timesQuantity(quantity: string, n: number): string {
  const m = /^(\d+(?:\.\d+)?)([a-zA-Z]*)$/.exec(quantity);
  if (!m) throw new Error(`not a Kubernetes quantity: ${quantity}`);
  const value = Number(m[1]) * n;
  return `${Number.isInteger(value) ? value : value.toFixed(3)}${m[2]}`;
}

/**
 * The namespace can never hold more than `maxPods` sandboxes, nor more than that many sandboxes' worth
 * of CPU and memory: a runaway pool or a bug cannot take the cluster down with it.
 */
export function quotaObject(spec: WorkshopSpec): V1ResourceQuota {
  return {
    apiVersion: 'v1',
    kind: 'ResourceQuota',
    metadata: meta(spec, 'labdeck-sandboxes'),
    spec: {
      hard: {
        pods: String(spec.maxPods),
        'requests.cpu': timesQuantity(spec.requests.cpu, spec.maxPods),
        'requests.memory': timesQuantity(spec.requests.memory, spec.maxPods),
        'limits.cpu': timesQuantity(spec.limits.cpu, spec.maxPods),
        'limits.memory': timesQuantity(spec.limits.memory, spec.maxPods),
      },
    },
  };
}

/** Any container in the namespace (an attendee's `kubectl run` too, if RBAC ever allowed it) gets the sandbox's bounds. */
export function limitRangeObject(spec: WorkshopSpec): V1LimitRange {
  return {
    apiVersion: 'v1',
    kind: 'LimitRange',
    metadata: meta(spec, 'labdeck-sandbox-bounds'),
    spec: {
      limits: [{ type: 'Container', _default: { ...spec.limits }, defaultRequest: { ...spec.requests }, max: { ...spec.limits } }],
    },
  };
}

/**
 * No ingress to any pod of the namespace: an attendee's pod cannot open a connection to another's (nor
 * can anything else in the cluster). Egress stays open (labs download things). Enforced only by a CNI
 * plugin that implements NetworkPolicy (Calico, Cilium, kube-router…); the offline node's `bridge`
 * plugin accepts the object and enforces nothing (docs/kubernetes-driver.md).
 */
export function networkPolicyObject(spec: WorkshopSpec): V1NetworkPolicy {
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: meta(spec, 'labdeck-no-ingress'),
    spec: { podSelector: {}, policyTypes: ['Ingress'] },
  };
}

export function podObject(spec: WorkshopSpec, name: string): V1Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: meta(spec, name),
    spec: {
      hostname: 'sandbox',
      // The pause container becomes PID 1 and reaps the attendee's orphans (podman's --init).
      shareProcessNamespace: true,
      // No credentials of the cluster inside an attendee's pod, and no list of the namespace's services.
      automountServiceAccountToken: false,
      enableServiceLinks: false,
      // A sandbox that dies stays dead and is reported (health() → stopped): restarting it in place
      // would hand the attendee an empty box without telling them.
      restartPolicy: 'Never',
      terminationGracePeriodSeconds: 0,
      ...(spec.runtimeClass ? { runtimeClassName: spec.runtimeClass } : {}),
      containers: [
        {
          name: SANDBOX_CONTAINER,
          image: spec.image,
          imagePullPolicy: spec.imagePullPolicy,
          command: ['labdeck-agent', 'listen', AGENT_POD_SOCKET],
          workingDir: '/root',
          resources: { limits: { ...spec.limits }, requests: { ...spec.requests } },
        },
      ],
    },
  };
}
