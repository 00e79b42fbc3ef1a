/**
 * One podman sandbox: a running container on its own network, whose main process is the labdeck agent
 * (sandbox/agent/). Terminals, checks and the exit-status follow all go through the agent's one
 * connection (agent/link.ts): nothing is forked on the host to open, re-open or re-adopt a terminal,
 * nor to run a check (issue 19 §1). Only health() asks podman, and only while the agent is not there.
 */
import type { Disposable, ExecOptions, ExecResult, FollowListener, Sandbox, SandboxHealth, Shell, TermSize } from '../driver.js';
import { MAIN_TERMINAL } from '../driver.js';
import { AgentLink, type LinkLog } from '../agent/link.js';
import { homePath } from '../file-follow.js';
import { podman } from './cli.js';
import type { AgentSocket } from './agent-socket.js';

/** The attendee's home inside the container, where shells and commands start. */
export const SANDBOX_HOME = '/root';
/** How long attach and exec wait for the agent to (re)connect: a restarted server, a started container. */
export const AGENT_WAIT_MS = 15_000;

export class PodmanSandbox implements Sandbox {
  readonly driver = 'podman';
  readonly link: AgentLink;
  /** The container id once `podman run` said it (the name until then). */
  id: string;
  destroyed = false;
  /** Set once the driver listens for this sandbox's agent. */
  socket: AgentSocket | null = null;

  constructor(
    id: string,
    readonly name: string,
    readonly network: string,
    readonly createdAt: number,
    private readonly podmanPath: string | undefined,
    log?: LinkLog,
  ) {
    this.id = id;
    this.link = new AgentLink(name, log);
    this.link.onLost = () => void this.lost();
  }

  /**
   * The agent's connection ended. It dials again within a second unless the container stopped with it
   * (the agent is its main process): then its shells have ended, and say so.
   */
  private async lost(): Promise<void> {
    for (let i = 0; i < 12 && !this.destroyed && !this.link.connected; i++) {
      const health = await this.health().catch(() => 'running' as const);
      if (health !== 'running') return this.link.endShells();
      await new Promise((r) => setTimeout(r, 250));
    }
  }

  /** Shells attached through this server and not ended. */
  get shells(): ReadonlySet<Shell> {
    return this.link.shells;
  }

  async attach(size: TermSize, env: Record<string, string> = {}, terminal = MAIN_TERMINAL): Promise<Shell> {
    if (this.destroyed) throw new Error(`sandbox ${this.name} was destroyed`);
    return this.link.attach(
      {
        name: terminal,
        cwd: SANDBOX_HOME,
        argv: ['bash', '-l'],
        env: { TERM: 'xterm-256color', COLORTERM: 'truecolor', ...env },
        size,
      },
      AGENT_WAIT_MS,
    );
  }

  async exec(argv: string[], opts: ExecOptions = {}): Promise<ExecResult> {
    if (argv.length === 0) throw new Error('exec needs a command');
    return this.link.exec(argv, { ...opts, cwd: SANDBOX_HOME, readyTimeoutMs: AGENT_WAIT_MS });
  }

  follow(file: string, from: number, listener: FollowListener, maxBytes: number): Disposable {
    return this.link.follow(`${SANDBOX_HOME}/${homePath(file)}`, from, maxBytes, listener);
  }

  async health(): Promise<SandboxHealth> {
    // The agent is the container's main process: while it is connected, the container runs.
    if (this.link.connected) return 'running';
    const r = await podman(['inspect', '--type', 'container', '--format', '{{.State.Status}}', this.id], { timeoutMs: 10_000, podmanPath: this.podmanPath });
    if (r.code !== 0) {
      if (/no such|not found/i.test(r.stderr)) return 'missing';
      throw new Error(`health of ${this.name}: ${r.stderr.trim() || `exit ${r.code}`}`);
    }
    return r.stdout.trim() === 'running' ? 'running' : 'stopped';
  }
}
