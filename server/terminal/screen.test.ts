import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ByteRing, renderScreen } from './screen.js';

test('ByteRing keeps the newest bytes in order across wrap-around', () => {
  const r = new ByteRing(10);
  r.push(Buffer.from('abcdef'));
  r.push(Buffer.from('ghij'));
  assert.equal(r.contents().toString(), 'abcdefghij');
  r.push(Buffer.from('klm'));
  assert.equal(r.contents().toString(), 'defghijklm');
  r.push(Buffer.from('0123456789ABC'));
  assert.equal(r.contents().toString(), '3456789ABC');
  r.clear();
  assert.equal(r.contents().length, 0);
});

test('renderScreen turns bytes cut mid-escape-sequence into well-formed state', async () => {
  // The ring may start inside a colour sequence: "[31m" without its ESC.
  const state = await renderScreen(Buffer.from('[31mpartial\x1b[0m\r\nred: \x1b[31mRED\x1b[0m\r\n'), { cols: 40, rows: 5 });
  assert.match(state, /red: \x1b\[31mRED/);
  // No stray half sequence at the start that a browser would print as garbage twice.
  assert.ok(!state.startsWith('\x1b[31m[31m'));
});

test('renderScreen keeps what a full-screen redraw left, not the history under it', async () => {
  const state = await renderScreen(Buffer.from('old line\r\n\x1b[2J\x1b[Hnew screen'), { cols: 20, rows: 3 }, 0);
  assert.match(state, /new screen/);
  assert.doesNotMatch(state, /old line/);
});
