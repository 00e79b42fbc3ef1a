/**
 * The instructors watching one attendee's terminal (issue 10, "Watch an attendee's terminal"): the
 * session's own output fanned out, never a second shell, and control of the keyboard lent only with the
 * attendee's consent. One WatcherSet per terminal (terminal.ts); the socket side is watch.ts.
 *
 * Bounds: a watcher never slows the attendee. The shell is paused only by the attendee's own flow
 * control (output-channel.ts); a watcher that does not keep up is not waited for: once more than
 * `highBytes` are queued for it, its output is skipped, and when its socket has drained below `lowBytes`
 * it gets a fresh screen (rendered from the session's ring, screen.ts) with the count of bytes it
 * missed. Renders for one watcher are at most one per `resyncEveryMs`, so a flood cannot turn watchers
 * into a CPU load. Invariant: lowBytes < highBytes, checked at construction.
 */
import type { ServerMessage } from '../../common/protocol.js';
import type { WatchErrorCode, WatchServerMessage } from '../../common/watch-protocol.js';
import { MAX_WATCHERS_PER_ATTENDEE } from '../../common/watch-protocol.js';
import type { TermSize } from '../sandbox/driver.js';
import { renderScreen } from './screen.js';

/** A watcher's socket, as the watch gateway presents it. */
export interface WatchLink {
  readonly id: number;
  sendJson(msg: WatchServerMessage): void;
  /** Send output; `onSent` runs once the frame has been handed to the kernel (or the socket is gone). */
  sendOutput(data: Buffer, onSent: () => void): void;
  /** Bytes queued in this process for the socket (`ws.bufferedAmount`). */
  readonly bufferedAmount: number;
  close(code: number, reason: string): void;
}

/** What the set needs from its terminal (terminal.ts). */
export interface WatchedShell {
  /** The live shell's retained output and size, or null while there is none. */
  screen(): { bytes: Buffer; size: TermSize } | null;
  /** The attendee's current terminal size. */
  size(): TermSize;
  /** Tell the attendee's browser, if one is attached. */
  tellAttendee(msg: ServerMessage): void;
  /** Whether the attendee's browser is attached. */
  attendeeOnline(): boolean;
  /** Type the controlling watcher's keys through the attendee's bounded input path; `refuse` reports why not. */
  type(data: string, refuse: (code: WatchErrorCode, message: string) => void): void;
}

export interface WatchLimits {
  /** Bytes queued for a watcher (socket and not yet sent) above which its output is skipped… */
  highBytes: number;
  /** …until its socket drains below this, when it gets a fresh screen. */
  lowBytes: number;
  /** Fewest milliseconds between two screens rendered for one watcher. */
  resyncEveryMs: number;
}

export const WATCH_LIMITS: WatchLimits = { highBytes: 512 * 1024, lowBytes: 64 * 1024, resyncEveryMs: 1000 };

export type ControlState = 'none' | 'requested' | 'granted';
type Control = { state: 'none' } | { state: 'requested' | 'granted'; by: number };
type Ended = NonNullable<Extract<WatchServerMessage, { type: 'control' }>['ended']>;

class Watcher {
  /** `syncing`: a screen is being rendered (output waits in `held`); `behind`: output is skipped until the socket drains. */
  mode: 'syncing' | 'live' | 'behind' = 'syncing';
  pending: Buffer[] = [];
  pendingBytes = 0;
  skipped = 0;
  lastSyncAt = 0;
  /** Which sync is current: a render that finishes after a newer sync began is dropped. */
  syncSeq = 0;
  timer: NodeJS.Timeout | null = null;
  constructor(readonly link: WatchLink) {}
}

export class WatcherSet {
  private readonly watchers = new Map<number, Watcher>();
  private control: Control = { state: 'none' };
  private flushScheduled = false;
  private ended = false;

  constructor(
    private readonly shell: WatchedShell,
    private readonly limits: WatchLimits = WATCH_LIMITS,
  ) {
    if (!(limits.lowBytes < limits.highBytes)) throw new Error('watch limits violate low < high');
  }

  get count(): number {
    return this.watchers.size;
  }

  get controlState(): ControlState {
    return this.control.state;
  }

  /** A watcher connected: it gets the restored screen, then live output. False when there are too many. */
  add(link: WatchLink): boolean {
    if (this.ended || this.watchers.size >= MAX_WATCHERS_PER_ATTENDEE) return false;
    const w = new Watcher(link);
    this.watchers.set(link.id, w);
    link.sendJson({ type: 'attendee', online: this.shell.attendeeOnline() });
    link.sendJson(this.controlFor(w));
    this.sync(w);
    this.shell.tellAttendee(this.watchingMessage());
    return true;
  }

  /** A watcher's socket closed: control it held or asked for ends with it. */
  remove(link: WatchLink): void {
    const w = this.watchers.get(link.id);
    if (!w) return;
    if (w.timer) clearTimeout(w.timer);
    this.watchers.delete(link.id);
    if (this.control.state !== 'none' && this.control.by === link.id) this.setControl({ state: 'none' }, 'released');
    this.shell.tellAttendee(this.watchingMessage());
  }

  /** Output of the session's shell (already in its ring). */
  output(chunk: Buffer): void {
    for (const w of this.watchers.values()) {
      if (w.mode === 'behind') {
        w.skipped += chunk.length;
        continue;
      }
      w.pending.push(chunk);
      w.pendingBytes += chunk.length;
      if (w.pendingBytes + w.link.bufferedAmount > this.limits.highBytes) this.fallBehind(w);
    }
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(() => this.flush());
    }
  }

  /** A new shell started (first start, reset, recreate): every watcher starts from its empty screen. */
  shellStarted(): void {
    for (const w of this.watchers.values()) this.sync(w);
  }

  resized(size: TermSize): void {
    for (const w of this.watchers.values()) w.link.sendJson({ type: 'resize', cols: size.cols, rows: size.rows });
  }

  /**
   * The attendee's browser attached or left. Leaving ends control and any request for it (issue 17 §6:
   * a lent keyboard must not outlive the attendee, whose shell lives on unattended): they consent
   * again when they are back.
   */
  attendeeChanged(online: boolean): void {
    for (const w of this.watchers.values()) w.link.sendJson({ type: 'attendee', online });
    if (!online && this.control.state !== 'none') this.setControl({ state: 'none' }, 'attendee-left');
  }

  /** What the attendee's page is told after each `ready`: who watches and who may type. */
  announce(): ServerMessage[] {
    return [this.watchingMessage(), { type: 'control', state: this.control.state }];
  }

  /** A watcher asks for control (the attendee's page prompts) or gives it back. */
  controlRequest(link: WatchLink, action: 'request' | 'release'): void {
    const c = this.control;
    if (action === 'release') {
      if (c.state !== 'none' && c.by === link.id) this.setControl({ state: 'none' }, 'released');
      return;
    }
    if (c.state !== 'none' && c.by !== link.id) {
      link.sendJson({ type: 'error', code: 'control-busy', message: `another instructor has ${c.state === 'granted' ? 'control' : 'asked for control'} of this terminal` });
      return;
    }
    if (c.state === 'none') this.setControl({ state: 'requested', by: link.id });
  }

  /** The attendee's answer: `accept` a pending request; `end` declines it or takes control back. */
  attendeeAnswer(action: 'accept' | 'end'): void {
    const c = this.control;
    if (c.state === 'none') return;
    if (action === 'accept') {
      if (c.state === 'requested') this.setControl({ state: 'granted', by: c.by });
      return;
    }
    this.setControl({ state: 'none' }, c.state === 'requested' ? 'declined' : 'taken-back');
  }

  /** Keys from a watcher: typed only while the attendee has granted it control. */
  input(link: WatchLink, data: string): void {
    const c = this.control;
    if (c.state !== 'granted' || c.by !== link.id) {
      link.sendJson({ type: 'error', code: 'not-in-control', message: 'the attendee has not given you control of their terminal: nothing was typed' });
      return;
    }
    this.shell.type(data, (code, message) => link.sendJson({ type: 'error', code, message }));
  }

  /** The session ended: every watcher is told and closed. */
  end(reason: string): void {
    if (this.ended) return;
    this.ended = true;
    this.control = { state: 'none' };
    for (const w of this.watchers.values()) {
      if (w.timer) clearTimeout(w.timer);
      w.link.sendJson({ type: 'ended', reason });
      w.link.close(4004, 'session ended');
    }
    this.watchers.clear();
  }

  private setControl(next: Control, ended?: Ended): void {
    this.control = next;
    for (const w of this.watchers.values()) w.link.sendJson(this.controlFor(w, ended));
    this.shell.tellAttendee({ type: 'control', state: next.state });
  }

  private controlFor(w: Watcher, ended?: Ended): WatchServerMessage {
    const c = this.control;
    return { type: 'control', state: c.state, mine: c.state !== 'none' && c.by === w.link.id, ...(ended ? { ended } : {}) };
  }

  private watchingMessage(): ServerMessage {
    return { type: 'watching', watchers: this.watchers.size };
  }

  private flush(): void {
    this.flushScheduled = false;
    for (const w of this.watchers.values()) {
      if (w.mode !== 'live' || w.pendingBytes === 0) continue;
      this.send(w);
    }
  }

  private send(w: Watcher): void {
    const data = w.pending.length === 1 ? w.pending[0]! : Buffer.concat(w.pending);
    w.pending = [];
    w.pendingBytes = 0;
    w.link.sendOutput(data, () => undefined);
    if (w.link.bufferedAmount > this.limits.highBytes) this.fallBehind(w);
  }

  /** Stop sending to a watcher that does not keep up; it is brought back with a fresh screen once drained. */
  private fallBehind(w: Watcher): void {
    w.skipped += w.pendingBytes;
    w.pending = [];
    w.pendingBytes = 0;
    if (w.mode === 'behind') return;
    w.mode = 'behind';
    this.scheduleResync(w);
  }

  private scheduleResync(w: Watcher): void {
    if (w.timer) return;
    const wait = Math.max(0, w.lastSyncAt + this.limits.resyncEveryMs - Date.now());
    w.timer = setTimeout(() => {
      w.timer = null;
      if (!this.watchers.has(w.link.id)) return;
      if (w.link.bufferedAmount < this.limits.lowBytes) this.sync(w);
      else {
        w.lastSyncAt = Date.now();
        this.scheduleResync(w);
      }
    }, wait);
    w.timer.unref();
  }

  /**
   * Send the watcher the screen as the session's ring has it, then what arrived meanwhile. The ring
   * already holds every byte pushed so far, so what was pending is dropped (it is in the screen) and
   * only output after this point is held.
   */
  private sync(w: Watcher): void {
    w.mode = 'syncing';
    const seq = ++w.syncSeq;
    w.pending = [];
    w.pendingBytes = 0;
    w.lastSyncAt = Date.now();
    const size = this.shell.size();
    const snap = this.shell.screen();
    const done = (data: string, cols: number, rows: number) => {
      if (this.watchers.get(w.link.id) !== w || w.mode !== 'syncing' || w.syncSeq !== seq) return;
      w.link.sendJson({ type: 'screen', data, cols, rows, skipped: w.skipped });
      w.skipped = 0;
      w.mode = 'live';
      if (w.pendingBytes > 0) this.send(w);
    };
    if (!snap || snap.bytes.length === 0) return done('', snap?.size.cols ?? size.cols, snap?.size.rows ?? size.rows);
    renderScreen(snap.bytes, snap.size).then(
      (data) => done(data, snap.size.cols, snap.size.rows),
      () => done('', snap.size.cols, snap.size.rows),
    );
  }
}
