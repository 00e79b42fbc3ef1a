/**
 * Failed commands, reported out of band by the attendee's own shell (issue 10 "Progress, persisted"):
 * never scraped from the terminal, whose bytes are the attendee's to shape.
 *
 * - The shell's PROMPT_COMMAND (set through shellEnv(), passed to `Sandbox.attach` like any variable, so
 *   the local and podman drivers need nothing new) appends `<seq> <status>` to `$HOME/.labdeck-exit-status`
 *   when a command ran since the last prompt: bash's command number (`\#`) moves only then, so an empty
 *   Enter or a second Ctrl-C at the prompt writes nothing. It keeps `$?` and PIPESTATUS for the attendee.
 * - The server follows that file with one long-running `Sandbox.exec` (`tail -F` from the offset it
 *   has read up to, kept in the store with each count so a restarted server neither misses nor
 *   recounts a line) whose output arrives through `onOutput`; the exec ends after FOLLOW_DEFAULTS.runMs
 *   and is started again from the same offset, so the buffered output each exec keeps stays small.
 *
 * Trust: the file is the attendee's, and so is their shell: they can forge their own count (append
 * lines, unset PROMPT_COMMAND) and no one else's, since each sandbox is followed for its own attendee.
 * What the server takes from it is bounded: lines longer than MAX_LINE_CHARS are dropped, counted
 * statuses are rate limited (a token bucket), and a sandbox that writes more than maxBytesPerRun in one
 * exec is no longer followed (it would only be flooding).
 */
import type { Sandbox } from '../sandbox/driver.js';
import type { Logger } from '../log.js';

/** In the attendee's home: the local driver's workspace, /root in a podman sandbox. */
export const EXIT_STATUS_FILE = '.labdeck-exit-status';

/** `<seq> <status>`: a command number and an exit status of at most 3 digits. */
const LINE_RE = /^(\d{1,9}) (\d{1,3})$/;
const MAX_LINE_CHARS = 16;

/**
 * The PROMPT_COMMAND. `${n@P}` expands `\#` as a prompt would (bash ≥ 4.4); `(exit $s)` puts `$?` back
 * for a prompt that shows it. Variables are prefixed so an attendee's own cannot clash.
 */
export const PROMPT_COMMAND =
  `__labdeck_s=$?; __labdeck_n='\\#'; __labdeck_n=\${__labdeck_n@P}; ` +
  `if [ "$__labdeck_n" != "\${__labdeck_seen:-}" ]; then ` +
  `printf '%s %s\\n' "$((__labdeck_n - 1))" "$__labdeck_s" >> "$HOME/${EXIT_STATUS_FILE}" 2>/dev/null; ` +
  `__labdeck_seen=$__labdeck_n; fi; (exit $__labdeck_s)`;

/**
 * What an attendee's shell is started with so that it reports its exit statuses.
 *
 * Not PROMPT_COMMAND itself: bash 5.2 running a PROMPT_COMMAND at the very first prompt, before any
 * command ran (the local driver's `bash --norc`), leaves PIPESTATUS empty for the rest of the shell's
 * life (measured; a login shell's profile runs commands first and is spared). So the command travels
 * as LABDECK_PROMPT_COMMAND, and PS0, expanded when the first command line is read and printing
 * nothing (`V%V` is empty), sets PROMPT_COMMAND from it: it first runs after that command.
 */
export function shellEnv(): Record<string, string> {
  return { LABDECK_PROMPT_COMMAND: PROMPT_COMMAND, PS0: '${LABDECK_PROMPT_COMMAND%"${PROMPT_COMMAND:=$LABDECK_PROMPT_COMMAND}"}' };
}

/**
 * Follows the file from byte `$1`: first `@<offset>` (where it starts), then what is there and what is
 * appended. `tail -F` follows by name, so the file may not exist yet or be recreated.
 */
const FOLLOW_SCRIPT =
  `f="$HOME/${EXIT_STATUS_FILE}"; o="$1"; case "$o" in ''|*[!0-9]*) o=0;; esac; [ -e "$f" ] || : >> "$f"; ` +
  `printf '@%s\\n' "$o"; exec tail -c "+$((o + 1))" -F -- "$f" 2>/dev/null`;

export interface FollowOptions {
  /** One exec lasts this long before it is started again from where it stopped. */
  runMs: number;
  /** Statuses counted per second after a burst of `burst`; beyond, they are dropped. */
  perSecond: number;
  burst: number;
  /** Bytes one exec may deliver; a sandbox that writes more is no longer followed. */
  maxBytesPerRun: number;
  /** Wait before starting an exec again when the last one ended early (the sandbox is gone, or failing). */
  retryMs: number;
}

export const FOLLOW_DEFAULTS: FollowOptions = { runMs: 10 * 60_000, perSecond: 2, burst: 20, maxBytesPerRun: 64 * 1024, retryMs: 5_000 };

/** Splits the follower's output into statuses, with every bound above; pure, so it is unit-tested. */
export class StatusLineReader {
  private partial = '';
  private tokens: number;
  private tokensAt: number;
  /** Where the file was when this exec started, once its `@<offset>` line arrived. */
  base: number | null = null;
  /** Bytes of the file consumed after `base`. */
  consumed = 0;
  dropped = 0;

  constructor(
    private readonly opts: Pick<FollowOptions, 'perSecond' | 'burst'>,
    private readonly now: () => number = Date.now,
  ) {
    this.tokens = opts.burst;
    this.tokensAt = now();
  }

  /** The offset to follow from next time, or null when unknown. */
  get offset(): number | null {
    return this.base === null ? null : this.base + this.consumed;
  }

  /** A new exec: forget its partial line and header (the offset is kept by the caller). */
  restart(): void {
    this.partial = '';
    this.skipping = false;
    this.base = null;
    this.consumed = 0;
  }

  /** The statuses the chunk completes, each with the offset just after its line. */
  push(chunk: string): Array<[number, number]> {
    const statuses: Array<[number, number]> = [];
    let text = this.partial + chunk;
    for (let nl = text.indexOf('\n'); nl >= 0; nl = text.indexOf('\n')) {
      this.line(text.slice(0, nl), statuses);
      text = text.slice(nl + 1);
    }
    if (text.length > MAX_LINE_CHARS) {
      // Not a line of ours: skip it to its end (its bytes still move the offset).
      if (this.base !== null) this.consumed += Buffer.byteLength(text);
      if (!this.skipping) this.dropped++;
      this.skipping = true;
      text = '';
    }
    this.partial = text;
    return statuses;
  }

  /** Inside a line already too long: its rest is dropped too. */
  private skipping = false;

  private line(line: string, statuses: Array<[number, number]>): void {
    if (this.base === null) {
      const m = /^@(\d{1,15})$/.exec(line);
      if (m) this.base = Number(m[1]);
      return;
    }
    this.consumed += Buffer.byteLength(line) + 1;
    if (this.skipping) {
      this.skipping = false;
      return;
    }
    const m = LINE_RE.exec(line);
    if (!m || !this.take()) {
      this.dropped++;
      return;
    }
    statuses.push([Number(m[2]), this.base + this.consumed]);
  }

  private take(): boolean {
    const now = this.now();
    this.tokens = Math.min(this.opts.burst, this.tokens + ((now - this.tokensAt) / 1000) * this.opts.perSecond);
    this.tokensAt = now;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}

/** Follows one sandbox's status file for one attendee until disposed. */
export class ExitStatusFollower {
  private stopped = false;
  private readonly reader: StatusLineReader;
  private wake: (() => void) | null = null;

  /**
   * @param from the byte of the report to start at: where the last counted line ended (store/progress.ts
   *   statusOffset), 0 for a new sandbox. Never "the end": the attendee may run a command before the
   *   exec has even started, and a restarted server must not count twice what it counted before.
   * @param onStatus each counted status, with the offset just after its line (to be kept with the count).
   */
  constructor(
    private readonly sandbox: Pick<Sandbox, 'exec' | 'id'>,
    private readonly from: number,
    private readonly onStatus: (status: number, offset: number) => void,
    private readonly log: Logger,
    private readonly opts: FollowOptions = FOLLOW_DEFAULTS,
  ) {
    this.reader = new StatusLineReader(opts);
    void this.loop().catch((err: unknown) => this.log.warn('exit status follower failed', { sandbox: sandbox.id, err: String(err) }));
  }

  /**
   * Stop counting now. The exec under way ends at its own deadline or with its sandbox (destroying a
   * sandbox ends every process in it); nothing it says is counted meanwhile.
   */
  dispose(): void {
    this.stopped = true;
    this.wake?.();
  }

  private async loop(): Promise<void> {
    let offset = this.from;
    while (!this.stopped) {
      const started = Date.now();
      let bytes = 0;
      let flooded = false;
      this.reader.restart();
      // `timeout` inside the sandbox too: a server killed with SIGKILL cannot end its execs, and a
      // local sandbox's `tail` would otherwise follow the file forever.
      const seconds = String(Math.max(1, Math.round(this.opts.runMs / 1000)));
      await this.sandbox.exec(['timeout', '-k', '1', seconds, 'sh', '-c', FOLLOW_SCRIPT, 'sh', String(offset)], {
        timeoutMs: this.opts.runMs + 5000,
        onOutput: (chunk) => {
          if (this.stopped || flooded) return;
          bytes += chunk.length;
          if (bytes > this.opts.maxBytesPerRun) {
            flooded = true;
            return;
          }
          for (const [status, at] of this.reader.push(chunk)) this.onStatus(status, at);
        },
      });
      offset = this.reader.offset ?? offset;
      if (flooded) {
        this.log.warn('exit status file flooded: no longer followed for this sandbox', { sandbox: this.sandbox.id, bytes });
        return;
      }
      if (!this.stopped && Date.now() - started < this.opts.runMs / 2) await this.pause(this.opts.retryMs);
    }
  }

  private pause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      timer.unref();
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.wake = done;
    });
  }
}
