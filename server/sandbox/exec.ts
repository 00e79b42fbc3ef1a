/**
 * The one way the sandbox layer runs a host command out of band (podman, iptables, a local sandbox's
 * exec): argv only, never a shell string; killed with SIGKILL after a deadline; output bounded; and the
 * outcome always resolved as data, never thrown, so every caller decides what a failure means. Also the
 * one helper that builds a child's environment from an allow-list of the server's, so no token or secret
 * in the server's environment reaches a sandbox or a tool by accident.
 */
import { execFile, type ExecFileException } from 'node:child_process';
import type { ExecResult } from './driver.js';

/** The search path a child gets when the server has none. */
export const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

export interface CommandResult extends ExecResult {
  /** Wall time, in ms. */
  ms: number;
}

export interface CommandOptions {
  /** The child's whole environment; the server's own when unset. */
  env?: Record<string, string>;
  cwd?: string;
  /** Killed (SIGKILL) after this long; default 30 s. `timedOut` says so. */
  timeoutMs?: number;
  /** Bytes of stdout or stderr kept; a child that writes more is killed. Default 4 MiB. */
  maxBuffer?: number;
  /** Run as this user and group (libuv drops the supplementary groups when it switches). */
  uid?: number;
  gid?: number;
  /** Gets stdout and stderr as they arrive, besides the whole output at the end (a streamed snippet). */
  onOutput?: (chunk: string) => void;
}

/**
 * Run `file` with `args`. `code` is the exit status, or 127 when the command could not be started (its
 * reason is appended to stderr) or ended by a signal it was not sent by us.
 */
export function runCommand(file: string, args: string[], opts: CommandOptions = {}): Promise<CommandResult> {
  const started = performance.now();
  return new Promise((resolve) => {
    const child = execFile(
      file,
      args,
      {
        env: opts.env as NodeJS.ProcessEnv | undefined,
        ...(opts.cwd !== undefined ? { cwd: opts.cwd } : {}),
        ...(opts.uid !== undefined ? { uid: opts.uid } : {}),
        ...(opts.gid !== undefined ? { gid: opts.gid } : {}),
        timeout: opts.timeoutMs ?? 30_000,
        killSignal: 'SIGKILL',
        maxBuffer: opts.maxBuffer ?? 4 << 20,
        encoding: 'utf8',
      },
      (e: ExecFileException | null, stdout: string, stderr: string) => {
        let code = 0;
        if (e) code = typeof e.code === 'number' ? e.code : 127;
        if (e && typeof e.code === 'string') stderr = `${stderr}${e.message}`;
        resolve({ code, stdout, stderr, timedOut: Boolean(e?.killed), ms: performance.now() - started });
      },
    );
    const listener = opts.onOutput;
    if (listener) for (const stream of [child.stdout, child.stderr]) stream?.on('data', (c: Buffer | string) => listener(String(c)));
  });
}

/** The server's variables named in `allow` (those it has), over `defaults` for the ones it lacks. */
export function allowListedEnv(allow: readonly string[], defaults: Record<string, string> = {}): Record<string, string> {
  const env: Record<string, string> = { ...defaults };
  for (const k of allow) {
    const v = process.env[k];
    if (v !== undefined) env[k] = v;
  }
  return env;
}
