import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseFrame } from './frame.js';
import { ACK_EVERY_BYTES, HIGH_WATERMARK, INPUT_CHUNK_CHARS, MAX_CLIENT_FRAME_BYTES, clientMessage, type ServerMessage } from './protocol.js';
import { TerminalClient, chunks, type SocketLike } from './terminal-client.js';

/** A WebSocket stand-in: records what is sent; the test plays the server's frames. */
class FakeSocket implements SocketLike {
  readyState = 0;
  readonly sent: string[] = [];
  closedWith: [number | undefined, string | undefined] | null = null;
  onopen: SocketLike['onopen'] = null;
  onmessage: SocketLike['onmessage'] = null;
  onclose: SocketLike['onclose'] = null;
  onerror: SocketLike['onerror'] = null;
  send(data: string): void {
    this.sent.push(data);
  }
  close(code?: number, reason?: string): void {
    this.closedWith = [code, reason];
    this.readyState = 3;
  }
  open(): void {
    this.readyState = 1;
    this.onopen?.(undefined);
  }
  frame(data: unknown): void {
    this.onmessage?.({ data });
  }
  get acks(): number[] {
    return this.sent.map((f) => JSON.parse(f) as { type: string; bytes?: number }).filter((m) => m.type === 'ack').map((m) => m.bytes!);
  }
}

test('hello and input frames are valid client messages; a paste is split below the frame limit', () => {
  const s = new FakeSocket();
  const c = new TerminalClient(s, { onOpen: () => c.hello({ cols: 100, rows: 30 }, true) });
  assert.equal(c.input('x'), false, 'nothing is sent before the socket opens');
  s.open();
  c.input('y'.repeat(INPUT_CHUNK_CHARS * 2 + 1));
  assert.equal(s.sent.length, 4);
  for (const f of s.sent) assert.equal(parseFrame(clientMessage, f, MAX_CLIENT_FRAME_BYTES).ok, true, f.slice(0, 80));
  assert.deepEqual(JSON.parse(s.sent[0]!), { type: 'hello', version: 1, cols: 100, rows: 30, resume: true });
});

test('output is acked in steps of ACK_EVERY_BYTES, once consumed; a remainder waits', () => {
  const s = new FakeSocket();
  const seen: number[] = [];
  const c = new TerminalClient(s, { onOutput: (b) => seen.push(b.byteLength) });
  s.open();
  s.frame(new ArrayBuffer(ACK_EVERY_BYTES - 1));
  s.frame(Buffer.alloc(10));
  assert.deepEqual(seen, [ACK_EVERY_BYTES - 1, 10]);
  assert.deepEqual(s.acks, [], 'nothing is acked before it is consumed');
  c.consumed(ACK_EVERY_BYTES - 1);
  assert.deepEqual(s.acks, []);
  c.consumed(10);
  assert.deepEqual(s.acks, [ACK_EVERY_BYTES + 9]);
});

test('autoAck acks on receipt; an ack never exceeds what the server accepts', () => {
  const s = new FakeSocket();
  const c = new TerminalClient(s, {}, { autoAck: true });
  s.open();
  s.frame(new Uint8Array(HIGH_WATERMARK * 4 + ACK_EVERY_BYTES));
  assert.deepEqual(s.acks, [HIGH_WATERMARK * 4, ACK_EVERY_BYTES]);
  for (const f of s.sent) assert.equal(parseFrame(clientMessage, f, MAX_CLIENT_FRAME_BYTES).ok, true);
  c.autoAck = false;
  s.frame(new Uint8Array(ACK_EVERY_BYTES));
  assert.equal(s.acks.length, 2);
});

test('server frames are validated: a valid one is delivered typed, an invalid one is dropped and counted', () => {
  const s = new FakeSocket();
  const got: ServerMessage[] = [];
  const bad: string[] = [];
  const c = new TerminalClient(s, { onMessage: (m) => got.push(m), onInvalid: (e) => bad.push(e) });
  s.open();
  s.frame(JSON.stringify({ type: 'ready', attendee: 'a', driver: 'local', isolation: 'none', resumed: false, extra: 1 }));
  s.frame(JSON.stringify({ type: 'error', code: 'no-such-code', message: 'x' }));
  s.frame(JSON.stringify({ type: 'shell', cmd: 'rm -rf /' }));
  s.frame('{not json');
  assert.deepEqual(got, [{ type: 'ready', attendee: 'a', driver: 'local', isolation: 'none', resumed: false }]);
  assert.equal(c.invalidFrames, 3);
  assert.equal(bad.length, 3);
});

test('an abandoned client is closed, hears nothing more, and acks nothing on the next socket', () => {
  const s = new FakeSocket();
  const out: number[] = [];
  let closes = 0;
  const c = new TerminalClient(s, { onOutput: (b) => out.push(b.length), onClose: () => closes++ });
  s.open();
  c.abandon(1000, 'bye');
  assert.deepEqual(s.closedWith, [1000, 'bye']);
  assert.equal(s.onmessage, null);
  c.consumed(ACK_EVERY_BYTES * 2);
  assert.deepEqual(s.acks, []);
  assert.equal(closes, 0);
  assert.deepEqual(out, []);
});

test('close reports whether the socket ever opened', () => {
  const s = new FakeSocket();
  const closes: boolean[] = [];
  new TerminalClient(s, { onClose: (e) => closes.push(e.opened) });
  s.onclose?.({ code: 1006, reason: '' });
  const t = new FakeSocket();
  new TerminalClient(t, { onClose: (e) => closes.push(e.opened) });
  t.open();
  t.onclose?.({ code: 1000, reason: '' });
  assert.deepEqual(closes, [false, true]);
});

test('chunks never split a surrogate pair', () => {
  const text = 'a' + '😀'.repeat(5);
  for (const part of chunks(text, 2)) assert.ok(!/[\ud800-\udbff]$/.test(part), JSON.stringify(part));
  assert.equal(chunks(text, 2).join(''), text);
});
