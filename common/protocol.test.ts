import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MAX_SERVER_FRAME_BYTES, parseFrame } from './frame.js';
import { ACK_EVERY_BYTES, HIGH_WATERMARK, LOW_WATERMARK, MAX_CLIENT_FRAME_BYTES, clampSize, clientMessage, serverMessage } from './protocol.js';

const parseClient = (text: string) => parseFrame(clientMessage, text, MAX_CLIENT_FRAME_BYTES);
const parseServer = (text: string) => parseFrame(serverMessage, text, MAX_SERVER_FRAME_BYTES);

test('flow-control invariant: ack step < low < high watermark', () => {
  assert.ok(ACK_EVERY_BYTES < LOW_WATERMARK && LOW_WATERMARK < HIGH_WATERMARK);
});

const cases: Array<[string, string, string | null]> = [
  ['valid hello', '{"type":"hello","version":1,"cols":80,"rows":24}', null],
  ['valid input', '{"type":"input","data":"ls\\r"}', null],
  ['valid resize', '{"type":"resize","cols":120,"rows":40}', null],
  ['valid run', '{"type":"run","labId":"l","blockId":"b"}', null],
  ['not json', 'hello', 'bad-json'],
  ['json but not an object', '42', 'bad-message'],
  ['unknown type', '{"type":"exec","cmd":"rm -rf /"}', 'bad-message'],
  ['missing field', '{"type":"resize","cols":80}', 'bad-message'],
  ['NaN-ish size', '{"type":"resize","cols":"80","rows":24}', 'bad-message'],
  ['fractional size', '{"type":"resize","cols":80.5,"rows":24}', 'bad-message'],
  ['extra key', '{"type":"input","data":"x","sudo":true}', 'bad-message'],
  ['wrong protocol version', '{"type":"hello","version":2,"cols":80,"rows":24}', 'bad-message'],
  ['negative ack', '{"type":"ack","bytes":-5}', 'bad-message'],
  ['oversized input chunk', JSON.stringify({ type: 'input', data: 'x'.repeat(40_000) }), 'bad-message'],
  ['oversized frame', 'x'.repeat(MAX_CLIENT_FRAME_BYTES + 1), 'too-large'],
  ['control accepted', '{"type":"control","action":"accept"}', null],
  ['control ended', '{"type":"control","action":"end"}', null],
  ['an attendee cannot ask for control of their own shell', '{"type":"control","action":"request"}', 'bad-message'],
  ['prototype pollution attempt is an unknown key', '{"type":"ping","t":1,"__proto__":{"x":1}}', 'bad-message'],
];

for (const [name, frame, code] of cases) {
  test(`a client frame: ${name}`, () => {
    const r = parseClient(frame);
    assert.equal(r.ok ? null : r.code, code, r.ok ? '' : r.error);
  });
}

test('clampSize keeps sizes in bounds', () => {
  assert.deepEqual(clampSize(0, 0), { cols: 2, rows: 1 });
  assert.deepEqual(clampSize(100000, 100000), { cols: 500, rows: 200 });
  assert.deepEqual(clampSize(80, 24), { cols: 80, rows: 24 });
});

const serverCases: Array<[string, unknown, boolean]> = [
  ['ready', { type: 'ready', attendee: 'a', driver: 'local', isolation: 'host', resumed: true }, true],
  ['ready with replaced', { type: 'ready', attendee: 'a', driver: 'local', isolation: 'host', resumed: false, replaced: 'why' }, true],
  ['exit by signal', { type: 'exit', code: null, signal: 9 }, true],
  ['error', { type: 'error', code: 'busy', message: 'm', fatal: false }, true],
  ['taken-over', { type: 'taken-over' }, true],
  ['watching', { type: 'watching', watchers: 2 }, true],
  ['negative watchers', { type: 'watching', watchers: -1 }, false],
  ['control requested', { type: 'control', state: 'requested' }, true],
  ['control in an unknown state', { type: 'control', state: 'stolen' }, false],
  ['presenter step', { type: 'presenter', labId: 'l', step: 3 }, true],
  ['presenter stopped', { type: 'presenter', labId: 'l', step: null }, true],
  ['presenter fractional step', { type: 'presenter', labId: 'l', step: 1.5 }, false],
  ['unknown type', { type: 'eval', js: 'x' }, false],
  ['unknown error code', { type: 'error', code: 'nope', message: 'm' }, false],
  ['reset by someone else', { type: 'reset', by: 'mallory' }, false],
  ['missing field', { type: 'progress', phase: 'x' }, false],
  ['not an object', 42, false],
];

for (const [name, msg, ok] of serverCases) {
  test(`a server frame: ${name}`, () => {
    assert.equal(parseServer(JSON.stringify(msg)).ok, ok);
  });
}

test('a server frame that is not JSON is an error, not a throw', () => {
  const r = parseServer('{');
  assert.equal(r.ok ? 'ok' : r.code, 'bad-json');
});
