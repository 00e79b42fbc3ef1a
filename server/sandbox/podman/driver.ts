/**
 * The `podman` driver: one container per sandbox, on its own isolated network, from the image that
 * sandbox/build.sh builds (localhost/labdeck-sandbox:latest). The container's main process is the
 * labdeck agent (sandbox/agent/, docs/agent.md), which dials a Unix socket the server listens on for
 * that sandbox alone (agent-socket.ts): terminals, checks and the exit-status follow go over it, with
 * no host process per terminal (issue 19 §1). The folder holds one concern per file: cli.ts (every
 * podman call), run-flags.ts (the isolation posture), isolation.ts (the firewall rule and the devices
 * cgroup), agent-socket.ts (where the agent reaches the server), sandbox.ts (one sandbox), and this driver.
 *
 * Isolation levels:
 * - `isolated`: no --privileged. CAP_SYS_ADMIN + MKNOD and /dev/fuse so nested podman works (with
 *   cgroups disabled and host network inside, baked into the image's own containers.conf).
 * - `privileged`: --privileged. Nested podman with bridges and containerd work, but the container can
 *   mount and write the host's cgroup v1 hierarchy: it is NOT isolation (see info.warnings).
 *
 * Which attendee has which sandbox is not the driver's to know: the server's store owns that
 * (docs/architecture.md#the-sandbox-assignment). adopt() only finds this workshop's containers by label.
 */
import { randomBytes } from 'node:crypto';
import { readdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { DriverCheck, DriverInfo, ProgressListener, Sandbox, SandboxDriver } from '../driver.js';
import { PROTOCOL } from '../agent/frames.js';
import type { LinkLog } from '../agent/link.js';
import { AGENT_MOUNT, AGENT_SOCKET, AgentSocket, SOCKET_PATH_MAX } from './agent-socket.js';
import { podman, podmanOk } from './cli.js';
import { hostChecks } from './host-check.js';
import { ensureDevicesParent, ensureSandboxIsolation, pickSandboxSubnet } from './isolation.js';
import { runFlags, type PodmanIsolation } from './run-flags.js';
import { AGENT_WAIT_MS, PodmanSandbox } from './sandbox.js';
export type { PodmanIsolation } from './run-flags.js';

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
  /** Deadline for destroy() (rm + network rm). */
  destroyTimeoutMs?: number;
  /** podman binary; `podman` from PATH by default. */
  podmanPath?: string;
  /**
   * Where each sandbox's agent socket folder lives: `<agentsDir>/<container name>/`. The server's data
   * folder's `agents/` (select.ts); the repository's `.data/agents` by default (the server's default data folder).
   */
  agentsDir?: string;
  /** Where the agents' connections are logged. */
  log?: LinkLog;
}

export const PODMAN_DEFAULTS = {
  isolation: 'isolated' as PodmanIsolation,
  image: 'localhost/labdeck-sandbox:latest',
  pidsLimit: 512,
  memory: '1g',
  cpus: 1,
  destroyTimeoutMs: 15_000,
};

const WORKSHOP_RE = /^[a-z0-9][a-z0-9_.-]{0,39}$/;
const LABEL_WORKSHOP = 'labdeck.workshop';
const LABEL_NETWORK = 'labdeck.network';
/**
 * The agent protocol the container's agent speaks. A container without it (made by a server from
 * before the agent) cannot be attached to: adopt() removes it, and its attendee is told their shell
 * was lost (the pool gives them a new sandbox).
 */
const LABEL_AGENT = 'labdeck.agent';
const DEFAULT_AGENTS_DIR = fileURLToPath(new URL('../../../.data/agents', import.meta.url));

interface PsEntry {
  Id: string;
  Names?: string[];
  State?: string;
  Created?: number;
  Labels?: Record<string, string> | null;
}

export class PodmanDriver implements SandboxDriver {
  readonly info: DriverInfo;
  private readonly opts: Required<Omit<PodmanDriverOptions, 'podmanPath' | 'log'>> & Pick<PodmanDriverOptions, 'podmanPath' | 'log'>;
  private readonly sandboxes = new Map<string, PodmanSandbox>();

  constructor(options: PodmanDriverOptions) {
    if (!WORKSHOP_RE.test(options.workshop)) {
      throw new Error(`workshop name ${JSON.stringify(options.workshop)} must match ${WORKSHOP_RE} (it is part of container names)`);
    }
    this.opts = { ...PODMAN_DEFAULTS, agentsDir: DEFAULT_AGENTS_DIR, ...options };
    const longest = path.join(this.opts.agentsDir, `labdeck-${options.workshop}-00000000`, AGENT_SOCKET);
    if (longest.length > SOCKET_PATH_MAX) {
      throw new Error(`the agents' socket folder ${this.opts.agentsDir} is too long a path for a Unix socket with workshop ${options.workshop} (${longest.length} > ${SOCKET_PATH_MAX} bytes): use a shorter LABDECK_DATA_DIR or WORKSHOP`);
    }
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

  /** Set once ensureDevicesParent() has prepared the cgroup v1 devices parent. */
  private underLabdeckParent = false;

  /** This driver's `podman run` flags, as of now (run-flags.ts; doctor and tests print them). */
  runFlags(): string[] {
    const { pidsLimit, memory, cpus, isolation } = this.opts;
    return runFlags({ isolation, pidsLimit, memory, cpus, devicesParent: this.underLabdeckParent });
  }

  /** `npm run doctor`: the host checks (host-check.ts), the live ones with a sandbox of this driver. */
  checks(): Promise<DriverCheck[]> {
    return hostChecks(this, { image: this.opts.image, isolation: this.opts.isolation });
  }

  async create(onProgress?: ProgressListener): Promise<Sandbox> {
    const { workshop, image, podmanPath } = this.opts;
    const name = `labdeck-${workshop}-${randomBytes(4).toString('hex')}`;
    let containerId: string | null = null;
    const sandbox = new PodmanSandbox(name, name, name, Date.now(), podmanPath, this.opts.log);
    try {
      onProgress?.('network', 0.1);
      // Sandboxes must not reach each other: labdeck's own firewall rule over the sandbox subnets
      // (netavark's isolate=true alone is lifted whenever another sandbox goes away: see
      // isolation.ts), plus isolate=true for other podman networks on the host.
      await ensureSandboxIsolation();
      if (this.opts.isolation === 'isolated') this.underLabdeckParent = await ensureDevicesParent();
      await this.createNetwork(name);
      sandbox.socket = await AgentSocket.listen(path.join(this.opts.agentsDir, name), sandbox.link);
      onProgress?.('container', 0.3);
      const out = await podmanOk(
        [
          'run', '-d', '--init',
          '--name', name,
          '--hostname', 'sandbox',
          '--label', `${LABEL_WORKSHOP}=${workshop}`,
          '--label', `${LABEL_NETWORK}=${name}`,
          '--label', `${LABEL_AGENT}=${PROTOCOL.VERSION}`,
          '--label', `labdeck.isolation=${this.opts.isolation}`,
          '--network', name,
          // Its own socket folder only, read-only: the sandbox can neither replace the socket nor see another's.
          '--volume', `${sandbox.socket.dir}:${AGENT_MOUNT}:ro`,
          ...this.runFlags(),
          image, 'labdeck-agent', 'connect', `${AGENT_MOUNT}/${AGENT_SOCKET}`,
        ],
        `start ${name}`,
        { timeoutMs: 60_000, podmanPath },
      );
      containerId = out.trim().split('\n').pop() ?? name;
      sandbox.id = containerId;
      onProgress?.('ready', 0.7);
      // Ready when its agent says hello (no `podman exec true` polling).
      await this.agentReady(sandbox);
      this.sandboxes.set(sandbox.id, sandbox);
      onProgress?.('ready', 1);
      return sandbox;
    } catch (err) {
      sandbox.link.close('creation failed');
      await this.remove(containerId ?? name, name);
      await sandbox.socket?.remove();
      throw err;
    }
  }

  /**
   * The agent's hello, or a clear error as soon as the container has stopped instead (its main process,
   * the agent, failed: an image built before the agent has no `labdeck-agent`).
   */
  private async agentReady(sandbox: PodmanSandbox): Promise<void> {
    const { podmanPath, image } = this.opts;
    let waiting = true;
    const stopped = (async (): Promise<never> => {
      for (;;) {
        await new Promise((r) => setTimeout(r, 300));
        if (!waiting) return new Promise<never>(() => undefined);
        const st = await podman(['inspect', '--format', '{{.State.Status}}', sandbox.id], { podmanPath, timeoutMs: 10_000 });
        if (!waiting) return new Promise<never>(() => undefined);
        if (st.code === 0 && st.stdout.trim() !== 'running') {
          const logs = await podman(['logs', '--tail', '5', sandbox.id], { podmanPath, timeoutMs: 10_000 });
          const said = `${logs.stdout}${logs.stderr}`.trim().replace(/\s+/g, ' ').slice(0, 300);
          // The init (catatonit) says "failed to exec pid1" when the image has no agent to run.
          if (/failed to exec pid1/.test(said)) throw new Error(`sandbox ${sandbox.name}: the image ${image} has no labdeck agent (it was built before it): rebuild it with npm run sandbox:build`);
          throw new Error(`sandbox ${sandbox.name} stopped before its agent connected (${said || st.stdout.trim()})`);
        }
      }
    })();
    try {
      await Promise.race([sandbox.link.connection(AGENT_WAIT_MS), stopped]);
    } finally {
      waiting = false;
    }
  }

  async adopt(): Promise<Sandbox[]> {
    const { workshop, podmanPath } = this.opts;
    const out = await podmanOk(['ps', '-a', '--filter', `label=${LABEL_WORKSHOP}=${workshop}`, '--format', 'json'], 'list sandboxes', { podmanPath });
    const entries = JSON.parse(out || '[]') as PsEntry[];
    const adopted: Sandbox[] = [];
    const keepNetworks = new Set<string>();
    for (const e of entries) {
      const name = e.Names?.[0] ?? e.Id;
      const network = e.Labels?.[LABEL_NETWORK] ?? name;
      // Only exact matches: the filter is on the label, but be strict anyway.
      if (e.Labels?.[LABEL_WORKSHOP] !== workshop) continue;
      // A stopped one may be a paused workshop's: the pool keeps it if the store assigns it to someone.
      // Any other state (created, never started; mid-removal) is a leftover of a crash; one without
      // this server's agent cannot be attached to.
      const current = e.Labels?.[LABEL_AGENT] === String(PROTOCOL.VERSION);
      if ((e.State !== 'running' && e.State !== 'exited' && e.State !== 'stopped') || !current) {
        await this.remove(e.Id, network);
        continue;
      }
      keepNetworks.add(network);
      let sandbox = this.sandboxes.get(e.Id);
      if (!sandbox) {
        sandbox = new PodmanSandbox(e.Id, name, network, (e.Created ?? Date.now() / 1000) * 1000, podmanPath, this.opts.log);
        // Listen again where its agent dials (it does so every second while no server answers).
        sandbox.socket = await AgentSocket.listen(path.join(this.opts.agentsDir, name), sandbox.link);
        this.sandboxes.set(e.Id, sandbox);
      }
      adopted.push(sandbox);
    }
    // Networks left behind by a crash between `network create` and `run`, or by a failed destroy.
    const nets = await podman(['network', 'ls', '--filter', `label=${LABEL_WORKSHOP}=${workshop}`, '--format', '{{.Name}}'], { podmanPath });
    for (const net of nets.stdout.split('\n').map((s) => s.trim()).filter(Boolean)) {
      if (!keepNetworks.has(net)) await podman(['network', 'rm', '-f', net], { podmanPath });
    }
    // Socket folders of this workshop's sandboxes that are gone (removed above, by hand, or never started).
    const keepFolders = new Set([...this.sandboxes.values()].map((s) => s.name));
    for (const entry of await readdir(this.opts.agentsDir).catch(() => [] as string[])) {
      if (entry.startsWith(`labdeck-${workshop}-`) && !keepFolders.has(entry)) await rm(path.join(this.opts.agentsDir, entry), { recursive: true, force: true });
    }
    return adopted;
  }

  async destroy(sandbox: Sandbox): Promise<void> {
    const s = sandbox instanceof PodmanSandbox ? sandbox : this.sandboxes.get(sandbox.id);
    if (s) {
      s.link.killShells();
      s.link.close('the sandbox was destroyed');
      s.destroyed = true;
    }
    await this.remove(sandbox.id, s?.network ?? null);
    await s?.socket?.remove();
    this.sandboxes.delete(sandbox.id);
  }

  /** `podman stop`: processes end (the agent at SIGTERM ends its terminals), the container and its files stay. */
  async stop(sandbox: Sandbox): Promise<void> {
    const s = sandbox instanceof PodmanSandbox ? sandbox : this.sandboxes.get(sandbox.id);
    s?.link.killShells();
    await podmanOk(['stop', '-t', '2', sandbox.id], `stop ${s?.name ?? sandbox.id}`, { timeoutMs: 30_000, podmanPath: this.opts.podmanPath });
  }

  /** `podman start`, then wait for the agent's hello, as after create(). */
  async start(sandbox: Sandbox): Promise<void> {
    const s = sandbox instanceof PodmanSandbox ? sandbox : this.sandboxes.get(sandbox.id);
    await podmanOk(['start', sandbox.id], `start ${s?.name ?? sandbox.id}`, { timeoutMs: 60_000, podmanPath: this.opts.podmanPath });
    if (s) await s.link.connection(AGENT_WAIT_MS);
  }

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

  /**
   * rm -f the container (-v: with its anonymous volumes, e.g. a privileged sandbox's nested podman
   * storage), then its network; both idempotent, together within destroyTimeoutMs.
   */
  private async remove(container: string, network: string | null): Promise<void> {
    const { podmanPath, destroyTimeoutMs } = this.opts;
    const end = Date.now() + destroyTimeoutMs;
    let rm = await podman(['rm', '-f', '-v', '-i', '-t', '0', container], { timeoutMs: destroyTimeoutMs, podmanPath });
    // Seen with user-namespaced sandboxes in which the attendee mounted a cgroup v1 hierarchy: the first
    // rm can fail with "userdata/shm: device or resource busy" while the kernel tears the mount down;
    // a retry a moment later succeeds.
    for (let i = 0; i < 8 && rm.code !== 0 && /busy/i.test(rm.stderr) && Date.now() < end - 500; i++) {
      await new Promise((r) => setTimeout(r, 250));
      rm = await podman(['rm', '-f', '-v', '-i', '-t', '0', container], { timeoutMs: Math.max(1000, end - Date.now()), podmanPath });
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

  /**
   * The server stops: shells still attached end (a session that said goodbye detached its own first),
   * and this server stops listening; the agents dial on, for the next server to adopt.
   */
  async close(): Promise<void> {
    for (const s of this.sandboxes.values()) {
      s.link.killShells();
      s.link.close('the server is stopping');
      s.socket?.close();
    }
    this.sandboxes.clear();
  }
}
