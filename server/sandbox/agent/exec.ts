/**
 * An out-of-band command through the sandbox's agent (checks, setup scripts, preflight; issue 19 §1):
 * no host process, no `podman exec`. The agent runs it in a session of its own and ends that whole
 * process group at the deadline (inside the sandbox, so a timed-out command does not linger there),
 * and stops it when its output passes the bound. This side bounds what it keeps too, against an agent
 * that would not (the connection's shared budget, connection.ts `reserve`), and keeps a backstop
 * deadline for an agent that never answers.
 */
import { StringDecoder } from 'node:string_decoder';
import type { ExecOptions, ExecResult } from '../driver.js';
import { PayloadReader, PayloadWriter, ProtocolError } from './codec.js';
import type { AgentConnection, ChannelHandler } from './connection.js';
import { EXEC_FLAG, FRAME, LIMIT } from './frames.js';

export interface AgentExecOptions extends ExecOptions {
  /** Where the command starts, inside the sandbox. */
  cwd: string;
  /** Set over the sandbox's own environment. */
  env?: Record<string, string>;
  /** Output (stdout and stderr together) beyond which the command is ended; at most LIMIT.EXEC_OUTPUT_DEFAULT. */
  maxBytes?: number;
}

/** How long past its own deadline this side waits for the agent's answer. */
const BACKSTOP_MS = 5000;

export function agentExec(conn: AgentConnection, argv: string[], opts: AgentExecOptions): Promise<ExecResult> {
  if (argv.length === 0) return Promise.reject(new Error('exec needs a command'));
  const timeoutMs = Math.max(1, Math.round(opts.timeoutMs ?? 10_000));
  const maxBytes = Math.min(opts.maxBytes ?? LIMIT.EXEC_OUTPUT_DEFAULT, LIMIT.EXEC_OUTPUT_DEFAULT);
  const payload = new PayloadWriter()
    .u32(timeoutMs)
    .u32(maxBytes)
    .str(opts.cwd)
    .strs(argv)
    .strs(Object.entries(opts.env ?? {}).map(([k, v]) => `${k}=${v}`))
    .done();
  if (payload.length > LIMIT.TO_AGENT_PAYLOAD) return Promise.reject(new Error(`exec: the command is ${payload.length} bytes (at most ${LIMIT.TO_AGENT_PAYLOAD})`));
  return new Promise<ExecResult>((resolve) => {
    const text = { stdout: [] as string[], stderr: [] as string[] };
    const decoders = { stdout: new StringDecoder('utf8'), stderr: new StringDecoder('utf8') };
    let bytes = 0;
    let overflow = false;
    let done = false;
    let chan = 0;
    const finish = (code: number, timedOut: boolean, note = ''): void => {
      if (done) return;
      done = true;
      clearTimeout(backstop);
      conn.unreserve(bytes);
      if (chan) conn.release(chan);
      const stdout = text.stdout.join('') + decoders.stdout.end();
      const stderr = text.stderr.join('') + decoders.stderr.end() + (overflow ? `\n[output over ${maxBytes} bytes: ended]` : '') + note;
      resolve({ code, stdout, stderr, timedOut });
    };
    const take = (stream: 'stdout' | 'stderr', chunk: Buffer): void => {
      if (overflow || done) return;
      if (bytes + chunk.length > maxBytes || !conn.reserve(chunk.length)) {
        overflow = true;
        conn.send(FRAME.EXEC_KILL, chan);
        return;
      }
      bytes += chunk.length;
      const s = decoders[stream].write(chunk);
      text[stream].push(s);
      if (s) opts.onOutput?.(s);
    };
    const handler: ChannelHandler = {
      frame(type, data) {
        if (type === FRAME.EXEC_STDOUT) return take('stdout', data);
        if (type === FRAME.EXEC_STDERR) return take('stderr', data);
        if (type === FRAME.EXEC_EXIT) {
          const r = new PayloadReader(data, 'EXEC_EXIT');
          const code = r.i32();
          const flags = r.u8();
          r.end();
          if (flags & EXEC_FLAG.OVERFLOW) overflow = true;
          return finish(code, (flags & EXEC_FLAG.TIMED_OUT) !== 0);
        }
        if (type === FRAME.ERROR) {
          const r = new PayloadReader(data, 'ERROR');
          r.u16();
          return finish(127, false, `the sandbox agent could not run ${argv[0]}: ${r.str(1024)}`);
        }
        throw new ProtocolError(`frame type 0x${type.toString(16)} on an exec channel`);
      },
      lost(why) {
        chan = 0;
        finish(127, false, `\nthe connection to the sandbox agent ended: ${why}`);
      },
    };
    const backstop = setTimeout(() => {
      if (chan) conn.send(FRAME.EXEC_KILL, chan);
      finish(137, true, `\nexec: no answer from the sandbox agent within ${timeoutMs + BACKSTOP_MS} ms`);
    }, timeoutMs + BACKSTOP_MS);
    try {
      chan = conn.open(handler);
    } catch (err) {
      finish(127, false, err instanceof Error ? err.message : String(err));
      return;
    }
    conn.send(FRAME.EXEC_START, chan, payload);
  });
}
