/**
 * One exec into a pod over the API server's WebSocket exec endpoint (the `channel.k8s.io` protocol:
 * every frame starts with a stream byte, 0 stdin, 1 stdout, 2 stderr, 3 the exit status, 4 resize).
 * @kubernetes/client-node supplies TLS and credentials from the kubeconfig (applyToHTTPSOptions); the
 * socket and what goes over it are ours, so that output can be paused (flow control) and input bounded:
 * the library's own `Exec` pipes Node streams with neither, and its handler sends a close frame to the
 * server process's own stdin.
 */
import type { KubeConfig, V1Status } from '@kubernetes/client-node';
import WebSocket from 'ws';
import { SANDBOX_CONTAINER } from './manifests.js';

const STDIN = 0;
const STDOUT = 1;
const STDERR = 2;
const STATUS = 3;
const RESIZE = 4;
const PROTOCOL = 'v4.channel.k8s.io';

/** The message of a Kubernetes Status body, when the body is one. */
function statusMessage(body: string): string | null {
  try {
    const status = JSON.parse(body) as { message?: unknown };
    return typeof status.message === 'string' ? status.message : null;
  } catch {
    return null;
  }
}

export interface ChannelHandlers {
  onStdout(chunk: Buffer): void;
  onStderr?(chunk: Buffer): void;
  /** Once, when the socket has closed; `code` from the status frame, null when none came (a cut connection). */
  onClose(code: number | null): void;
}

/** The exit code a status frame carries: Success → 0, NonZeroExitCode → its ExitCode cause. */
export function exitCodeOf(status: V1Status): number | null {
  if (status.status === 'Success') return 0;
  const cause = status.details?.causes?.find((c) => c.reason === 'ExitCode');
  const n = cause?.message !== undefined ? Number(cause.message) : NaN;
  return Number.isInteger(n) ? n : null;
}

export class ExecChannel {
  private status: number | null = null;
  private closed = false;
  private opened = false;

  private constructor(
    readonly ws: WebSocket,
    private readonly handlers: ChannelHandlers,
  ) {
    ws.on('message', (data: Buffer, isBinary: boolean) => {
      if (isBinary && data.length > 0) this.frame(data[0]!, data.subarray(1));
    });
    ws.on('close', () => {
      // A socket that never opened is reported by open()'s rejection, not as a shell's end.
      if (this.closed || !this.opened) return;
      this.closed = true;
      handlers.onClose(this.status);
    });
    // An error after the handshake ends in 'close' as well; without a listener ws would throw it.
    ws.on('error', () => undefined);
  }

  /** Open an exec of `command` in the pod's sandbox container; rejects if the API server refuses it. */
  static async open(
    kc: KubeConfig,
    target: { namespace: string; pod: string },
    command: string[],
    opts: { tty: boolean; stdin: boolean },
    handlers: ChannelHandlers,
  ): Promise<ExecChannel> {
    const query = new URLSearchParams();
    for (const c of command) query.append('command', c);
    query.set('container', SANDBOX_CONTAINER);
    query.set('stdout', 'true');
    query.set('stderr', opts.tty ? 'false' : 'true');
    query.set('stdin', String(opts.stdin));
    query.set('tty', String(opts.tty));
    const cluster = kc.getCurrentCluster();
    if (!cluster) throw new Error('no cluster in the kubeconfig');
    const url = new URL(`/api/v1/namespaces/${encodeURIComponent(target.namespace)}/pods/${encodeURIComponent(target.pod)}/exec?${query}`, cluster.server);
    url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
    const tls: WebSocket.ClientOptions = {};
    await kc.applyToHTTPSOptions(tls);
    // v4: exit codes in the status frame; every API server since 1.4 speaks it (v5, 1.29+, adds only a close frame).
    const ws = new WebSocket(url, [PROTOCOL], { ...tls, handshakeTimeout: 15_000, maxPayload: 4 << 20 });
    const channel = new ExecChannel(ws, handlers);
    await new Promise<void>((resolve, reject) => {
      const refused = (err: Error): void => reject(new Error(`exec in ${target.namespace}/${target.pod}: ${err.message}`));
      // The API server's refusal (pod gone, forbidden) is a Status body: keep its message.
      ws.once('unexpected-response', (req, res) => {
        let body = '';
        res.on('data', (c: Buffer) => (body = (body + c.toString('utf8')).slice(0, 4000)));
        res.on('end', () => {
          refused(new Error(statusMessage(body) ?? `HTTP ${res.statusCode}`));
          req.destroy();
        });
        res.on('error', refused);
      });
      ws.once('error', refused);
      ws.once('open', () => {
        channel.opened = true;
        resolve();
      });
    });
    return channel;
  }

  private frame(stream: number, buff: Buffer): void {
    if (buff.length === 0) return;
    if (stream === STDOUT) this.handlers.onStdout(buff);
    else if (stream === STDERR) this.handlers.onStderr?.(buff);
    else if (stream === STATUS) {
      try {
        this.status = exitCodeOf(JSON.parse(buff.toString('utf8')) as V1Status);
      } catch {
        this.status = null;
      }
    }
  }

  get open(): boolean {
    return !this.closed && this.ws.readyState === this.ws.OPEN;
  }

  /** Bytes handed to the socket and not yet written to the network. */
  get buffered(): number {
    return this.ws.bufferedAmount;
  }

  /** `sent` runs once the frame has been written out (or at once, with an error, when the socket is gone). */
  sendStdin(data: Buffer, sent?: (err?: Error) => void): void {
    if (this.open) this.ws.send(Buffer.concat([Buffer.from([STDIN]), data]), sent);
    else sent?.(new Error('the exec socket is closed'));
  }

  resize(cols: number, rows: number): void {
    if (this.open) this.ws.send(Buffer.concat([Buffer.from([RESIZE]), Buffer.from(JSON.stringify({ Width: cols, Height: rows }))]));
  }

  /** Stop reading the socket: TCP backpressure reaches the kubelet and, through it, the program's tty. */
  pause(): void {
    if (!this.closed) this.ws.pause();
  }

  resume(): void {
    if (!this.closed) this.ws.resume();
  }

  close(): void {
    if (this.closed) return;
    this.ws.terminate();
  }
}
