/**
 * The browser side of the terminal WebSocket: one instance per attendee page. The protocol itself
 * (framing, validation of every server frame, hello, ack accounting) is common/terminal-client.ts,
 * shared with the tests and the bench; this file adds what a page needs: reconnect with backoff,
 * keepalive, keys held across a blip, and the state the UI shows.
 *
 * Plain TypeScript, no React: the page subscribes through `subscribe`/`getSnapshot`
 * (useSyncExternalStore), and the xterm instance plugs in as a `TerminalSink`. Keeping the socket
 * out of the component tree means a re-render can never open a second socket or drop an ack.
 */
import { MAX_SHOWN_MESSAGES, TERMINAL_PATH, type ClientMessage, type ServerMessage } from '@/common/protocol';
import { TerminalClient } from '@/common/terminal-client';

/** Where output goes: the xterm Terminal, adapted (see Terminal.tsx). */
export interface TerminalSink {
  /** Write output; `parsed` fires once xterm has processed it, which is when it is acked. */
  write(data: string | Uint8Array, parsed: () => void): void;
  /** Clear screen and scrollback (sandbox reset, or a fresh shell after a reconnect). */
  reset(): void;
  size(): { cols: number; rows: number };
}

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

export type ControlState = Extract<ServerMessage, { type: 'control' }>['state'];

/** Before the server says otherwise: nobody watches, nobody presents. */
export const NO_WATCH: ConnSnapshot['watch'] = { watchers: 0, control: 'none' };

/** Backoff: 0.5 s doubling to 15 s, with "equal jitter" so a room full of laptops does not reconnect in lockstep after a server restart. */
const BACKOFF_MIN_MS = 500;
const BACKOFF_MAX_MS = 15_000;
/** Failed opens in a row before the status says "server unreachable" rather than "reconnecting". */
const UNREACHABLE_AFTER = 3;
/** Keepalive: conference NATs drop idle TCP silently; a missing pong is the only way to notice. */
const PING_EVERY_MS = 20_000;
const PONG_DEADLINE_MS = 45_000;
const NOTICE_MS = 6_000;
/** Keystrokes kept while the connection is down, delivered if the same shell comes back. */
const HELD_INPUT_MAX_CHARS = 4096;

export class TerminalConnection {
  /** The protocol client of the current socket; one per socket, so an old socket's acks never reach a new one. */
  private conn: TerminalClient | null = null;
  private sink: TerminalSink | null = null;
  private attempt = 0;
  private failedOpens = 0;
  /** True once a shell has been ready: later hellos ask to resume it. */
  private hadShell = false;
  private resetPending = false;
  /** Typed while reconnecting: sent once the same shell is back, dropped (with a notice) if it is not. */
  private held = '';
  private lastSize: { cols: number; rows: number } | null = null;
  private progress: { labId: string; step: number } | null = null;
  private lastPong = 0;
  private retryTimer: ReturnType<typeof setTimeout> | undefined;
  private pingTimer: ReturnType<typeof setInterval> | undefined;
  private readonly noticeTimers = new Set<ReturnType<typeof setTimeout>>();
  private noticeSeq = 0;
  private disposed = false;
  private snapshot: ConnSnapshot = { state: { kind: 'connecting' }, notices: [], messages: [], sandbox: null, latency: null, watch: NO_WATCH, presenter: null };
  private readonly listeners = new Set<() => void>();

  constructor(private readonly url: string = defaultUrl()) {}

  subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  getSnapshot = (): ConnSnapshot => this.snapshot;

  /** Plug in the terminal; the first attach opens the socket (the hello needs the terminal's size). */
  attach(sink: TerminalSink): void {
    this.sink = sink;
    if (!this.conn && this.snapshot.state.kind === 'connecting') this.connect();
  }

  detach(sink: TerminalSink): void {
    if (this.sink === sink) this.sink = null;
  }

  get ready(): boolean {
    return this.snapshot.state.kind === 'connected';
  }

  /**
   * Keystrokes and pastes; split so no frame exceeds the server's limit. While the connection is down
   * (reconnecting to a shell we had), they are held, up to HELD_INPUT_MAX_CHARS, and delivered once
   * the same shell is back; otherwise they are not sent.
   */
  sendInput(data: string): void {
    if (this.ready) {
      this.conn?.input(data);
      return;
    }
    const kind = this.snapshot.state.kind;
    if (this.hadShell && !this.resetPending && (kind === 'reconnecting' || kind === 'connecting')) {
      this.held = (this.held + data).slice(0, HELD_INPUT_MAX_CHARS);
    }
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
    this.clearNotices();
    this.sink?.reset();
    this.hadShell = false;
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
    clearTimeout(this.retryTimer);
    this.abandonSocket();
    this.connect();
  }

  /** The laptop woke up or came back online: skip the rest of the backoff wait. */
  wake(): void {
    if (this.snapshot.state.kind === 'reconnecting') this.reconnectNow();
  }

  /** Closed by the attendee: the server is told, so no reload or reconnect shows it again. */
  dismissMessage(id: number): void {
    this.update({ messages: this.snapshot.messages.filter((m) => m.id !== id) });
    this.send({ type: 'dismiss', id });
  }

  /** The attendee's answer to the instructor's request to type: `accept`, or `end` (decline, take back). */
  answerControl(action: 'accept' | 'end'): void {
    this.send({ type: 'control', action });
  }

  dismissNotice(id: number): void {
    this.update({ notices: this.snapshot.notices.filter((n) => n.id !== id) });
  }

  dispose(): void {
    this.disposed = true;
    clearTimeout(this.retryTimer);
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
        conn.hello(size, this.hadShell);
      },
      // Ack what xterm has actually parsed, so a slow tab slows the shell down instead of eating memory.
      onOutput: (bytes) => this.sink?.write(bytes, () => conn.consumed(bytes.byteLength)),
      onMessage: (msg) => this.onMessage(msg),
      onClose: ({ opened }) => {
        if (this.conn !== conn) return;
        this.conn = null;
        this.stopPing();
        if (!opened) this.failedOpens += 1;
        const kind = this.snapshot.state.kind;
        // These states wait for the attendee to choose; everything else retries by itself.
        if (kind === 'taken-over' || kind === 'failed' || kind === 'sandbox-gone') return;
        this.scheduleReconnect();
      },
    });
    this.conn = conn;
  }

  private scheduleReconnect(): void {
    if (this.disposed) return;
    const ceiling = Math.min(BACKOFF_MAX_MS, BACKOFF_MIN_MS * 2 ** this.attempt);
    const delay = ceiling / 2 + Math.random() * (ceiling / 2);
    this.attempt += 1;
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => this.connect(), delay);
    this.setState({ kind: 'reconnecting', retryAt: Date.now() + delay, unreachable: this.failedOpens >= UNREACHABLE_AFTER });
  }

  /** Drop the current socket without triggering the reconnect logic in its close handler. */
  private abandonSocket(): void {
    const conn = this.conn;
    this.conn = null;
    this.stopPing();
    conn?.abandon();
  }

  /** A server message, already validated by the protocol client. */
  private onMessage(msg: ServerMessage): void {
    switch (msg.type) {
      case 'progress':
        this.setState({ kind: 'starting', phase: msg.phase, fraction: clamp01(msg.fraction) });
        return;
      case 'ready':
        this.onReady(msg);
        return;
      case 'screen':
        // Restore the screen as the server's terminal state has it, before any newer output.
        this.sink?.reset();
        this.sink?.write(msg.data, () => undefined);
        return;
      case 'exit': {
        // node-pty reports signal 0 for a plain exit, so only a non-zero signal means "killed".
        const how = msg.signal ? `was killed (signal ${msg.signal})` : `exited with code ${msg.code ?? '?'}`;
        this.setState({ kind: 'sandbox-gone', message: `The shell ${how}.` });
        return;
      }
      case 'sandbox-lost':
        this.setState({ kind: 'sandbox-gone', message: msg.message });
        return;
      case 'reset':
        this.held = '';
        this.sink?.reset();
        this.resetPending = true;
        this.notify('warn', msg.by === 'instructor' ? 'Your sandbox was reset by the instructor' : 'Your sandbox was reset', false);
        this.setState({ kind: 'starting', phase: 'Resetting your sandbox', fraction: 0 });
        return;
      case 'taken-over':
        this.setState({ kind: 'taken-over' });
        this.abandonSocket();
        return;
      case 'bye':
        // The server is restarting: retry quickly; the backoff takes over if it stays down.
        this.attempt = 0;
        this.notify('info', `Server restarting (${msg.reason}); reconnecting…`, true);
        return;
      case 'message':
        if (!this.snapshot.messages.some((m) => m.id === msg.id)) this.update({ messages: [...this.snapshot.messages, msg].slice(-MAX_SHOWN_MESSAGES) });
        return;
      case 'watching':
        this.update({ watch: { ...this.snapshot.watch, watchers: msg.watchers } });
        return;
      case 'control':
        this.update({ watch: { ...this.snapshot.watch, control: msg.state } });
        return;
      case 'presenter':
        this.update({ presenter: msg.step === null ? null : { labId: msg.labId, step: msg.step } });
        return;
      case 'workshop':
        // Issue 10: the server's own sentence (with the close countdown's seconds, or why there is no shell).
        this.notify(msg.state === 'open' ? 'info' : 'warn', msg.message, msg.state === 'open');
        if (msg.state === 'paused') this.setState({ kind: 'starting', phase: 'The workshop is paused: your shell comes back when it resumes', fraction: 0 });
        return;
      case 'pong':
        this.lastPong = Date.now();
        this.update({ latency: Math.max(0, Math.round(performance.now() - msg.t)) });
        return;
      case 'error':
        if (msg.code === 'join-required') {
          this.setState({ kind: 'join-required', message: msg.message });
          this.abandonSocket();
        } else if (msg.fatal) {
          this.setState({ kind: 'failed', message: msg.message });
          this.abandonSocket();
        } else {
          this.notify('error', msg.message, true);
        }
        return;
    }
  }

  private onReady(msg: Extract<ServerMessage, { type: 'ready' }>): void {
    if (!msg.resumed && this.hadShell && !this.resetPending) this.sink?.reset();
    const held = this.held;
    this.held = '';
    if (held && !msg.resumed) this.notify('warn', 'What you typed while disconnected was not sent: this is a new shell.', true);
    // `replaced` is the server's own sentence, e.g. "The server restarted and your previous shell was lost; …".
    if (msg.replaced) this.notify('warn', msg.replaced, false);
    this.hadShell = true;
    this.resetPending = false;
    this.attempt = 0;
    this.update({ sandbox: { attendee: msg.attendee, driver: msg.driver, isolation: msg.isolation } });
    this.setState({ kind: 'connected' });
    if (held && msg.resumed) this.sendInput(held);
    if (this.progress) this.send({ type: 'progress', ...this.progress });
    // The pane may have been resized while the sandbox was starting.
    const size = this.sink?.size();
    if (size) {
      const sent = this.lastSize;
      this.lastSize = null;
      if (sent && sent.cols === size.cols && sent.rows === size.rows) this.lastSize = sent;
      else this.resize(size.cols, size.rows);
    }
    this.startPing();
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

  /** Show a notice; transient ones go away by themselves, the others stay until dismissed. */
  private notify(tone: Notice['tone'], text: string, transient: boolean): void {
    const id = ++this.noticeSeq;
    this.update({ notices: [...this.snapshot.notices, { id, tone, text }] });
    if (!transient) return;
    const timer = setTimeout(() => {
      this.noticeTimers.delete(timer);
      this.dismissNotice(id);
    }, NOTICE_MS);
    this.noticeTimers.add(timer);
  }

  private clearNotices(): void {
    this.update({ notices: [] });
  }

  private setState(state: ConnState): void {
    this.update({ state });
  }

  private update(patch: Partial<ConnSnapshot>): void {
    if (this.disposed) return;
    this.snapshot = { ...this.snapshot, ...patch };
    for (const l of this.listeners) l();
  }
}

function defaultUrl(): string {
  const scheme = window.location.protocol === 'https:' ? 'wss:' : 'ws:';
  return `${scheme}//${window.location.host}${TERMINAL_PATH}`;
}

function clamp01(x: number): number {
  return Number.isFinite(x) ? Math.min(1, Math.max(0, x)) : 0;
}
