/**
 * Presenter mode (issue 10): the step each workshop's instructor is on, broadcast to its attendees'
 * terminal sockets as a `presenter` frame and sent again after every `ready`, so a late joiner or a
 * reloaded page lands where the instructor is. Kept in memory: after a server restart nobody presents
 * until the instructor moves again (a step is a moment of a talk, not a record; progress is in SQLite).
 * A workshop's state, so it lives in workshop/ (issue 18 §5); the presenter route only presents in an
 * open workshop (states.ts `present`).
 */
import type { ServerMessage } from '../../common/protocol.js';

export type PresenterMessage = Extract<ServerMessage, { type: 'presenter' }>;

export interface PresenterDeps {
  /** The workshop an attendee joined, if any (the store's workshops.ts). */
  workshopOf(attendee: string): { id: string } | null;
  /** The workshop's members (the store's workshops.ts). */
  members(workshop: string): string[];
  /** Send to the attendee's browser if one is attached (AttendeeSession.present). */
  tell(attendee: string, msg: PresenterMessage): void;
}

export class Presenter {
  private readonly current = new Map<string, { labId: string; step: number }>();

  constructor(private readonly deps: PresenterDeps) {}

  /** The step the workshop's instructor is on, or null. */
  stepOf(workshop: string): { labId: string; step: number } | null {
    return this.current.get(workshop) ?? null;
  }

  /** Move the workshop's presenter to `step` of `labId` (null: stop presenting) and tell every member. Returns how many were told. */
  set(workshop: string, labId: string, step: number | null): number {
    if (step === null) this.current.delete(workshop);
    else this.current.set(workshop, { labId, step });
    const msg: PresenterMessage = { type: 'presenter', labId, step };
    const members = this.deps.members(workshop);
    for (const a of members) this.deps.tell(a, msg);
    return members.length;
  }

  /** What an attendee's page is sent after `ready`: the presenter's step of their workshop, while there is one. */
  forAttendee(attendee: string): PresenterMessage | null {
    const w = this.deps.workshopOf(attendee);
    const at = w ? this.current.get(w.id) : undefined;
    return at ? { type: 'presenter', labId: at.labId, step: at.step } : null;
  }
}
