/**
 * The dashboard's side of the watch socket (common/watch-protocol.ts): one instance per watched
 * attendee. Plain TypeScript, no React, like the attendee's terminalConnection.ts: the pane subscribes
 * through `subscribe`/`getSnapshot`, and the xterm plugs in as a sink. No reconnect: a watch that
 * ended says why, and the instructor clicks Watch again.
 */
import { instructorProtocols } from '@/common/instructor-socket';
import { parseWatchServerMessage, watchPath, type WatchClientMessage, type WatchServerMessage } from '@/common/watch-protocol';

export interface WatchSink {
  /** Clear the terminal, size it as the attendee's, and write the restored screen. */
  screen(data: string, cols: number, rows: number): void;
  resize(cols: number, rows: number): void;
  write(data: Uint8Array): void;
}

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

const INITIAL: WatchSnapshot = { phase: 'connecting', online: null, control: { type: 'control', state: 'none', mine: false }, message: null, skipped: 0 };

export class WatchConnection {
  private ws: WebSocket | null = null;
  private sink: WatchSink | null = null;
  /** Output that arrived before the terminal was ready, bounded: the next screen replaces it anyway. */
  private early: Array<{ kind: 'screen'; data: string; cols: number; rows: number } | { kind: 'out'; data: Uint8Array }> = [];
  private snapshot: WatchSnapshot = INITIAL;
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
    if (this.ws || this.disposed) return;
    const scheme = window.location.protocol === 'https:' ? 'wss:' : 'ws:';
    const ws = new WebSocket(`${scheme}//${window.location.host}${watchPath(this.attendee)}`, instructorProtocols(this.token));
    ws.binaryType = 'arraybuffer';
    ws.onmessage = (ev: MessageEvent) => {
      if (typeof ev.data === 'string') {
        const parsed = parseWatchServerMessage(ev.data);
        if (parsed.ok) this.onMessage(parsed.message);
        return;
      }
      if (ev.data instanceof ArrayBuffer) this.output(new Uint8Array(ev.data));
    };
    ws.onclose = (ev) => {
      if (this.ws !== ws) return;
      this.ws = null;
      const why = this.snapshot.message ?? (ev.code === 1006 ? 'The watch connection was refused or lost (is the token still valid?).' : `The watch ended (${ev.reason || ev.code}).`);
      this.update({ phase: 'closed', message: why, control: INITIAL.control });
    };
    this.ws = ws;
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
    this.send({ type: 'control', action });
  }

  /** Keys: the server types them only while the attendee has granted control to this watcher. */
  input(data: string): void {
    if (this.snapshot.control.state === 'granted' && this.snapshot.control.mine) this.send({ type: 'input', data });
  }

  dispose(): void {
    this.disposed = true;
    const ws = this.ws;
    this.ws = null;
    if (ws) {
      ws.onmessage = ws.onclose = null;
      ws.close();
    }
    this.listeners.clear();
    this.sink = null;
  }

  private onMessage(msg: WatchServerMessage): void {
    switch (msg.type) {
      case 'screen':
        this.update({ phase: 'watching', skipped: msg.skipped });
        if (this.sink) this.sink.screen(msg.data, msg.cols, msg.rows);
        else this.early = [{ kind: 'screen', data: msg.data, cols: msg.cols, rows: msg.rows }];
        return;
      case 'resize':
        this.sink?.resize(msg.cols, msg.rows);
        return;
      case 'control':
        this.update({ control: msg, message: msg.ended ? ENDED[msg.ended] : this.snapshot.control.state === msg.state ? this.snapshot.message : null });
        return;
      case 'attendee':
        this.update({ online: msg.online });
        return;
      case 'ended':
        this.update({ message: `The attendee's session ended: ${msg.reason}.` });
        return;
      case 'error':
        this.update({ message: msg.message });
        return;
      case 'pong':
        return;
    }
  }

  private output(data: Uint8Array): void {
    if (this.sink) this.sink.write(data);
    else if (this.early.length < 64) this.early.push({ kind: 'out', data });
  }

  private send(msg: WatchClientMessage): void {
    if (this.ws?.readyState === WebSocket.OPEN) this.ws.send(JSON.stringify(msg));
  }

  private update(patch: Partial<WatchSnapshot>): void {
    if (this.disposed) return;
    this.snapshot = { ...this.snapshot, ...patch };
    for (const l of this.listeners) l();
  }
}

const ENDED: Record<NonNullable<Control['ended']>, string> = {
  declined: 'The attendee declined: you are watching, read-only.',
  'taken-back': 'The attendee took control back: you are watching, read-only.',
  released: 'Control released: you are watching, read-only.',
};
