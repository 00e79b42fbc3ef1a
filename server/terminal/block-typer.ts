/**
 * The Run typer: types a lab block into the shell line by line, waiting for each line's output to
 * settle, while the attendee's own keystrokes wait (held, in order) so the two never interleave.
 * Ctrl-C (abort) stops the block at once. Bounded: one block typing and at most one waiting behind
 * it; a third is refused by the caller (`full`), so the queue cannot grow with frames.
 */

/** Where a block is typed: the current shell (ShellRun). */
export interface TypingTarget {
  write(data: string): void;
  /** False once the shell has ended: typing stops. */
  readonly live: boolean;
  /** When the shell last produced output, on the typer's clock. */
  readonly lastOutputAt: number;
}

export interface TyperTiming {
  /** Between lines, wait until the shell has been quiet this long… */
  quietMs: number;
  /** …but no longer than this. */
  maxWaitMs: number;
  /** How often the quiet is checked. */
  tickMs: number;
  now: () => number;
}

/** Run-line pacing (docs/protocol.md#run). */
export const TYPER_TIMING: TyperTiming = { quietMs: 120, maxWaitMs: 1500, tickMs: 20, now: () => Date.now() };

/** A Run being typed, or waiting for the one before it. */
interface Typing {
  aborted: boolean;
  readonly done: Promise<void>;
}

export type TypeResult = 'typed' | 'aborted';

export class BlockTyper {
  private running: Typing | null = null;
  private waiting: Typing | null = null;
  private held: string[] = [];
  private heldBytesCount = 0;
  private readonly timing: TyperTiming;

  constructor(timing: Partial<TyperTiming> = {}) {
    this.timing = { ...TYPER_TIMING, ...timing };
  }

  /** A block is being typed: keystrokes should be held. */
  get busy(): boolean {
    return this.running !== null;
  }

  /** One block typing and one waiting: another must be refused. */
  get full(): boolean {
    return this.waiting !== null;
  }

  /** Bytes of keystrokes held for after the block (they count against the session's input bound). */
  get heldBytes(): number {
    return this.heldBytesCount;
  }

  /** Hold keystrokes typed while a block is being typed; false when none is (write them at once). */
  hold(data: string, bytes: number): boolean {
    if (!this.running) return false;
    this.held.push(data);
    this.heldBytesCount += bytes;
    return true;
  }

  /**
   * Type `lines` into `target`, each followed by Enter, after the block before it (if any). Stops when
   * aborted, when the target ends, or when `wanted()` turns false (the client that asked is gone).
   * Afterwards the keystrokes held meanwhile are written, in the order they were typed. The caller
   * checks `full` first. `interrupt`: Ctrl-C first and a quiet wait (Killercoda's `{{exec interrupt}}`), so
   * a command still running (a `watch`) stops before the block is typed.
   */
  async type(target: TypingTarget, lines: string[], wanted: () => boolean, opts: { interrupt?: boolean } = {}): Promise<TypeResult> {
    let finished!: () => void;
    const typing: Typing = { aborted: false, done: new Promise<void>((r) => (finished = r)) };
    try {
      const before = this.running;
      if (before) {
        this.waiting = typing;
        await before.done;
        if (this.waiting === typing) this.waiting = null;
      }
      if (typing.aborted) return 'aborted';
      this.running = typing;
      if (opts.interrupt && target.live && wanted()) {
        target.write('\x03');
        await this.waitForQuiet(target);
      }
      for (const [i, line] of lines.entries()) {
        if (!target.live || typing.aborted || !wanted()) break;
        target.write(line + '\r');
        if (i < lines.length - 1) await this.waitForQuiet(target);
      }
      return typing.aborted ? 'aborted' : 'typed';
    } finally {
      if (this.running === typing) {
        this.running = null;
        const held = this.held.splice(0).join('');
        this.heldBytesCount = 0;
        if (held && target.live) target.write(held);
      }
      finished();
    }
  }

  /** Stop the block being typed and the one waiting; `dropHeld`: also the keystrokes held for after them. */
  abort(dropHeld: boolean): void {
    if (this.running) this.running.aborted = true;
    if (this.waiting) this.waiting.aborted = true;
    this.waiting = null;
    if (dropHeld) {
      this.held = [];
      this.heldBytesCount = 0;
    }
  }

  private waitForQuiet(target: TypingTarget): Promise<void> {
    const { quietMs, maxWaitMs, tickMs, now } = this.timing;
    const started = now();
    return new Promise((resolve) => {
      const tick = () => {
        const t = now();
        const quietFor = t - Math.max(target.lastOutputAt, started);
        if (!target.live || quietFor >= quietMs || t - started >= maxWaitMs) resolve();
        else setTimeout(tick, tickMs);
      };
      setTimeout(tick, tickMs);
    });
  }
}
