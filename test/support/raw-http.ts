/**
 * Raw HTTP/1.1 over a net.Socket, for requests no well-behaved client would send: a forged Host, a
 * malformed request line, a handshake with a hostile cookie. Resolves with what the server answered, or
 * `hung: true` when it neither answered nor closed within `ms` (the failure these tests look for).
 */
import net from 'node:net';

export interface RawAnswer {
  /** Status code of the first response line, or null when none came. */
  status: number | null;
  /** Response head, lower-cased header names → values (joined by ', ' when repeated). */
  headers: Record<string, string>;
  body: string;
  /** The server closed the connection (or reset it). */
  closed: boolean;
  /** Neither an answer nor a close before the deadline. */
  hung: boolean;
}

/** `localAddress`: the loopback address to send from (any of 127/8), for tests of per-address budgets. */
export function rawRequest(port: number, request: string | Buffer, ms = 10_000, localAddress?: string): Promise<RawAnswer> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port, ...(localAddress ? { localAddress } : {}) });
    let data = Buffer.alloc(0);
    let done = false;
    const finish = (closed: boolean, hung = false) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      const text = data.toString('latin1');
      const headEnd = text.indexOf('\r\n\r\n');
      const head = headEnd >= 0 ? text.slice(0, headEnd) : text;
      const [statusLine = '', ...lines] = head.split('\r\n');
      const m = /^HTTP\/1\.[01] (\d{3})/.exec(statusLine);
      const headers: Record<string, string> = {};
      for (const l of lines) {
        const i = l.indexOf(':');
        if (i <= 0) continue;
        const k = l.slice(0, i).trim().toLowerCase();
        const v = l.slice(i + 1).trim();
        headers[k] = headers[k] ? `${headers[k]}, ${v}` : v;
      }
      resolve({ status: m ? Number(m[1]) : null, headers, body: headEnd >= 0 ? text.slice(headEnd + 4) : '', closed, hung });
    };
    const timer = setTimeout(() => finish(false, data.length === 0), ms);
    socket.on('data', (d: Buffer) => {
      data = Buffer.concat([data, d]);
      // A 101 leaves the socket open by design: the answer is complete at the end of its head.
      if (/^HTTP\/1\.1 101 /.test(data.toString('latin1')) && data.includes('\r\n\r\n')) finish(false);
    });
    socket.on('error', () => finish(true));
    socket.on('close', () => finish(true));
    socket.write(request);
  });
}

/** A WebSocket handshake for `path`, with the given extra header lines. */
export function upgradeRequest(path: string, headers: Record<string, string>): string {
  const lines = [
    `GET ${path} HTTP/1.1`,
    'Connection: Upgrade',
    'Upgrade: websocket',
    'Sec-WebSocket-Version: 13',
    'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==',
    ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`),
  ];
  return `${lines.join('\r\n')}\r\n\r\n`;
}
