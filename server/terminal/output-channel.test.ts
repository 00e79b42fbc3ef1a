import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ACK_EVERY_BYTES, HIGH_WATERMARK, LOW_WATERMARK } from '../../common/protocol.js';
import { FakeClient, FakeShell, turn } from '../../test/support/fake-terminal.js';
import { OutputFairness } from './fairness.js';
import { OutputChannel } from './output-channel.js';

const watermarks = { socketHighBytes: 1000, socketLowBytes: 200 };

function setup(opts: { fairness?: OutputFairness } = {}) {
  const shell = new FakeShell();
  let client: FakeClient | null = new FakeClient();
  const channel = new OutputChannel({ client: () => client, shell: () => shell, watermarks, fairness: opts.fairness });
  return {
    shell,
    channel,
    get client() {
      return client!;
    },
    setClient(c: FakeClient | null) {
      client = c;
      channel.reset();
    },
  };
}

test('chunks of one event-loop turn go out as one frame, in order', async () => {
  const { channel, client } = setup();
  channel.push(Buffer.from('a'));
  channel.push(Buffer.from('b'));
  channel.push(Buffer.from('c'));
  assert.equal(client.output.length, 0, 'nothing is sent before the turn ends');
  await turn();
  assert.deepEqual(client.output.map(String), ['abc']);
});

test('acks: paused above the high watermark, still paused between the watermarks, resumed below low', async () => {
  const { channel, client, shell } = setup();
  const chunk = Buffer.alloc(64 * 1024);
  let sent = 0;
  while (sent <= HIGH_WATERMARK) {
    assert.equal(shell.paused, false, `paused early at ${sent} bytes`);
    channel.push(chunk);
    sent += chunk.length;
    await turn();
    client.drain();
  }
  assert.equal(shell.paused, true);
  assert.deepEqual(channel.pauseReasons, ['acks']);
  // Acked down to just above the low watermark: still paused (hysteresis).
  channel.ack(sent - LOW_WATERMARK);
  assert.equal(shell.paused, true);
  channel.ack(ACK_EVERY_BYTES);
  assert.equal(shell.paused, false);
  assert.equal(shell.pauses, 1);
  assert.equal(shell.resumes, 1);
});

test('a client that acks without reading is paused on its socket, whatever it acks, until the socket drains', async () => {
  const { channel, client, shell } = setup();
  client.bufferedAmount = watermarks.socketHighBytes + 1;
  channel.push(Buffer.alloc(100));
  await turn();
  assert.equal(shell.paused, true);
  assert.deepEqual(channel.pauseReasons, ['socket']);
  channel.ack(HIGH_WATERMARK * 4);
  assert.equal(shell.paused, true, 'acks cannot override the socket');
  client.drain(watermarks.socketLowBytes);
  assert.equal(shell.paused, true, 'at the low watermark it stays paused');
  channel.push(Buffer.alloc(1));
  await turn();
  client.drain(watermarks.socketLowBytes - 1);
  assert.equal(shell.paused, false, 'below the low watermark it resumes');
});

test('a new client starts with clean accounting; a new shell starts paused while flow control says so', async () => {
  const s = setup();
  s.channel.push(Buffer.alloc(HIGH_WATERMARK + 1));
  assert.equal(s.shell.paused, true);
  const next = new FakeShell();
  s.channel.shellStarted(next);
  assert.equal(next.paused, true);
  s.setClient(new FakeClient());
  assert.equal(s.shell.paused, false);
  await turn();
  assert.equal(s.client.output.length, 0, 'output pending for the old client is not sent to the new one');
});

test('without a client nothing is queued or counted', async () => {
  const s = setup();
  s.setClient(null);
  s.channel.push(Buffer.alloc(HIGH_WATERMARK * 2));
  assert.equal(s.shell.paused, false);
  s.setClient(new FakeClient());
  await turn();
  assert.equal(s.client.output.length, 0);
});

test('held output (a screen being restored) waits for release and the flush, then goes in order', async () => {
  const { channel, client } = setup();
  channel.hold();
  channel.push(Buffer.from('live1 '));
  await turn();
  channel.push(Buffer.from('live2'));
  await turn();
  assert.equal(client.output.length, 0);
  channel.release();
  channel.flush();
  assert.deepEqual(client.output.map(String), ['live1 live2']);
});

test('a flooding channel over its fair share is paused and resumed at the next window; dispose forgets it', async () => {
  const fairness = new OutputFairness({ windowMs: 60, floodBytes: 100, sharedBytes: 400, minShareBytes: 50 });
  const a = setup({ fairness });
  const b = setup({ fairness });
  // One window where both flood, so the next one counts two flooding sessions.
  a.channel.push(Buffer.alloc(150));
  b.channel.push(Buffer.alloc(150));
  await new Promise((r) => setTimeout(r, 70));
  for (let i = 0; i < 5 && !a.shell.paused; i++) a.channel.push(Buffer.alloc(150));
  assert.deepEqual(a.channel.pauseReasons, ['budget']);
  await new Promise((r) => setTimeout(r, 60));
  assert.equal(a.shell.paused, false);
  a.channel.dispose();
  b.channel.dispose();
});

test('socket watermarks must be ordered low < high', () => {
  assert.throws(
    () => new OutputChannel({ client: () => null, shell: () => null, watermarks: { socketHighBytes: 10, socketLowBytes: 10 } }),
    /low < high/,
  );
});
