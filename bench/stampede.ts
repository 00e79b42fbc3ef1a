/**
 * The class-start stampede (issue 10): `attendees` people join one workshop within `windowMs` (evenly
 * spread) through `POST /api/join` and open their terminal at once; each one's time from the join
 * request to the first byte of their shell (the prompt). Measured per driver with the pool cold
 * (POOL_SIZE=0: every sandbox is created on demand, POOL_MAX_CREATING at a time) and after
 * `POST /api/workshops/:id/prepare {count: attendees}` filled it, side by side in one run. A hello
 * answered `busy` (the new-session rate limit, or a full creation line) is retried after 500 ms, as the
 * page does, and that wait counts.
 */
import { randomBytes } from 'node:crypto';
import { CapacitySchema } from '../common/api.js';
import { INSTRUCTOR_TOKEN, startServer, type RunningServer } from '../test/support/server.js';
import { LabdeckTerm } from './endpoints.js';
import type { Row } from './report.js';
import { podmanMissing, sweepPodman } from './sandbox.js';
import { note, pcts, sleep, withTimeout } from './util.js';

const LAB = 'kubernetes-meets-rust';
const auth = { Authorization: `Bearer ${INSTRUCTOR_TOKEN}`, 'Content-Type': 'application/json' };

export interface StampedeOptions {
  attendees: number;
  windowMs: number;
  podman: boolean;
}

async function post(server: RunningServer, route: string, body: unknown, headers: Record<string, string> = auth): Promise<Response> {
  return fetch(server.url + route, { method: 'POST', headers, body: JSON.stringify(body) });
}

/** One attendee: join, open the terminal, wait for the first byte of the shell; ms from the join request. */
async function oneAttendee(server: RunningServer, code: string, name: string): Promise<number> {
  const t0 = performance.now();
  const res = await post(server, '/api/join', { code, name }, { 'Content-Type': 'application/json', Origin: server.url });
  if (res.status !== 201) throw new Error(`join answered ${res.status}: ${await res.text()}`);
  await res.arrayBuffer();
  const cookie = res.headers.get('set-cookie')!.split(';')[0]!;
  for (;;) {
    const t = new LabdeckTerm(server.url, cookie);
    const outcome = await withTimeout(
      new Promise<'prompt' | 'busy'>((resolve, reject) => {
        t.onMessage = (m) => {
          if (m.type === 'error' && m.code === 'busy') resolve('busy');
          else if (m.type === 'error' && m.fatal) reject(new Error(`${name}: ${m.message}`));
        };
        t.onData = () => resolve('prompt');
        t.opened().then(() => t.hello(), reject);
      }),
      300_000,
      `${name}'s prompt`,
    );
    const at = performance.now();
    t.close();
    if (outcome === 'prompt') return at - t0;
    await sleep(500);
  }
}

async function measure(driver: 'local' | 'podman', prepared: boolean, opts: StampedeOptions): Promise<{ joins: number[]; prepareMs: number | null }> {
  const workshop = `bench-st-${randomBytes(3).toString('hex')}`;
  const server = await startServer({ SANDBOX: driver, WORKSHOP: workshop, POOL_SIZE: '0', MAX_SESSIONS: '500' });
  try {
    const w = await post(server, '/api/workshops', { lab: LAB, maxAttendees: opts.attendees });
    if (w.status !== 201) throw new Error(`open workshop: ${w.status} ${await w.text()}`);
    const { id, code } = (await w.json()) as { id: string; code: string };
    let prepareMs: number | null = null;
    if (prepared) {
      const t0 = performance.now();
      const r = await post(server, `/api/workshops/${id}/prepare`, { count: opts.attendees });
      if (r.status !== 202) throw new Error(`prepare: ${r.status} ${await r.text()}`);
      for (;;) {
        await sleep(250);
        const c = CapacitySchema.parse(await (await fetch(`${server.url}/api/workshops/${id}/capacity`, { headers: auth })).json());
        if (c.prepare && !c.prepare.running) {
          if (c.prepare.failed.length) throw new Error(`prepare: ${c.prepare.failed.length} failed: ${c.prepare.failed[0]!.problem}`);
          break;
        }
      }
      prepareMs = performance.now() - t0;
    }
    const step = opts.windowMs / opts.attendees;
    const joins = await Promise.all(
      Array.from({ length: opts.attendees }, async (_, i) => {
        await sleep(i * step);
        return oneAttendee(server, code, `attendee ${i + 1}`);
      }),
    );
    const [p50, p95] = pcts(joins, 50, 95);
    note(`stampede ${driver} ${prepared ? 'prepared' : 'cold'}: p50 ${p50!.toFixed(0)} ms, p95 ${p95!.toFixed(0)} ms, max ${Math.max(...joins).toFixed(0)} ms${prepareMs === null ? '' : `; prepare took ${(prepareMs / 1000).toFixed(1)} s`}`);
    return { joins, prepareMs };
  } finally {
    await server.stop();
    if (driver === 'podman') await sweepPodman(workshop);
  }
}

export async function benchStampede(opts: StampedeOptions): Promise<{ rows: Row[]; notes: string[] }> {
  const rows: Row[] = [];
  const notes: string[] = [];
  const section = `stampede ${opts.attendees} joins in ${opts.windowMs / 1000} s`;
  const drivers: Array<'local' | 'podman'> = ['local'];
  const why = opts.podman ? await podmanMissing() : 'skipped in quick mode (add --podman)';
  if (why) notes.push(`stampede: podman not measured: ${why}`);
  else drivers.push('podman');
  for (const driver of drivers) {
    for (const prepared of [false, true]) {
      const { joins, prepareMs } = await measure(driver, prepared, opts);
      const candidate = `${driver} ${prepared ? 'prepared' : 'cold (pool=0)'}`;
      const detail = `${opts.attendees} attendees`;
      const [p50, p95] = pcts(joins, 50, 95);
      rows.push({ section, metric: 'join → prompt p50', unit: 'ms', candidate, values: [p50!], detail });
      rows.push({ section, metric: 'join → prompt p95', unit: 'ms', candidate, values: [p95!], detail });
      rows.push({ section, metric: 'join → prompt max', unit: 'ms', candidate, values: [Math.max(...joins)], detail });
      if (prepareMs !== null) rows.push({ section, metric: `prepare ${opts.attendees} (smoke-tested)`, unit: 'ms', candidate, values: [prepareMs], detail: 'before the doors open' });
    }
  }
  return { rows, notes };
}
