/**
 * What the dashboard's watch pane knows of its watch socket, and how each server frame changes it:
 * `reduceWatch(snapshot, frame)` is pure (issue 18 §9, §11), unit-tested in watchState.test.ts; what
 * the pane's xterm must do comes back as effects, carried out by watchConnection.ts.
 */
import type { WatchServerMessage } from '@/common/watch-protocol';

export type Control = Extract<WatchServerMessage, { type: 'control' }>;

export interface WatchSnapshot {
  phase: 'connecting' | 'watching' | 'closed';
  /** Whether the attendee's own browser is attached. */
  online: boolean | null;
  control: Control;
  /** The server's last error sentence (a refused key, busy control), or why the watch ended. */
  message: string | null;
  /** Bytes skipped the last time this dashboard fell behind (a fresh screen replaced them). */
  skipped: number;
}

export const NO_CONTROL: Control = { type: 'control', state: 'none', mine: false };

export const INITIAL_WATCH: WatchSnapshot = { phase: 'connecting', online: null, control: NO_CONTROL, message: null, skipped: 0 };

export type WatchEffect = { kind: 'screen'; data: string; cols: number; rows: number } | { kind: 'resize'; cols: number; rows: number };

const ENDED: Record<NonNullable<Control['ended']>, string> = {
  declined: 'The attendee declined: you are watching, read-only.',
  'taken-back': 'The attendee took control back: you are watching, read-only.',
  released: 'Control released: you are watching, read-only.',
  'attendee-left': "The attendee's browser went away: control ended, and they must accept again. You are watching, read-only.",
};

export function reduceWatch(snap: WatchSnapshot, frame: WatchServerMessage): { snap: WatchSnapshot; effects: WatchEffect[] } {
  switch (frame.type) {
    case 'screen':
      return { snap: { ...snap, phase: 'watching', skipped: frame.skipped }, effects: [{ kind: 'screen', data: frame.data, cols: frame.cols, rows: frame.rows }] };
    case 'resize':
      return { snap, effects: [{ kind: 'resize', cols: frame.cols, rows: frame.rows }] };
    case 'control': {
      // A sentence when something ended; an unchanged state keeps the last one; a new state clears it.
      const message = frame.ended ? ENDED[frame.ended] : snap.control.state === frame.state ? snap.message : null;
      return { snap: { ...snap, control: frame, message }, effects: [] };
    }
    case 'attendee':
      return { snap: { ...snap, online: frame.online }, effects: [] };
    case 'ended':
      return { snap: { ...snap, message: `The attendee's session ended: ${frame.reason}.` }, effects: [] };
    case 'error':
      return { snap: { ...snap, message: frame.message }, effects: [] };
    case 'pong':
      return { snap, effects: [] };
  }
}

/**
 * Whether a closed watch socket is tried again: only a connection that worked and was lost without the
 * server's word (1006: the network or a killed server; 1001: the server restarting). A refused
 * upgrade, or a close the server chose (the session ended 4004, no session 4404, too many watchers
 * 4029, too many errors 4008), is final: the pane says why and the instructor clicks Watch again.
 */
export function retriesAfter(ev: { code: number }, watched: boolean): boolean {
  return watched && (ev.code === 1006 || ev.code === 1001);
}

/** The pane after its socket closed for good. */
export function watchClosed(snap: WatchSnapshot, ev: { code: number; reason: string }): WatchSnapshot {
  const why = snap.message ?? (ev.code === 1006 ? 'The watch connection was refused or lost (is the token still valid?).' : `The watch ended (${ev.reason || ev.code}).`);
  return { ...snap, phase: 'closed', message: why, control: NO_CONTROL };
}
