// The pool bounds sandbox creation (issue 8, item 5): at most `maxCreating` at once, at most `maxWaiting`
// in line, the rest told to come back. Real local sandboxes; a gate in front of create() holds them
// so the test can see how many run at once.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { ProgressListener, Sandbox, SandboxDriver } from './driver.js';
import { LocalDriver } from './local.js';
import { PoolBusyError, SandboxPool } from './pool.js';
import { createLogger } from '../log.js';
import { assignmentStore } from '../store/assignments.js';
import { openDatabase } from '../store/open.js';

const root = mkdtempSync(path.join(tmpdir(), 'labdeck-pool-'));
after(() => rmSync(root, { recursive: true, force: true }));

/** A local driver whose create() waits for open(); counts creations running at once. */
class GatedDriver implements SandboxDriver {
  readonly inner = new LocalDriver({ root });
  readonly info = this.inner.info;
  running = 0;
  maxRunning = 0;
  private gate!: () => void;
  private readonly opened = new Promise<void>((r) => (this.gate = r));
  open(): void {
    this.gate();
  }
  async create(onProgress?: ProgressListener): Promise<Sandbox> {
    this.running++;
    this.maxRunning = Math.max(this.maxRunning, this.running);
    try {
      await this.opened;
      return await this.inner.create(onProgress);
    } finally {
      this.running--;
    }
  }
  adopt() {
    return Promise.resolve([]);
  }
  destroy(sb: Sandbox) {
    return this.inner.destroy(sb);
  }
  stop(sb: Sandbox) {
    return this.inner.stop(sb);
  }
  start(sb: Sandbox) {
    return this.inner.start(sb);
  }
  close() {
    return this.inner.close();
  }
}


test('creation is bounded: two at once, three in line, the next is told busy; all in line get one', async () => {
  const driver = new GatedDriver();
  const pool = new SandboxPool(driver, assignmentStore(openDatabase(':memory:')), { size: 0, maxCreating: 2, maxWaiting: 3 }, createLogger(true));
  await pool.start();
  const phases = new Map<string, string[]>();
  const joins = ['a1', 'a2', 'a3', 'a4', 'a5'].map((a) => {
    phases.set(a, []);
    return pool.acquire(a, (phase) => phases.get(a)!.push(phase));
  });
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(pool.creation, { creating: 2, waiting: 3 });
  await assert.rejects(pool.acquire('a6'), PoolBusyError);
  assert.match(phases.get('a5')!.join('\n'), /waiting for a free slot to create your sandbox \(2 ahead of you\)/);

  driver.open();
  const sandboxes = await Promise.all(joins);
  assert.equal(new Set(sandboxes.map((s) => s.id)).size, 5);
  assert.equal(driver.maxRunning, 2);
  assert.deepEqual(pool.creation, { creating: 0, waiting: 0 });
  for (const sb of sandboxes) await pool.release(sb);
  await pool.close();
});

test('attendees in line come before the refill', async () => {
  const driver = new GatedDriver();
  const pool = new SandboxPool(driver, assignmentStore(openDatabase(':memory:')), { size: 2, parallel: 2, maxCreating: 2, maxWaiting: 8 }, createLogger(true));
  await pool.start();
  // The refill holds both slots; an attendee waits, and is served before the refill starts again.
  assert.deepEqual(pool.creation, { creating: 2, waiting: 0 });
  const join = pool.acquire('b1');
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(pool.creation, { creating: 2, waiting: 1 });
  driver.open();
  const sb = await join;
  assert.equal(pool.attendeeOf(sb), 'b1');
  assert.ok(driver.maxRunning <= 2);
  await pool.release(sb);
  await pool.close();
});

test('start: an adopted sandbox goes back to the attendee the store names; an unassigned one waits in the pool', async () => {
  const inner = new LocalDriver({ root });
  const [a, b] = [await inner.create(), await inner.create()];
  const store = assignmentStore(openDatabase(':memory:'));
  store.assign('alice', a.id, 'local');
  const driver: SandboxDriver = {
    info: inner.info,
    create: (p) => inner.create(p),
    adopt: () => Promise.resolve([a, b]),
    destroy: (sb) => inner.destroy(sb),
    stop: (sb) => inner.stop(sb),
    start: (sb) => inner.start(sb),
    close: () => inner.close(),
  };
  const pool = new SandboxPool(driver, store, { size: 1 }, createLogger(true));
  assert.deepEqual(await pool.start(), { adopted: 2, pooled: 1 });
  assert.equal(pool.current('alice'), a);
  assert.equal(await pool.acquire('alice'), a, 'alice keeps hers');
  assert.equal(pool.attendeeOf(b), null);
  assert.equal(await pool.acquire('bob'), b, 'the unassigned one was waiting in the pool');
  assert.equal(store.sandboxOf('bob'), b.id);
  await pool.release(a);
  await pool.release(b);
  await pool.close();
  await inner.close();
});

test('prepare: creations stay within maxCreating, a sandbox failing the smoke test is destroyed, the rest wait in the pool', async () => {
  const driver = new GatedDriver();
  const pool = new SandboxPool(driver, assignmentStore(openDatabase(':memory:')), { size: 0, maxCreating: 2 }, createLogger(true));
  await pool.start();
  let tested = 0;
  const outcomes: Array<{ id: string; problem: string | null }> = [];
  const { planned, done } = pool.prepare(4, async () => (tested++ === 1 ? 'broken' : null), (r) => outcomes.push(r));
  assert.equal(planned, 4);
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(pool.creation, { creating: 2, waiting: 0 }, 'two at once, the others in line behind');
  driver.open();
  await done;
  assert.equal(driver.maxRunning, 2);
  assert.equal(outcomes.length, 4);
  const failed = outcomes.filter((o) => o.problem !== null);
  assert.deepEqual(failed.map((o) => o.problem), ['broken']);
  assert.equal(pool.warmCount, 3);
  // The failed one is gone; a join takes a prepared one.
  const taken = await pool.acquire('a1');
  assert.notEqual(taken.id, failed[0]!.id);
  assert.ok(outcomes.some((o) => o.id === taken.id && o.problem === null));
  assert.equal(pool.warmCount, 2);
  // At most maxReady wait ready: a prepare beyond it plans only what fits.
  const capped = new SandboxPool(driver, assignmentStore(openDatabase(':memory:')), { size: 0, maxReady: 1 }, createLogger(true));
  const more = capped.prepare(5, async () => null, () => undefined);
  assert.equal(more.planned, 1);
  await more.done;
  assert.equal(capped.warmCount, 1);
  await capped.close();
  await pool.release(taken);
  await pool.close();
  await driver.close();
});

test('start: a stopped sandbox assigned to someone is kept (a paused workshop), a stopped unassigned one is destroyed', async () => {
  const inner = new LocalDriver({ root });
  const [paused, leftover] = [await inner.create(), await inner.create()];
  await inner.stop(paused);
  await inner.stop(leftover);
  const store = assignmentStore(openDatabase(':memory:'));
  store.assign('alice', paused.id, 'local');
  const driver: SandboxDriver = {
    info: inner.info,
    create: (p) => inner.create(p),
    adopt: () => Promise.resolve([paused, leftover]),
    destroy: (sb) => inner.destroy(sb),
    stop: (sb) => inner.stop(sb),
    start: (sb) => inner.start(sb),
    close: () => inner.close(),
  };
  const pool = new SandboxPool(driver, store, { size: 2 }, createLogger(true));
  assert.deepEqual(await pool.start(), { adopted: 2, pooled: 0 });
  assert.equal(pool.current('alice'), paused);
  await pool.drain();
  assert.equal(await leftover.health(), 'missing', 'nobody waits for a stopped sandbox: destroyed');
  assert.equal(await paused.health(), 'stopped');
  await driver.start(paused);
  assert.equal((await paused.exec(['true'])).code, 0, 'resumed, it works');
  await pool.close();
  await inner.close();
});
