/**
 * The `local` driver: a bash on the host, in a workspace folder per sandbox. Meant for one person
 * running a lab on their own machine (and for tests); it is a shell on the server's machine, which is
 * why the server binds to loopback by default with it.
 *
 * When the server runs as root, each sandbox runs as a user of its own: a uid picked from
 * [SANDBOX_UID_BASE, SANDBOX_UID_BASE + SANDBOX_UID_COUNT) with the same number as its only group, and
 * no /etc/passwd entry (nothing to create, nothing to clean up; `whoami` has no name to print). So a
 * shell cannot read the server's environment or files (issue 8 §3), nor another sandbox's workspace or
 * processes. As any other user, the shell is the server's own user, as it always was: a person's laptop.
 */
import { createHash, randomBytes, randomInt } from 'node:crypto';
import { access, chmod, chown, lstat, mkdir, readdir, rm, rmdir, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Disposable, DriverInfo, ExecOptions, ExecResult, FollowListener, ProgressListener, Sandbox, SandboxDriver, SandboxHealth, Shell, TermSize } from './driver.js';
import { DEFAULT_PATH, allowListedEnv, runCommand } from './exec.js';
import { followHostFile, homePath } from './file-follow.js';
import { PtyShell } from './pty-shell.js';
import { SANDBOX_MARKER, SHELL_MARKER, findProcesses, killProcesses, killSandboxProcesses } from './proc-sweep.js';

/** Server variables a local shell may inherit; everything else (tokens, secrets) stays out. */
const ENV_ALLOW_LIST = ['PATH', 'LANG', 'LC_ALL', 'LC_CTYPE', 'TZ', 'USER', 'LOGNAME', 'CONTAINERS_CONF', 'XDG_RUNTIME_DIR'];

/**
 * Sandbox uids: above podman's sandbox range (2000000000 + 65536, podman/run-flags.ts), above systemd-nspawn's
 * container range (up to 1879048191) and /etc/subuid's usual ranges, below 2^31 and systemd's
 * reserved top ranges.
 */
export const SANDBOX_UID_BASE = 2_100_000_000;
export const SANDBOX_UID_COUNT = 1 << 24;

/** Switches to the sandbox's uid and gid and drops the supplementary groups (root's own group among them). */
const SETPRIV = '/usr/bin/setpriv';

/** The user a sandbox runs as when the server is root; null when it runs as the server's own user. */
export interface SandboxUser {
  uid: number;
  gid: number;
}

export interface LocalDriverOptions {
  /** Folder under which each sandbox gets `<id>/` as its HOME; mode 0711 so sandboxes cannot list it. */
  root: string;
  /** Shell to run; bash by default. */
  shell?: string;
  /** A folder of an older layout whose leftover workspaces are swept on start. */
  legacyRoot?: string;
  /** One uid per sandbox; by default when the server runs as root (the only case where it can). */
  ownUsers?: boolean;
}

/**
 * Where the local driver keeps workspaces for a data folder: outside it, because the data folder is
 * 0700 (it holds the cookie secret) and sandbox users could not reach into it. Under the system's
 * temporary folder, one root per data folder, so two servers with their own data do not sweep each
 * other's workspaces.
 */
export function workspaceRootFor(dataDir: string): string {
  const key = createHash('sha256').update(path.resolve(dataDir)).digest('hex').slice(0, 12);
  return path.join(tmpdir(), `labdeck-workspaces-${key}`);
}

export function sandboxEnv(id: string, home: string, user: SandboxUser | null, extra: Record<string, string> = {}): Record<string, string> {
  const env = allowListedEnv(ENV_ALLOW_LIST, { PATH: DEFAULT_PATH, LANG: 'C.UTF-8' });
  if (user) {
    // The server's names and runtime folder are root's; the sandbox's user has neither.
    delete env.XDG_RUNTIME_DIR;
    env.USER = env.LOGNAME = 'attendee';
  }
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
  readonly createdAt = Date.now();
  private readonly shells = new Set<Shell>();
  destroyed = false;
  /** Stopped (a paused workshop): no shell, no process, the workspace kept. */
  stopped = false;

  constructor(
    readonly id: string,
    readonly home: string,
    readonly user: SandboxUser | null,
    private readonly shellPath: string,
  ) {}

  async attach(size: TermSize, env: Record<string, string> = {}): Promise<Shell> {
    if (this.destroyed) throw new Error(`sandbox ${this.id} was destroyed`);
    if (this.stopped) throw new Error(`sandbox ${this.id} is stopped`);
    const shellId = randomBytes(6).toString('hex');
    // --noprofile/--norc: the attendee's workspace starts clean and the prompt comes from PS1.
    const bash = [this.shellPath, '--noprofile', '--norc', '-i'];
    // setpriv execs the shell in place, so the pty's pid is still the shell's (and its session's).
    const argv = this.user
      ? [SETPRIV, '--reuid', String(this.user.uid), '--regid', String(this.user.gid), '--clear-groups', '--', ...bash]
      : bash;
    const shell = new PtyShell({
      file: argv[0]!,
      args: argv.slice(1),
      cwd: this.home,
      env: sandboxEnv(this.id, this.home, this.user, { ...env, [SHELL_MARKER]: shellId }),
      size,
      ...(this.user ? { ttyOwner: this.user } : {}),
      // Only this shell's processes: a sweep by the sandbox marker (or uid) would also catch the next shell.
      onKill: (pid) => killProcesses({ marker: [SHELL_MARKER, shellId], sid: pid }, 2000).then(() => undefined),
    });
    this.shells.add(shell);
    shell.onExit(() => this.shells.delete(shell));
    return shell;
  }

  async exec(argv: string[], opts: ExecOptions = {}): Promise<ExecResult> {
    const [file, ...args] = argv;
    if (!file) throw new Error('exec needs a command');
    if (this.destroyed || this.stopped) throw new Error(`sandbox ${this.id} is ${this.destroyed ? 'destroyed' : 'stopped'}`);
    const r = await runCommand(file, args, {
      cwd: this.home,
      env: sandboxEnv(this.id, this.home, this.user),
      ...(this.user ?? {}),
      timeoutMs: opts.timeoutMs ?? 10_000,
      maxBuffer: 1 << 20,
      ...(opts.onOutput ? { onOutput: opts.onOutput } : {}),
    });
    return { code: r.code, stdout: r.stdout, stderr: r.stderr, timedOut: r.timedOut };
  }

  /** The workspace is on this machine: the server follows the file itself (file-follow.ts), no process. */
  follow(file: string, from: number, listener: FollowListener, maxBytes: number): Disposable {
    return followHostFile(path.join(this.home, homePath(file)), from, listener, maxBytes);
  }

  async health(): Promise<SandboxHealth> {
    return this.destroyed ? 'missing' : this.stopped ? 'stopped' : 'running';
  }

  killShells(): void {
    for (const s of this.shells) s.kill();
    this.shells.clear();
  }
}

export class LocalDriver implements SandboxDriver {
  readonly info: DriverInfo;
  private readonly shellPath: string;
  private readonly ownUsers: boolean;
  private readonly live = new Set<LocalSandbox>();
  private readonly uidsInUse = new Set<number>();

  constructor(private readonly opts: LocalDriverOptions) {
    this.shellPath = opts.shell ?? '/bin/bash';
    this.ownUsers = opts.ownUsers ?? process.getuid?.() === 0;
    this.info = {
      name: 'local',
      isolation: this.ownUsers ? 'host shell as its own user (no isolation)' : 'host shell (no isolation)',
      warnings: [],
    };
  }

  async create(onProgress?: ProgressListener): Promise<Sandbox> {
    onProgress?.('creating workspace', 0.2);
    await this.prepareRoot();
    const id = `local-${randomBytes(6).toString('hex')}`;
    const home = path.join(this.opts.root, id);
    const user = this.ownUsers ? await this.claimUser() : null;
    try {
      await mkdir(home, { mode: 0o700 });
      await chmod(home, 0o700);
      if (user) await chown(home, user.uid, user.gid);
    } catch (err) {
      if (user) this.uidsInUse.delete(user.uid);
      throw err;
    }
    onProgress?.('workspace ready', 1);
    const sandbox = new LocalSandbox(id, home, user, this.shellPath);
    this.live.add(sandbox);
    return sandbox;
  }

  /** Local shells die with the server, so there is nothing to adopt; leftover workspaces are removed. */
  async adopt(): Promise<Sandbox[]> {
    await this.prepareRoot();
    await this.sweepLeftovers(this.opts.root);
    if (this.opts.legacyRoot) {
      await this.sweepLeftovers(this.opts.legacyRoot);
      await rmdir(this.opts.legacyRoot).catch(() => undefined);
    }
    return [];
  }

  async destroy(sandbox: Sandbox): Promise<void> {
    if (!(sandbox instanceof LocalSandbox)) throw new Error('not a local sandbox');
    sandbox.destroyed = true;
    sandbox.killShells();
    await killSandboxProcesses(sandbox.id, sandbox.user?.uid, 3000);
    await rm(sandbox.home, { recursive: true, force: true });
    this.live.delete(sandbox);
    if (sandbox.user) this.uidsInUse.delete(sandbox.user.uid);
  }

  /**
   * A local sandbox has no engine to freeze it: stopping ends its shells and every process it started
   * (by marker and by its own uid), and keeps its workspace folder, so start() gives back its files
   * but not its running programs. Local sandboxes do not outlive the server either way.
   */
  async stop(sandbox: Sandbox): Promise<void> {
    if (!(sandbox instanceof LocalSandbox)) throw new Error('not a local sandbox');
    sandbox.stopped = true;
    sandbox.killShells();
    await killSandboxProcesses(sandbox.id, sandbox.user?.uid, 3000);
  }

  async start(sandbox: Sandbox): Promise<void> {
    if (!(sandbox instanceof LocalSandbox)) throw new Error('not a local sandbox');
    if (sandbox.destroyed) throw new Error(`sandbox ${sandbox.id} was destroyed`);
    sandbox.stopped = false;
  }

  /** Local shells cannot outlive the server: end this driver's sandboxes, and the root once it is empty. */
  async close(): Promise<void> {
    await Promise.all([...this.live].map((sb) => this.destroy(sb)));
    // Another labdeck process (`npm run doctor`) may share the root: only an empty one goes.
    await rmdir(this.opts.root).catch(() => undefined);
  }

  /**
   * The root exists, is a real folder of this server's user (the temporary folder is anyone's: a
   * look-alike planted by someone else must not be used), is 0711, and sandbox users can reach it.
   * Checked at every creation, not once: another labdeck process (`npm run doctor`) may remove an
   * emptied root, and someone else may then plant one. A few system calls beside a shell's start.
   */
  private async prepareRoot(): Promise<void> {
    const root = this.opts.root;
    await mkdir(root, { recursive: true, mode: 0o711 });
    const st = await lstat(root);
    if (!st.isDirectory() || st.uid !== process.getuid?.()) {
      throw new Error(`local workspaces: ${root} is not a folder owned by this server's user; remove it or choose another LABDECK_DATA_DIR`);
    }
    await chmod(root, 0o711);
    if (!this.ownUsers) return;
    for (let dir = path.dirname(root); ; dir = path.dirname(dir)) {
      if (((await stat(dir)).mode & 0o001) === 0) {
        throw new Error(`local workspaces: sandbox users cannot reach ${root}, because ${dir} is not searchable by others (chmod o+x, or set TMPDIR)`);
      }
      if (dir === path.dirname(dir)) break;
    }
    await access(SETPRIV).catch(() => {
      throw new Error(`local workspaces: ${SETPRIV} (util-linux) is needed to run shells as their own user`);
    });
  }

  /** A uid no other sandbox of this server has, and no process on the machine runs as. */
  private async claimUser(): Promise<SandboxUser> {
    for (let tries = 0; tries < 20; tries++) {
      const uid = SANDBOX_UID_BASE + randomInt(SANDBOX_UID_COUNT);
      if (this.uidsInUse.has(uid)) continue;
      this.uidsInUse.add(uid);
      if ((await findProcesses({ uid })).length === 0) return { uid, gid: uid };
      this.uidsInUse.delete(uid);
    }
    throw new Error('local workspaces: no free sandbox uid found');
  }

  /** Kill what a previous run's sandboxes left running (by marker, and by the workspace owner's uid) and remove them. */
  private async sweepLeftovers(root: string): Promise<void> {
    const names = await readdir(root).catch(() => [] as string[]);
    await Promise.all(
      names
        .filter((n) => n.startsWith('local-'))
        .map(async (n) => {
          const home = path.join(root, n);
          const owner = await lstat(home).then((s) => s.uid, () => undefined);
          const ownUid = owner !== undefined && owner >= SANDBOX_UID_BASE && owner < SANDBOX_UID_BASE + SANDBOX_UID_COUNT;
          await killSandboxProcesses(n, ownUid ? owner : undefined, 1000);
          await rm(home, { recursive: true, force: true });
        }),
    );
  }
}
