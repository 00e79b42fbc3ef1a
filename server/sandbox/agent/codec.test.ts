import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FrameDecoder, PayloadReader, PayloadWriter, ProtocolError, encodeFrame } from './codec.js';
import { NO_OFFSET } from './frames.js';

test('frames split anywhere are put back together, in order', () => {
  const bytes = Buffer.concat([encodeFrame(0x12, 3, Buffer.from('hello')), encodeFrame(0x02, 0), encodeFrame(0x21, 9, Buffer.alloc(1000, 7))]);
  for (const step of [1, 2, 9, 10, 100, bytes.length]) {
    const d = new FrameDecoder(4096);
    const frames = [];
    for (let i = 0; i < bytes.length; i += step) frames.push(...d.push(bytes.subarray(i, i + step)));
    assert.deepEqual(
      frames.map((f) => [f.type, f.chan, f.payload.length]),
      [[0x12, 3, 5], [0x02, 0, 0], [0x21, 9, 1000]],
    );
    assert.equal(d.buffered, 0);
  }
});

test('a frame over the bound is refused from its header, before its payload is held', () => {
  const d = new FrameDecoder(100);
  const header = encodeFrame(0x12, 1, Buffer.alloc(101)).subarray(0, 9);
  assert.throws(() => d.push(header), (e: unknown) => e instanceof ProtocolError && /frame of 101 bytes/.test(e.message));
});

test('payloads: every type round-trips; reads past the end, long strings and trailing bytes are refused', () => {
  const p = new PayloadWriter().u8(7).u16(65535).u32(0xffffffff).u64(2 ** 40).u64(NO_OFFSET).str('héllo').strs(['a', 'b=c']).done();
  const r = new PayloadReader(p, 'test');
  assert.deepEqual([r.u8(), r.u16(), r.u32(), r.u64()], [7, 65535, 0xffffffff, 2 ** 40]);
  assert.throws(() => r.u64(), /beyond 2\^53/);
  assert.equal(r.str(100), 'héllo');
  assert.equal(r.u32(), 2);
  assert.equal(r.str(10), 'a');
  assert.equal(r.str(10), 'b=c');
  r.end();
  assert.throws(() => r.u8(), ProtocolError);
  const long = new PayloadReader(new PayloadWriter().str('x'.repeat(50)).done(), 'long');
  assert.throws(() => long.str(10), /a string of 50 bytes/);
  const lying = new PayloadReader(new PayloadWriter().u32(1000).done(), 'lying');
  assert.throws(() => lying.str(5000), /too short/);
  const trailing = new PayloadReader(Buffer.from([1, 2]), 'trailing');
  trailing.u8();
  assert.throws(() => trailing.end(), /1 unexpected trailing bytes/);
  assert.throws(() => new PayloadWriter().str('a\0b'), /NUL/);
});
