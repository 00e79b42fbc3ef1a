/**
 * One workshop's rows as the instructor sees them: the store's progress (read-models.ts classFacts), freshened by
 * the live sessions (online, sandbox state), judged by the stuck rule. The one place both the class
 * socket and `GET /api/workshops/:id` build a row, so the two cannot disagree.
 */
import type { ClassRow, SandboxState, StuckSettings } from '../../common/class-protocol.js';
import type { SandboxHealth } from '../sandbox/driver.js';
import type { ReadModels } from '../store/read-models.js';
import type { StoredWorkshop, Workshops } from '../store/workshops.js';
import { stuckSettingsOr, stuckVerdict } from './stuck.js';

/** What a row needs of a live session (server/terminal/session.ts AttendeeSession). */
export interface LiveSession {
  readonly connected: boolean;
  readonly lastSeen: number;
  readonly sandboxInfo: { health: SandboxHealth } | null;
}

export interface RosterDeps {
  store: Pick<ReadModels, 'classFacts'> & Pick<Workshops, 'stuckSettings'>;
  session(attendee: string): LiveSession | undefined;
  /** How many steps the lab has (0 when it is not loaded). */
  stepCount(labId: string): number;
}

/** A row, plus the time on the step as of `now` (the API's field; the socket sends onStepSince). */
export type RosterRow = ClassRow & { timeOnStepMs: number | null };

export function rosterRows(deps: RosterDeps, w: StoredWorkshop, now: number, settings: StuckSettings = stuckSettingsOr(deps.store.stuckSettings(w.id))): RosterRow[] {
  const steps = deps.stepCount(w.labId);
  return deps.store.classFacts(w.id, now).map((f) => {
    const live = deps.session(f.attendee);
    // Progress in another lab than the workshop's is not progress in this one.
    const step = f.labId === w.labId ? f.step : null;
    const timeOnStepMs = step === null ? null : f.timeOnStepMs;
    const verdict = stuckVerdict({ step, timeOnStepMs: timeOnStepMs ?? 0, failStreak: step === null ? 0 : f.failStreak, lastStep: step !== null && step >= steps - 1 }, settings);
    return {
      id: f.attendee,
      name: f.name,
      online: live?.connected ?? false,
      step,
      onStepSince: timeOnStepMs === null ? null : now - timeOnStepMs,
      failedCommands: f.failedCommands,
      runs: f.runs,
      sandbox: sandboxState(live, f.sandboxId),
      lastSeen: Math.max(live?.lastSeen ?? 0, f.lastSeen),
      stuck: verdict.stuck,
      stuckReason: verdict.reason,
      timeOnStepMs,
    };
  });
}

function sandboxState(live: LiveSession | undefined, assigned: string | null): SandboxState {
  if (live) return live.sandboxInfo?.health ?? 'starting';
  return assigned ? 'parked' : 'none';
}

/** The row as the class socket sends it: without the field that changes every millisecond. */
export function classRow(row: RosterRow): ClassRow {
  const { timeOnStepMs: _omitted, ...rest } = row;
  void _omitted;
  return rest;
}
