import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Logger } from '../log.js';
import type { FollowListener } from '../sandbox/driver.js';
import { EXIT_STATUS_FILE, ExitStatusFollower, StatusLineReader, shellEnv, type FollowOptions } from './exit-status.js';

test('the reader: lines give statuses with their offsets from where it started, split chunks are joined', () => {
  const r = new StatusLineReader({ perSecond: 100, burst: 100 }, 12);
  assert.deepEqual(r.push('3 1'), []);
  assert.equal(r.offset, 12, 'a partial line does not move the offset');
  assert.deepEqual(r.push('27\n4 0\n'), [
    [127, 12 + 6],
    [0, 12 + 10],
  ], 'each status with the offset just after its line');
  assert.equal(r.offset, 12 + '3 127\n4 0\n'.length);
});

test('the reader drops what is not a status line, and overlong lines whole, however they are split', () => {
  const r = new StatusLineReader({ perSecond: 100, burst: 100 });
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
  const r = new StatusLineReader({ perSecond: 2, burst: 3 }, 0, () => now);
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

/** A sandbox whose follow the test drives: each call is recorded, with its listener. */
function followedSandbox() {
  const follows: Array<{ file: string; from: number; max: number; listener: FollowListener; disposed: boolean }> = [];
  return {
    follows,
    sandbox: {
      id: 'sb',
      follow(file: string, from: number, listener: FollowListener, max: number) {
        const f = { file, from, max, listener, disposed: false };
        follows.push(f);
        return { dispose: () => void (f.disposed = true) };
      },
    },
  };
}
const quietLog = { info() {}, warn() {}, error() {} } as unknown as Logger;

test('the follower: follows the report from the stored offset; a truncated file is read from its start', () => {
  const { follows, sandbox } = followedSandbox();
  const seen: Array<[number, number]> = [];
  const f = new ExitStatusFollower(sandbox, 10, (s, o) => seen.push([s, o]), quietLog);
  assert.equal(follows.length, 1);
  assert.deepEqual([follows[0]!.file, follows[0]!.from], [EXIT_STATUS_FILE, 10]);
  follows[0]!.listener.data(Buffer.from('4 1\n5 '), 10);
  follows[0]!.listener.data(Buffer.from('0\n'), 16);
  assert.deepEqual(seen, [[1, 14], [0, 18]]);
  // The attendee truncated it: chunks start at 0 again, and a partial line before is forgotten.
  follows[0]!.listener.data(Buffer.from('1 2'), 18);
  follows[0]!.listener.data(Buffer.from('9 3\n'), 0);
  assert.deepEqual(seen.at(-1), [3, 4]);
  f.dispose();
  assert.equal(follows[0]!.disposed, true);
});

test('the follower: a budget spent slowly starts a new follow from where it was; one spent fast is a flood and ends', () => {
  const slow = followedSandbox();
  const opts: FollowOptions = { runMs: 0, perSecond: 100, burst: 100, maxBytesPerRun: 8, retryMs: 10 };
  new ExitStatusFollower(slow.sandbox, 0, () => undefined, quietLog, opts);
  slow.follows[0]!.listener.data(Buffer.from('1 0\n2 0\n'), 0);
  slow.follows[0]!.listener.end!('limit');
  assert.deepEqual(slow.follows.map((f) => f.from), [0, 8]);
  const fast = followedSandbox();
  new ExitStatusFollower(fast.sandbox, 0, () => undefined, quietLog, { ...opts, runMs: 60_000 });
  fast.follows[0]!.listener.end!('limit');
  assert.equal(fast.follows.length, 1, 'no longer followed');
});
