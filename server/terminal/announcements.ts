/**
 * What an attendee's page is told after each `ready` besides its shell (issue 18 §6): the instructor's
 * messages not dismissed yet, the presenter's step, the workshop's close countdown, so a reload or a
 * late connection still shows them. Each is a provider owned by its area and injected from
 * server/main.ts; the terminal adds its own watchers' state (watchers.ts). A terminal knows nothing of
 * where they come from, and a new kind of notice is one more provider, not one more session dependency.
 */
import type { WorkshopState } from '../workshop/states.js';
import type { ServerMessage } from '../../common/protocol.js';

/** The frames one area has for `attendee` right now (none: an empty list). */
export type Announcer = (attendee: string) => ServerMessage[];

type MessageFrame = Extract<ServerMessage, { type: 'message' }>;
type PresenterFrame = Extract<ServerMessage, { type: 'presenter' }>;

/** A kept message of the instructor's, as the store holds it. */
export type KeptMessage = Omit<MessageFrame, 'type' | 'from'>;

/** The instructor's messages the attendee has not dismissed (the store's `pendingMessages`). */
export function pendingMessages(store: { pendingMessages(attendee: string): KeptMessage[] }): Announcer {
  return (attendee) => store.pendingMessages(attendee).map((m) => messageFrame(m));
}

/** The step the attendee's workshop's presenter is on, while someone presents (server/workshop/presenter.ts). */
export function presenterStep(presenter: { forAttendee(attendee: string): PresenterFrame | null }): Announcer {
  return (attendee) => {
    const p = presenter.forAttendee(attendee);
    return p ? [p] : [];
  };
}

/** A workshop's state as a session sees it; `closesAt` while the close countdown runs. */
export interface WorkshopStatus {
  state: WorkshopState;
  closesAt: number | null;
}

/** The close countdown of the attendee's workshop, while it runs. */
export function closingCountdown(workshop: (attendee: string) => WorkshopStatus | null): Announcer {
  return (attendee) => {
    const closesAt = workshop(attendee)?.closesAt;
    return closesAt ? [{ type: 'workshop', state: 'closing', message: closingNotice(closesAt), closesAt }] : [];
  };
}

export function messageFrame(m: KeptMessage): MessageFrame {
  return { type: 'message', from: 'instructor', ...m };
}

/** The closing warning, with the time left as of now (the page counts down from `closesAt`). */
export function closingNotice(closesAt: number): string {
  const seconds = Math.max(0, Math.round((closesAt - Date.now()) / 1000));
  return `The workshop closes in ${seconds} s: your sandbox and its files will be deleted. Save anything you want to keep now.`;
}
