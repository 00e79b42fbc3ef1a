/**
 * `npm run bench` (full, ≥3 repeats) or `npm run bench -- --quick` (under a minute): runs every
 * measurement, prints one table, writes bench/results/latest.{json,md} and, in full mode, the table in
 * docs/performance.md between its bench markers. `--only echo,throughput,...` runs a subset;
 * `--podman` forces the podman sandbox figures in quick mode (they take a minute or two).
 *
 * `--kubernetes` forces the kubernetes driver's figures in quick mode (an offline node starts: a minute or two).
 *
 * Sections: echo, throughput, ctrlc, sandbox, kubernetes, stampede, scale, page, kind (full mode or
 * --only kind: 3 clusters take a few minutes).
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { benchEcho } from './echo.js';
import { benchKind } from './kind.js';
import { benchKubernetes } from './kubernetes.js';
import { startHosts, stopHosts, type CandidateName } from './endpoints.js';
import { benchPage } from './page.js';
import { addRatios, find, machine, med, printTable, write, type Goal, type Results, type Row } from './report.js';
import { benchSandbox } from './sandbox.js';
import { benchScale } from './scale.js';
import { benchStampede } from './stampede.js';
import { benchCtrlC, benchThroughput } from './throughput.js';
import { BENCH_DIR, MB, note } from './util.js';

const argv = process.argv.slice(2);
const quick = argv.includes('--quick');
const onlyArg = argv.find((a) => a.startsWith('--only='))?.slice(7) ?? (argv.includes('--only') ? argv[argv.indexOf('--only') + 1] : undefined);
const only = onlyArg ? onlyArg.split(',') : [];
const want = (s: string) => only.length === 0 || only.includes(s);
const repeatsArg = argv.find((a) => a.startsWith('--repeats='));
const repeats = repeatsArg ? Number(repeatsArg.slice(10)) : quick ? 2 : 3;

const P = quick
  ? { keys: 300, mb: 20, floodMs: 500, sandboxRuns: 5, sandboxRepeats: 1, podman: argv.includes('--podman'), podmanRepeats: 1, sessions: 40, scaleKeys: 200, pageKeys: 100, loads: 2 }
  : { keys: 2000, mb: 100, floodMs: 2000, sandboxRuns: 20, sandboxRepeats: repeats, podman: true, podmanRepeats: 1, sessions: 200, scaleKeys: 1000, pageKeys: 300, loads: 5 };

const rows: Row[] = [];
const notes: string[] = [];
const started = Date.now();

async function section(name: string, fn: () => Promise<void>): Promise<void> {
  if (!want(name)) return;
  const t0 = Date.now();
  note(`— ${name}`);
  try {
    await fn().catch(async (err: unknown) => {
      // A server killed from outside (the machine is shared) should not cost the whole section.
      note(`${name} failed (${String(err)}); retrying once`);
      await fn();
    });
  } catch (err) {
    notes.push(`${name} failed: ${String(err instanceof Error ? err.stack ?? err.message : err).split('\n').slice(0, 3).join(' ')}`);
    note(`${name} failed: ${String(err)}`);
  }
  note(`— ${name} took ${((Date.now() - t0) / 1000).toFixed(0)} s`);
}

if (want('echo') || want('throughput') || want('ctrlc')) {
  // Peers go to a throwaway folder outside the repo; idempotent.
  spawnSync('bash', [path.join(BENCH_DIR, 'peers.sh')], { stdio: ['ignore', 'inherit', 'inherit'] });
  const names: CandidateName[] = ['raw', 'bridge', 'labdeck', 'wetty'];
  const { hosts, skipped } = await startHosts(names);
  for (const [n, why] of Object.entries(skipped)) notes.push(`${n} not measured: ${why}`);
  try {
    await section('echo', async () => {
      rows.push(...(await benchEcho(hosts, { keystrokes: P.keys, repeats })));
    });
    await section('throughput', async () => {
      rows.push(...(await benchThroughput(hosts, { mb: P.mb, repeats })));
    });
    await section('ctrlc', async () => {
      rows.push(...(await benchCtrlC(hosts.filter((h) => h.name !== 'raw'), { floodMs: P.floodMs, repeats, rate: 20 * MB })));
    });
  } finally {
    await stopHosts(hosts);
  }
}

await section('sandbox', async () => {
  const r = await benchSandbox({ runs: P.sandboxRuns, repeats: P.sandboxRepeats, podmanRepeats: P.podmanRepeats, podman: P.podman });
  rows.push(...r.rows);
  notes.push(...r.notes);
});

// Right after `sandbox`, so the pod figures sit beside podman's of the same run.
if (!quick || argv.includes('--kubernetes')) {
  await section('kubernetes', async () => {
    const r = await benchKubernetes({ runs: P.sandboxRuns, repeats: P.podmanRepeats });
    rows.push(...r.rows);
    notes.push(...r.notes);
  });
} else notes.push('kubernetes driver not measured: skipped in quick mode (add --kubernetes)');

await section('stampede', async () => {
  // Issue 10: a class of 50 starting within 5 s, with the pool cold and prepared.
  const r = await benchStampede({ attendees: 50, windowMs: 5000, podman: P.podman });
  rows.push(...r.rows);
  notes.push(...r.notes);
});

await section('scale', async () => {
  const r = await benchScale({ sessions: P.sessions, keys: P.scaleKeys, repeats });
  rows.push(...r.rows);
  notes.push(...r.notes);
});

await section('page', async () => {
  const r = await benchPage({ keys: P.pageKeys, loads: P.loads, repeats });
  rows.push(...r.rows);
  notes.push(...r.notes);
});

// `kind create cluster` in a privileged sandbox: minutes, so not in --quick unless asked for.
if (!quick || only.includes('kind')) {
  await section('kind', async () => {
    const r = await benchKind({ repeats });
    rows.push(...r.rows);
    notes.push(...r.notes);
  });
}

addRatios(rows, 'labdeck', ['raw', 'bridge', 'wetty']);
for (const r of rows) {
  if (r.section.startsWith('scale') && r.candidate.includes('flooding') && r.metric.startsWith('quiet echo')) {
    const base = rows.find((x) => x.section === r.section && x.metric === r.metric && x.candidate.includes('idle'));
    if (base) r.ratios = { 'others idle': r.values.map((v, i) => v / base.values[i]!) };
  }
}

function ratioMed(row: Row | undefined, base: string): number | null {
  const v = row?.ratios?.[base];
  return v && v.length ? [...v].sort((a, b) => a - b)[Math.ceil(v.length / 2) - 1]! : null;
}

function goal(text: string, value: number | null, ok: (v: number) => boolean, show: (v: number) => string): Goal {
  return value === null || !Number.isFinite(value) ? { text, met: null, figure: 'not measured' } : { text, met: ok(value), figure: show(value) };
}

const ms = (v: number) => `${v.toFixed(1)} ms`;
const x = (v: number) => `${v.toFixed(2)}×`;
const tput = `throughput ${P.mb} MB`;
const ctrl = rows.find((r) => r.section.startsWith('^C'))?.section ?? '';
const scale = `scale ${P.sessions} sessions`;
const scaleFlood = rows.find((r) => r.section === scale && r.metric === 'quiet echo p99' && r.candidate.includes('flooding'));
const perSession = med(find(rows, scale, 'server RSS per session', 'labdeck'));
const goals: Goal[] = [
  goal('echo: labdeck p99 ≤ 1.5× minimal bridge', ratioMed(find(rows, 'echo (Node client)', 'p99', 'labdeck'), 'bridge'), (v) => v <= 1.5, x),
  goal('echo: labdeck p99 < 1/3 of wetty', ratioMed(find(rows, 'echo (Node client)', 'p99', 'labdeck'), 'wetty'), (v) => v < 1 / 3, x),
  goal('browser: key → xterm buffer p99 < 16.7 ms', med(find(rows, 'browser (Chromium, lab page)', 'key → in xterm buffer p99', 'labdeck')), (v) => v < 16.7, ms),
  goal('throughput: labdeck ≥ 0.6× raw into Node', ratioMed(find(rows, tput, 'MB/s', 'labdeck'), 'raw'), (v) => v >= 0.6, x),
  goal('throughput: labdeck above wetty', ratioMed(find(rows, tput, 'MB/s', 'labdeck'), 'wetty'), (v) => v > 1, x),
  goal('throughput: server memory flat (RSS growth < 32 MB over the run)', med(find(rows, tput, 'RSS growth during run', 'labdeck')), (v) => v < 32, (v) => `+${v.toFixed(1)} MB`),
  goal('^C under a flood: median < 40 ms', med(find(rows, ctrl, '^C → prompt', 'labdeck')), (v) => v < 40, ms),
  goal('^C under a flood: backlog < 1 MB', med(find(rows, ctrl, 'backlog read after ^C', 'labdeck')), (v) => v < 1, (v) => `${v.toFixed(2)} MB`),
  goal('local join p95 < 100 ms (pool=0)', med(find(rows, 'sandbox local', 'join p95', 'labdeck pool=0')), (v) => v < 100, ms),
  goal('local reset p95 < 100 ms (pool=0)', med(find(rows, 'sandbox local', 'reset p95', 'labdeck pool=0')), (v) => v < 100, ms),
  goal('podman join with the pool p50 < 250 ms', med(find(rows, 'sandbox podman', 'join p50', 'labdeck pool=2')), (v) => v < 250, ms),
  goal('podman reset with the pool p50 < 250 ms', med(find(rows, 'sandbox podman', 'reset p50', 'labdeck pool=2')), (v) => v < 250, ms),
  goal('podman cold reset p50 < 1 s (pool=0)', med(find(rows, 'sandbox podman', 'reset p50', 'labdeck pool=0')), (v) => v < 1000, ms),
  goal(`scale: quiet echo p99 < 25 ms with 10% flooding`, med(scaleFlood), (v) => v < 25, ms),
  goal('scale: server RSS < 2 MB per session', perSession === null ? null : perSession / 1024, (v) => v < 2, (v) => `${(v * 1024).toFixed(0)} KB`),
];

const res: Results = {
  date: new Date().toISOString(),
  command: `npm run bench${argv.length ? ' -- ' + argv.join(' ') : ''}`,
  mode: quick ? 'quick' : 'full',
  repeats,
  machine: machine(),
  rows,
  goals,
  notes,
};
console.log('');
const m = res.machine;
console.log(`labdeck bench (${res.mode}, ${repeats} repeats, ${((Date.now() - started) / 1000).toFixed(0)} s) on ${m.nproc}× ${m.model}, ${m.memory}, Linux ${m.kernel}, Node ${m.node}, load ${m.loadavg}`);
printTable(res);
// A subset (--only) must not replace the whole run's table in docs/performance.md.
for (const f of write(res, only.length === 0)) note(`wrote ${path.relative(process.cwd(), f)}`);
process.exit(0);
