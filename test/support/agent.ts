/**
 * The real labdeck agent on the host, for tests that need no container: built by
 * sandbox/agent/build.sh (cached), run in any of its modes, and reached over a real Unix socket.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import { AgentConnection } from '../../server/sandbox/agent/connection.js';
import { ROOT } from './server.js';

let built: string | null = null;

/** The agent binary (built once per test process; the build itself is cached by a hash). */
export function agentBinary(): string {
  built ??= execFileSync('bash', [path.join(ROOT, 'sandbox/agent/build.sh')], { encoding: 'utf8' }).trim().split('\n').pop()!;
  return built;
}

export interface RunningAgent {
  proc: ChildProcess;
  stderr(): string;
  /** SIGTERM (the agent ends its terminals), then wait for it. */
  stop(): Promise<void>;
}

export function spawnAgent(args: string[], env: Record<string, string> = {}): RunningAgent {
  const childEnv: Record<string, string> = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/root', LANG: 'C.UTF-8', ...env };
  const proc: ChildProcess = spawn(agentBinary(), args, { stdio: ['pipe', 'pipe', 'pipe'], env: childEnv as NodeJS.ProcessEnv });
  let err = '';
  proc.stderr!.on('data', (d: Buffer) => (err = (err + d.toString()).slice(-8000)));
  return {
    proc,
    stderr: () => err,
    stop: () =>
      new Promise<void>((resolve) => {
        if (proc.exitCode !== null || proc.signalCode !== null) return resolve();
        proc.once('exit', () => resolve());
        proc.kill('SIGTERM');
      }),
  };
}

/** Connect to an agent listening on `socketPath` (retrying while it starts) and wait for its hello. */
export async function dialAgent(socketPath: string, deadlineMs = 5000): Promise<AgentConnection> {
  const end = Date.now() + deadlineMs;
  for (;;) {
    const sock = await new Promise<net.Socket | null>((resolve) => {
      const s = net.connect(socketPath);
      s.once('connect', () => resolve(s));
      s.once('error', () => resolve(null));
    });
    if (sock) {
      const conn = new AgentConnection(sock);
      await conn.hello;
      return conn;
    }
    if (Date.now() > end) throw new Error(`no agent listening on ${socketPath}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
