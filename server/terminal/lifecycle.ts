/**
 * A forward-only state machine: starting → ready → closing → done, as coder's reconnecting pty
 * (STYLE.md). Used by the session and by each shell inside it (ShellRun); `transition()` is the one
 * place their state changes.
 *
 * An illegal move (backwards, sideways, or to the state it is in) is refused: `transition()` returns
 * false, logs, and leaves the state as it was. It does not throw: the callers run in socket and pty
 * callbacks, where a throw would take the whole server (every attendee's shell) down for one session's
 * bug, and the state it stays in is always one the session already handles. Callers that may race
 * (close() twice) check `is()` first, so a refusal in the log is a bug to look at.
 */
export type LifecycleState = 'starting' | 'ready' | 'closing' | 'done';

const NEXT: Record<LifecycleState, readonly LifecycleState[]> = {
  starting: ['ready', 'closing'],
  ready: ['closing'],
  closing: ['done'],
  done: [],
};

export class Lifecycle {
  private current: LifecycleState = 'starting';

  /** `onRefused`: told about an illegal move (the session logs it). */
  constructor(private readonly onRefused: (from: LifecycleState, to: LifecycleState) => void = () => undefined) {}

  get state(): LifecycleState {
    return this.current;
  }

  /** Is the state one of these? */
  is(...states: LifecycleState[]): boolean {
    return states.includes(this.current);
  }

  /** closing or done: nothing new starts. */
  get ending(): boolean {
    return this.current === 'closing' || this.current === 'done';
  }

  /** Move forward to `to`; an illegal move is refused (false) and reported, and the state stays. */
  transition(to: LifecycleState): boolean {
    if (!NEXT[this.current].includes(to)) {
      this.onRefused(this.current, to);
      return false;
    }
    this.current = to;
    return true;
  }
}
