/**
 * A sandbox's side of its agent: the one live connection (or none, while the agent reconnects or a
 * relay is re-opened), and everything that rides on it — shells, out-of-band commands, follows. This
 * is the one detached-shell module both container drivers use (issue 18 §1): a driver only brings
 * connections (podman: a Unix socket the agent dials; kubernetes: one exec stream running the relay)
 * and calls adopt() on each.
 *
 * When a connection is replaced, every shell re-attaches to its own terminal instance from the byte
 * it had reached, and every follow starts again from its next byte; commands in flight fail (the
 * agent ends them with the connection). A kill asked for while there is no connection is sent first
 * on the next one, before anything else: it cannot overtake, nor be overtaken by, a later attach.
 */
import type { Disposable, ExecResult, FollowListener, Shell } from '../driver.js';
import { PayloadWriter } from './codec.js';
import type { AgentConnection } from './connection.js';
import { agentExec, type AgentExecOptions } from './exec.js';
import { AgentFollow } from './follow.js';
import { FRAME } from './frames.js';
import { AgentShell, type ShellLink, type TerminalSpec } from './shell.js';

export type LinkLog = (message: string, fields: Record<string, unknown>) => void;

/** Kills waiting for a connection, at most (one per terminal instance; terminals are bounded too). */
const MAX_PENDING_KILLS = 64;

export class AgentLink implements ShellLink {
  private conn: AgentConnection | null = null;
  private readonly waiters = new Set<(conn: AgentConnection | null) => void>();
  private readonly liveShells = new Set<AgentShell>();
  private readonly follows = new Set<AgentFollow>();
  private kills: Array<[string, number]> = [];
  private closedWhy: string | null = null;
  /** Connections adopted so far (tests and diagnostics). */
  connections = 0;
  /**
   * Called when the live connection ends. The driver looks at its sandbox: when it has stopped (the
   * agent died with it), the shells are ended (endShells); otherwise the agent comes back.
   */
  onLost: ((why: string) => void) | null = null;

  constructor(
    /** The sandbox, in log lines. */
    readonly label: string,
    private readonly log?: LinkLog,
  ) {}

  get connected(): boolean {
    return this.conn !== null;
  }

  /** A follow rides on the link (it is restarted on the next connection). */
  get following(): boolean {
    return this.follows.size > 0;
  }

  /** Shells attached through this link and not ended or let go. */
  get shells(): ReadonlySet<Shell> {
    return this.liveShells;
  }

  /** A connection whose agent said hello: it becomes the link's, replacing any other. */
  adopt(conn: AgentConnection): void {
    if (this.closedWhy !== null || conn.closed) {
      conn.close(this.closedWhy ?? 'closed');
      return;
    }
    const old = this.conn;
    this.conn = conn;
    this.connections++;
    old?.close('replaced by a newer connection');
    conn.onClose((why) => {
      if (this.conn !== conn) return;
      this.conn = null;
      this.log?.('sandbox agent connection ended', { sandbox: this.label, why });
      this.onLost?.(why);
    });
    for (const [name, instance] of this.kills.splice(0)) this.sendKill(conn, name, instance);
    for (const shell of this.liveShells) shell.reattach(conn);
    for (const f of this.follows) f.start(conn);
    for (const w of [...this.waiters]) w(conn);
  }

  current(): AgentConnection | null {
    return this.conn;
  }

  /** The live connection, or the next one within `timeoutMs`. */
  connection(timeoutMs: number): Promise<AgentConnection> {
    if (this.closedWhy !== null) return Promise.reject(new Error(`sandbox ${this.label}: ${this.closedWhy}`));
    if (this.conn) return Promise.resolve(this.conn);
    return new Promise<AgentConnection>((resolve, reject) => {
      const timer = setTimeout(() => done(null), timeoutMs);
      const done = (conn: AgentConnection | null): void => {
        clearTimeout(timer);
        this.waiters.delete(done);
        if (conn) resolve(conn);
        else reject(new Error(`sandbox ${this.label}: its agent did not connect within ${timeoutMs} ms${this.closedWhy ? ` (${this.closedWhy})` : ''}`));
      };
      this.waiters.add(done);
    });
  }

  /** Open (or attach to) a terminal; resolves with its shell once its backlog is here. */
  async attach(spec: TerminalSpec, timeoutMs: number): Promise<AgentShell> {
    const conn = await this.connection(timeoutMs);
    const shell = new AgentShell(this, spec);
    this.liveShells.add(shell);
    try {
      await shell.open(conn);
    } catch (err) {
      this.liveShells.delete(shell);
      throw err;
    }
    return shell;
  }

  /** A command out of band; never rejects for its outcome (ExecResult says it), only for a bad request. */
  async exec(argv: string[], opts: AgentExecOptions & { readyTimeoutMs: number }): Promise<ExecResult> {
    if (argv.length === 0) throw new Error('exec needs a command');
    let conn: AgentConnection;
    try {
      conn = await this.connection(opts.readyTimeoutMs);
    } catch (err) {
      return { code: 127, stdout: '', stderr: err instanceof Error ? err.message : String(err), timedOut: false };
    }
    return agentExec(conn, argv, opts);
  }

  /** Follow `path` (inside the sandbox) from byte `from`; `maxBytes` bounds it for good. */
  follow(path: string, from: number, maxBytes: number, listener: FollowListener): Disposable {
    const f = new AgentFollow(this, path, from, Math.max(1, Math.min(maxBytes, 0xffff_ffff)), listener);
    this.follows.add(f);
    if (this.conn) f.start(this.conn);
    return f;
  }

  forgetFollow(f: AgentFollow): void {
    this.follows.delete(f);
  }

  /** A kill for a terminal instance while there is no connection: sent first on the next one. */
  kill(name: string, instance: number): void {
    if (this.conn) return this.sendKill(this.conn, name, instance);
    if (this.kills.length >= MAX_PENDING_KILLS) this.kills.shift();
    this.kills.push([name, instance]);
  }

  forget(shell: AgentShell): void {
    this.liveShells.delete(shell);
  }

  /** End every shell (destroy, stop). */
  killShells(): void {
    for (const shell of [...this.liveShells]) shell.kill();
  }

  /** The sandbox stopped or vanished with its agent: every shell has ended, and says so. */
  endShells(): void {
    for (const shell of [...this.liveShells]) shell.abandon();
  }

  /** The sandbox is gone or this server lets go of it: the connection closes, waiters fail. */
  close(why: string): void {
    if (this.closedWhy !== null) return;
    this.closedWhy = why;
    // Let go first: a connection this link closes itself is not a lost one (no onLost).
    const conn = this.conn;
    this.conn = null;
    conn?.close(why);
    for (const w of [...this.waiters]) w(null);
    for (const f of [...this.follows]) f.dispose();
  }

  private sendKill(conn: AgentConnection, name: string, instance: number): void {
    conn.send(FRAME.TERM_KILL, 0, new PayloadWriter().str(name).u64(instance).done());
  }
}
