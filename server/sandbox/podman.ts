/**
 * The `podman` driver: one container per sandbox, on its own isolated network, from the image that
 * sandbox/build.sh builds (localhost/labdeck-sandbox:latest). Every podman call goes through
 * `podman()` below with `podmanEnv()`, so it uses the project's sandbox/containers.conf (runc,
 * cgroupfs, file events, rlimits within the host's hard limits): /work/shared/notes/podman.md.
 *
 * Isolation levels:
 * - `isolated`: no --privileged. CAP_SYS_ADMIN + MKNOD and /dev/fuse so nested podman works (with
 *   cgroups disabled and host network inside, baked into the image's own containers.conf).
 * - `privileged`: --privileged. Nested podman with bridges and containerd work, but the container can
 *   mount and write the host's cgroup v1 hierarchy: it is NOT isolation (see info.warnings).
 *
 * Attendee assignment: labels cannot change on an existing container, so the mapping is kept by the
 * driver in memory and, when `stateDir` is given, in `<stateDir>/podman-<workshop>.json` (written then
 * renamed), which adopt() reads back. It is deliberately not kept inside the container: root in the
 * sandbox could rewrite it and claim another attendee. The server's own store stays the authority.
 */
import { execFile, type ExecFileException } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { DriverInfo, ExecOptions, ExecResult, ProgressListener, Sandbox, SandboxDriver, SandboxHealth, Shell, TermSize } from './driver.js';
import { PtyShell } from './pty-shell.js';
import { streamOutput } from './stream-output.js';
import { SANDBOX_CGROUP_PARENT, ensureDevicesParent, ensureSandboxIsolation, pickSandboxSubnet } from './podman-isolation.js';

export type PodmanIsolation = 'isolated' | 'privileged';

export interface PodmanDriverOptions {
  /** Short name shared by every sandbox of this server: `[a-z0-9][a-z0-9_.-]*`, at most 40 chars. */
  workshop: string;
  isolation?: PodmanIsolation;
  image?: string;
  /** Max processes in the sandbox (cgroup pids.max): stops fork bombs. */
  pidsLimit?: number;
  /** `--memory`, e.g. `1g`. */
  memory?: string;
  cpus?: number;
  /** Where assign() persists attendee ↔ container; in memory only when unset. */
  stateDir?: string;
  /** Deadline for destroy() (rm + network rm). */
  destroyTimeoutMs?: number;
  /** podman binary; `podman` from PATH by default. */
  podmanPath?: string;
}

export const PODMAN_DEFAULTS = {
  isolation: 'isolated' as PodmanIsolation,
  image: 'localhost/labdeck-sandbox:latest',
  pidsLimit: 512,
  memory: '1g',
  cpus: 1,
  destroyTimeoutMs: 15_000,
};

/** The project's podman configuration (sandbox/containers.conf). */
export const CONTAINERS_CONF = fileURLToPath(new URL('../../sandbox/containers.conf', import.meta.url));

const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
/** What podman itself needs from the server's environment; nothing else is passed on. */
const PODMAN_ENV_ALLOW_LIST = ['PATH', 'HOME', 'XDG_RUNTIME_DIR', 'TMPDIR', 'LANG'];

/** Environment for every podman invocation: an allow-list of the server's, plus CONTAINERS_CONF. */
export function podmanEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const k of PODMAN_ENV_ALLOW_LIST) {
    const v = process.env[k];
    if (v !== undefined) env[k] = v;
  }
  env.PATH ??= DEFAULT_PATH;
  env.HOME ??= '/root';
  env.CONTAINERS_CONF = CONTAINERS_CONF;
  return env;
}

export interface PodmanResult extends ExecResult {
  ms: number;
}

/** Run podman with argv (never a shell string); resolves with its exit status, never rejects on one. */
export function podman(args: string[], opts: { timeoutMs?: number; podmanPath?: string; onOutput?: (chunk: string) => void } = {}): Promise<PodmanResult> {
  const started = performance.now();
  return new Promise((resolve) => {
    const child = execFile(
      opts.podmanPath ?? 'podman',
      args,
      { env: podmanEnv() as NodeJS.ProcessEnv, timeout: opts.timeoutMs ?? 30_000, killSignal: 'SIGKILL', maxBuffer: 4 << 20, encoding: 'utf8' },
      (e: ExecFileException | null, stdout: string, stderr: string) => {
        const timedOut = Boolean(e?.killed) && e?.signal === 'SIGKILL';
        let code = 0;
        if (e) code = typeof e.code === 'number' ? e.code : 127;
        if (e && typeof e.code === 'string') stderr = `${stderr}${e.message}`;
        resolve({ code, stdout, stderr, timedOut, ms: performance.now() - started });
      },
    );
    streamOutput(child, opts.onOutput);
  });
}

async function podmanOk(args: string[], what: string, opts: { timeoutMs?: number; podmanPath?: string } = {}): Promise<string> {
  const r = await podman(args, opts);
  if (r.code !== 0) {
    const why = r.timedOut ? `timed out after ${opts.timeoutMs ?? 30_000} ms` : r.stderr.trim() || `exit ${r.code}`;
    throw new Error(`${what}: podman ${args[0] ?? ''} failed: ${why}`);
  }
  return r.stdout;
}

const WORKSHOP_RE = /^[a-z0-9][a-z0-9_.-]{0,39}$/;
const ENV_KEY_RE = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** First host uid/gid of the sandboxes' user namespace: far above the usual /etc/subuid ranges. */
const SANDBOX_ID_BASE = 2_000_000_000;
/** Set in every attached shell; kill() sweeps the processes that carry it (see killSession). */
const SESSION_VAR = 'LABDECK_SESSION';
const SHELL_SESSION = 'attendee-shell';
/** dtach's socket for the attendee's shell, inside the container (tmpfs-backed /run). */
const SHELL_SOCKET = '/run/labdeck-shell.sock';

const LABEL_WORKSHOP = 'labdeck.workshop';
const LABEL_NETWORK = 'labdeck.network';

class PodmanSandbox implements Sandbox {
  readonly driver = 'podman';
  attendee: string | null = null;
  readonly shells = new Set<Shell>();
  destroyed = false;

  constructor(
    readonly id: string,
    readonly name: string,
    readonly network: string,
    readonly createdAt: number,
    private readonly podmanPath: string | undefined,
  ) {}

  /** The last sweep of a killed shell; a new shell waits for it, or the sweep could kill the new one. */
  private sweeping: Promise<void> = Promise.resolve();

  async attach(size: TermSize, env: Record<string, string> = {}): Promise<Shell> {
    if (this.destroyed) throw new Error(`sandbox ${this.name} was destroyed`);
    await this.sweeping;
    const envArgs: string[] = [];
    for (const [k, v] of Object.entries(env)) {
      if (!ENV_KEY_RE.test(k) || v.includes('\0')) throw new Error(`invalid environment variable ${JSON.stringify(k)}`);
      envArgs.push('-e', `${k}=${v}`);
    }
    // The shell runs under dtach inside the container, so it outlives the `podman exec` client and
    // the labdeck server: `dtach -A` re-attaches to the running shell if there is one (after a server
    // restart), or starts a new one. -E: no detach key; -z: no suspend key; -r winch: ask the
    // program to redraw on attach. One shell per sandbox, so the session marker is per sandbox.
    const shell = new PtyShell({
      file: this.podmanPath ?? 'podman',
      args: [
        'exec', '-it', '-e', 'TERM=xterm-256color', '-e', 'COLORTERM=truecolor', ...envArgs,
        '-e', `${SESSION_VAR}=${SHELL_SESSION}`, '-w', '/root', this.id,
        'dtach', '-A', SHELL_SOCKET, '-E', '-z', '-r', 'winch', 'bash', '-l',
      ],
      cwd: '/',
      env: podmanEnv(),
      size,
      detachable: true,
      // Killing the `podman exec` client leaves bash running in the container (measured): sweep it.
      onKill: () => this.sweep(),
    });
    this.shells.add(shell);
    shell.onExit(() => {
      this.shells.delete(shell);
      // The exec client can also end on its own (container stopped, network hiccup): sweep too,
      // unless the server let go of it on purpose to re-attach later.
      if (!shell.detaching) void this.sweep();
    });
    return shell;
  }

  private sweep(): Promise<void> {
    const next = this.sweeping.then(() => this.killSession(SHELL_SESSION)).catch(() => undefined);
    this.sweeping = next;
    return next;
  }

  /** SIGKILL every process in the container whose environment carries this session's marker. */
  private async killSession(session: string): Promise<void> {
    if (this.destroyed) return;
    const script =
      'm="$1=$2"; for d in /proc/[0-9]*; do ' +
      'if tr "\\0" "\\n" < "$d/environ" 2>/dev/null | grep -qxF "$m"; then kill -KILL "${d#/proc/}" 2>/dev/null; fi; done; true';
    await podman(['exec', this.id, 'sh', '-c', script, 'sh', SESSION_VAR, session], { timeoutMs: 5000, podmanPath: this.podmanPath });
  }

  async exec(argv: string[], opts: ExecOptions = {}): Promise<ExecResult> {
    if (argv.length === 0) throw new Error('exec needs a command');
    const timeoutMs = opts.timeoutMs ?? 10_000;
    const seconds = Math.max(0.1, timeoutMs / 1000).toFixed(1);
    // `timeout` runs inside the container: killing the host's `podman exec` alone would leave the
    // command running there. The host-side timeout is a backstop for a stuck podman.
    const r = await podman(['exec', '-w', '/root', this.id, 'timeout', '-k', '1', '--', seconds, ...argv], {
      timeoutMs: timeoutMs + 5000,
      podmanPath: this.podmanPath,
      ...(opts.onOutput ? { onOutput: opts.onOutput } : {}),
    });
    const innerTimeout = (r.code === 124 || r.code === 137) && r.ms >= timeoutMs - 50;
    return { code: r.code, stdout: r.stdout, stderr: r.stderr, timedOut: r.timedOut || innerTimeout };
  }

  async health(): Promise<SandboxHealth> {
    const r = await podman(['inspect', '--type', 'container', '--format', '{{.State.Status}}', this.id], { timeoutMs: 10_000, podmanPath: this.podmanPath });
    if (r.code !== 0) {
      if (/no such|not found/i.test(r.stderr)) return 'missing';
      throw new Error(`health of ${this.name}: ${r.stderr.trim() || `exit ${r.code}`}`);
    }
    return r.stdout.trim() === 'running' ? 'running' : 'stopped';
  }
}

interface PsEntry {
  Id: string;
  Names?: string[];
  State?: string;
  Created?: number;
  Labels?: Record<string, string> | null;
}

export class PodmanDriver implements SandboxDriver {
  readonly info: DriverInfo;
  private readonly opts: Required<Omit<PodmanDriverOptions, 'stateDir' | 'podmanPath'>> & Pick<PodmanDriverOptions, 'stateDir' | 'podmanPath'>;
  private readonly sandboxes = new Map<string, PodmanSandbox>();
  private readonly attendees = new Map<string, string>();
  private stateWrite: Promise<void> = Promise.resolve();

  constructor(options: PodmanDriverOptions) {
    if (!WORKSHOP_RE.test(options.workshop)) {
      throw new Error(`workshop name ${JSON.stringify(options.workshop)} must match ${WORKSHOP_RE} (it is part of container names)`);
    }
    this.opts = { ...PODMAN_DEFAULTS, ...options };
    if (!Number.isInteger(this.opts.pidsLimit) || this.opts.pidsLimit < 16) throw new Error(`pidsLimit must be an integer >= 16`);
    if (!(this.opts.cpus > 0)) throw new Error(`cpus must be > 0`);
    if (!/^\d+[bkmg]?$/i.test(this.opts.memory)) throw new Error(`memory must look like 512m or 1g`);
    const privileged = this.opts.isolation === 'privileged';
    this.info = {
      name: 'podman',
      isolation: privileged ? 'privileged container' : 'isolated container',
      warnings: privileged
        ? [
            'Privileged sandboxes are not isolated: root in a sandbox can mount the host cgroup hierarchy and ' +
              "change other sandboxes' limits (pids.max) or the host's release_agent, i.e. reach the host. " +
              'Use only for a trusted classroom on a throwaway host.',
          ]
        : [],
    };
  }

  /** Container run flags for this driver's isolation level and limits (exported for docs/tests). */
  /** Set once ensureDevicesParent() has prepared the cgroup v1 devices parent. */
  private underLabdeckParent = false;

  runFlags(): string[] {
    const { pidsLimit, memory, cpus, isolation } = this.opts;
    const flags = ['--pids-limit', String(pidsLimit), '--memory', memory, '--memory-swap', memory, '--cpus', String(cpus)];
    if (isolation === 'privileged') flags.push('--privileged');
    // Nested podman without --privileged: fuse-overlayfs needs /dev/fuse and mount (SYS_ADMIN);
    // MKNOD for device nodes in nested rootfs. See notes/podman.md, "Nesting and isolation".
    // SYS_ADMIN lets root in the sandbox mount cgroup v1 hierarchies; podman's default on cgroup v1
    // is the HOST cgroup namespace, so that mount showed every container's cgroup and the root's
    // release_agent (a known escape). A private cgroup namespace roots any such mount at the sandbox's
    // own cgroup: no release_agent, no other sandbox (tested in podman-driver.test.ts).
    else {
      // Root in the sandbox is an unprivileged uid on the host (user namespace), so its CAP_SYS_ADMIN
      // reaches nothing global. Measured without it: a fresh /proc mount let the sandbox write the
      // host's kernel.core_pattern (a known route to host root). One fixed mapping for every sandbox,
      // so podman remaps the image once, not per sandbox (create stays ~0.2 s).
      flags.push('--uidmap', `0:${SANDBOX_ID_BASE}:65536`, '--gidmap', `0:${SANDBOX_ID_BASE}:65536`);
      flags.push('--cap-add', 'SYS_ADMIN,MKNOD', '--device', '/dev/fuse', '--cgroupns', 'private');
      // A parent whose devices list the sandbox cannot exceed (podman-isolation.ts), on cgroup v1.
      if (this.underLabdeckParent) flags.push('--cgroup-parent', SANDBOX_CGROUP_PARENT);
    }
    return flags;
  }

  async create(onProgress?: ProgressListener): Promise<Sandbox> {
    const { workshop, image, podmanPath } = this.opts;
    const name = `labdeck-${workshop}-${randomBytes(4).toString('hex')}`;
    let containerId: string | null = null;
    try {
      onProgress?.('network', 0.1);
      // Sandboxes must not reach each other: labdeck's own firewall rule over the sandbox subnets
      // (netavark's isolate=true alone is lifted whenever another sandbox goes away: see
      // podman-isolation.ts), plus isolate=true for other podman networks on the host.
      await ensureSandboxIsolation();
      if (this.opts.isolation === 'isolated') this.underLabdeckParent = await ensureDevicesParent();
      await this.createNetwork(name);
      onProgress?.('container', 0.3);
      const out = await podmanOk(
        [
          'run', '-d', '--init',
          '--name', name,
          '--hostname', 'sandbox',
          '--label', `${LABEL_WORKSHOP}=${workshop}`,
          '--label', 'labdeck.attendee=',
          '--label', `${LABEL_NETWORK}=${name}`,
          '--label', `labdeck.isolation=${this.opts.isolation}`,
          '--network', name,
          ...this.runFlags(),
          image, 'sleep', 'infinity',
        ],
        `start ${name}`,
        { timeoutMs: 60_000, podmanPath },
      );
      containerId = out.trim().split('\n').pop() ?? name;
      onProgress?.('ready', 0.7);
      await this.waitReady(containerId, 15_000);
      const sandbox = new PodmanSandbox(containerId, name, name, Date.now(), podmanPath);
      this.sandboxes.set(sandbox.id, sandbox);
      onProgress?.('ready', 1);
      return sandbox;
    } catch (err) {
      await this.remove(containerId ?? name, name);
      throw err;
    }
  }

  /** Poll `podman exec true` until it answers: the container is running and exec works. */
  private async waitReady(id: string, deadlineMs: number): Promise<void> {
    const end = Date.now() + deadlineMs;
    let last = '';
    for (let delay = 25; ; delay = Math.min(delay * 2, 250)) {
      const r = await podman(['exec', id, 'true'], { timeoutMs: 5000, podmanPath: this.opts.podmanPath });
      if (r.code === 0) return;
      last = r.stderr.trim();
      if (Date.now() + delay > end) throw new Error(`sandbox ${id} not ready after ${deadlineMs} ms: ${last}`);
      await new Promise((res) => setTimeout(res, delay));
    }
  }

  async assign(sandbox: Sandbox, attendee: string | null): Promise<void> {
    sandbox.attendee = attendee;
    if (attendee === null) this.attendees.delete(sandbox.id);
    else this.attendees.set(sandbox.id, attendee);
    await this.saveState();
  }

  async adopt(): Promise<Sandbox[]> {
    const { workshop, podmanPath } = this.opts;
    const out = await podmanOk(['ps', '-a', '--filter', `label=${LABEL_WORKSHOP}=${workshop}`, '--format', 'json'], 'list sandboxes', { podmanPath });
    const entries = JSON.parse(out || '[]') as PsEntry[];
    const saved = await this.loadState();
    const adopted: Sandbox[] = [];
    const keepNetworks = new Set<string>();
    for (const e of entries) {
      const name = e.Names?.[0] ?? e.Id;
      const network = e.Labels?.[LABEL_NETWORK] ?? name;
      // Only exact matches: the filter is on the label, but be strict anyway.
      if (e.Labels?.[LABEL_WORKSHOP] !== workshop) continue;
      if (e.State !== 'running') {
        await this.remove(e.Id, network);
        continue;
      }
      keepNetworks.add(network);
      let sandbox = this.sandboxes.get(e.Id);
      if (!sandbox) {
        sandbox = new PodmanSandbox(e.Id, name, network, (e.Created ?? Date.now() / 1000) * 1000, podmanPath);
        this.sandboxes.set(e.Id, sandbox);
      }
      const attendee = this.attendees.get(e.Id) ?? saved[e.Id] ?? null;
      sandbox.attendee = attendee;
      if (attendee !== null) this.attendees.set(e.Id, attendee);
      adopted.push(sandbox);
    }
    // Networks left behind by a crash between `network create` and `run`, or by a failed destroy.
    const nets = await podman(['network', 'ls', '--filter', `label=${LABEL_WORKSHOP}=${workshop}`, '--format', '{{.Name}}'], { podmanPath });
    for (const net of nets.stdout.split('\n').map((s) => s.trim()).filter(Boolean)) {
      if (!keepNetworks.has(net)) await podman(['network', 'rm', '-f', net], { podmanPath });
    }
    // Forget mappings of containers that are gone.
    for (const id of [...this.attendees.keys()]) if (!adopted.some((s) => s.id === id)) this.attendees.delete(id);
    await this.saveState();
    return adopted;
  }

  async destroy(sandbox: Sandbox): Promise<void> {
    const s = sandbox instanceof PodmanSandbox ? sandbox : this.sandboxes.get(sandbox.id);
    for (const shell of s?.shells ?? []) shell.kill();
    if (s) s.destroyed = true;
    await this.remove(sandbox.id, s?.network ?? null);
    this.sandboxes.delete(sandbox.id);
    if (this.attendees.delete(sandbox.id)) await this.saveState();
  }

  /** rm -f the container, then its network; both idempotent, together within destroyTimeoutMs. */
  /** A network on a fresh /28 of the sandbox range; retried when the random subnet is taken. */
  private async createNetwork(name: string): Promise<void> {
    const { workshop, podmanPath } = this.opts;
    for (let attempt = 1; ; attempt++) {
      const r = await podman(
        ['network', 'create', '--opt', 'isolate=true', '--subnet', pickSandboxSubnet(), '--label', `${LABEL_WORKSHOP}=${workshop}`, name],
        { podmanPath },
      );
      if (r.code === 0) return;
      if (attempt >= 8 || !/subnet|overlap|in use/i.test(r.stderr)) throw new Error(`create network ${name}: ${r.stderr.trim() || `exit ${r.code}`}`);
    }
  }

  private async remove(container: string, network: string | null): Promise<void> {
    const { podmanPath, destroyTimeoutMs } = this.opts;
    const end = Date.now() + destroyTimeoutMs;
    let rm = await podman(['rm', '-f', '-i', '-t', '0', container], { timeoutMs: destroyTimeoutMs, podmanPath });
    // Seen with user-namespaced sandboxes in which the attendee mounted a cgroup v1 hierarchy: the first
    // rm can fail with "userdata/shm: device or resource busy" while the kernel tears the mount down;
    // a retry a moment later succeeds.
    for (let i = 0; i < 8 && rm.code !== 0 && /busy/i.test(rm.stderr) && Date.now() < end - 500; i++) {
      await new Promise((r) => setTimeout(r, 250));
      rm = await podman(['rm', '-f', '-i', '-t', '0', container], { timeoutMs: Math.max(1000, end - Date.now()), podmanPath });
    }
    if (rm.code !== 0 && !/no such container/i.test(rm.stderr)) {
      throw new Error(`destroy ${container}: ${rm.timedOut ? `timed out after ${destroyTimeoutMs} ms` : rm.stderr.trim()}`);
    }
    if (!network) return;
    const left = Math.max(1000, end - Date.now());
    const net = await podman(['network', 'rm', '-f', network], { timeoutMs: left, podmanPath });
    if (net.code !== 0 && !/network not found|no such network/i.test(net.stderr)) {
      throw new Error(`destroy network ${network}: ${net.timedOut ? 'timed out' : net.stderr.trim()}`);
    }
  }

  async close(): Promise<void> {
    for (const s of this.sandboxes.values()) for (const shell of s.shells) shell.kill();
    this.sandboxes.clear();
    await this.stateWrite;
  }

  // --- attendee mapping on the host (see the header comment) -------------------------------------

  private statePath(): string | null {
    return this.opts.stateDir ? path.join(this.opts.stateDir, `podman-${this.opts.workshop}.json`) : null;
  }

  private async loadState(): Promise<Record<string, string>> {
    const file = this.statePath();
    if (!file) return {};
    try {
      const data: unknown = JSON.parse(await readFile(file, 'utf8'));
      const out: Record<string, string> = {};
      if (data && typeof data === 'object') {
        for (const [k, v] of Object.entries(data)) if (typeof v === 'string') out[k] = v;
      }
      return out;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return {};
      throw new Error(`read ${file}: ${(err as Error).message}`);
    }
  }

  /** Write-then-rename, serialised so two assigns cannot interleave their writes. */
  private saveState(): Promise<void> {
    const file = this.statePath();
    if (!file) return Promise.resolve();
    const snapshot = JSON.stringify(Object.fromEntries(this.attendees), null, 2);
    this.stateWrite = this.stateWrite.catch(() => undefined).then(async () => {
      await mkdir(path.dirname(file), { recursive: true });
      const tmp = `${file}.${process.pid}.tmp`;
      await writeFile(tmp, snapshot);
      await rename(tmp, file);
    });
    return this.stateWrite;
  }
}
