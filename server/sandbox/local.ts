/**
 * The `local` driver: a bash on the host, in a workspace folder per sandbox. No isolation at all — it
 * is a shell on the server's machine, which is why the server binds to loopback by default with it.
 * Meant for one person running a lab on their own machine (and for tests).
 */
import { randomBytes } from 'node:crypto';
import { execFile, type ExecFileException } from 'node:child_process';
import { mkdir, readdir, rm } from 'node:fs/promises';
import path from 'node:path';
import type { DriverInfo, ExecResult, ProgressListener, Sandbox, SandboxDriver, SandboxHealth, Shell, TermSize } from './driver.js';
import { PtyShell } from './pty-shell.js';
import { SANDBOX_MARKER, SHELL_MARKER, killMarkedProcesses, killSandboxProcesses } from './proc-sweep.js';

/** Server variables a local shell may inherit; everything else (tokens, secrets) stays out. */
const ENV_ALLOW_LIST = ['PATH', 'LANG', 'LC_ALL', 'LC_CTYPE', 'TZ', 'USER', 'LOGNAME', 'CONTAINERS_CONF', 'XDG_RUNTIME_DIR'];

export interface LocalDriverOptions {
  /** Folder under which each sandbox gets `<id>/` as its HOME. */
  root: string;
  /** Shell to run; bash by default. */
  shell?: string;
}

export function sandboxEnv(id: string, home: string, extra: Record<string, string> = {}): Record<string, string> {
  const env: Record<string, string> = {};
  for (const k of ENV_ALLOW_LIST) {
    const v = process.env[k];
    if (v !== undefined) env[k] = v;
  }
  env.PATH ??= '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
  env.LANG ??= 'C.UTF-8';
  return {
    ...env,
    ...extra,
    HOME: home,
    PWD: home,
    SHELL: '/bin/bash',
    TERM: 'xterm-256color',
    COLORTERM: 'truecolor',
    // Keep the prompt short and recognisable; bash reads no rc file from the empty workspace.
    PS1: '\\[\\e[1;32m\\]attendee\\[\\e[0m\\]:\\[\\e[1;34m\\]\\w\\[\\e[0m\\]\\$ ',
    [SANDBOX_MARKER]: id,
  };
}

class LocalSandbox implements Sandbox {
  readonly driver = 'local';
  attendee: string | null = null;
  readonly createdAt = Date.now();
  private readonly shells = new Set<Shell>();
  destroyed = false;

  constructor(readonly id: string, readonly home: string, private readonly shellPath: string) {}

  async attach(size: TermSize, env: Record<string, string> = {}): Promise<Shell> {
    if (this.destroyed) throw new Error(`sandbox ${this.id} was destroyed`);
    const shellId = randomBytes(6).toString('hex');
    const shell = new PtyShell({
      file: this.shellPath,
      // --noprofile/--norc: the attendee's workspace starts clean and the prompt comes from PS1.
      args: ['--noprofile', '--norc', '-i'],
      cwd: this.home,
      env: sandboxEnv(this.id, this.home, { ...env, [SHELL_MARKER]: shellId }),
      size,
      // Only this shell's processes: a sweep by the sandbox marker would also catch the next shell.
      onKill: (pid) => killMarkedProcesses(SHELL_MARKER, shellId, pid, 2000).then(() => undefined),
    });
    this.shells.add(shell);
    shell.onExit(() => this.shells.delete(shell));
    return shell;
  }

  exec(argv: string[], opts: { timeoutMs?: number } = {}): Promise<ExecResult> {
    const [file, ...args] = argv;
    if (!file) return Promise.reject(new Error('exec needs a command'));
    return new Promise((resolve) => {
      execFile(
        file,
        args,
        { cwd: this.home, env: sandboxEnv(this.id, this.home) as NodeJS.ProcessEnv, timeout: opts.timeoutMs ?? 10_000, maxBuffer: 1 << 20, killSignal: 'SIGKILL' },
        (e: ExecFileException | null, stdout: string, stderr: string) => {
          resolve({
            code: e ? (typeof e.code === 'number' ? e.code : 127) : 0,
            stdout: String(stdout),
            stderr: String(stderr) || (e && typeof e.code === 'string' ? e.message : ''),
            timedOut: Boolean(e?.killed),
          });
        },
      );
    });
  }

  async health(): Promise<SandboxHealth> {
    return this.destroyed ? 'missing' : 'running';
  }

  killShells(): void {
    for (const s of this.shells) s.kill();
    this.shells.clear();
  }
}

export class LocalDriver implements SandboxDriver {
  readonly info: DriverInfo = {
    name: 'local',
    isolation: 'host shell (no isolation)',
    warnings: [],
  };
  private readonly shellPath: string;

  constructor(private readonly opts: LocalDriverOptions) {
    this.shellPath = opts.shell ?? '/bin/bash';
  }

  async create(onProgress?: ProgressListener): Promise<Sandbox> {
    onProgress?.('creating workspace', 0.2);
    const id = `local-${randomBytes(6).toString('hex')}`;
    const home = path.join(this.opts.root, id);
    await mkdir(home, { recursive: true, mode: 0o700 });
    onProgress?.('workspace ready', 1);
    return new LocalSandbox(id, home, this.shellPath);
  }

  async assign(sandbox: Sandbox, attendee: string | null): Promise<void> {
    sandbox.attendee = attendee;
  }

  /** Local shells die with the server, so there is nothing to adopt; leftover workspaces are removed. */
  async adopt(): Promise<Sandbox[]> {
    await mkdir(this.opts.root, { recursive: true });
    const leftovers = await readdir(this.opts.root);
    await Promise.all(
      leftovers
        .filter((n) => n.startsWith('local-'))
        .map(async (n) => {
          await killSandboxProcesses(n, undefined, 1000);
          await rm(path.join(this.opts.root, n), { recursive: true, force: true });
        }),
    );
    return [];
  }

  async destroy(sandbox: Sandbox): Promise<void> {
    if (!(sandbox instanceof LocalSandbox)) throw new Error('not a local sandbox');
    sandbox.destroyed = true;
    sandbox.killShells();
    await killSandboxProcesses(sandbox.id, undefined, 3000);
    await rm(sandbox.home, { recursive: true, force: true });
  }

  async close(): Promise<void> {}
}
