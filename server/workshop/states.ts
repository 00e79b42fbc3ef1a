/**
 * A workshop's states and what each allows (issue 18 §5): the one table that every decision on a
 * workshop's state reads (the HTTP routes, WorkshopControl, the gateway's shell refusal in main.ts, the
 * session and the session manager), and that the store enforces in its transactions (WORKSHOP_RULES).
 *
 * Modelled on server/terminal/lifecycle.ts: the moves go forward to `closed`, after which nothing moves
 * again (closed → open is refused); open and paused alternate (a workshop pauses overnight and
 * resumes). A move to the state it is in is refused too. Each refusal is named with its reason: the
 * sentence the instructor's dashboard or the attendee's page shows.
 *
 * A close countdown is not a state: an open or paused workshop whose `closesAt` is set is closing, and
 * the countdown's end moves it to closed (WorkshopControl).
 */
import type { WorkshopRules, WorkshopState } from '../store/workshops.js';
import { newJoinCode } from './join-code.js';

export type { WorkshopState };

/** What an attendee or the instructor asks of a workshop, or what the server does in it. */
export type WorkshopAction =
  /** Someone joins (or a member comes back from the same browser). */
  | 'join'
  /** A member's page connects: a session exists, with a shell or with a notice why not. */
  | 'attach'
  /** A member's shell runs (a paused workshop's page shows why it does not). */
  | 'shell'
  /** A member's session outlives their browser (laptops sleep at lunch) instead of ending after the grace period. */
  | 'linger'
  /** Members' sandboxes are expected to run: one found stopped or gone is news. */
  | 'health-check'
  /** The instructor prepares sandboxes ahead of the members. */
  | 'prepare'
  /** The instructor starts the close countdown. */
  | 'close'
  | 'pause'
  | 'resume'
  /** The instructor resets members' sandboxes. */
  | 'reset'
  /** The instructor moves the presenter's step. */
  | 'present';

interface StateRules {
  /** The states it may move to. */
  next: readonly WorkshopState[];
  allows: readonly WorkshopAction[];
}

const TABLE: Record<WorkshopState, StateRules> = {
  open: { next: ['paused', 'closed'], allows: ['join', 'attach', 'shell', 'linger', 'health-check', 'prepare', 'close', 'pause', 'reset', 'present'] },
  // Sandboxes are stopped, files kept: pages stay attached and are told; nothing starts a sandbox.
  paused: { next: ['open', 'closed'], allows: ['attach', 'linger', 'prepare', 'close', 'resume'] },
  closed: { next: [], allows: [] },
};

/** Why each action is refused, as the sentence shown; `w` is in a state that does not allow it. */
const REFUSED: Record<WorkshopAction, (w: { title: string; state: WorkshopState }) => string> = {
  join: (w) => `The workshop "${w.title}" is ${w.state}: ask the instructor.`,
  attach: (w) => `The workshop "${w.title}" is ${w.state}: ask the instructor.`,
  shell: (w) => `The workshop "${w.title}" is ${w.state}: your shell comes back when the instructor resumes it.`,
  linger: (w) => `The workshop "${w.title}" is ${w.state}.`,
  'health-check': (w) => `The workshop "${w.title}" is ${w.state}: its sandboxes are not expected to run.`,
  prepare: (w) => `The workshop "${w.title}" is ${w.state}.`,
  close: (w) => `The workshop "${w.title}" is ${w.state}.`,
  pause: (w) => `The workshop "${w.title}" is ${w.state}: only an open workshop can be paused.`,
  resume: (w) => `The workshop "${w.title}" is ${w.state}: only a paused workshop can be resumed.`,
  reset: (w) => `The workshop "${w.title}" is ${w.state}: resume it before resetting sandboxes.`,
  present: (w) => `The workshop "${w.title}" is ${w.state}: presenting needs an open workshop.`,
};

/** May a workshop in `from` move to `to`? */
export function canMove(from: WorkshopState, to: WorkshopState): boolean {
  return TABLE[from].next.includes(to);
}

/** Does a workshop in `state` allow `action`? */
export function workshopAllows(state: WorkshopState, action: WorkshopAction): boolean {
  return TABLE[state].allows.includes(action);
}

/** Null when the workshop allows `action`; else the named reason, as the sentence to show. */
export function refusal(w: { title: string; state: WorkshopState }, action: WorkshopAction): string | null {
  return workshopAllows(w.state, action) ? null : REFUSED[action](w);
}

/** The rules the store enforces inside its transactions (wired in main.ts). */
export const WORKSHOP_RULES: WorkshopRules = {
  newCode: newJoinCode,
  canMove,
  joinable: (state) => workshopAllows(state, 'join'),
};
