/**
 * The stuck rule (issue 10 "The class view"): an attendee is stuck when they have been on the same step
 * longer than the instructor's threshold, or their last commands on it failed N times in a row. Pure:
 * the class view and the workshop API give it the facts and the clock.
 */
import type { StuckSettings } from '../../common/class-protocol.js';

/** A workshop's rule until the instructor changes it (persisted per workshop, store.ts). */
export const DEFAULT_STUCK_SETTINGS: StuckSettings = { stuckAfterMs: 10 * 60_000, failStreak: 3 };

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
