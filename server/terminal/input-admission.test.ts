import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BlockTyper } from './block-typer.js';
import { InputAdmission, type AdmissionTarget } from './input-admission.js';

class Pty implements AdmissionTarget {
  live = true;
  inputBacklog = 0;
  discarded = 0;
  readonly written: string[] = [];
  lastOutputAt = 0;
  discardInput(): void {
    this.discarded += this.inputBacklog;
    this.inputBacklog = 0;
  }
  write(data: string): void {
    this.written.push(data);
  }
}

function setup(limit = 100) {
  const typer = new BlockTyper({ quietMs: 1, maxWaitMs: 5, tickMs: 1 });
  const admission = new InputAdmission(limit, typer);
  const pty = new Pty();
  const refusals: string[] = [];
  const write = (data: string) => admission.write(pty, data, (code) => refusals.push(code));
  return { typer, admission, pty, refusals, write };
}

test('keys go through while the backlog stays under the bound', () => {
  const s = setup();
  s.write('ls\r');
  assert.deepEqual(s.pty.written, ['ls\r']);
  assert.deepEqual(s.refusals, []);
});

test('no shell, or one that ended: not-ready, nothing written', () => {
  const s = setup();
  s.admission.write(null, 'x', (code) => s.refusals.push(code));
  s.pty.live = false;
  s.write('y');
  assert.deepEqual(s.refusals, ['not-ready', 'not-ready']);
  assert.deepEqual(s.pty.written, []);
});

test('past the bound input is refused, said once per overflow; accepted input re-arms the notice', () => {
  const s = setup(100);
  s.pty.inputBacklog = 99;
  s.write('ab');
  s.write('cd');
  assert.deepEqual(s.refusals, ['input-overflow']);
  s.pty.inputBacklog = 0;
  s.write('ok');
  s.pty.inputBacklog = 100;
  s.write('again');
  assert.deepEqual(s.refusals, ['input-overflow', 'input-overflow']);
  assert.deepEqual(s.pty.written, ['ok']);
});

test('the bound counts UTF-8 bytes: a multi-byte key at the edge is refused', () => {
  const s = setup(10);
  s.pty.inputBacklog = 8;
  s.write('€');
  assert.deepEqual(s.refusals, ['input-overflow']);
});

test('Ctrl-C always passes: it drops the backlog and stops a Run, whatever the bound', async () => {
  const s = setup(100);
  const run = s.typer.type(s.pty, ['one', 'two', 'three'], () => true);
  s.pty.inputBacklog = 5000;
  s.write('\x03');
  await run;
  assert.equal(s.pty.discarded, 5000);
  assert.deepEqual(s.pty.written, ['one\r', '\x03'], 'the rest of the block is not typed');
});

test('keys typed during a Run are held, count against the bound, and follow the block', async () => {
  const s = setup(100);
  const run = s.typer.type(s.pty, ['a', 'b'], () => true);
  s.write('x'.repeat(60));
  s.write('y'.repeat(60));
  assert.deepEqual(s.refusals, ['input-overflow'], 'held keys count: 60 + 60 > 100');
  await run;
  assert.deepEqual(s.pty.written, ['a\r', 'b\r', 'x'.repeat(60)]);
});
