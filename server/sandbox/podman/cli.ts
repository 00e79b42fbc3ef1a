/**
 * Every podman call of the driver goes through `podman()`: argv only, an allow-listed environment, and
 * the project's sandbox/containers.conf (runc, cgroupfs, file events, rlimits within the host's hard
 * limits; docs/host-facts.md says why each is needed on hosts like the one measured).
 */
import { fileURLToPath } from 'node:url';
import { DEFAULT_PATH, allowListedEnv, runCommand, type CommandResult } from '../exec.js';

/** The project's podman configuration (sandbox/containers.conf). */
export const CONTAINERS_CONF = fileURLToPath(new URL('../../../sandbox/containers.conf', import.meta.url));

/** What podman itself needs from the server's environment; nothing else is passed on. */
const PODMAN_ENV_ALLOW_LIST = ['PATH', 'HOME', 'XDG_RUNTIME_DIR', 'TMPDIR', 'LANG'];

/** Environment for every podman invocation: an allow-list of the server's, plus CONTAINERS_CONF. */
export function podmanEnv(): Record<string, string> {
  return { ...allowListedEnv(PODMAN_ENV_ALLOW_LIST, { PATH: DEFAULT_PATH, HOME: '/root' }), CONTAINERS_CONF };
}

export type PodmanResult = CommandResult;

export interface PodmanCallOptions {
  /** Default 30 s. */
  timeoutMs?: number;
  /** podman binary; `podman` from PATH by default. */
  podmanPath?: string;
  /** Gets stdout and stderr as they arrive (exec with a streamed output). */
  onOutput?: (chunk: string) => void;
}

/** Run podman with argv (never a shell string); resolves with its exit status, never rejects on one. */
export function podman(args: string[], opts: PodmanCallOptions = {}): Promise<PodmanResult> {
  return runCommand(opts.podmanPath ?? 'podman', args, {
    env: podmanEnv(),
    timeoutMs: opts.timeoutMs ?? 30_000,
    ...(opts.onOutput ? { onOutput: opts.onOutput } : {}),
  });
}

/** Run podman and return its stdout; throws, naming `what` and podman's reason, when it fails. */
export async function podmanOk(args: string[], what: string, opts: PodmanCallOptions = {}): Promise<string> {
  const r = await podman(args, opts);
  if (r.code !== 0) {
    const why = r.timedOut ? `timed out after ${opts.timeoutMs ?? 30_000} ms` : r.stderr.trim() || `exit ${r.code}`;
    throw new Error(`${what}: podman ${args[0] ?? ''} failed: ${why}`);
  }
  return r.stdout;
}
