import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { ExecOptions, Sandbox } from '../sandbox/driver.js';
import { runCommand } from '../sandbox/exec.js';
import { runCancellable } from './cancellable.js';

/**
 * A sandbox that is the host's bash with its own TMPDIR (where a run keeps its files): the cancel
 * protocol under test is all shell, so real processes, no driver needed.
 */
function hostSandbox(tmp: string): Sandbox {
  return {
    id: 'host',
    driver: 'test',
    createdAt: Date.now(),
    attach: () => Promise.reject(new Error('no shells here')),
    follow: () => ({ dispose: () => undefined }),
    health: () => Promise.resolve('running'),
    exec: async (argv: string[], opts: ExecOptions = {}) => {
      const [file, ...args] = argv;
      return runCommand(file ?? 'false', args, {
        env: { PATH: process.env.PATH ?? '/usr/bin:/bin', TMPDIR: tmp },
        timeoutMs: opts.timeoutMs ?? 10_000,
        ...(opts.onOutput ? { onOutput: opts.onOutput } : {}),
      });
    },
  };
}

async function alive(marker: string): Promise<boolean> {
  return (await runCommand('pgrep', ['-f', marker])).code === 0;
}

async function gone(marker: string): Promise<boolean> {
  // Killed processes may need a moment to be reaped; a bounded wait, not a timing assertion.
  for (let i = 0; i < 50; i++) {
    if (!(await alive(marker))) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return false;
}

const marker = `labdeck-cancel-test-${process.pid}`;
/** Prints, starts a child under the marker, and would print "finished" after 30 s. */
const script = `echo started; bash -c 'exec -a ${marker} sleep 30' & wait; echo finished`;

test('an abort while it runs kills the script and its children; its files are removed', async () => {
  const tmp = mkdtempSync(path.join(tmpdir(), 'labdeck-cancel-'));
  try {
    const ctl = new AbortController();
    let out = '';
    const r = await runCancellable(hostSandbox(tmp), 60, script, [], {
      signal: ctl.signal,
      onOutput: (c) => {
        out += c;
        if (out.includes('started')) ctl.abort();
      },
    });
    assert.equal(r.cancelled, true);
    assert.equal(r.code, 137);
    assert.doesNotMatch(r.stdout, /finished/);
    assert.ok(await gone(marker), 'no process of the script is left');
    assert.deepEqual(readdirSync(tmp), [], 'no pid or cancel file is left');
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});

test('an abort racing the start still stops it, whichever exec comes first', async () => {
  const tmp = mkdtempSync(path.join(tmpdir(), 'labdeck-cancel-'));
  try {
    for (let i = 0; i < 5; i++) {
      const ctl = new AbortController();
      const run = runCancellable(hostSandbox(tmp), 60, script, [], { signal: ctl.signal });
      ctl.abort();
      const r = await run;
      assert.equal(r.cancelled, true);
      assert.doesNotMatch(r.stdout, /finished/);
    }
    assert.ok(await gone(marker), 'no process of the script is left');
    assert.deepEqual(readdirSync(tmp), []);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});

test('an abort before the start runs nothing; without an abort the script ends on its own', async () => {
  const tmp = mkdtempSync(path.join(tmpdir(), 'labdeck-cancel-'));
  try {
    const ctl = new AbortController();
    ctl.abort();
    const before = await runCancellable(hostSandbox(tmp), 60, 'echo ran', [], { signal: ctl.signal });
    assert.deepEqual([before.cancelled, before.stdout], [true, '']);
    const normal = await runCancellable(hostSandbox(tmp), 60, 'echo "$1 $2"; exit 3', ['a b', 'c'], { signal: new AbortController().signal });
    assert.deepEqual([normal.cancelled, normal.code, normal.stdout], [false, 3, 'a b c\n']);
    assert.deepEqual(readdirSync(tmp), []);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});
