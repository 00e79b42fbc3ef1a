/**
 * Failed commands, reported out of band by the attendee's own shell (issue 10 "Progress, persisted"):
 * never scraped from the terminal, whose bytes are the attendee's to shape.
 *
 * - The shell's PROMPT_COMMAND (set through shellEnv(), passed to `Sandbox.attach` like any variable, so
 *   the drivers need nothing new) appends `<seq> <status>` to `$HOME/.labdeck-exit-status` when a
 *   command ran since the last prompt: bash's command number (`\#`) moves only then, so an empty Enter
 *   or a second Ctrl-C at the prompt writes nothing. It keeps `$?` and PIPESTATUS for the attendee.
 * - The server follows that file with `Sandbox.follow` from the offset it has read up to (kept in the
 *   store with each count, so a restarted server neither misses nor recounts a line): in a container,
 *   the sandbox's agent does it over its one connection; for a local sandbox, the server reads the file
 *   itself. No process per sandbox, on the host or in it (issue 19 §1).
 *
 * Trust: the file is the attendee's, and so is their shell: they can forge their own count (append
 * lines, unset PROMPT_COMMAND) and no one else's, since each sandbox is followed for its own attendee.
 * What the server takes from it is bounded: lines longer than MAX_LINE_CHARS are dropped, counted
 * statuses are rate limited (a token bucket), and a sandbox that writes more than maxBytesPerRun within
 * runMs is no longer followed (it would only be flooding).
 */
import type { Sandbox } from '../sandbox/driver.js';
import type { Logger } from '../log.js';

/** In the attendee's home: the local driver's workspace, /root in a container. */
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

export interface FollowOptions {
  /** A follow may deliver maxBytesPerRun bytes; when that took less than runMs, the sandbox is flooding. */
  runMs: number;
  /** Statuses counted per second after a burst of `burst`; beyond, they are dropped. */
  perSecond: number;
  burst: number;
  /** Bytes one follow may deliver; then it is started again from where it stopped, unless it came too fast. */
  maxBytesPerRun: number;
  /** Wait before following again after a follow failed (the sandbox is gone, or failing). */
  retryMs: number;
}

export const FOLLOW_DEFAULTS: FollowOptions = { runMs: 10 * 60_000, perSecond: 2, burst: 20, maxBytesPerRun: 64 * 1024, retryMs: 5_000 };

/**
 * Splits the report's bytes into statuses, with every bound above; pure, so it is unit-tested. Chunks
 * are the file's bytes as latin1 text (one character per byte: offsets stay byte offsets).
 */
export class StatusLineReader {
  private partial = '';
  private tokens: number;
  private tokensAt: number;
  /** Inside a line already too long: its rest is dropped too. */
  private skipping = false;
  /** The file offset just after the last line read whole (or skipped): where to follow from next time. */
  offset: number;
  dropped = 0;

  constructor(
    private readonly opts: Pick<FollowOptions, 'perSecond' | 'burst'>,
    from = 0,
    private readonly now: () => number = Date.now,
  ) {
    this.offset = from;
    this.tokens = opts.burst;
    this.tokensAt = now();
  }

  /** The bytes now come from `offset` (a new follow, or the file was truncated or replaced). */
  rebase(offset: number): void {
    this.offset = offset;
    this.partial = '';
    this.skipping = false;
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
      this.offset += text.length;
      if (!this.skipping) this.dropped++;
      this.skipping = true;
      text = '';
    }
    this.partial = text;
    return statuses;
  }

  private line(line: string, statuses: Array<[number, number]>): void {
    this.offset += line.length + 1;
    if (this.skipping) {
      this.skipping = false;
      return;
    }
    const m = LINE_RE.exec(line);
    if (!m || !this.take()) {
      this.dropped++;
      return;
    }
    statuses.push([Number(m[2]), this.offset]);
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
  private handle: { dispose(): void } | null = null;
  private retry: NodeJS.Timeout | null = null;
  /** The offset the next chunk should start at; another means the file was truncated or replaced. */
  private expected: number;
  private startedAt = 0;

  /**
   * @param from the byte of the report to start at: where the last counted line ended (store/progress.ts
   *   statusOffset), 0 for a new sandbox. Never "the end": the attendee may run a command before the
   *   follow has even started, and a restarted server must not count twice what it counted before.
   * @param onStatus each counted status, with the offset just after its line (to be kept with the count).
   */
  constructor(
    private readonly sandbox: Pick<Sandbox, 'follow' | 'id'>,
    from: number,
    private readonly onStatus: (status: number, offset: number) => void,
    private readonly log: Logger,
    private readonly opts: FollowOptions = FOLLOW_DEFAULTS,
  ) {
    this.reader = new StatusLineReader(opts, from);
    this.expected = from;
    this.start();
  }

  /** Stop counting now. */
  dispose(): void {
    this.stopped = true;
    if (this.retry) clearTimeout(this.retry);
    this.handle?.dispose();
    this.handle = null;
  }

  private start(): void {
    this.retry = null;
    if (this.stopped) return;
    const from = this.reader.offset;
    this.reader.rebase(from);
    this.expected = from;
    this.startedAt = Date.now();
    try {
      this.handle = this.sandbox.follow(EXIT_STATUS_FILE, from, { data: (chunk, at) => this.data(chunk, at), end: (why) => this.ended(why) }, this.opts.maxBytesPerRun);
    } catch (err) {
      this.ended(String(err));
    }
  }

  private data(chunk: Buffer, at: number): void {
    if (this.stopped) return;
    if (at !== this.expected) this.reader.rebase(at);
    this.expected = at + chunk.length;
    for (const [status, offset] of this.reader.push(chunk.toString('latin1'))) this.onStatus(status, offset);
  }

  private ended(why: string): void {
    this.handle = null;
    if (this.stopped) return;
    if (why === 'limit' && Date.now() - this.startedAt < this.opts.runMs) {
      this.log.warn('exit status file flooded: no longer followed for this sandbox', { sandbox: this.sandbox.id, bytes: this.opts.maxBytesPerRun });
      this.stopped = true;
      return;
    }
    if (why === 'limit') return this.start();
    this.log.warn('exit status follow ended; following again shortly', { sandbox: this.sandbox.id, why });
    this.retry = setTimeout(() => this.start(), this.opts.retryMs);
    this.retry.unref();
  }
}
