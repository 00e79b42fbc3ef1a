/**
 * The stuck rule (issue 10 "The class view"): an attendee is stuck when they have been on the same step
 * longer than the instructor's threshold, or their last commands on it failed N times in a row. Pure:
 * the class view and the workshop API give it the facts and the clock.
 */
import type { StuckSettings } from '../../common/class-protocol.js';
import type { CommandOutcome } from '../store/progress.js';

/** A workshop's rule until the instructor changes it (the store keeps the one set, workshops.ts). */
export const DEFAULT_STUCK_SETTINGS: StuckSettings = { stuckAfterMs: 10 * 60_000, failStreak: 3 };

/** The workshop's rule: the one the instructor set, else the default (the store answers null until then). */
export function stuckSettingsOr(stored: StuckSettings | null): StuckSettings {
  return stored ?? DEFAULT_STUCK_SETTINGS;
}

/** bash's status for a command ended by SIGINT (128 + 2). */
const INTERRUPTED = 130;

/**
 * Which exit statuses are failed commands: anything but 0, and but 130 (the attendee pressed Ctrl-C:
 * stopping a `kubectl get -w` is not a mistake).
 */
export function isFailure(status: number): boolean {
  return status !== 0 && status !== INTERRUPTED;
}

/**
 * What a command's exit status means to the stuck rule (issue 18 §3: the store is told, it does not
 * judge): a failure lengthens the attendee's streak, a success ends it, Ctrl-C does neither.
 */
export function commandOutcome(status: number): CommandOutcome {
  if (status === INTERRUPTED) return 'ignored';
  return isFailure(status) ? 'failed' : 'succeeded';
}

export interface StuckFacts {
  /** The current step, or null before the first report (nobody is stuck before starting). */
  step: number | null;
  /** Time on the current step so far, ms (earlier visits included). */
  timeOnStepMs: number;
  /** Failing commands in a row on the current step, with no success between. */
  failStreak: number;
  /** The last step is where a lab ends: time spent there is not being stuck. */
  lastStep: boolean;
}

export type StuckVerdict = { stuck: false; reason: null } | { stuck: true; reason: string };

export function stuckVerdict(facts: StuckFacts, settings: StuckSettings): StuckVerdict {
  if (facts.step === null) return { stuck: false, reason: null };
  // Failures first: they say more about what to do than the time does.
  if (facts.failStreak >= settings.failStreak) return { stuck: true, reason: `${facts.failStreak} failing commands in a row on step ${facts.step + 1}` };
  if (!facts.lastStep && facts.timeOnStepMs > settings.stuckAfterMs) {
    return { stuck: true, reason: `on step ${facts.step + 1} for ${minutes(facts.timeOnStepMs)} (over ${minutes(settings.stuckAfterMs)})` };
  }
  return { stuck: false, reason: null };
}

function minutes(ms: number): string {
  const m = Math.floor(ms / 60_000);
  return m >= 120 ? `${Math.floor(m / 60)} h` : `${m} min`;
}
