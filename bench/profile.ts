/**
 * Where the labdeck server spends its time on the terminal path: starts the real server under
 * `node --cpu-prof`, drives it (keystroke echo, then output throughput), stops it and prints the
 * functions with the most self time. `npx tsx bench/profile.ts [echo|throughput|both] [mb]`.
 * The profile is written to /tmp/labdeck-bench/prof/ (open it in Chrome DevTools for the full tree).
 */
import { mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { typeKeys } from './echo.js';
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { openLabdeck, type Host } from './endpoints.js';
import { INSTRUCTOR_TOKEN } from '../test/support/server.js';
import { benchThroughput } from './throughput.js';
import { ROOT, SCRATCH, note } from './util.js';

/** The real server, started like test/support/server.ts does but under `node --cpu-prof`. */
async function profiledHost(dir: string): Promise<Host> {
  const dataDir = mkdtempSync(path.join(SCRATCH, 'data-'));
  const proc = spawn(process.execPath, ['--cpu-prof', `--cpu-prof-dir=${dir}`, path.join(ROOT, 'scripts', 'start.mjs')], {
    cwd: ROOT,
    env: { ...process.env, PORT: '0', HOST: '127.0.0.1', LABDECK_DATA_DIR: dataDir, INSTRUCTOR_TOKEN },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    proc.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /labdeck is ready:\s+(http:\/\/\S+)/.exec(out);
      if (m) resolve(m[1]!);
    });
    proc.once('exit', (c) => reject(new Error(`server exited with ${c}: ${out}`)));
  });
  return {
    name: 'labdeck',
    pid: proc.pid!,
    open: () => openLabdeck({ url }),
    stop: () =>
      new Promise<void>((resolve) => {
        proc.once('exit', () => {
          rmSync(dataDir, { recursive: true, force: true });
          resolve();
        });
        proc.kill('SIGTERM');
      }),
  };
}

interface ProfNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: ProfNode[];
  samples: number[];
  timeDeltas: number[];
}

export function topSelf(file: string, n = 25): Array<{ fn: string; ms: number; pct: number }> {
  const prof = JSON.parse(readFileSync(file, 'utf8')) as Profile;
  const byId = new Map(prof.nodes.map((x) => [x.id, x]));
  const self = new Map<string, number>();
  let total = 0;
  prof.samples.forEach((id, i) => {
    const node = byId.get(id)!;
    const cf = node.callFrame;
    const where = cf.url ? `${cf.url.replace(/^file:\/\//, '').replace(/^.*\/node_modules\//, 'node_modules/').replace(/^.*\/work\/main\//, '')}:${cf.lineNumber + 1}` : '';
    const key = `${cf.functionName || '(anonymous)'} ${where}`.trim();
    const dt = (prof.timeDeltas[i] ?? 0) / 1000;
    total += dt;
    self.set(key, (self.get(key) ?? 0) + dt);
  });
  return [...self.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, n)
    .map(([fn, ms]) => ({ fn, ms, pct: (100 * ms) / total }));
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const what = process.argv[2] ?? 'both';
  const mb = Number(process.argv[3] ?? 100);
  const dir = path.join(SCRATCH, 'prof');
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const host = await profiledHost(dir);
  try {
    if (what === 'echo' || what === 'both') {
      const t = await host.open();
      await typeKeys(t, 4000);
      t.close();
      note('profile: 4000 keystrokes done');
    }
    if (what === 'throughput' || what === 'both') {
      await benchThroughput([host], { mb, repeats: 1 });
    }
  } finally {
    await host.stop();
  }
  const files = readdirSync(dir).filter((f) => f.endsWith('.cpuprofile'));
  for (const f of files) {
    console.log(`\n${path.join(dir, f)}: top self time`);
    for (const r of topSelf(path.join(dir, f))) console.log(`${r.ms.toFixed(0).padStart(7)} ms ${r.pct.toFixed(1).padStart(5)}%  ${r.fn}`);
  }
}
