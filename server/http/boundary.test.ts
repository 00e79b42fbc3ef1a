import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import net from 'node:net';
import { admit, guardUpgrade } from './boundary.js';
import { HostGuard } from './host-guard.js';

const hosts = new HostGuard([], '127.0.0.1', () => 3000);
const req = (url: string, host = 'localhost:3000') => ({ url, headers: { host } }) as unknown as IncomingMessage;
const status = (url: string, host?: string) => {
  const a = admit(req(url, host), hosts);
  return a.ok ? 200 : a.status;
};

test('admit: Host first, then an origin-form target whose escapes decode', () => {
  const CASES: Array<[string, string | undefined, number]> = [
    ['/', undefined, 200],
    ['/labs/x?step=2', undefined, 200],
    ['/labs/a%20b', undefined, 200],
    ['/%', undefined, 400],
    ['/labs/%E0%A4%A', undefined, 400],
    ['//evil.example/x', undefined, 400],
    ['http://evil.example/', undefined, 400],
    ['*', undefined, 400],
    ['', undefined, 400],
    ['/%', 'evil.example:3000', 421],
  ];
  for (const [url, host, want] of CASES) assert.equal(status(url, host), want, `${url} ${host ?? ''}`);
});

/** A real socket pair: what guardUpgrade writes is what the client reads. */
async function answerTo(handler: () => void | Promise<void>): Promise<string> {
  const server = net.createServer((socket) => guardUpgrade(socket, handler, () => undefined));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as net.AddressInfo;
  try {
    return await new Promise<string>((resolve, reject) => {
      let out = '';
      const client = net.connect(port, '127.0.0.1');
      client.on('data', (d: Buffer) => (out += d.toString()));
      client.on('close', () => resolve(out));
      client.on('error', reject);
    });
  } finally {
    server.close();
  }
}

test('guardUpgrade answers a throwing or rejecting handler with a 500 and closes', async () => {
  assert.match(
    await answerTo(() => {
      throw new URIError('URI malformed');
    }),
    /^HTTP\/1\.1 500 Internal error\r\n/,
  );
  assert.match(await answerTo(() => Promise.reject(new Error('late'))), /^HTTP\/1\.1 500 /);
});
