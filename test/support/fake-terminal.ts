/**
 * Fakes for the unit tests of server/terminal/: a Shell that records what is written to it and lets
 * the test play its output and exit, and a ClientLink that records what is sent and whose
 * `bufferedAmount` the test sets. What is under test is the session's own logic (flow control, Run,
 * the lifecycle), not the pty: integration tests use the real ones.
 */
import type { Disposable, Sandbox, SandboxHealth, Shell, TermSize } from '../../server/sandbox/driver.js';
import type { ClientLink } from '../../server/terminal/output-channel.js';
import type { ServerMessage } from '../../common/protocol.js';

class Emitter<T> {
  private readonly listeners = new Set<(v: T) => void>();
  on(l: (v: T) => void): Disposable {
    this.listeners.add(l);
    return { dispose: () => this.listeners.delete(l) };
  }
  emit(v: T): void {
    for (const l of [...this.listeners]) l(v);
  }
  get count(): number {
    return this.listeners.size;
  }
}

export class FakeShell implements Shell {
  readonly pid = 4242;
  /** Everything written, in order. */
  readonly written: string[] = [];
  inputBacklog = 0;
  discarded = 0;
  paused = false;
  pauses = 0;
  resumes = 0;
  ended: 'kill' | 'detach' | null = null;
  size: TermSize | null = null;
  readonly data = new Emitter<Buffer>();
  readonly exit = new Emitter<{ exitCode: number | null; signal: number | null }>();

  get text(): string {
    return this.written.join('');
  }
  write(data: string): void {
    this.written.push(data);
  }
  discardInput(): number {
    const n = this.inputBacklog;
    this.inputBacklog = 0;
    this.discarded += n;
    return n;
  }
  resize(size: TermSize): void {
    this.size = size;
  }
  pause(): void {
    this.paused = true;
    this.pauses++;
  }
  resume(): void {
    this.paused = false;
    this.resumes++;
  }
  onData(listener: (chunk: Buffer) => void): Disposable {
    return this.data.on(listener);
  }
  onExit(listener: (e: { exitCode: number | null; signal: number | null }) => void): Disposable {
    return this.exit.on(listener);
  }
  kill(): void {
    this.ended ??= 'kill';
  }
  detach(): void {
    this.ended ??= 'detach';
  }
  /** The shell prints `text`. */
  print(text: string | Buffer): void {
    this.data.emit(typeof text === 'string' ? Buffer.from(text) : text);
  }
}

export class FakeSandbox implements Sandbox {
  readonly driver = 'fake';
  attendee: string | null = null;
  readonly createdAt = Date.now();
  readonly shells: FakeShell[] = [];
  health_: SandboxHealth = 'running';
  constructor(readonly id: string) {}
  attach(size: TermSize): Promise<Shell> {
    const s = new FakeShell();
    s.size = size;
    this.shells.push(s);
    return Promise.resolve(s);
  }
  exec(): Promise<{ code: number; stdout: string; stderr: string; timedOut: boolean }> {
    return Promise.resolve({ code: 0, stdout: '', stderr: '', timedOut: false });
  }
  follow(): Disposable {
    return { dispose: () => undefined };
  }
  health(): Promise<SandboxHealth> {
    return Promise.resolve(this.health_);
  }
  get shell(): FakeShell {
    const s = this.shells.at(-1);
    if (!s) throw new Error('no shell attached yet');
    return s;
  }
}

let nextId = 1;

export class FakeClient implements ClientLink {
  readonly id = nextId++;
  readonly messages: ServerMessage[] = [];
  readonly output: Buffer[] = [];
  bufferedAmount = 0;
  closed: { code: number; reason: string } | null = null;
  /** `onSent` callbacks of frames not yet "handed to the kernel"; the test runs them with drain(). */
  private readonly unsent: Array<() => void> = [];

  sendJson(msg: ServerMessage): void {
    this.messages.push(msg);
  }
  sendOutput(data: Buffer, onSent?: () => void): void {
    this.output.push(data);
    if (onSent) this.unsent.push(onSent);
  }
  close(code: number, reason: string): void {
    this.closed ??= { code, reason };
  }
  /** The socket took everything: bufferedAmount falls to `left` and the send callbacks run. */
  drain(left = 0): void {
    this.bufferedAmount = left;
    for (const f of this.unsent.splice(0)) f();
  }
  get outputText(): string {
    return Buffer.concat(this.output).toString('utf8');
  }
  ofType<K extends ServerMessage['type']>(type: K): Array<Extract<ServerMessage, { type: K }>> {
    return this.messages.filter((m): m is Extract<ServerMessage, { type: K }> => m.type === type);
  }
}

/** One event-loop turn: lets setImmediate flushes run. */
export const turn = () => new Promise<void>((r) => setImmediate(r));
