/** One podman sandbox: a running container, on its own network, with at most one attendee shell. */
import type { ExecOptions, ExecResult, Sandbox, SandboxHealth, Shell, TermSize } from '../driver.js';
import { PtyShell } from '../pty-shell.js';
import { attachArgs, sweepArgs } from './attach.js';
import { podman, podmanEnv } from './cli.js';

export class PodmanSandbox implements Sandbox {
  readonly driver = 'podman';
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
    const shell = new PtyShell({
      file: this.podmanPath ?? 'podman',
      args: attachArgs(this.id, env),
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
    const next = this.sweeping
      .then(async () => {
        if (!this.destroyed) await podman(sweepArgs(this.id), { timeoutMs: 5000, podmanPath: this.podmanPath });
      })
      .catch(() => undefined);
    this.sweeping = next;
    return next;
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
