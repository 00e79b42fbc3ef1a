/**
 * What the attendee's page knows of its terminal connection, and how each server frame changes it:
 * `reduce(model, frame)` is pure (issue 18 §9), so every rule of the page (when the screen is cleared,
 * when typed keys are kept for the same shell or dropped for a new one, which notices stay) is
 * unit-tested without a socket or a browser (terminalState.test.ts). What a frame asks the page to do
 * beyond its state (clear xterm, drop the socket, re-send the step, …) comes back as effects, which
 * terminalConnection.ts carries out in order.
 */
import { MAX_SHOWN_MESSAGES, type ServerMessage } from '@/common/protocol';

export type ConnState =
  | { kind: 'connecting' }
  | { kind: 'starting'; phase: string; fraction: number }
  | { kind: 'connected' }
  /** Waiting to retry; `unreachable` once several attempts in a row could not even open a socket. */
  | { kind: 'reconnecting'; retryAt: number; unreachable: boolean }
  | { kind: 'sandbox-gone'; message: string }
  | { kind: 'taken-over' }
  /** No join, no shell (REQUIRE_JOIN=1): the server's sentence; the page links to /join. */
  | { kind: 'join-required'; message: string }
  | { kind: 'failed'; message: string };

export interface Notice {
  id: number;
  tone: 'info' | 'warn' | 'error';
  text: string;
}

/** A message from the instructor, shown until the attendee dismisses it (the server keeps it until then). */
export type InstructorMessage = Extract<ServerMessage, { type: 'message' }>;

export interface Sandbox {
  attendee: string;
  driver: string;
  isolation: string;
}

export type ControlState = Extract<ServerMessage, { type: 'control' }>['state'];

/** What the page shows (useSyncExternalStore's snapshot). */
export interface ConnSnapshot {
  state: ConnState;
  notices: Notice[];
  /** The instructor's undismissed messages, oldest first; the server sends them again after each `ready`. */
  messages: InstructorMessage[];
  sandbox: Sandbox | null;
  /** Round-trip time of the last ping, ms. */
  latency: number | null;
  /** Instructors watching this terminal (a notice shows while above 0), and who may type (docs/protocol.md#watch). */
  watch: { watchers: number; control: ControlState };
  /** The presenter's step (presenter mode), or null while nobody presents. */
  presenter: { labId: string; step: number } | null;
}

/** Before the server says otherwise: nobody watches, nobody presents. */
export const NO_WATCH: ConnSnapshot['watch'] = { watchers: 0, control: 'none' };

export const IDLE: ConnSnapshot = { state: { kind: 'connecting' }, notices: [], messages: [], sandbox: null, latency: null, watch: NO_WATCH, presenter: null };

/** Keystrokes kept while the connection is down, delivered if the same shell comes back. */
export const HELD_INPUT_MAX_CHARS = 4096;

export interface TermModel {
  snap: ConnSnapshot;
  /** True once a shell has been ready: later hellos ask to resume it. */
  hadShell: boolean;
  /** A reset was announced: the next `ready` is the fresh sandbox's, the screen already cleared. */
  resetPending: boolean;
  /** Typed while reconnecting: sent once the same shell is back, dropped (with a notice) if it is not. */
  held: string;
  noticeSeq: number;
}

export const INITIAL_MODEL: TermModel = { snap: IDLE, hadShell: false, resetPending: false, held: '', noticeSeq: 0 };

/** What the connection does after a frame, in order. */
export type Effect =
  /** Clear xterm's screen and scrollback. */
  | { kind: 'clear-screen' }
  /** Replace the screen with the server's rendering of the shell's terminal state. */
  | { kind: 'write-screen'; data: string }
  /** Close the socket without reconnecting (the attendee chooses what next). */
  | { kind: 'drop-socket' }
  /** The next reconnect waits the shortest delay again. */
  | { kind: 'backoff-reset' }
  /** A transient notice: dismiss it after a while. */
  | { kind: 'expire-notice'; id: number }
  /** Keys held during the blip, for the same shell. */
  | { kind: 'send-input'; data: string }
  /** Tell the server the attendee's step again (it is sent after every ready). */
  | { kind: 'resend-progress' }
  /** Send the pane's size if it changed while the shell was starting. */
  | { kind: 'sync-size' }
  | { kind: 'start-ping' }
  | { kind: 'pong'; t: number };

export interface Step {
  model: TermModel;
  effects: Effect[];
}

/** A server frame (already validated by the protocol client): the new model and what to do. */
export function reduce(model: TermModel, frame: ServerMessage): Step {
  const snap = (patch: Partial<ConnSnapshot>): TermModel => ({ ...model, snap: { ...model.snap, ...patch } });
  switch (frame.type) {
    case 'progress':
      return { model: snap({ state: { kind: 'starting', phase: frame.phase, fraction: clamp01(frame.fraction) } }), effects: [] };
    case 'ready':
      return ready(model, frame);
    case 'screen':
      // Restore the screen as the server's terminal state has it, before any newer output.
      return { model, effects: [{ kind: 'clear-screen' }, { kind: 'write-screen', data: frame.data }] };
    case 'exit': {
      // node-pty reports signal 0 for a plain exit, so only a non-zero signal means "killed".
      const how = frame.signal ? `was killed (signal ${frame.signal})` : `exited with code ${frame.code ?? '?'}`;
      return { model: snap({ state: { kind: 'sandbox-gone', message: `The shell ${how}.` } }), effects: [] };
    }
    case 'sandbox-lost':
      return { model: snap({ state: { kind: 'sandbox-gone', message: frame.message } }), effects: [] };
    case 'reset': {
      const told = notify({ ...model, held: '', resetPending: true }, 'warn', frame.by === 'instructor' ? 'Your sandbox was reset by the instructor' : 'Your sandbox was reset', false);
      const next = { ...told.model, snap: { ...told.model.snap, state: { kind: 'starting', phase: 'Resetting your sandbox', fraction: 0 } as ConnState } };
      return { model: next, effects: [{ kind: 'clear-screen' }, ...told.effects] };
    }
    case 'taken-over':
      return { model: snap({ state: { kind: 'taken-over' } }), effects: [{ kind: 'drop-socket' }] };
    case 'bye': {
      // The server is restarting: retry quickly; the backoff takes over if it stays down.
      const told = notify(model, 'info', `Server restarting (${frame.reason}); reconnecting…`, true);
      return { model: told.model, effects: [{ kind: 'backoff-reset' }, ...told.effects] };
    }
    case 'message':
      if (model.snap.messages.some((m) => m.id === frame.id)) return { model, effects: [] };
      return { model: snap({ messages: [...model.snap.messages, frame].slice(-MAX_SHOWN_MESSAGES) }), effects: [] };
    case 'watching':
      return { model: snap({ watch: { ...model.snap.watch, watchers: frame.watchers } }), effects: [] };
    case 'control':
      return { model: snap({ watch: { ...model.snap.watch, control: frame.state } }), effects: [] };
    case 'presenter':
      return { model: snap({ presenter: frame.step === null ? null : { labId: frame.labId, step: frame.step } }), effects: [] };
    case 'workshop': {
      // Issue 10: the server's own sentence (with the close countdown's seconds, or why there is no shell).
      const told = notify(model, frame.state === 'open' ? 'info' : 'warn', frame.message, frame.state === 'open');
      if (frame.state !== 'paused') return told;
      const state: ConnState = { kind: 'starting', phase: 'The workshop is paused: your shell comes back when it resumes', fraction: 0 };
      return { model: { ...told.model, snap: { ...told.model.snap, state } }, effects: told.effects };
    }
    case 'pong':
      return { model, effects: [{ kind: 'pong', t: frame.t }] };
    case 'error':
      if (frame.code === 'join-required') return { model: snap({ state: { kind: 'join-required', message: frame.message } }), effects: [{ kind: 'drop-socket' }] };
      if (frame.fatal) return { model: snap({ state: { kind: 'failed', message: frame.message } }), effects: [{ kind: 'drop-socket' }] };
      return notify(model, 'error', frame.message, true);
  }
}

function ready(model: TermModel, frame: Extract<ServerMessage, { type: 'ready' }>): Step {
  const effects: Effect[] = [];
  // A new shell (not the one we had, and not the fresh one a reset announced, already cleared): clear.
  if (!frame.resumed && model.hadShell && !model.resetPending) effects.push({ kind: 'clear-screen' });
  const held = model.held;
  let m: TermModel = { ...model, held: '' };
  if (held && !frame.resumed) m = addNotice(m, effects, 'warn', 'What you typed while disconnected was not sent: this is a new shell.', true);
  // `replaced` is the server's own sentence, e.g. "The server restarted and your previous shell was lost; …".
  if (frame.replaced) m = addNotice(m, effects, 'warn', frame.replaced, false);
  m = { ...m, hadShell: true, resetPending: false, snap: { ...m.snap, sandbox: { attendee: frame.attendee, driver: frame.driver, isolation: frame.isolation }, state: { kind: 'connected' } } };
  effects.push({ kind: 'backoff-reset' });
  if (held && frame.resumed) effects.push({ kind: 'send-input', data: held });
  effects.push({ kind: 'resend-progress' }, { kind: 'sync-size' }, { kind: 'start-ping' });
  return { model: m, effects };
}

/** Show a notice; transient ones go away by themselves (an `expire-notice` effect), the others stay until dismissed. */
export function notify(model: TermModel, tone: Notice['tone'], text: string, transient: boolean): Step {
  const effects: Effect[] = [];
  return { model: addNotice(model, effects, tone, text, transient), effects };
}

function addNotice(model: TermModel, effects: Effect[], tone: Notice['tone'], text: string, transient: boolean): TermModel {
  const id = model.noticeSeq + 1;
  if (transient) effects.push({ kind: 'expire-notice', id });
  return { ...model, noticeSeq: id, snap: { ...model.snap, notices: [...model.snap.notices, { id, tone, text }] } };
}

/**
 * Keys typed while the connection is down: kept (up to HELD_INPUT_MAX_CHARS) when the shell we had
 * may come back, i.e. reconnecting to it and not after a reset; otherwise not kept.
 */
export function holdInput(model: TermModel, data: string): TermModel {
  const kind = model.snap.state.kind;
  if (!model.hadShell || model.resetPending || (kind !== 'reconnecting' && kind !== 'connecting')) return model;
  return { ...model, held: (model.held + data).slice(0, HELD_INPUT_MAX_CHARS) };
}

function clamp01(x: number): number {
  return Number.isFinite(x) ? Math.min(1, Math.max(0, x)) : 0;
}
