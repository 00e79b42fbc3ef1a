/**
 * One Kubernetes sandbox: a pod with one container whose main process is the labdeck agent. Shells,
 * checks and follows all ride on one agent connection (agent/link.ts), carried by one exec stream per
 * sandbox (agent-relay.ts): a shell outlives the stream and the server, a restarted server re-attaches
 * to it and gets its screen back from the agent's ring, and a killed shell is swept by the agent,
 * which can never catch a newer shell (issue 18 bug 1, issue 19 §1).
 */
import { ApiException, type CoreV1Api, type KubeConfig, type V1Pod } from '@kubernetes/client-node';
import type { Disposable, ExecOptions, ExecResult, FollowListener, Sandbox, SandboxHealth, Shell, TermSize } from '../driver.js';
import { MAIN_TERMINAL } from '../driver.js';
import { AgentLink, type LinkLog } from '../agent/link.js';
import { homePath } from '../file-follow.js';
import { openRelay } from './agent-relay.js';
import { SANDBOX_CONTAINER } from './manifests.js';

/** The attendee's home inside the pod. */
const SANDBOX_HOME = '/root';
/** How long attach and exec wait for the relay and the agent's hello. */
const AGENT_WAIT_MS = 30_000;
/** Backoff between attempts to open the relay again after it dropped. */
const RELAY_RETRY_MIN_MS = 500;
const RELAY_RETRY_MAX_MS = 10_000;

/** What a pod's status means for the attendee: running, or stopped (evicted, failed, its container dead). */
export function podHealth(pod: V1Pod): SandboxHealth {
  if (pod.metadata?.deletionTimestamp) return 'stopped';
  if (pod.status?.phase !== 'Running') return 'stopped';
  const c = pod.status.containerStatuses?.find((s) => s.name === SANDBOX_CONTAINER);
  return c?.state?.running ? 'running' : 'stopped';
}

export class KubernetesSandbox implements Sandbox {
  readonly driver = 'kubernetes';
  readonly link: AgentLink;
  destroyed = false;
  /**
   * Paused (driver.stop): a pod cannot be stopped and started again with its files, so its processes
   * end and the pod stays, holding its files (and its requests); health says `stopped`, attach refuses.
   */
  stopped = false;
  /** The relay being opened, so that concurrent callers share one. */
  private relaying: Promise<void> | null = null;
  private retryMs = RELAY_RETRY_MIN_MS;

  constructor(
    /** The pod's name: unique in the workshop's namespace, and what the store keeps. */
    readonly id: string,
    readonly namespace: string,
    readonly createdAt: number,
    private readonly kc: KubeConfig,
    private readonly core: CoreV1Api,
    private readonly log?: LinkLog,
  ) {
    this.link = new AgentLink(`${namespace}/${id}`, log);
  }

  get shells(): ReadonlySet<Shell> {
    return this.link.shells;
  }

  /**
   * Make sure the relay is open (or being opened). When it drops while shells or follows ride on it, it
   * is opened again, backing off, until the pod is gone or stopped; they re-attach where they were.
   */
  connect(): Promise<void> {
    if (this.destroyed) return Promise.reject(new Error(`sandbox ${this.id} was destroyed`));
    if (this.link.connected) return Promise.resolve();
    this.relaying ??= openRelay(this.kc, { namespace: this.namespace, pod: this.id })
      .then((conn) => {
        this.retryMs = RELAY_RETRY_MIN_MS;
        this.link.adopt(conn);
        conn.onClose(() => this.relayLost());
      })
      .finally(() => (this.relaying = null));
    return this.relaying;
  }

  private relayLost(): void {
    if (this.destroyed || this.stopped || (this.link.shells.size === 0 && !this.link.following)) return;
    const wait = this.retryMs;
    this.retryMs = Math.min(RELAY_RETRY_MAX_MS, this.retryMs * 2);
    setTimeout(() => void this.reconnect(), wait).unref();
  }

  /** Open the relay again, unless the pod has stopped (its agent with it): then its shells have ended. */
  private async reconnect(): Promise<void> {
    if (this.link.connected || this.destroyed) return;
    const health = await this.health().catch(() => 'running' as const);
    if (health !== 'running') {
      this.link.endShells();
      return;
    }
    await this.connect().catch((err: unknown) => {
      this.log?.('the relay to a sandbox agent failed; trying again', { sandbox: this.id, err: String(err) });
      this.relayLost();
    });
  }

  async attach(size: TermSize, env: Record<string, string> = {}, terminal = MAIN_TERMINAL): Promise<Shell> {
    if (this.destroyed) throw new Error(`sandbox ${this.id} was destroyed`);
    if (this.stopped) throw new Error(`sandbox ${this.id} is stopped (the workshop is paused)`);
    await this.connect();
    return this.link.attach({ name: terminal, cwd: SANDBOX_HOME, argv: ['bash', '-l'], env: { TERM: 'xterm-256color', COLORTERM: 'truecolor', ...env }, size }, AGENT_WAIT_MS);
  }

  async exec(argv: string[], opts: ExecOptions = {}): Promise<ExecResult> {
    if (argv.length === 0) throw new Error('exec needs a command');
    try {
      await this.connect();
    } catch (err) {
      return { code: 127, stdout: '', stderr: `exec in ${this.id}: ${errorText(err)}`, timedOut: false };
    }
    return this.link.exec(argv, { ...opts, cwd: SANDBOX_HOME, readyTimeoutMs: AGENT_WAIT_MS });
  }

  follow(file: string, from: number, listener: FollowListener, maxBytes: number): Disposable {
    const handle = this.link.follow(`${SANDBOX_HOME}/${homePath(file)}`, from, maxBytes, listener);
    this.connect().catch(() => this.relayLost());
    return handle;
  }

  async health(): Promise<SandboxHealth> {
    try {
      const health = podHealth(await api(`read pod ${this.id}`, this.core.readNamespacedPod({ name: this.id, namespace: this.namespace })));
      return this.stopped && health === 'running' ? 'stopped' : health;
    } catch (err) {
      if (err instanceof ApiException && err.code === 404) return 'missing';
      throw new Error(`health of ${this.id}: ${errorText(err)}`);
    }
  }

  /** Paused: end every shell and every process but the pod's own, keep the pod and its files. */
  async stop(): Promise<void> {
    if (this.destroyed) return;
    this.stopped = true;
    this.link.killShells();
    // Every process but the pod's own: PID 1 (pause), and those whose parent is outside the namespace
    // (PPID 0: the container's main process, the agent, and the relay). What the attendee left
    // running has a parent inside: it ends.
    await this.exec(['bash', '-c', STOP_SCRIPT], { timeoutMs: 10_000 });
  }

  async start(): Promise<void> {
    if (this.destroyed) throw new Error(`sandbox ${this.id} was destroyed`);
    this.stopped = false;
  }

  /** The pod goes, or this server lets go of it. */
  close(why: string): void {
    this.link.close(why);
  }
}

/** Builtins only (no fork that would itself be a target): read each process's PPID from /proc. */
const STOP_SCRIPT =
  'for d in /proc/[0-9]*; do p=${d#/proc/}; if [ "$p" = 1 ] || [ "$p" = $$ ]; then continue; fi; ' +
  'read -r line < "$d/stat" 2>/dev/null || continue; set -- ${line##*) }; ' +
  'if [ "$2" != 0 ]; then kill -KILL "$p" 2>/dev/null; fi; done; true';

/** How long one API call may take: the client sets no deadline of its own, and nothing may hang. */
export const API_TIMEOUT_MS = 30_000;

/** `call`'s result, or a rejection naming `what` after `ms` (the request itself is left to finish). */
export function api<T>(what: string, call: Promise<T>, ms = API_TIMEOUT_MS): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no answer from the API server within ${ms} ms`)), ms);
  });
  return Promise.race([call, late]).finally(() => clearTimeout(timer));
}

/** An API error's message (the Status object's), or the error's own. */
export function errorText(err: unknown): string {
  if (err instanceof ApiException) {
    const body = err.body as unknown;
    if (typeof body === 'string') {
      try {
        const status = JSON.parse(body) as { message?: string };
        if (status.message) return `${status.message} (HTTP ${err.code})`;
      } catch {
        /* not JSON: the raw body below */
      }
      return `HTTP ${err.code}: ${body.slice(0, 300)}`;
    }
    return `HTTP ${err.code}`;
  }
  if (err instanceof Error) return err.message;
  return String(err);
}
