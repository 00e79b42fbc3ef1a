/**
 * Merge results of runs made with `--only` (e.g. after a section was cut short on the shared
 * machine): `npx tsx bench/merge.ts a.json b.json` → bench/results/latest.{json,md} and the table in
 * docs/performance.md. Rows and judged goals of later files win.
 */
import { readFileSync } from 'node:fs';
import { write, type Results } from './report.js';

const files = process.argv.slice(2).map((f) => JSON.parse(readFileSync(f, 'utf8')) as Results);
if (files.length === 0) throw new Error('usage: tsx bench/merge.ts <results.json>...');
const out: Results = { ...files[files.length - 1]!, rows: [], goals: [], notes: [], command: files.map((f) => f.command).join(' + ') };
for (const f of files) {
  for (const r of f.rows) {
    out.rows = out.rows.filter((x) => !(x.section === r.section && x.metric === r.metric && x.candidate === r.candidate));
    out.rows.push(r);
  }
  for (const g of f.goals) {
    const i = out.goals.findIndex((x) => x.text === g.text);
    if (i < 0) out.goals.push(g);
    else if (g.met !== null) out.goals[i] = g;
  }
  out.notes.push(...f.notes);
}
out.mode = files.every((f) => f.mode === 'full') ? 'full' : 'quick';
// The merge is the whole picture assembled from parts: it replaces the table.
for (const f of write(out, true)) console.log(`wrote ${f}`);
