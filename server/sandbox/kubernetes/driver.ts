/**
 * The `kubernetes` driver: one pod per sandbox, in one namespace per workshop, from the labdeck sandbox
 * image, whose main process is the labdeck agent; shells, checks and follows go through it over one
 * exec stream per sandbox (no kubectl). One concern per file: manifests.ts (the pod), namespace.ts (the
 * namespace the operator made, read and checked), network-policy.ts (what its policies allow),
 * channel.ts (an exec socket), agent-relay.ts (the one stream to the pod's agent), sandbox.ts (one pod),
 * and this driver (create, adopt, destroy). docs/kubernetes-driver.md has the design, the RBAC it needs
 * and what was measured.
 *
 * Which attendee has which sandbox is the store's fact (docs/architecture.md#the-sandbox-assignment),
 * so pods carry the workshop's label, never an attendee's: adopt() lists this workshop's pods and the
 * store says whose each one is.
 */
import { randomBytes } from 'node:crypto';
import {
  ApiException,
  CoreV1Api,
  KubeConfig,
  NetworkingV1Api,
  type V1Pod,
} from '@kubernetes/client-node';
import type { Config } from '../../config.js';
import type { DriverCheck, DriverInfo, ProgressListener, Sandbox, SandboxDriver } from '../driver.js';
import { cpuQuantity, memoryQuantity, LABEL_WORKSHOP, podObject, type WorkshopSpec } from './manifests.js';
import { missingError, namespaceChecks, probesFor, readNamespaceFacts } from './namespace.js';
import { KubernetesSandbox, api, errorText, podHealth } from './sandbox.js';

export interface KubernetesDriverOptions {
  /** Short name shared by every sandbox of this server: `[a-z0-9]([a-z0-9-]*[a-z0-9])?`, at most 40 chars. */
  workshop: string;
  /** A kubeconfig file; null: the in-cluster service account (labdeck running in a pod, deploy/). */
  kubeconfig: string | null;
  /** The workshop's namespace is `<prefix><workshop>`. */
  namespacePrefix?: string;
  image?: string;
  imagePullPolicy?: WorkshopSpec['imagePullPolicy'];
  /** Per-sandbox limits and requests as Kubernetes quantities. */
  limits?: WorkshopSpec['limits'];
  requests?: WorkshopSpec['requests'];
  /** A RuntimeClass (e.g. `sysbox-runc`, `kata`) for workshops that run nested containers; null for the cluster's default. */
  runtimeClass?: string | null;
  /** How long a new pod may take to run (image pull, scheduling). */
  startTimeoutMs?: number;
}

export const KUBERNETES_DEFAULTS = {
  namespacePrefix: 'labdeck-',
  image: 'localhost/labdeck-sandbox:latest',
  imagePullPolicy: 'IfNotPresent' as const,
  limits: { cpu: '1', memory: '1Gi' },
  requests: { cpu: '250m', memory: '256Mi' },
  runtimeClass: null,
  startTimeoutMs: 120_000,
};

const WORKSHOP_RE = /^[a-z0-9]([a-z0-9-]{0,38}[a-z0-9])?$/;

/** The driver the server's settings describe (select.ts): SANDBOX_IMAGE, _MEMORY and _CPUS are config.sandbox's, shared with podman. */
export function kubernetesDriverFor(config: Config): KubernetesDriver {
  const k = config.kubernetes;
  return new KubernetesDriver({
    workshop: config.workshop,
    kubeconfig: k.kubeconfig,
    namespacePrefix: k.namespacePrefix,
    image: config.sandbox.image,
    imagePullPolicy: k.imagePullPolicy,
    limits: { cpu: cpuQuantity(config.sandbox.cpus), memory: memoryQuantity(config.sandbox.memory) },
    requests: k.requests,
    runtimeClass: k.runtimeClass,
  });
}

/** Load the kubeconfig file, or the in-cluster service account when `file` is null. */
export function loadKubeConfig(file: string | null): KubeConfig {
  const kc = new KubeConfig();
  if (file) {
    try {
      kc.loadFromFile(file);
    } catch (err) {
      throw new Error(`KUBECONFIG=${file}: ${err instanceof Error ? err.message : String(err)}`);
    }
  } else if (process.env.KUBERNETES_SERVICE_HOST) {
    kc.loadFromCluster();
  } else {
    throw new Error('SANDBOX=kubernetes needs KUBECONFIG=<a kubeconfig file>, or labdeck running in a pod (its service account: deploy/)');
  }
  if (!kc.getCurrentCluster()) throw new Error(`no cluster in ${file ?? 'the in-cluster configuration'}`);
  return kc;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class KubernetesDriver implements SandboxDriver {
  readonly info: DriverInfo;
  readonly namespace: string;
  private readonly spec: WorkshopSpec;
  private readonly kc: KubeConfig;
  private readonly core: CoreV1Api;
  private readonly net: NetworkingV1Api;
  private readonly startTimeoutMs: number;
  private readonly sandboxes = new Map<string, KubernetesSandbox>();
  /** The namespace and its policy objects, checked once per driver (create() awaits it). */
  private prepared: Promise<void> | null = null;

  constructor(options: KubernetesDriverOptions) {
    if (!WORKSHOP_RE.test(options.workshop)) {
      throw new Error(`workshop name ${JSON.stringify(options.workshop)} must match ${WORKSHOP_RE} (it is part of a namespace name)`);
    }
    const o = { ...KUBERNETES_DEFAULTS, ...options };
    this.namespace = `${o.namespacePrefix}${o.workshop}`;
    if (!/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/.test(this.namespace)) throw new Error(`namespace ${JSON.stringify(this.namespace)} is not a valid name`);
    this.spec = {
      workshop: o.workshop,
      namespace: this.namespace,
      image: o.image,
      imagePullPolicy: o.imagePullPolicy,
      limits: o.limits,
      requests: o.requests,
      runtimeClass: o.runtimeClass,
    };
    this.startTimeoutMs = o.startTimeoutMs;
    this.kc = loadKubeConfig(o.kubeconfig);
    this.core = this.kc.makeApiClient(CoreV1Api);
    this.net = this.kc.makeApiClient(NetworkingV1Api);
    this.info = {
      name: 'kubernetes',
      isolation: o.runtimeClass ? `pod (runtime class ${o.runtimeClass})` : 'pod',
      warnings: [],
    };
  }

  /** The pod this driver sends (podObject's input), for the tests. */
  get workshopSpec(): WorkshopSpec {
    return this.spec;
  }

  /**
   * Check, once, that the operator's namespace holds what deploy/workshop.yaml makes (namespace.ts):
   * the server never creates or changes it (issue 17 §8), so a missing object fails every create()
   * with its name until it is applied. Then wait for the namespace's default ServiceAccount, which the
   * controller-manager makes a moment after the namespace (a pod created before it is refused).
   */
  private prepare(): Promise<void> {
    this.prepared ??= (async () => {
      const ns = this.namespace;
      const missing = missingError(await readNamespaceFacts(this.core, this.net, ns));
      if (missing) throw missing;
      const end = Date.now() + 30_000;
      for (;;) {
        try {
          await api('read the default ServiceAccount', this.core.readNamespacedServiceAccount({ name: 'default', namespace: ns }));
          return;
        } catch (err) {
          if (!(err instanceof ApiException && err.code === 404) || Date.now() > end) throw err;
          await sleep(200);
        }
      }
    })().catch((err: unknown) => {
      this.prepared = null;
      throw new Error(`prepare namespace ${this.namespace}: ${errorText(err)}`);
    });
    return this.prepared;
  }

  /**
   * `npm run doctor`: the namespace's objects and Pod Security label, and whether its NetworkPolicies
   * deny a sandbox the cloud metadata service, the API server (as this server reaches it) and another
   * sandbox (namespace.ts).
   */
  async checks(): Promise<DriverCheck[]> {
    let facts;
    try {
      facts = await readNamespaceFacts(this.core, this.net, this.namespace);
    } catch (err) {
      return [{ name: `namespace ${this.namespace}`, ok: false, detail: errorText(err) }];
    }
    let podIp: string | null = null;
    if (facts.labels) {
      const pods = await api('list pods', this.core.listNamespacedPod({ namespace: this.namespace, labelSelector: `${LABEL_WORKSHOP}=${this.spec.workshop}` })).catch(() => null);
      podIp = pods?.items.find((p) => p.status?.podIP)?.status?.podIP ?? null;
    }
    const server = this.kc.getCurrentCluster()?.server ?? '';
    return namespaceChecks(facts, await probesFor(server, podIp, facts.labels ?? {}));
  }

  async create(onProgress?: ProgressListener): Promise<Sandbox> {
    onProgress?.('namespace', 0.1);
    await this.prepare();
    const name = `sandbox-${randomBytes(5).toString('hex')}`;
    onProgress?.('pod', 0.3);
    try {
      await api('create pod', this.core.createNamespacedPod({ namespace: this.namespace, body: podObject(this.spec, name) }));
    } catch (err) {
      throw new Error(`create pod ${this.namespace}/${name}: ${errorText(err)}`);
    }
    try {
      const pod = await this.waitRunning(name, onProgress);
      const sandbox = new KubernetesSandbox(name, this.namespace, createdAt(pod), this.kc, this.core);
      // Ready when its agent says hello through the relay.
      onProgress?.('ready', 0.9);
      await sandbox.connect().catch((err: unknown) => {
        sandbox.close('creation failed');
        throw new Error(`pod ${name}: its agent did not answer: ${errorText(err)}`);
      });
      this.sandboxes.set(name, sandbox);
      onProgress?.('ready', 1);
      return sandbox;
    } catch (err) {
      await this.deletePod(name).catch(() => undefined);
      throw err;
    }
  }

  /** Poll the pod until its container runs; fail early, with the reason, when it cannot. */
  private async waitRunning(name: string, onProgress?: ProgressListener): Promise<V1Pod> {
    const end = Date.now() + this.startTimeoutMs;
    let why = 'not scheduled yet';
    for (let delay = 50; ; delay = Math.min(delay * 2, 500)) {
      const pod = await api(`read pod ${name}`, this.core.readNamespacedPod({ name, namespace: this.namespace }));
      if (podHealth(pod) === 'running') return pod;
      const phase = pod.status?.phase ?? 'Pending';
      const waiting = pod.status?.containerStatuses?.[0]?.state?.waiting;
      if (phase === 'Failed' || phase === 'Succeeded') throw new Error(`pod ${name} ended (${pod.status?.reason ?? phase}): ${pod.status?.message ?? ''}`);
      // Waiting reasons that will not fix themselves: no image to run. Others can: a node that has
      // just turned Ready reports CreateContainerConfigError ("services have not yet been read") for
      // a second or two (measured); they fail at the deadline, with their reason.
      if (waiting?.reason && /^(ErrImageNeverPull|InvalidImageName)$/.test(waiting.reason)) {
        throw new Error(`pod ${name} cannot start: ${waiting.reason}: ${waiting.message ?? ''}`);
      }
      const unschedulable = pod.status?.conditions?.find((c) => c.type === 'PodScheduled' && c.status === 'False');
      why = waiting?.reason ?? unschedulable?.message ?? phase;
      onProgress?.('starting', 0.5);
      if (Date.now() + delay > end) throw new Error(`pod ${name} not running after ${this.startTimeoutMs} ms: ${why}`);
      await sleep(delay);
    }
  }

  async adopt(): Promise<Sandbox[]> {
    let pods: V1Pod[];
    try {
      pods = (await api('list pods', this.core.listNamespacedPod({ namespace: this.namespace, labelSelector: `${LABEL_WORKSHOP}=${this.spec.workshop}` }))).items;
    } catch (err) {
      if (err instanceof ApiException && err.code === 404) return [];
      throw new Error(`list sandboxes in ${this.namespace}: ${errorText(err)}`);
    }
    const adopted: Sandbox[] = [];
    for (const pod of pods) {
      const name = pod.metadata?.name;
      if (!name || pod.metadata?.labels?.[LABEL_WORKSHOP] !== this.spec.workshop) continue;
      // A pod that died, or was still starting when the server stopped, is not worth the wait: gone. So
      // is one from a server before the agent (its main process is not the agent): nothing can attach.
      if (podHealth(pod) !== 'running' || pod.spec?.containers[0]?.command?.[0] !== 'labdeck-agent') {
        if (!pod.metadata?.deletionTimestamp) await this.deletePod(name);
        continue;
      }
      let sandbox = this.sandboxes.get(name);
      if (!sandbox) {
        sandbox = new KubernetesSandbox(name, this.namespace, createdAt(pod), this.kc, this.core);
        this.sandboxes.set(name, sandbox);
      }
      adopted.push(sandbox);
    }
    return adopted;
  }

  async destroy(sandbox: Sandbox): Promise<void> {
    const s = this.sandboxes.get(sandbox.id);
    if (s) {
      s.link.killShells();
      s.destroyed = true;
      s.close('the sandbox was destroyed');
    }
    await this.deletePod(sandbox.id);
    this.sandboxes.delete(sandbox.id);
  }

  /** Paused overnight: see KubernetesSandbox.stop (a pod keeps its files only while it exists). */
  async stop(sandbox: Sandbox): Promise<void> {
    const s = this.sandboxes.get(sandbox.id);
    if (!s) throw new Error(`not a sandbox of this driver: ${sandbox.id}`);
    await s.stop();
  }

  async start(sandbox: Sandbox): Promise<void> {
    const s = this.sandboxes.get(sandbox.id);
    if (!s) throw new Error(`not a sandbox of this driver: ${sandbox.id}`);
    await s.start();
  }

  /** Delete at once (grace 0: the sandbox's processes get SIGKILL); a pod already gone is fine. */
  private async deletePod(name: string): Promise<void> {
    try {
      await api(`delete pod ${name}`, this.core.deleteNamespacedPod({ name, namespace: this.namespace, gracePeriodSeconds: 0 }));
    } catch (err) {
      if (err instanceof ApiException && err.code === 404) return;
      throw new Error(`destroy ${this.namespace}/${name}: ${errorText(err)}`);
    }
  }

  /** The server stops: shells still attached end (detached ones live on in their pods), relays close. */
  async close(): Promise<void> {
    for (const s of this.sandboxes.values()) {
      s.link.killShells();
      s.close('the server is stopping');
    }
    this.sandboxes.clear();
  }
}

function createdAt(pod: V1Pod): number {
  const t = pod.metadata?.creationTimestamp;
  return t ? new Date(t).getTime() : Date.now();
}
