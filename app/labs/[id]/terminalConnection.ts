/**
 * The browser side of the terminal WebSocket: one instance per attendee page. The protocol itself
 * (framing, validation of every server frame, hello, ack accounting) is common/terminal-client.ts,
 * shared with the tests and the bench; what each frame does to the page is terminalState.ts's pure
 * `reduce`; reconnecting is common/reconnect.ts's backoff with jitter, shared with the instructor's
 * sockets. This file carries out the effects: the socket, the timers, the xterm sink.
 *
 * Plain TypeScript, no React: the page subscribes through `subscribe`/`getSnapshot`
 * (useSyncExternalStore), and the xterm instance plugs in as a `TerminalSink`. Keeping the socket
 * out of the component tree means a re-render can never open a second socket or drop an ack.
 */
import { TERMINAL_PATH, type ClientMessage, type ServerMessage } from '@/common/protocol';
import { Reconnector } from '@/common/reconnect';
import { TerminalClient } from '@/common/terminal-client';
import { INITIAL_MODEL, holdInput, reduce, type ConnSnapshot, type ConnState, type Effect, type Notice, type TermModel } from './terminalState';

export { NO_WATCH, type ConnSnapshot, type ConnState, type ControlState, type InstructorMessage, type Notice, type Sandbox } from './terminalState';

/** Where output goes: the xterm Terminal, adapted (see Terminal.tsx). */
export interface TerminalSink {
  /** Write output; `parsed` fires once xterm has processed it, which is when it is acked. */
  write(data: string | Uint8Array, parsed: () => void): void;
  /** Clear screen and scrollback (sandbox reset, or a fresh shell after a reconnect). */
  reset(): void;
  size(): { cols: number; rows: number };
}

/** Failed opens in a row before the status says "server unreachable" rather than "reconnecting". */
const UNREACHABLE_AFTER = 3;
/** Keepalive: conference NATs drop idle TCP silently; a missing pong is the only way to notice. */
const PING_EVERY_MS = 20_000;
const PONG_DEADLINE_MS = 45_000;
const NOTICE_MS = 6_000;

export class TerminalConnection {
  /** The protocol client of the current socket; one per socket, so an old socket's acks never reach a new one. */
  private conn: TerminalClient | null = null;
  private sink: TerminalSink | null = null;
  private model: TermModel = INITIAL_MODEL;
  private failedOpens = 0;
  private lastSize: { cols: number; rows: number } | null = null;
  private progress: { labId: string; step: number } | null = null;
  private lastPong = 0;
  private readonly retry = new Reconnector(() => this.connect());
  private pingTimer: ReturnType<typeof setInterval> | undefined;
  private readonly noticeTimers = new Set<ReturnType<typeof setTimeout>>();
  private disposed = false;
  private readonly listeners = new Set<() => void>();

  constructor(private readonly url: string = defaultUrl()) {}

  subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  getSnapshot = (): ConnSnapshot => this.model.snap;

  /** Plug in the terminal; the first attach opens the socket (the hello needs the terminal's size). */
  attach(sink: TerminalSink): void {
    this.sink = sink;
    if (!this.conn && this.model.snap.state.kind === 'connecting') this.connect();
  }

  detach(sink: TerminalSink): void {
    if (this.sink === sink) this.sink = null;
  }

  get ready(): boolean {
    return this.model.snap.state.kind === 'connected';
  }

  /**
   * Keystrokes and pastes; split so no frame exceeds the server's limit. While the connection is down
   * (reconnecting to a shell we had), they are held (terminalState.ts holdInput) and delivered once
   * the same shell is back; otherwise they are not sent.
   */
  sendInput(data: string): void {
    if (this.ready) this.conn?.input(data);
    else this.model = holdInput(this.model, data);
  }

  resize(cols: number, rows: number): void {
    if (!Number.isInteger(cols) || !Number.isInteger(rows) || cols < 1 || rows < 1) return;
    if (this.lastSize && this.lastSize.cols === cols && this.lastSize.rows === rows) return;
    if (this.ready && this.send({ type: 'resize', cols, rows })) this.lastSize = { cols, rows };
  }

  /** Ask the server to type a lab block into the shell. Returns false when there is no shell to type into. */
  run(labId: string, blockId: string): boolean {
    return this.ready && this.send({ type: 'run', labId, blockId });
  }

  /** Report the attendee's step; remembered and re-sent after every reconnect. */
  setProgress(labId: string, step: number): void {
    this.progress = { labId, step };
    if (this.ready) this.send({ type: 'progress', ...this.progress });
  }

  /** "Start a new sandbox": over the open socket if there is one, else by connecting afresh. */
  recreate(): void {
    this.sink?.reset();
    this.apply({ ...this.model, hadShell: false, snap: { ...this.model.snap, notices: [] } });
    if (this.conn?.isOpen) {
      this.send({ type: 'recreate' });
      this.setState({ kind: 'starting', phase: 'Starting a new sandbox', fraction: 0 });
    } else {
      this.reconnectNow();
    }
  }

  /** Connect now instead of waiting for the backoff timer ("Use this tab", "Retry now", coming back online). */
  reconnectNow(): void {
    if (this.disposed) return;
    this.abandonSocket();
    this.retry.now();
  }

  /** The laptop woke up or came back online: skip the rest of the backoff wait. */
  wake(): void {
    if (this.model.snap.state.kind === 'reconnecting') this.reconnectNow();
  }

  /** Closed by the attendee: the server is told, so no reload or reconnect shows it again. */
  dismissMessage(id: number): void {
    this.patch({ messages: this.model.snap.messages.filter((m) => m.id !== id) });
    this.send({ type: 'dismiss', id });
  }

  /** The attendee's answer to the instructor's request to type: `accept`, or `end` (decline, take back). */
  answerControl(action: 'accept' | 'end'): void {
    this.send({ type: 'control', action });
  }

  dismissNotice(id: number): void {
    this.patch({ notices: this.model.snap.notices.filter((n: Notice) => n.id !== id) });
  }

  dispose(): void {
    this.disposed = true;
    this.retry.stop();
    for (const t of this.noticeTimers) clearTimeout(t);
    this.noticeTimers.clear();
    this.abandonSocket();
    this.listeners.clear();
    this.sink = null;
  }

  private connect(): void {
    if (this.disposed) return;
    this.lastSize = null;
    this.setState({ kind: 'connecting' });
    let ws: WebSocket;
    try {
      ws = new WebSocket(this.url);
    } catch (err) {
      this.setState({ kind: 'failed', message: `Cannot open the terminal connection: ${String(err)}` });
      return;
    }
    ws.binaryType = 'arraybuffer';
    const conn: TerminalClient = new TerminalClient(ws, {
      onOpen: () => {
        this.failedOpens = 0;
        const size = this.sink?.size() ?? { cols: 80, rows: 24 };
        this.lastSize = size;
        conn.hello(size, this.model.hadShell);
      },
      // Ack what xterm has actually parsed, so a slow tab slows the shell down instead of eating memory.
      onOutput: (bytes) => this.sink?.write(bytes, () => conn.consumed(bytes.byteLength)),
      onMessage: (msg) => this.onMessage(msg),
      onClose: ({ opened }) => {
        if (this.conn !== conn) return;
        this.conn = null;
        this.stopPing();
        if (!opened) this.failedOpens += 1;
        const kind = this.model.snap.state.kind;
        // These states wait for the attendee to choose; everything else retries by itself.
        if (kind === 'taken-over' || kind === 'failed' || kind === 'sandbox-gone') return;
        this.scheduleReconnect();
      },
    });
    this.conn = conn;
  }

  private scheduleReconnect(): void {
    const retryAt = this.retry.schedule();
    if (retryAt !== null) this.setState({ kind: 'reconnecting', retryAt, unreachable: this.failedOpens >= UNREACHABLE_AFTER });
  }

  /** Drop the current socket without triggering the reconnect logic in its close handler. */
  private abandonSocket(): void {
    const conn = this.conn;
    this.conn = null;
    this.stopPing();
    conn?.abandon();
  }

  /** A server message, already validated by the protocol client: the reducer's model, then its effects. */
  private onMessage(msg: ServerMessage): void {
    const { model, effects } = reduce(this.model, msg);
    this.apply(model);
    for (const e of effects) this.perform(e);
  }

  private perform(e: Effect): void {
    switch (e.kind) {
      case 'clear-screen':
        return this.sink?.reset();
      case 'write-screen':
        return this.sink?.write(e.data, () => undefined);
      case 'drop-socket':
        return this.abandonSocket();
      case 'backoff-reset':
        return this.retry.succeeded();
      case 'expire-notice': {
        const timer = setTimeout(() => {
          this.noticeTimers.delete(timer);
          this.dismissNotice(e.id);
        }, NOTICE_MS);
        this.noticeTimers.add(timer);
        return;
      }
      case 'send-input':
        return this.sendInput(e.data);
      case 'resend-progress':
        if (this.progress) this.send({ type: 'progress', ...this.progress });
        return;
      case 'sync-size': {
        // The pane may have been resized while the sandbox was starting.
        const size = this.sink?.size();
        if (!size) return;
        const sent = this.lastSize;
        this.lastSize = null;
        if (sent && sent.cols === size.cols && sent.rows === size.rows) this.lastSize = sent;
        else this.resize(size.cols, size.rows);
        return;
      }
      case 'start-ping':
        return this.startPing();
      case 'pong':
        this.lastPong = Date.now();
        return this.patch({ latency: Math.max(0, Math.round(performance.now() - e.t)) });
    }
  }

  private startPing(): void {
    this.stopPing();
    this.lastPong = Date.now();
    this.pingTimer = setInterval(() => {
      if (Date.now() - this.lastPong > PONG_DEADLINE_MS) {
        // A silently dead connection: close events may take minutes to arrive, so do not wait for one.
        this.abandonSocket();
        this.scheduleReconnect();
        return;
      }
      this.send({ type: 'ping', t: performance.now() });
    }, PING_EVERY_MS);
  }

  private stopPing(): void {
    clearInterval(this.pingTimer);
    this.pingTimer = undefined;
  }

  private send(msg: ClientMessage): boolean {
    return this.conn?.send(msg) ?? false;
  }

  private setState(state: ConnState): void {
    this.patch({ state });
  }

  private patch(patch: Partial<ConnSnapshot>): void {
    this.apply({ ...this.model, snap: { ...this.model.snap, ...patch } });
  }

  private apply(model: TermModel): void {
    if (this.disposed) return;
    const changed = model.snap !== this.model.snap;
    this.model = model;
    if (changed) for (const l of this.listeners) l();
  }
}

function defaultUrl(): string {
  const scheme = window.location.protocol === 'https:' ? 'wss:' : 'ws:';
  return `${scheme}//${window.location.host}${TERMINAL_PATH}`;
}
