import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MAX_SERVER_FRAME_BYTES, parseFrame } from './frame.js';
import { MAX_CLIENT_FRAME_BYTES } from './protocol.js';
import { MAX_WATCH_FRAME_BYTES, watchClientMessage, watchPath, watchServerMessage } from './watch-protocol.js';

const parseWatchClientMessage = (text: string) => parseFrame(watchClientMessage, text, MAX_WATCH_FRAME_BYTES);
const parseWatchServerMessage = (text: string) => parseFrame(watchServerMessage, text, MAX_SERVER_FRAME_BYTES);

const cases: Array<[string, string, string | null]> = [
  ['input', '{"type":"input","data":"ls\\r"}', null],
  ['control request', '{"type":"control","action":"request"}', null],
  ['control release', '{"type":"control","action":"release"}', null],
  ['a watcher cannot accept on the attendee\'s behalf', '{"type":"control","action":"accept"}', 'bad-message'],
  ['hello is not a watch frame', '{"type":"hello","version":1,"cols":80,"rows":24}', 'bad-message'],
  ['extra key', '{"type":"input","data":"x","as":"attendee"}', 'bad-message'],
  ['oversized input chunk', JSON.stringify({ type: 'input', data: 'x'.repeat(40_000) }), 'bad-message'],
  ['not json', '{', 'bad-json'],
  ['oversized frame', 'x'.repeat(MAX_CLIENT_FRAME_BYTES + 1), 'too-large'],
];

for (const [name, frame, code] of cases) {
  test(`a watcher's frame: ${name}`, () => {
    const r = parseWatchClientMessage(frame);
    if (code === null) assert.equal(r.ok, true);
    else assert.equal(r.ok ? 'ok' : r.code, code);
  });
}

test('server frames on the watch socket: known frames pass, unknown types and codes do not', () => {
  assert.equal(parseWatchServerMessage('{"type":"screen","data":"x","cols":80,"rows":24,"skipped":0}').ok, true);
  assert.equal(parseWatchServerMessage('{"type":"control","state":"granted","mine":true}').ok, true);
  assert.equal(parseWatchServerMessage('{"type":"control","state":"none","mine":false,"ended":"declined"}').ok, true);
  assert.equal(parseWatchServerMessage('{"type":"control","state":"none","mine":false,"ended":"attendee-left"}').ok, true);
  assert.equal(parseWatchServerMessage('{"type":"control","state":"none","mine":false,"ended":"stolen"}').ok, false);
  assert.equal(parseWatchServerMessage('{"type":"error","code":"not-in-control","message":"m"}').ok, true);
  assert.equal(parseWatchServerMessage('{"type":"error","code":"nope","message":"m"}').ok, false);
  assert.equal(parseWatchServerMessage('{"type":"eval"}').ok, false);
});

test('watchPath encodes the attendee id', () => {
  assert.equal(watchPath('a-x y'), '/ws/watch?attendee=a-x%20y');
});
