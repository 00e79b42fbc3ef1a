// The close/hello race (issue 9, "the attendee ↔ sandbox assignment has three owners"): a hello for an
// attendee arriving while their old session's close() waits must be given a different, live sandbox,
// never the one that close() is about to destroy. Real local sandboxes and shells, the real pool,
// session manager and SQLite store; a gate in front of the first attach() holds the old session's
// work queue, so its close() is caught waiting, as a slow shell start or reset would hold it.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Sandbox, SandboxDriver, Shell, TermSize } from '../../server/sandbox/driver.js';
import { LocalDriver } from '../../server/sandbox/local.js';
import { SandboxPool } from '../../server/sandbox/pool.js';
import { openStore } from '../../server/store/index.js';
import { WORKSHOP_RULES } from '../../server/workshop/states.js';
import { SessionManager } from '../../server/terminal/sessions.js';
import type { ClientLink } from '../../server/terminal/output-channel.js';
import type { ServerMessage } from '../../common/protocol.js';
import { createLogger } from '../../server/log.js';

const root = mkdtempSync(path.join(tmpdir(), 'labdeck-race-'));
after(() => rmSync(root, { recursive: true, force: true }));

/** A local driver whose sandboxes' first attach() waits for open(). */
function gatedDriver(): { driver: SandboxDriver; open: () => void; attaching: Promise<void> } {
  const inner = new LocalDriver({ root });
  let open!: () => void;
  const opened = new Promise<void>((r) => (open = r));
  let started!: () => void;
  const attaching = new Promise<void>((r) => (started = r));
  let first = true;
  const gate = (sb: Sandbox): Sandbox =>
    new Proxy(sb, {
      get(target, prop, receiver) {
        if (prop !== 'attach') return Reflect.get(target, prop, receiver) as unknown;
        return async (size: TermSize, env?: Record<string, string>): Promise<Shell> => {
          if (first) {
            first = false;
            started();
            await opened;
          }
          return target.attach(size, env);
        };
      },
    });
  const unwrap = new Map<string, Sandbox>();
  const driver: SandboxDriver = {
    info: inner.info,
    create: async (p) => {
      const sb = await inner.create(p);
      unwrap.set(sb.id, sb);
      return gate(sb);
    },
    adopt: () => inner.adopt(),
    destroy: (sb) => inner.destroy(unwrap.get(sb.id) ?? sb),
    stop: (sb) => inner.stop(unwrap.get(sb.id) ?? sb),
    start: (sb) => inner.start(unwrap.get(sb.id) ?? sb),
    close: () => inner.close(),
  };
  return { driver, open, attaching };
}

function client(id: number): ClientLink & { messages: ServerMessage[] } {
  const messages: ServerMessage[] = [];
  return { id, messages, bufferedAmount: 0, sendJson: (m) => void messages.push(m), sendOutput: () => undefined, close: () => undefined };
}

test('a hello while the old session closes gets a different, live sandbox', async () => {
  const { driver, open, attaching } = gatedDriver();
  const store = openStore(':memory:', WORKSHOP_RULES);
  const log = createLogger(true);
  const pool = new SandboxPool(driver, store.assignments, { size: 0 }, log);
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
      terminal: { driverInfo: driver.info, ringBytes: 1 << 16 },
    },
    { maxSessions: 10, healthEveryMs: 60_000 },
  );
  const old = sessions.getOrCreate('alice');
  assert.ok(typeof old === 'object');
  const starting = old.attach(client(1), { cols: 80, rows: 24 }, false);
  await attaching;
  const first = old.currentSandbox;
  assert.ok(first, 'the old session holds its sandbox while its shell starts');

  const closing = old.close('test: the attendee left');
  const fresh = sessions.getOrCreate('alice');
  assert.ok(typeof fresh === 'object' && fresh !== old, 'a new session for the same attendee');
  const c2 = client(2);
  const helloed = fresh.attach(c2, { cols: 80, rows: 24 }, false);
  open();
  await Promise.all([starting, closing, helloed]);
  await pool.drain();

  const second = fresh.currentSandbox;
  assert.ok(second, 'the new session has a sandbox');
  assert.notEqual(second.id, first.id, 'not the sandbox the old session was destroying');
  assert.equal(await second.health(), 'running', 'and it is alive after the old close() finished');
  assert.equal(await first.health(), 'missing', 'the old one is gone');
  assert.equal(pool.current('alice')?.id, second.id, 'the pool hands the attendee the live one');
  assert.ok(c2.messages.some((m) => m.type === 'ready'), 'the new browser got a ready shell');

  await fresh.close('test over');
  sessions.shutdown('test over');
  await pool.close();
  await driver.close();
  store.close();
});
