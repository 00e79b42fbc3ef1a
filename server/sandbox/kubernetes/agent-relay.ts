/**
 * How the server reaches a pod's agent (issue 19 §1): the agent is the pod's main process, listening
 * on AGENT_POD_SOCKET inside the pod, and the server holds ONE exec stream per sandbox running
 * `labdeck-agent relay <socket>` (stdin/stdout ↔ that socket), over which the agent protocol runs. So
 * shells, checks and follows cost the API server one long-lived stream per sandbox, not one per
 * terminal or command. The stream is a Duplex for AgentConnection: the socket is paused when the
 * connection's reader is (connection.ts holdReading), and a write completes when the frame is out.
 */
import { Duplex } from 'node:stream';
import type { KubeConfig } from '@kubernetes/client-node';
import { AgentConnection } from '../agent/connection.js';
import { ExecChannel } from './channel.js';
import { AGENT_POD_SOCKET } from './manifests.js';

/** Open the relay into the pod and wait for the agent's hello; rejects with the reason when it cannot. */
export async function openRelay(kc: KubeConfig, target: { namespace: string; pod: string }): Promise<AgentConnection> {
  let channel: ExecChannel | null = null;
  let stderr = '';
  const stream = new Duplex({
    read() {
      channel?.resume();
    },
    write(chunk: Buffer, _encoding, done) {
      if (!channel) return done(new Error('the relay is not open'));
      channel.sendStdin(chunk, (err) => done(err ?? null));
    },
    destroy(err, done) {
      channel?.close();
      done(err);
    },
  });
  channel = await ExecChannel.open(kc, target, ['labdeck-agent', 'relay', AGENT_POD_SOCKET], { tty: false, stdin: true }, {
    onStdout: (chunk) => {
      if (!stream.push(chunk)) channel?.pause();
    },
    onStderr: (chunk) => {
      stderr = (stderr + chunk.toString('utf8')).slice(-2000);
    },
    onClose: () => {
      stream.push(null);
      stream.destroy();
    },
  });
  const conn = new AgentConnection(stream, { helloTimeoutMs: 20_000 });
  try {
    await conn.hello;
  } catch (err) {
    throw new Error(`${err instanceof Error ? err.message : String(err)}${stderr ? ` (${stderr.trim()})` : ''}`);
  }
  return conn;
}
