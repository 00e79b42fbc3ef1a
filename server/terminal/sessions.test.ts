// Issue 18 bug 2: one reset path. An attendee with a live session and one without (after a restart,
// or "Reset all" reaching someone offline) are reset the same way: the lab's reset script in the old
// sandbox, with the lab the store has (not what a page reported to this session), then the event.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClient, FakeSandbox } from '../../test/support/fake-terminal.js';
import type { Logger } from '../log.js';
import type { SessionPool } from './session.js';
import { SessionManager } from './sessions.js';

function setup(current: FakeSandbox | undefined) {
  const calls: string[] = [];
  const fresh = new FakeSandbox('sb-fresh');
  const pool: SessionPool = {
    current: () => current,
    acquire: () => Promise.resolve(current ?? fresh),
    replace: (old) => {
      calls.push(`replace ${old?.id ?? 'none'}`);
      return Promise.resolve(fresh);
    },
    release: () => Promise.resolve(),
  };
  const log: Logger = { info: () => undefined, warn: () => undefined, error: () => undefined };
  // The store's lab for the attendee: where their page said they were, in an earlier session.
  const deps = {
    pool,
    findBlock: () => undefined,
    stepCount: () => 3,
    store: { recordProgress: () => undefined, recordRun: () => undefined, sandboxOf: () => current?.id ?? null },
    reset: {
      labOf: (a: string) => (a === 'bob' ? 'the-lab' : null),
      beforeReset: (a: string, lab: string | null, sb: { id: string } | null) => {
        calls.push(`script ${a} ${lab} in ${sb?.id ?? 'none'}`);
        return Promise.resolve();
      },
      recordReset: (a: string, by: string) => void calls.push(`event ${a} ${by}`),
    },
    log,
    graceMs: 60_000,
    terminal: { driverInfo: { name: 'fake', isolation: 'none', warnings: [] }, ringBytes: 1 << 16 },
  };
  const sessions = new SessionManager(deps, { maxSessions: 10, healthEveryMs: 60_000 });
  return { sessions, calls, fresh };
}

test('an attendee without a session is reset through the same path: the lab reset script, the event, a fresh sandbox', async () => {
  const old = new FakeSandbox('sb-old');
  const { sessions, calls } = setup(old);
  assert.equal(await sessions.reset('bob', 'instructor'), true);
  assert.deepEqual(calls, ['script bob the-lab in sb-old', 'event bob instructor', 'replace sb-old']);
  sessions.shutdown('test');
});

test('an attendee with neither a session nor a sandbox: nothing to reset', async () => {
  const { sessions, calls } = setup(undefined);
  assert.equal(await sessions.reset('bob', 'instructor'), false);
  assert.deepEqual(calls, []);
  sessions.shutdown('test');
});

test('a fresh page (no progress frame yet): the reset script runs with the lab from the store', async () => {
  const old = new FakeSandbox('sb-old');
  const { sessions, calls, fresh } = setup(old);
  const session = sessions.getOrCreate('bob');
  assert.ok(typeof session === 'object');
  const page = new FakeClient();
  await session.attach(page, { cols: 80, rows: 24 }, false);
  assert.equal(page.ofType('ready').length, 1);
  assert.equal(await sessions.reset('bob', 'instructor'), true);
  assert.deepEqual(calls, ['script bob the-lab in sb-old', 'event bob instructor', 'replace sb-old']);
  assert.deepEqual(page.ofType('reset'), [{ type: 'reset', by: 'instructor' }]);
  assert.equal(page.ofType('ready').length, 2, 'a shell in the fresh sandbox');
  assert.equal(session.currentSandbox?.id, fresh.id);
  sessions.shutdown('test');
});
