import { test } from 'node:test';
import assert from 'node:assert/strict';
import { z } from 'zod';
import { exceedsBytes, parseFrame } from './frame.js';

const schema = z.discriminatedUnion('type', [z.object({ type: z.literal('ping'), t: z.number() }).strict()]);

test('parseFrame: a valid frame, and each refusal with its code and a sentence', () => {
  assert.deepEqual(parseFrame(schema, '{"type":"ping","t":1}', 100), { ok: true, frame: { type: 'ping', t: 1 } });
  const cases: Array<[string, string]> = [
    ['{', 'bad-json'],
    ['42', 'bad-message'],
    ['{"type":"ping"}', 'bad-message'],
    ['{"type":"ping","t":1,"x":2}', 'bad-message'],
    ['{"type":"pong","t":1}', 'bad-message'],
    [`{"type":"ping","t":1${' '.repeat(100)}}`, 'too-large'],
  ];
  for (const [text, code] of cases) {
    const r = parseFrame(schema, text, 100);
    assert.equal(r.ok ? 'ok' : r.code, code, text.slice(0, 40));
    assert.ok(r.ok || r.error.length > 0);
  }
});

test('parseFrame names where a message is wrong', () => {
  const r = parseFrame(schema, '{"type":"ping","t":"soon"}', 100);
  assert.equal(r.ok, false);
  assert.match(r.ok ? '' : r.error, /at t:/);
});

test('the size bound is UTF-8 bytes, not UTF-16 units', () => {
  // 30 characters of three bytes each are 90 bytes: within 90, past 89.
  const wide = '€'.repeat(30);
  assert.equal(exceedsBytes(wide, 90), false);
  assert.equal(exceedsBytes(wide, 89), true);
  // A surrogate pair is four bytes, not six.
  const emoji = '😀'.repeat(10);
  assert.equal(exceedsBytes(emoji, 40), false);
  assert.equal(exceedsBytes(emoji, 39), true);
  assert.equal(exceedsBytes('x'.repeat(10), 10), false);
  assert.equal(exceedsBytes('x'.repeat(11), 10), true);
  assert.equal(parseFrame(z.string(), JSON.stringify(wide), 91).ok, false, '92 bytes with the quotes');
  assert.equal(parseFrame(z.string(), JSON.stringify(wide), 92).ok, true);
});
