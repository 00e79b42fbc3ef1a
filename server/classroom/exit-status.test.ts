import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { EXIT_STATUS_FILE, StatusLineReader, shellEnv } from './exit-status.js';

test('the reader: the header gives the offset, lines give statuses, split chunks are joined', () => {
  const r = new StatusLineReader({ perSecond: 100, burst: 100 });
  assert.deepEqual(r.push('@12\n3 1'), []);
  assert.equal(r.offset, 12);
  assert.deepEqual(r.push('27\n4 0\n'), [
    [127, 12 + 6],
    [0, 12 + 10],
  ], 'each status with the offset just after its line');
  assert.equal(r.offset, 12 + '3 127\n4 0\n'.length);
});

test('the reader drops what is not a status line, and overlong lines whole, however they are split', () => {
  const r = new StatusLineReader({ perSecond: 100, burst: 100 });
  r.push('@0\n');
  const junk = ['hello', '1 1 1', '-1 2', '1 9999', '', `${'9'.repeat(40)} 1`];
  assert.deepEqual(r.push(junk.join('\n') + '\n'), []);
  assert.equal(r.dropped, junk.length);
  // A long line arriving in pieces: none of its pieces may pass for a status ("5 1" is its tail).
  assert.deepEqual(r.push('x'.repeat(30)), []);
  assert.deepEqual(r.push('y'.repeat(30)), []);
  assert.deepEqual(r.push(' 5 1\n6 2\n').map(([status]) => status), [2]);
  const total = junk.join('\n').length + 1 + 60 + ' 5 1\n6 2\n'.length;
  assert.equal(r.offset, total, 'every byte moves the offset, dropped or not');
});

test('the reader rate-limits what it counts: a burst, then so many per second', () => {
  let now = 0;
  const r = new StatusLineReader({ perSecond: 2, burst: 3 }, () => now);
  r.push('@0\n');
  assert.deepEqual(r.push('1 1\n2 1\n3 1\n4 1\n5 1\n').length, 3);
  assert.equal(r.dropped, 2);
  now = 1000;
  assert.deepEqual(r.push('6 1\n7 1\n8 1\n').length, 2);
});

test('the report in a real interactive bash: one line per command run (the first too), none for an empty Enter; $? and PIPESTATUS kept', () => {
  const home = mkdtempSync(path.join(tmpdir(), 'labdeck-pc-'));
  try {
    // bash -i reads commands from stdin here; the prompt (and PROMPT_COMMAND) runs before each.
    const out = execFileSync('/bin/bash', ['--noprofile', '--norc', '-i'], {
      input: 'false\n\n\ntrue\nls /nonexistent-h10\necho "kept $?"\nfalse | true; echo "same line ${PIPESTATUS[*]}"\ntrue | false\necho "next line ${PIPESTATUS[*]}"\n',
      env: { HOME: home, PATH: '/usr/bin:/bin', PS1: '$ ', ...shellEnv() } as unknown as NodeJS.ProcessEnv,
      stdio: ['pipe', 'pipe', 'pipe'],
      encoding: 'utf8',
    });
    assert.match(out, /kept 2/, 'the attendee\'s $? is the command\'s, not the PROMPT_COMMAND\'s');
    assert.match(out, /same line 1 0/);
    assert.match(out, /next line 0 1/);
    assert.doesNotMatch(out, /labdeck|__labdeck/i, 'PS0 prints nothing');
    const lines = readFileSync(path.join(home, EXIT_STATUS_FILE), 'utf8').trim().split('\n');
    assert.deepEqual(lines.map((l) => l.split(' ')[1]), ['1', '0', '2', '0', '0', '1', '0']);
    const seqs = lines.map((l) => Number(l.split(' ')[0]));
    assert.deepEqual(seqs, [...new Set(seqs)].sort((a, b) => a - b), 'command numbers only move forward');
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
});
