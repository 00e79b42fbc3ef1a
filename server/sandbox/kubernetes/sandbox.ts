/**
 * One Kubernetes sandbox: a pod with one container, at most one attendee shell. The shell runs under
 * dtach in the pod, as in a podman sandbox (podman/attach.ts has the same session marker and sweep), so
 * it outlives the exec socket and the server: a restarted server re-attaches to it, and a killed shell
 * leaves nothing behind because every process of it carries the marker the sweep kills by.
 */
import { ApiException, type CoreV1Api, type KubeConfig, type V1Pod } from '@kubernetes/client-node';
import type { Disposable, ExecOptions, ExecResult, FollowListener, Sandbox, SandboxHealth, Shell, TermSize } from '../driver.js';
import { ExecChannel } from './channel.js';
import { ExecShell } from './exec-shell.js';
import { SANDBOX_CONTAINER } from './manifests.js';

const ENV_KEY_RE = /^[A-Za-z_][A-Za-z0-9_]*$/;
const SESSION_VAR = 'LABDECK_SESSION';
const SHELL_SESSION = 'attendee-shell';
const SHELL_SOCKET = '/run/labdeck-shell.sock';
/** Bytes of stdout or stderr an out-of-band exec keeps (as runCommand's maxBuffer); more ends it. */
const EXEC_MAX_BYTES = 4 << 20;

/** The command that attaches a terminal to the pod's shell, starting it if there is none (podman/attach.ts says why dtach). */
export function shellCommand(env: Record<string, string>): string[] {
  const vars: string[] = [];
  for (const [k, v] of Object.entries(env)) {
    if (!ENV_KEY_RE.test(k) || v.includes('\0')) throw new Error(`invalid environment variable ${JSON.stringify(k)}`);
    vars.push(`${k}=${v}`);
  }
  return [
    'env', 'TERM=xterm-256color', 'COLORTERM=truecolor', ...vars, `${SESSION_VAR}=${SHELL_SESSION}`,
    'dtach', '-A', SHELL_SOCKET, '-E', '-z', '-r', 'winch', 'bash', '-l',
  ];
}

/** SIGKILL every process in the pod whose environment carries the shell's marker. */
function sweepCommand(): string[] {
  const script =
    'm="$1=$2"; for d in /proc/[0-9]*; do ' +
    'if tr "\\0" "\\n" < "$d/environ" 2>/dev/null | grep -qxF "$m"; then kill -KILL "${d#/proc/}" 2>/dev/null; fi; done; true';
  return ['sh', '-c', script, 'sh', SESSION_VAR, SHELL_SESSION];
}

/** What a pod's status means for the attendee: running, or stopped (evicted, failed, its container dead). */
export function podHealth(pod: V1Pod): SandboxHealth {
  if (pod.metadata?.deletionTimestamp) return 'stopped';
  if (pod.status?.phase !== 'Running') return 'stopped';
  const c = pod.status.containerStatuses?.find((s) => s.name === SANDBOX_CONTAINER);
  return c?.state?.running ? 'running' : 'stopped';
}

export class KubernetesSandbox implements Sandbox {
  readonly driver = 'kubernetes';
  readonly shells = new Set<Shell>();
  destroyed = false;
  /**
   * Paused (driver.stop): a pod cannot be stopped and started again with its files, so its processes
   * end and the pod stays, holding its files (and its requests); health says `stopped`, attach refuses.
   */
  stopped = false;
  private sweeping: Promise<void> = Promise.resolve();

  constructor(
    /** The pod's name: unique in the workshop's namespace, and what the store keeps. */
    readonly id: string,
    readonly namespace: string,
    readonly createdAt: number,
    private readonly kc: KubeConfig,
    private readonly core: CoreV1Api,
  ) {}

  async attach(size: TermSize, env: Record<string, string> = {}): Promise<Shell> {
    if (this.destroyed) throw new Error(`sandbox ${this.id} was destroyed`);
    if (this.stopped) throw new Error(`sandbox ${this.id} is stopped (the workshop is paused)`);
    const command = shellCommand(env);
    await this.sweeping;
    const shell = new ExecShell({ onKill: () => this.sweep() });
    const channel = await ExecChannel.open(this.kc, { namespace: this.namespace, pod: this.id }, command, { tty: true, stdin: true }, shell.handlers);
    shell.bind(channel, size);
    this.shells.add(shell);
    shell.onExit(() => {
      this.shells.delete(shell);
      // The socket can also end on its own (pod gone, API server restarted): sweep then. Not after
      // kill() (it swept already; a second sweep, queued behind a new attach, would kill the new
      // shell) nor after detach() (the shell is kept for a later attach).
      if (!shell.letGo) void this.sweep();
    });
    return shell;
  }

  private sweep(): Promise<void> {
    const next = this.sweeping
      .then(async () => {
        if (!this.destroyed) await this.exec(sweepCommand(), { timeoutMs: 5000 });
      })
      .catch(() => undefined);
    this.sweeping = next;
    return next;
  }

  async exec(argv: string[], opts: ExecOptions = {}): Promise<ExecResult> {
    if (argv.length === 0) throw new Error('exec needs a command');
    const timeoutMs = opts.timeoutMs ?? 10_000;
    const seconds = Math.max(0.1, timeoutMs / 1000).toFixed(1);
    const out = { stdout: [] as Buffer[], stderr: [] as Buffer[], bytes: 0 };
    let overflow = false;
    return new Promise<ExecResult>((resolve) => {
      let channel: ExecChannel | null = null;
      let finished = false;
      let backstopFired = false;
      const started = Date.now();
      const take = (into: Buffer[]) => (chunk: Buffer) => {
        if (out.bytes + chunk.length > 2 * EXEC_MAX_BYTES) {
          overflow = true;
          channel?.close();
          return;
        }
        out.bytes += chunk.length;
        into.push(chunk);
        opts.onOutput?.(chunk.toString('utf8'));
      };
      const done = (code: number | null, why = ''): void => {
        if (finished) return;
        finished = true;
        clearTimeout(backstop);
        const stderr = Buffer.concat(out.stderr).toString('utf8') + (overflow ? '\n[output over 4 MiB: ended]' : '') + why;
        // `timeout` inside the pod exits 124 (or 137 after -k) when it ends the command.
        const innerTimeout = (code === 124 || code === 137) && Date.now() - started >= timeoutMs - 50;
        resolve({ code: code ?? 127, stdout: Buffer.concat(out.stdout).toString('utf8'), stderr, timedOut: backstopFired || innerTimeout });
      };
      // `timeout` runs inside the pod: closing the socket alone would leave the command running there.
      // This client-side deadline is a backstop for a stuck API server or kubelet.
      const backstop = setTimeout(() => {
        backstopFired = true;
        channel?.close();
        done(null, `\nexec: no answer within ${timeoutMs + 5000} ms`);
      }, timeoutMs + 5000);
      ExecChannel.open(
        this.kc,
        { namespace: this.namespace, pod: this.id },
        ['timeout', '-k', '1', '--', seconds, ...argv],
        { tty: false, stdin: false },
        { onStdout: take(out.stdout), onStderr: take(out.stderr), onClose: (code) => done(code) },
      ).then(
        (ch) => {
          channel = ch;
          if (finished) ch.close();
        },
        (err: unknown) => done(null, `exec in ${this.id}: ${errorText(err)}`),
      );
    });
  }

  /** Not yet: the kubernetes driver moves to the agent next (issue 19 §1), and follows through it then. */
  follow(_file: string, _from: number, listener: FollowListener): Disposable {
    queueMicrotask(() => listener.end?.('not supported by the kubernetes driver yet'));
    return { dispose: () => undefined };
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

  /** Paused: end every shell and every process but the pod's PID 1, keep the pod and its files. */
  async stop(): Promise<void> {
    if (this.destroyed) return;
    this.stopped = true;
    for (const shell of this.shells) shell.kill();
    await this.sweeping;
    // Every process but the pod's own: PID 1 (pause), and those whose parent is outside the namespace
    // (PPID 0: the container's `sleep infinity` and this exec itself; `kill -1` would end the container).
    // What the attendee left running, dtach's master included, has a parent inside: it ends.
    await this.exec(['bash', '-c', STOP_SCRIPT], { timeoutMs: 10_000 });
  }

  async start(): Promise<void> {
    if (this.destroyed) throw new Error(`sandbox ${this.id} was destroyed`);
    this.stopped = false;
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
