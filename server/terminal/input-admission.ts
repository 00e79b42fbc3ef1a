/**
 * What input a terminal's shell is given (issue 8 item 5; moved out of the session, issue 18 §6): the
 * attendee's keys and a controlling watcher's go through this one bounded path, so an instructor's keys
 * wait behind a Run and are refused past the backlog exactly as the attendee's are.
 *
 *  - Ctrl-C jumps the queue: what waits behind a program that does not read is dropped (as the tty's
 *    own INTR flushes its input queue), a Run being typed stops, and the ^C goes through.
 *  - Otherwise the bytes waiting for the pty (its backlog plus the keys held during a Run) may not pass
 *    `limitBytes`: input beyond is refused with `input-overflow`, said once per overflow, not once per
 *    frame, until something is accepted again.
 *  - Keys typed while a Run types a block are held by the typer and follow the block, in order.
 */

/** The shell being typed into (ShellRun and its Shell). */
export interface AdmissionTarget {
  readonly live: boolean;
  /** Bytes written to the pty and not yet read by the program in it. */
  readonly inputBacklog: number;
  /** Drop what the program has not read yet. */
  discardInput(): void;
  write(data: string): void;
}

/** The Run typer (block-typer.ts), as admission sees it. */
export interface AdmissionTyper {
  /** Bytes of keys held for after the block being typed. */
  readonly heldBytes: number;
  /** Hold keys while a block is typed; false when none is (write them at once). */
  hold(data: string, bytes: number): boolean;
  /** Stop the block being typed and the one waiting (the held keys stay). */
  abort(dropHeld: false): void;
}

export type AdmissionRefusal = 'not-ready' | 'input-overflow';

export class InputAdmission {
  /** Set when input was refused, so the client is told once per overflow, not once per frame. */
  private refused = false;

  constructor(
    private readonly limitBytes: number,
    private readonly typer: AdmissionTyper,
  ) {}

  /** Type `data` into `target` (null: no shell yet), or tell `refuse` why not. */
  write(target: AdmissionTarget | null, data: string, refuse: (code: AdmissionRefusal, message: string) => void): void {
    if (!target?.live) {
      refuse('not-ready', 'the shell is not ready yet');
      return;
    }
    if (data.includes('\x03')) {
      target.discardInput();
      this.typer.abort(false);
      this.refused = false;
      target.write(data);
      return;
    }
    const bytes = Buffer.byteLength(data, 'utf8');
    if (target.inputBacklog + this.typer.heldBytes + bytes > this.limitBytes) {
      if (!this.refused) {
        this.refused = true;
        refuse(
          'input-overflow',
          `The program in the shell is not reading its input (${Math.round(target.inputBacklog / 1024)} KiB waiting): what you type is dropped until it does. Ctrl-C interrupts it.`,
        );
      }
      return;
    }
    this.refused = false;
    if (!this.typer.hold(data, bytes)) target.write(data);
  }
}
