/**
 * The dashboard's side of the watch socket: one instance per watched attendee. The protocol is the
 * one watch client (common/watch-client.ts, the tests' too); what a frame does to the pane is
 * watchState.ts's pure `reduceWatch`; a connection lost without the server's word (a restart, the
 * network) is tried again with the shared backoff (common/reconnect.ts), a few times. Plain TypeScript,
 * no React, like the attendee's terminalConnection.ts: the pane subscribes through
 * `subscribe`/`getSnapshot`, and the xterm plugs in as a sink.
 */
import { instructorProtocols } from '@/common/instructor-socket';
import { Reconnector } from '@/common/reconnect';
import { WatchClient } from '@/common/watch-client';
import { watchPath } from '@/common/watch-protocol';
import { INITIAL_WATCH, NO_CONTROL, reduceWatch, retriesAfter, watchClosed, type WatchEffect, type WatchSnapshot } from './watchState';

export type { Control, WatchSnapshot } from './watchState';

export interface WatchSink {
  /** Clear the terminal, size it as the attendee's, and write the restored screen. */
  screen(data: string, cols: number, rows: number): void;
  resize(cols: number, rows: number): void;
  write(data: Uint8Array): void;
}

/** Attempts in a row before a lost watch gives up (about a minute and a half with the backoff). */
const MAX_RETRIES = 8;
const RECONNECTING = 'The watch connection was lost; reconnecting…';

export class WatchConnection {
  private conn: WatchClient | null = null;
  private sink: WatchSink | null = null;
  /** Output that arrived before the terminal was ready, bounded: the next screen replaces it anyway. */
  private early: Array<{ kind: 'screen'; data: string; cols: number; rows: number } | { kind: 'out'; data: Uint8Array }> = [];
  private snapshot: WatchSnapshot = INITIAL_WATCH;
  /** Reached `watching` at least once: a lost connection is worth retrying. */
  private watched = false;
  private readonly retry = new Reconnector(() => this.connect());
  private readonly listeners = new Set<() => void>();
  private disposed = false;

  constructor(
    private readonly token: string,
    readonly attendee: string,
  ) {}

  subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  getSnapshot = (): WatchSnapshot => this.snapshot;

  open(): void {
    if (this.conn || this.disposed) return;
    this.connect();
  }

  attachSink(sink: WatchSink): void {
    this.sink = sink;
    for (const e of this.early) {
      if (e.kind === 'screen') sink.screen(e.data, e.cols, e.rows);
      else sink.write(e.data);
    }
    this.early = [];
  }

  detachSink(sink: WatchSink): void {
    if (this.sink === sink) this.sink = null;
  }

  /** Ask the attendee for control (their page prompts), or give it back. */
  control(action: 'request' | 'release'): void {
    this.conn?.control(action);
  }

  /** Keys: the server types them only while the attendee has granted control to this watcher. */
  input(data: string): void {
    if (this.snapshot.control.state === 'granted' && this.snapshot.control.mine) this.conn?.input(data);
  }

  dispose(): void {
    this.disposed = true;
    this.retry.stop();
    this.conn?.abandon();
    this.conn = null;
    this.listeners.clear();
    this.sink = null;
  }

  private connect(): void {
    if (this.disposed) return;
    const scheme = window.location.protocol === 'https:' ? 'wss:' : 'ws:';
    const ws = new WebSocket(`${scheme}//${window.location.host}${watchPath(this.attendee)}`, instructorProtocols(this.token));
    ws.binaryType = 'arraybuffer';
    const conn: WatchClient = new WatchClient(ws, {
      onOutput: (data) => this.output(data),
      onMessage: (msg) => {
        const { snap, effects } = reduceWatch(this.snapshot, msg);
        if (snap.phase === 'watching') this.watched = true;
        if (msg.type === 'screen') this.retry.succeeded();
        this.update(snap.message === RECONNECTING ? { ...snap, message: null } : snap);
        for (const e of effects) this.perform(e);
      },
      onClose: (ev) => {
        if (this.conn !== conn) return;
        this.conn = null;
        if (retriesAfter(ev, this.watched) && this.retry.backoff.attempts < MAX_RETRIES && this.retry.schedule() !== null) {
          this.update({ ...this.snapshot, phase: 'connecting', control: NO_CONTROL, message: RECONNECTING });
          return;
        }
        const lost = this.snapshot.message === RECONNECTING ? { ...this.snapshot, message: 'The watch connection was lost and did not come back: click Watch again.' } : this.snapshot;
        this.update(watchClosed(lost, ev));
      },
    });
    this.conn = conn;
  }

  private perform(e: WatchEffect): void {
    if (e.kind === 'resize') return this.sink?.resize(e.cols, e.rows);
    if (this.sink) this.sink.screen(e.data, e.cols, e.rows);
    else this.early = [{ kind: 'screen', data: e.data, cols: e.cols, rows: e.rows }];
  }

  private output(data: Uint8Array): void {
    if (this.sink) this.sink.write(data);
    else if (this.early.length < 64) this.early.push({ kind: 'out', data });
  }

  private update(snap: WatchSnapshot): void {
    if (this.disposed) return;
    this.snapshot = snap;
    for (const l of this.listeners) l();
  }
}
