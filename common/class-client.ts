/**
 * The one client of the class socket (common/class-protocol.ts), and the one fold of its frames into
 * the instructor's roster, `applyClassFrame()` (issue 18 §4: the roster was folded three times, and one
 * fold ignored `removed`). Used by the dashboard (app/instructor/useClassSocket.ts) and the tests.
 */
import {
  classServerMessage,
  type ClassClientMessage,
  type ClassRow,
  type ClassServerMessage,
  type StuckSettings,
} from './class-protocol'; // no `.js`: the browser bundler (Turbopack) does not map it to the .ts file
import { SocketClient, type SocketLike } from './socket-client';

export type ClassWorkshop = Extract<ClassServerMessage, { type: 'snapshot' }>['workshop'];

/** The roster as the frames so far build it. */
export interface ClassRoster {
  /** Null until the first snapshot. */
  workshop: ClassWorkshop | null;
  settings: StuckSettings | null;
  /** One row per attendee, in the order the server first sent them. */
  rows: ClassRow[];
  /** The server's clock minus the receiver's, ms (times on a step count on the server's clock). */
  clockOffsetMs: number;
  /** The last frame the server refused, as it said it; cleared by a snapshot. */
  error: string | null;
}

export const EMPTY_ROSTER: ClassRoster = { workshop: null, settings: null, rows: [], clockOffsetMs: 0, error: null };

/**
 * The roster after `frame`, received at `now` (the receiver's clock, ms since the epoch). A snapshot
 * replaces everything; an update replaces the rows it carries, appends new ones, and drops the ids in
 * `removed`; the input is never changed.
 */
export function applyClassFrame(roster: ClassRoster, frame: ClassServerMessage, now: number): ClassRoster {
  switch (frame.type) {
    case 'snapshot':
      return { workshop: frame.workshop, settings: frame.settings, rows: frame.rows, clockOffsetMs: frame.at - now, error: null };
    case 'update': {
      const changed = new Map(frame.rows.map((r) => [r.id, r]));
      const gone = new Set(frame.removed);
      const rows = roster.rows.filter((r) => !gone.has(r.id)).map((r) => changed.get(r.id) ?? r);
      const known = new Set(rows.map((r) => r.id));
      for (const r of frame.rows) if (!known.has(r.id) && !gone.has(r.id)) rows.push(r);
      return { ...roster, rows, clockOffsetMs: frame.at - now };
    }
    case 'settings':
      return { ...roster, settings: frame.settings };
    case 'error':
      return { ...roster, error: frame.message };
  }
}

export interface ClassClientHandlers {
  onOpen?(): void;
  /** A valid frame, already folded into `roster`. */
  onFrame?(frame: ClassServerMessage, roster: ClassRoster): void;
  /** A text frame that is not a valid server frame: dropped, and counted in `invalidFrames`. */
  onInvalid?(error: string, text: string): void;
  onClose?(ev: { code: number; reason: string; opened: boolean }): void;
}

export class ClassClient extends SocketClient<ClassServerMessage, ClassClientMessage> {
  roster: ClassRoster;

  /** `roster`: where to start from (a reconnecting page keeps showing the last rows it had until the snapshot). */
  constructor(socket: SocketLike, handlers: ClassClientHandlers, roster: ClassRoster = EMPTY_ROSTER, now: () => number = Date.now) {
    super(socket, classServerMessage, {
      onOpen: () => handlers.onOpen?.(),
      onFrame: (frame) => {
        this.roster = applyClassFrame(this.roster, frame, now());
        handlers.onFrame?.(frame, this.roster);
      },
      onInvalid: (error, text) => handlers.onInvalid?.(error, text),
      onClose: (ev) => handlers.onClose?.(ev),
    });
    this.roster = roster;
  }

  /** Change the workshop's stuck rule; every watcher of the workshop is sent the new one. */
  setStuck(settings: Partial<StuckSettings>): boolean {
    return this.send({ type: 'stuck-settings', ...settings });
  }
}
