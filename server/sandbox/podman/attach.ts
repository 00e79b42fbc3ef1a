/**
 * The attendee's shell inside a podman sandbox runs under dtach, so it outlives the `podman exec` client
 * and the labdeck server: a restarted server re-attaches to the same shell (`dtach -A`), and a killed
 * client leaves nothing behind because every process of the shell carries a session marker that the
 * sweep below kills by.
 */

const ENV_KEY_RE = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** Set in every attached shell; sweepArgs() kills the processes that carry it. */
const SESSION_VAR = 'LABDECK_SESSION';
/** One shell per sandbox, so the session marker is per sandbox. */
const SHELL_SESSION = 'attendee-shell';
/** dtach's socket for the attendee's shell, inside the container (tmpfs-backed /run). */
const SHELL_SOCKET = '/run/labdeck-shell.sock';

/**
 * `podman` argv that attaches a terminal to the sandbox's shell, starting it if there is none. -E: no
 * detach key; -z: no suspend key; -r winch: ask the program to redraw on attach. Throws on an
 * environment variable whose name or value could not be passed safely.
 */
export function attachArgs(containerId: string, env: Record<string, string>): string[] {
  const envArgs: string[] = [];
  for (const [k, v] of Object.entries(env)) {
    if (!ENV_KEY_RE.test(k) || v.includes('\0')) throw new Error(`invalid environment variable ${JSON.stringify(k)}`);
    envArgs.push('-e', `${k}=${v}`);
  }
  return [
    'exec', '-it', '-e', 'TERM=xterm-256color', '-e', 'COLORTERM=truecolor', ...envArgs,
    '-e', `${SESSION_VAR}=${SHELL_SESSION}`, '-w', '/root', containerId,
    'dtach', '-A', SHELL_SOCKET, '-E', '-z', '-r', 'winch', 'bash', '-l',
  ];
}

/** `podman` argv that SIGKILLs every process in the container whose environment carries the shell's marker. */
export function sweepArgs(containerId: string): string[] {
  const script =
    'm="$1=$2"; for d in /proc/[0-9]*; do ' +
    'if tr "\\0" "\\n" < "$d/environ" 2>/dev/null | grep -qxF "$m"; then kill -KILL "${d#/proc/}" 2>/dev/null; fi; done; true';
  return ['exec', containerId, 'sh', '-c', script, 'sh', SESSION_VAR, SHELL_SESSION];
}
