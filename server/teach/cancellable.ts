/**
 * A script run that can be stopped before its timeout: a snippet whose attendee closed the page must
 * not keep running in their sandbox for the rest of its 60 s (issue 11).
 *
 * Killing the exec's own process is not enough: `podman exec`'s client can die and leave its command
 * running in the container (measured, server/sandbox/podman/sandbox.ts), and a driver only sees its
 * own child, not the script's children. So the stop happens inside the sandbox, as the script's own
 * user, by a second exec: the run records the id of `timeout`'s process group (which `timeout`
 * creates, and which holds the script and every child it starts) in a file named by a random token;
 * the cancel marks the run as cancelled and SIGKILLs that group.
 *
 * The two orders of a cancel racing the start are both covered: the run writes the pid, then looks
 * for the cancel mark; the cancel writes the mark, then reads the pid. Whichever comes second sees the
 * other's file and kills.
 */
import { randomUUID } from 'node:crypto';
import type { ExecResult, Sandbox } from '../sandbox/driver.js';

/** The driver's deadline beyond the script's own: time for `timeout` to kill and podman to return. */
const BACKSTOP_MS = 10_000;
/** How long the cancel (and the cleanup after it) may take: a `kill` and an `rm`. */
const CANCEL_MS = 10_000;

/** Where a run keeps its files inside the sandbox; `$1` is the run's token. */
const RUN_FILES = 'f="${TMPDIR:-/tmp}/labdeck-run-$1"';

/**
 * The run: `timeout -s KILL` in the background so its pid (= its process group) can be written down,
 * then waited for. As in run-script.ts `killedAt`, the outer bash's own notices go to /dev/null while
 * the script's stderr (fd 3) does not, and the status is the script's (137 when killed).
 */
const RUN = [
  RUN_FILES,
  '{ timeout -s KILL "$2" bash -c "$3" labdeck "${@:4}" 2>&3 3>&- & p=$!',
  '  echo "$p" > "$f.pid"',
  '  if [ -e "$f.cancel" ]; then kill -KILL -- -"$p" "$p"; fi',
  '  wait "$p"; } 3>&2 2>/dev/null',
  's=$?; rm -f "$f.pid" "$f.cancel"; exit "$s"',
].join('\n');

/** The cancel: mark the run, then kill the group it wrote down (the group, and its leader in case it has no group yet). */
const CANCEL = `${RUN_FILES}; : > "$f.cancel"; p=$(cat "$f.pid" 2>/dev/null) && kill -KILL -- -"$p" "$p" 2>/dev/null; exit 0`;

export interface CancellableOptions {
  onOutput?: (chunk: string) => void;
  /** Aborting it kills the script's whole process group in the sandbox. */
  signal?: AbortSignal;
}

export interface CancellableResult extends ExecResult {
  /** The signal stopped it (before it started, or while it ran). */
  cancelled: boolean;
}

/** Run `source` with bash and `argv` in the sandbox, SIGKILLed with its group after `seconds` or when `signal` aborts. */
export async function runCancellable(
  sandbox: Sandbox,
  seconds: number,
  source: string,
  argv: string[],
  opts: CancellableOptions = {},
): Promise<CancellableResult> {
  const { signal } = opts;
  if (signal?.aborted) return { code: 130, stdout: '', stderr: '', timedOut: false, cancelled: true };
  const token = randomUUID();
  let cancel: Promise<ExecResult> | undefined;
  const onAbort = () => {
    cancel = sandbox.exec(['bash', '-c', CANCEL, 'labdeck', token], { timeoutMs: CANCEL_MS });
  };
  signal?.addEventListener('abort', onAbort, { once: true });
  try {
    const r = await sandbox.exec(['bash', '-c', RUN, 'labdeck', token, String(seconds), source, ...argv], {
      timeoutMs: seconds * 1000 + BACKSTOP_MS,
      ...(opts.onOutput ? { onOutput: opts.onOutput } : {}),
    });
    return { ...r, cancelled: cancel !== undefined };
  } finally {
    signal?.removeEventListener('abort', onAbort);
    if (cancel) {
      // A cancel that came after the run had cleaned up leaves its mark behind: remove it.
      await cancel.catch(() => undefined);
      await sandbox.exec(['bash', '-c', `${RUN_FILES}; rm -f "$f.cancel" "$f.pid"`, 'labdeck', token], { timeoutMs: CANCEL_MS }).catch(() => undefined);
    }
  }
}
