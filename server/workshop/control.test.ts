// WorkshopControl (issue 18 §11): prepare, pause, resume, close, reset and a restart's recovery, on a
// real SQLite store and a real pool over the local driver (real shells' processes, real workspaces).
// No attendee is connected: what a live session adds is the integration tests' (capacity.test.ts).
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createLogger } from '../log.js';
import { LocalDriver } from '../sandbox/local.js';
import { SandboxPool } from '../sandbox/pool.js';
import { openStore, type Store } from '../store/index.js';
import { SessionManager } from '../terminal/sessions.js';
import { WorkshopControl } from './control.js';
import { WORKSHOP_RULES } from './states.js';

const root = mkdtempSync(path.join(tmpdir(), 'labdeck-control-'));
after(() => rmSync(root, { recursive: true, force: true }));
const log = createLogger(true);

interface Rig {
  store: Store;
  pool: SandboxPool;
  sessions: SessionManager;
  control: WorkshopControl;
  dispose(): Promise<void>;
}

async function rig(store = openStore(':memory:', WORKSHOP_RULES)): Promise<Rig> {
  const pool = new SandboxPool(new LocalDriver({ root }), store.assignments, { size: 0 }, log);
  await pool.start();
  const sessions = new SessionManager(
    {
      pool,
      findBlock: () => undefined,
      stepCount: () => null,
      store: { ...store.progress, sandboxOf: (a) => store.assignments.sandboxOf(a) },
      reset: { labOf: () => null, beforeReset: () => Promise.resolve(), recordReset: () => undefined },
      log,
      graceMs: 60_000,
      terminal: { driverInfo: pool.driver.info, ringBytes: 1 << 16 },
    },
    { maxSessions: 10, healthEveryMs: 60_000 },
  );
  // A lab with no tool requirements: the smoke test is the tool check's frame alone.
  const labs = { lab: () => undefined };
  const control = new WorkshopControl({ ...store.workshops, ...store.assignments }, pool, sessions, labs, log, { smokeTimeoutMs: 20_000 });
  return {
    store,
    pool,
    sessions,
    control,
    async dispose() {
      control.dispose();
      sessions.shutdown('test over');
      await pool.close();
    },
  };
}

/** A workshop with members, each holding a sandbox of the pool. */
async function workshopWith(r: Rig, names: string[]) {
  const w = r.store.workshops.createWorkshop({ labId: 'lab', title: 'Morning', maxAttendees: 10 });
  for (const n of names) {
    assert.ok(r.store.workshops.join(n, w.id, n).ok);
    await r.pool.acquire(n);
  }
  return w;
}

async function until(what: string, done: () => boolean | Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await done())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((res) => setTimeout(res, 20));
  }
}

const health = (r: Rig, attendee: string) => r.pool.current(attendee)!.health();

test('capacity: members, sandboxes in use and the state, from the store and the pool', async () => {
  const r = await rig();
  try {
    const w = await workshopWith(r, ['ana', 'bo']);
    assert.ok(r.store.workshops.join('cy', w.id, 'Cy').ok, 'a member without a sandbox yet');
    const c = r.control.capacity(w);
    assert.deepEqual([c.state, c.joined, c.inUse, c.capacity, c.closesAt, c.pausedAt, c.prepare], ['open', 3, 2, 10, null, null, null]);
    assert.equal(r.control.statusOf('nobody'), null, 'no workshop, no status');
    assert.deepEqual(r.control.statusOf('ana'), { state: 'open', closesAt: null });
  } finally {
    await r.dispose();
  }
});

test('pause stops every member\'s sandbox and keeps its files; resume starts them; a second pause is refused by the table', async () => {
  const r = await rig();
  try {
    const w = await workshopWith(r, ['ana', 'bo']);
    const paused = await r.control.pause(w);
    assert.deepEqual(paused, { state: 'paused', sandboxes: 2, failed: [] });
    assert.equal(r.store.workshops.workshop(w.id)?.state, 'paused');
    assert.deepEqual([await health(r, 'ana'), await health(r, 'bo')], ['stopped', 'stopped']);
    assert.ok(r.control.capacity(r.store.workshops.workshop(w.id)!).pausedAt !== null);

    assert.deepEqual(await r.control.pause(r.store.workshops.workshop(w.id)!), { state: 'paused', sandboxes: 0, failed: [] }, 'paused → paused: nothing done');

    const resumed = await r.control.resume(r.store.workshops.workshop(w.id)!);
    assert.deepEqual(resumed, { state: 'open', sandboxes: 2, failed: [] });
    assert.equal(r.store.workshops.workshop(w.id)?.state, 'open');
    assert.deepEqual([await health(r, 'ana'), await health(r, 'bo')], ['running', 'running']);
    const echo = await r.pool.current('ana')!.exec(['bash', '-c', 'echo ba$((1+1))ck']);
    assert.equal(echo.stdout.trim(), 'ba2ck', 'a resumed sandbox runs commands again');
  } finally {
    await r.dispose();
  }
});

test('close: members are warned, the countdown ends in closed, their sandboxes are released; closed stays closed', async () => {
  const r = await rig();
  try {
    const w = await workshopWith(r, ['ana', 'bo']);
    const other = await workshopWith(r, ['cy']);
    const closesAt = r.control.close(w, 0);
    assert.ok(closesAt <= Date.now());
    await until('the workshop to close', () => r.store.workshops.workshop(w.id)?.state === 'closed');
    await until('the sandboxes to go', () => r.store.assignments.workshopSandboxes(w.id).length === 0);
    assert.equal(r.pool.current('ana'), undefined);
    assert.equal(r.store.workshops.workshopTimes(w.id).closesAt, null, 'no countdown left');
    assert.equal(r.pool.current('cy') !== undefined, true, 'another workshop\'s member keeps their sandbox');
    assert.equal(r.store.workshops.workshop(other.id)?.state, 'open');

    // A resume that raced the close (its route checked before the close ended) reopens nothing.
    const result = await r.control.resume({ ...w, state: 'paused' });
    assert.equal(result.state, 'closed');
    assert.equal(r.store.workshops.workshop(w.id)?.state, 'closed', 'closed → open is refused');
  } finally {
    await r.dispose();
  }
});

test('a restart finishes a close countdown that was running (recover)', async () => {
  const file = path.join(mkdtempSync(path.join(root, 'db-')), 'labdeck.db');
  const first = await rig(openStore(file, WORKSHOP_RULES));
  const w = await workshopWith(first, ['ana']);
  first.control.close(w, 60_000);
  assert.deepEqual(first.control.statusOf('ana')?.state, 'open');
  assert.ok((first.control.statusOf('ana')?.closesAt ?? 0) > Date.now(), 'the countdown shows while open');
  await first.dispose();
  first.store.close();

  const store = openStore(file, WORKSHOP_RULES);
  store.workshops.setClosesAt(w.id, Date.now() - 1); // the deadline passed while the server was down
  const again = await rig(store);
  try {
    again.control.recover();
    await until('the recovered countdown to close the workshop', () => store.workshops.workshop(w.id)?.state === 'closed');
  } finally {
    await again.dispose();
    store.close();
  }
});

test('reset: a stranger is named, not reset; members get a fresh sandbox, each one\'s reset followed in capacity()', async () => {
  const r = await rig();
  try {
    const w = await workshopWith(r, ['ana', 'bo']);
    assert.deepEqual(r.control.reset(w, ['ana', 'mallory']), { notMember: 'mallory' });
    const before = r.store.assignments.sandboxOf('ana');
    assert.deepEqual(r.control.reset(w, ['ana', 'ana']), { queued: ['ana'] }, 'each member once');
    await until('the reset to finish', () => r.control.capacity(w).resets.ana?.state === 'done');
    const after = r.store.assignments.sandboxOf('ana');
    assert.ok(after !== null && after !== before, 'a fresh sandbox');
    assert.equal(r.control.capacity(w).resets.bo, undefined, 'bo was not named');
  } finally {
    await r.dispose();
  }
});

test('prepare: sandboxes made ready ahead of the members, each smoke-tested; one prepare at a time', async () => {
  const r = await rig();
  try {
    const w = r.store.workshops.createWorkshop({ labId: 'lab', title: 'T', maxAttendees: 10 });
    const status = r.control.prepare(w, 2);
    assert.ok(status);
    assert.equal(r.control.prepare(w, 1), null, 'a second one while the first runs');
    await until('the prepare to finish', () => r.control.capacity(w).prepare?.running === false, 60_000);
    const done = r.control.capacity(w).prepare!;
    assert.deepEqual([done.requested, done.done, done.ready, done.failed], [2, 2, 2, []]);
    assert.equal(r.pool.warmCount, 2);
  } finally {
    await r.dispose();
  }
});
