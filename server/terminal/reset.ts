/**
 * Resetting an attendee's sandbox: the one path (issue 18 bug 2), whether the attendee has a live
 * session (session.ts) or not (after a restart, or "Reset all" reaching someone offline: sessions.ts).
 * Always, in this order: the lab's reset script in the old sandbox (for the seed lab `kind delete
 * cluster`, which must not outlive the sandbox), the `reset` event, then a fresh sandbox from the pool.
 * The lab is the store's fact (where the attendee's page last said they were, else their workshop's
 * lab), never a copy a session keeps: a fresh page has reported nothing yet.
 */
import type { ProgressListener, Sandbox } from '../sandbox/driver.js';
import type { SandboxPool } from '../sandbox/pool.js';

export type ResetBy = 'instructor' | 'attendee';

export interface ResetDeps {
  pool: Pick<SandboxPool, 'replace'>;
  /** The lab the attendee is in, as the store has it; null when it has none. */
  labOf(attendee: string): string | null;
  /** Runs the lab's reset script in the old sandbox (teach/runtime.ts); never throws. */
  beforeReset(attendee: string, labId: string | null, sandbox: Sandbox | null): Promise<void>;
  /** The event log (issue 10). */
  recordReset(attendee: string, by: ResetBy): void;
}

export interface ResetHooks {
  /** Just before the old sandbox goes: the session tells the page and ends its shells. */
  replacing?(): void;
  onProgress?: ProgressListener;
}

/** Reset `attendee` from `old` (their sandbox, or null when they have none yet); resolves with the fresh one. */
export async function resetSandbox(deps: ResetDeps, attendee: string, old: Sandbox | null, by: ResetBy, hooks: ResetHooks = {}): Promise<Sandbox> {
  await deps.beforeReset(attendee, deps.labOf(attendee), old);
  deps.recordReset(attendee, by);
  hooks.replacing?.();
  return deps.pool.replace(old, attendee, hooks.onProgress);
}
