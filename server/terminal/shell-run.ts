/**
 * One shell's lifetime inside a session: the Shell, the listeners on it, its output ring (screen
 * restore belongs to the shell whose output it is, not to the connection), and its size. A reset or
 * recreate ends the ShellRun and the session starts another; an ended one never comes back.
 */
import type { Disposable, Shell, TermSize } from '../sandbox/driver.js';
import type { TypingTarget } from './block-typer.js';
import type { AdmissionTarget } from './input-admission.js';
import { Lifecycle } from './lifecycle.js';
import { ByteRing } from './screen.js';

export class ShellRun implements TypingTarget, AdmissionTarget {
  readonly lifecycle: Lifecycle;
  readonly ring: ByteRing;
  private readonly subs: Disposable[] = [];
  /** When the shell last produced output (ms, the session's clock): Run waits for quiet between lines. */
  lastOutputAt = 0;

  constructor(
    readonly shell: Shell,
    ringBytes: number,
    public size: TermSize,
    onRefused?: (from: string, to: string) => void,
  ) {
    this.ring = new ByteRing(ringBytes);
    this.lifecycle = new Lifecycle(onRefused);
  }

  /** The shell is attached and its listeners are on: keystrokes may go in. */
  ready(): void {
    this.lifecycle.transition('ready');
  }

  get live(): boolean {
    return this.lifecycle.is('ready');
  }

  /** Dispose `d` when the shell ends. */
  own(d: Disposable): void {
    this.subs.push(d);
  }

  write(data: string): void {
    this.shell.write(data);
  }

  /** Bytes written to the pty that the program has not read yet (input-admission.ts bounds them). */
  get inputBacklog(): number {
    return this.shell.inputBacklog;
  }

  /** Drop what the program has not read (Ctrl-C). */
  discardInput(): void {
    this.shell.discardInput();
  }

  /** End the shell (`detach`: let go of it, leaving it running where the driver can); idempotent. */
  end(how: 'kill' | 'detach' = 'kill'): void {
    if (this.lifecycle.ending) return;
    this.lifecycle.transition('closing');
    for (const d of this.subs.splice(0)) d.dispose();
    if (how === 'detach') this.shell.detach();
    else this.shell.kill();
    this.lifecycle.transition('done');
  }
}
