/**
 * Sandbox join-to-prompt and reset-to-prompt, per driver, with and without the warm pool, beside the
 * raw floor measured in the same run:
 *  - join:  new attendee cookie → WebSocket → hello → first output byte (the prompt)
 *  - reset: POST /api/sandboxes/:attendee/reset → first output byte of the new shell
 *  - floor: local = node-pty spawning bash to its first byte; podman = `podman run -d` + `podman exec true`
 */
import { existsSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import * as pty from 'node-pty';
import { podman } from '../server/sandbox/podman/cli.js';
import { INSTRUCTOR_TOKEN, startServer } from '../test/support/server.js';
import { LabdeckTerm, newCookie } from './endpoints.js';
import type { Row } from './report.js';
import { PS1, ROOT, note, pcts, sleep, withTimeout } from './util.js';

const IMAGE = 'localhost/labdeck-sandbox:latest';

/** Why the podman driver cannot be benched, or null. */
export async function podmanMissing(): Promise<string | null> {
  if (!existsSync(path.join(ROOT, 'server', 'sandbox', 'podman', 'driver.ts'))) return 'server/sandbox/podman/driver.ts is not there yet';
  const v = await podman(['--version'], { timeoutMs: 60_000 });
  if (v.code !== 0) return `podman is not usable: ${v.stderr.trim()}`;
  const img = await podman(['image', 'exists', IMAGE], { timeoutMs: 60_000 });
  if (img.code !== 0) return `the image ${IMAGE} does not exist (bash sandbox/build.sh)`;
  return null;
}

function localFloor(): Promise<number> {
  return new Promise((resolve) => {
    const t0 = performance.now();
    const p = pty.spawn('/bin/bash', ['--noprofile', '--norc', '-i'], {
      name: 'xterm-256color', cols: 80, rows: 24, cwd: '/tmp',
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: '/tmp', TERM: 'xterm-256color', PS1 },
      encoding: null as unknown as string,
    });
    const sub = p.onData(() => {
      const dt = performance.now() - t0;
      sub.dispose();
      try {
        process.kill(-p.pid, 'SIGKILL');
      } catch {
        /* gone */
      }
      p.kill('SIGKILL');
      resolve(dt);
    });
  });
}

async function podmanFloor(cleanup: Array<Promise<unknown>>): Promise<number> {
  const t0 = performance.now();
  const r = await podman(['run', '-d', '--init', '--label', 'labdeck.bench=floor', IMAGE, 'sleep', 'infinity'], { timeoutMs: 60_000 });
  if (r.code !== 0) throw new Error(`podman run: ${r.stderr.trim()}`);
  const id = r.stdout.trim().split('\n').pop()!;
  for (let i = 0; ; i++) {
    const e = await podman(['exec', id, 'true'], { timeoutMs: 60_000 });
    if (e.code === 0) break;
    if (i > 100) throw new Error(`podman exec never succeeded: ${e.stderr}`);
    await sleep(20);
  }
  const dt = performance.now() - t0;
  cleanup.push(podman(['rm', '-f', '-t', '0', id], { timeoutMs: 60_000 }));
  return dt;
}

/** First output byte after `trigger()`, optionally only after a `reset` message. */
function firstByte(t: LabdeckTerm, afterReset: boolean, timeoutMs: number): Promise<number> {
  return withTimeout(
    new Promise<number>((resolve) => {
      let armed = !afterReset;
      t.onMessage = (m) => {
        if (m.type === 'reset') armed = true;
        if (m.type === 'error' && m.fatal) resolve(NaN);
      };
      t.onData = () => {
        if (!armed) return;
        t.onData = null;
        t.onMessage = null;
        resolve(performance.now());
      };
    }),
    timeoutMs,
    'first prompt byte',
  );
}

export interface SandboxBenchConfig {
  driver: 'local' | 'podman' | 'kubernetes';
  pool: number;
  /** More server settings (the kubernetes bench: its KUBECONFIG, pull policy, requests). */
  env?: Record<string, string>;
}

/** Join and reset, `runs` each per repeat, through a real server with this driver and pool (also bench/kubernetes.ts). */
export async function measureConfig(cfg: SandboxBenchConfig, runs: number, repeats: number): Promise<{ join: number[][]; reset: number[][] }> {
  const workshop = `bench-${randomBytes(3).toString('hex')}`;
  const server = await startServer({ SANDBOX: cfg.driver, POOL_SIZE: String(cfg.pool), GRACE_SECONDS: '1', WORKSHOP: workshop, MAX_SESSIONS: '500', ...cfg.env });
  // A container engine under the driver (podman, kubernetes): the pool needs time to refill between runs.
  const podman = cfg.driver !== 'local';
  // Time for the pool to (re)fill between measurements, and for background destroys to settle.
  const gap = podman ? (cfg.pool > 0 ? 2000 : 600) : 150;
  const join: number[][] = [];
  const reset: number[][] = [];
  try {
    await sleep(podman ? gap * 2 : 500);
    // One unrecorded join first: the server's first session pays for lazy module loads and JIT.
    {
      const t = new LabdeckTerm(server.url, await newCookie(server));
      const first = firstByte(t, false, 60_000);
      await t.opened();
      t.hello();
      await first;
      t.close();
      await sleep(gap);
    }
    for (let r = 0; r < repeats; r++) {
      const j: number[] = [];
      const s: number[] = [];
      for (let i = 0; i < runs; i++) {
        const t0 = performance.now();
        const cookie = await newCookie(server);
        const t = new LabdeckTerm(server.url, cookie);
        const first = firstByte(t, false, 60_000);
        await t.opened();
        t.hello();
        j.push((await first) - t0);
        await sleep(gap);
        const next = firstByte(t, true, 60_000);
        const t1 = performance.now();
        const res = await fetch(`${server.url}/api/sandboxes/${encodeURIComponent(t.attendee)}/reset`, {
          method: 'POST',
          headers: { Authorization: `Bearer ${INSTRUCTOR_TOKEN}`, 'Content-Type': 'application/json' },
          body: '{}',
        });
        await res.arrayBuffer();
        if (!res.ok) throw new Error(`reset answered ${res.status}`);
        s.push((await next) - t1);
        t.close();
        await sleep(gap);
      }
      join.push(j);
      reset.push(s);
      note(`sandbox ${cfg.driver} pool=${cfg.pool} repeat ${r + 1}/${repeats}: join p50 ${pcts(j, 50)[0]!.toFixed(0)} ms, reset p50 ${pcts(s, 50)[0]!.toFixed(0)} ms`);
    }
  } finally {
    // Grace is 1 s: detached sessions close and destroy their sandboxes; give them time, then stop.
    await sleep(podman ? 4000 : 1500);
    await server.stop();
    if (cfg.driver === 'podman') await sweepPodman(workshop);
  }
  return { join, reset };
}

/** Remove whatever a bench server of `workshop` left behind (stop keeps sandboxes for re-adoption). */
export async function sweepPodman(workshop: string): Promise<void> {
  const ps = await podman(['ps', '-aq', '--filter', `label=labdeck.workshop=${workshop}`], { timeoutMs: 60_000 });
  const ids = ps.stdout.split('\n').filter(Boolean);
  if (ids.length) await podman(['rm', '-f', '-t', '0', ...ids], { timeoutMs: 60_000 });
  const nets = await podman(['network', 'ls', '-q', '--filter', `label=labdeck.workshop=${workshop}`], { timeoutMs: 60_000 });
  const n = nets.stdout.split('\n').filter(Boolean);
  if (n.length) await podman(['network', 'rm', '-f', ...n], { timeoutMs: 60_000 });
}

export async function benchSandbox(opts: { runs: number; repeats: number; podmanRepeats: number; podman: boolean }): Promise<{ rows: Row[]; notes: string[] }> {
  const rows: Row[] = [];
  const notes: string[] = [];
  const summarize = (section: string, metric: string, candidate: string, perRepeat: number[][], p: number, detail: string) =>
    rows.push({ section, metric, unit: 'ms', candidate, values: perRepeat.map((xs) => pcts(xs, p)[0]!), detail });

  // local
  const floor: number[][] = [];
  for (let r = 0; r < opts.repeats; r++) {
    const xs: number[] = [];
    for (let i = 0; i < opts.runs; i++) xs.push(await localFloor());
    floor.push(xs);
  }
  for (const p of [50, 95]) summarize('sandbox local', `join p${p}`, 'floor: pty bash', floor, p, 'spawn → first byte');
  for (const pool of [0, 2]) {
    const m = await measureConfig({ driver: 'local', pool }, opts.runs, opts.repeats);
    for (const p of [50, 95]) summarize('sandbox local', `join p${p}`, `labdeck pool=${pool}`, m.join, p, `${opts.runs} runs/repeat`);
    for (const p of [50, 95]) summarize('sandbox local', `reset p${p}`, `labdeck pool=${pool}`, m.reset, p, `${opts.runs} runs/repeat`);
  }

  // podman
  const why = opts.podman ? await podmanMissing() : 'skipped in quick mode (add --podman)';
  if (why) {
    notes.push(`podman driver not measured: ${why}`);
    return { rows, notes };
  }
  const cleanup: Array<Promise<unknown>> = [];
  try {
    const pf: number[][] = [];
    for (let r = 0; r < opts.podmanRepeats; r++) {
      const xs: number[] = [];
      for (let i = 0; i < opts.runs; i++) xs.push(await podmanFloor(cleanup));
      pf.push(xs);
      await Promise.all(cleanup.splice(0));
    }
    for (const p of [50, 95]) summarize('sandbox podman', `join p${p}`, 'floor: run -d + exec true', pf, p, 'no network create');
    for (const pool of [0, 2]) {
      const m = await measureConfig({ driver: 'podman', pool }, opts.runs, opts.podmanRepeats);
      for (const p of [50, 95]) summarize('sandbox podman', `join p${p}`, `labdeck pool=${pool}`, m.join, p, `${opts.runs} runs/repeat`);
      for (const p of [50, 95]) summarize('sandbox podman', `reset p${p}`, `labdeck pool=${pool}`, m.reset, p, `${opts.runs} runs/repeat`);
    }
  } catch (err) {
    notes.push(`podman driver measurement failed: ${String(err instanceof Error ? err.message : err)}`);
  } finally {
    await Promise.all(cleanup);
  }
  return { rows, notes };
}
