// The agent's C header is generated from frames.ts (sandbox/agent/gen-header.ts): the committed one
// must be exactly what the generator makes, so the protocol's constants have one owner.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { HEADER_PATH, renderHeader } from '../../../sandbox/agent/gen-header.js';
import { FRAME, LIMIT } from './frames.js';

test('sandbox/agent/frames.h is what gen-header.ts makes of frames.ts (run it after changing frames.ts)', () => {
  assert.equal(readFileSync(HEADER_PATH, 'utf8'), renderHeader());
});

test('frame types are unique bytes', () => {
  const values = Object.values(FRAME);
  assert.equal(new Set(values).size, values.length);
  for (const v of values) assert.ok(v > 0 && v < 256);
});

test('bounds that depend on each other', () => {
  assert.ok(LIMIT.OUTPUT_WINDOW < LIMIT.RING_BYTES, 'an attached channel never loses unsent output to the ring');
  assert.ok(LIMIT.DATA_CHUNK + 8 < LIMIT.FROM_AGENT_PAYLOAD, 'a data chunk (with a follow offset) fits a frame');
  assert.ok(LIMIT.INPUT_WINDOW <= LIMIT.INPUT_QUEUE, 'the server never sends more than the agent queues');
  assert.ok(LIMIT.SEND_HIGH < LIMIT.SEND_MAX);
});
