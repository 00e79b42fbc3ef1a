/**
 * The one object the driver makes, as plain data: an attendee's pod. Everything else in the workshop's
 * namespace (the namespace with its Pod Security labels, ResourceQuota, LimitRange, NetworkPolicies,
 * the server's Role) is deploy/workshop.yaml's: the operator applies it, the server only reads it
 * (issue 17 §8: a server that could write its own policy could open it up). namespace.ts checks it.
 * Pure functions, so the unit tests see exactly what the driver sends.
 */
import type { V1Pod } from '@kubernetes/client-node';

/** Every pod the driver creates carries these; adopt() and the tests' clean-up select by them. */
export const LABEL_WORKSHOP = 'labdeck.workshop';
export const LABEL_MANAGED_BY = 'app.kubernetes.io/managed-by';
export const MANAGED_BY = 'labdeck';
/** The one container of a sandbox pod: exec names it. */
export const SANDBOX_CONTAINER = 'sandbox';
/** Where the pod's main process, the labdeck agent, listens for the server's relay (agent-relay.ts, issue 19 §1). */
export const AGENT_POD_SOCKET = '/run/labdeck/agent.sock';

/**
 * The capabilities a sandbox's root keeps; every other one is dropped (issue 17 §8). What a lab does as
 * root in its pod: install packages and own files (CHOWN, DAC_OVERRIDE, FOWNER, FSETID), run things as
 * another user (SETUID, SETGID: `su`, apt's `_apt`), signal processes of other users (KILL: also what
 * stop() and the shell sweep need), serve on a port below 1024 (NET_BIND_SERVICE). Dropped from the
 * runtime's default set: NET_RAW (raw sockets: spoofed packets to other pods; `ping` works without it,
 * through ICMP datagram sockets, see PING_GROUP_RANGE), MKNOD, SETFCAP, SETPCAP, SYS_CHROOT,
 * AUDIT_WRITE. All of these are in Pod Security's baseline list; restricted allows none but
 * NET_BIND_SERVICE (docs/kubernetes-driver.md says what restricted breaks).
 */
export const SANDBOX_CAPABILITIES = ['CHOWN', 'DAC_OVERRIDE', 'FOWNER', 'FSETID', 'SETUID', 'SETGID', 'KILL', 'NET_BIND_SERVICE'] as const;

/**
 * `ping` without NET_RAW: the sandbox image strips ping's file capability (sandbox/build-rootfs.sh) so
 * it falls back to ICMP datagram sockets, which the kernel allows to the groups in this range. A "safe"
 * sysctl (namespaced to the pod's network): allowed by baseline and restricted, and by PodSecurityPolicy
 * without listing it.
 */
export const PING_GROUP_RANGE = { name: 'net.ipv4.ping_group_range', value: '0 2147483647' };

export interface WorkshopSpec {
  workshop: string;
  namespace: string;
  image: string;
  imagePullPolicy: 'Always' | 'IfNotPresent' | 'Never';
  /** Per sandbox, as Kubernetes quantities (`1Gi`, `500m`). */
  limits: { cpu: string; memory: string };
  requests: { cpu: string; memory: string };
  runtimeClass: string | null;
}

function meta(spec: WorkshopSpec, name: string): { name: string; labels: Record<string, string> } {
  return { name, labels: { [LABEL_WORKSHOP]: spec.workshop, [LABEL_MANAGED_BY]: MANAGED_BY } };
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

/**
 * One attendee's sandbox. Its security context is what deploy/workshop.yaml's Pod Security level
 * (baseline) and deploy/psp/'s PodSecurityPolicy (Kubernetes up to 1.24) admit, and no more than a lab
 * needs: no privilege escalation (setuid binaries gain nothing), the runtime's default seccomp filter,
 * SANDBOX_CAPABILITIES only, no host namespaces, no service account token. Nested containers (podman
 * in the pod) need more than this allows: a RuntimeClass such as sysbox-runc (KUBE_RUNTIME_CLASS), never
 * `privileged`.
 */
export function podObject(spec: WorkshopSpec, name: string): V1Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: meta(spec, name),
    spec: {
      hostname: 'sandbox',
      // No host namespaces (the defaults, written out so that a reader and the tests see them).
      hostNetwork: false,
      hostPID: false,
      hostIPC: false,
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
      securityContext: { seccompProfile: { type: 'RuntimeDefault' }, sysctls: [{ ...PING_GROUP_RANGE }] },
      containers: [
        {
          name: SANDBOX_CONTAINER,
          image: spec.image,
          imagePullPolicy: spec.imagePullPolicy,
          // The pod's main process: the labdeck agent, which owns the shells (issue 19 §1, docs/agent.md).
          command: ['labdeck-agent', 'listen', AGENT_POD_SOCKET],
          workingDir: '/root',
          securityContext: {
            privileged: false,
            allowPrivilegeEscalation: false,
            capabilities: { drop: ['ALL'], add: [...SANDBOX_CAPABILITIES] },
          },
          resources: { limits: { ...spec.limits }, requests: { ...spec.requests } },
        },
      ],
    },
  };
}
