/**
 * Running a lab's script in an attendee's sandbox, out of band: never typed into the terminal, so never
 * in the shell's history; as the sandbox's user (the local driver's sandbox uid, root in a podman
 * container), through `Sandbox.exec`. docs/lab-format.md "What labdeck does with it".
 *
 * The timeout is enforced inside the sandbox by GNU `timeout -s KILL`: it puts the script in a process
 * group of its own and, at the deadline, SIGKILLs that whole group, so a background child
 * (`sleep 1000 &`) dies with the script. KILL, not TERM: a script that traps TERM, or a child that
 * ignores it, would otherwise outlive its deadline. The driver's own timeout is only a backstop.
 */
import type { Sandbox } from '../sandbox/driver.js';

/** What the attendee sees of a script's output, at most: its last characters (errors come last). */
export const MAX_MESSAGE_CHARS = 8000;
/** The driver's deadline beyond the script's own: time for `timeout` to kill and podman to return. */
const BACKSTOP_MS = 10_000;

export interface ScriptOutcome {
  ok: boolean;
  /** Exit status of the script (137 when killed at its timeout). */
  code: number;
  timedOut: boolean;
  /** stdout and stderr, trimmed to the last MAX_MESSAGE_CHARS characters. */
  output: string;
}

/** `timeout`'s status when it SIGKILLs its own process group (itself included) at the deadline. */
const KILLED_STATUS = 128 + 9;

export async function runScript(sandbox: Sandbox, source: string, timeoutSeconds: number, argv: string[] = []): Promise<ScriptOutcome> {
  const started = Date.now();
  const r = await sandbox.exec(killedAt(timeoutSeconds, source, argv), { timeoutMs: timeoutSeconds * 1000 + BACKSTOP_MS });
  // A script may exit 137 on its own; only one that also lasted its whole timeout was killed by it.
  const timedOut = r.timedOut || (r.code === KILLED_STATUS && Date.now() - started >= timeoutSeconds * 1000);
  const output = tail(`${r.stdout}${r.stderr}`.replace(/\s+$/, ''));
  return { ok: r.code === 0 && !timedOut, code: r.code, timedOut, output };
}

/**
 * argv that runs `source` with bash, SIGKILLed with its process group after `seconds`. `timeout` kills
 * its group, itself included, so a bash outside that group waits for it and turns the kill into status
 * 137 whatever the driver (a direct child killed by a signal has no exit status, and drivers report
 * that differently). That bash's "Killed" notice goes to /dev/null; the script's stderr (fd 3) does not.
 * The trailing `exit` keeps bash from exec'ing `timeout` in its own place.
 */
export function killedAt(seconds: number, source: string, argv: string[] = []): string[] {
  const wrapper = '{ timeout -s KILL "$1" bash -c "$2" labdeck "${@:3}" 2>&3 3>&-; } 3>&2 2>/dev/null; exit $?';
  return ['bash', '-c', wrapper, 'labdeck', String(seconds), source, ...argv];
}

function tail(text: string): string {
  return text.length <= MAX_MESSAGE_CHARS ? text : `…${text.slice(-MAX_MESSAGE_CHARS)}`;
}
