/**
 * Results: every figure is kept per repeat and shown as min / median / max; labdeck figures also as a
 * ratio to the baseline measured in the same run (ratio per repeat, then summarized), because the
 * machine is shared and noisy and only side-by-side ratios hold from one run to the next.
 */
import { execSync } from 'node:child_process';
import { readFileSync, writeFileSync, mkdirSync, existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BENCH_DIR, ROOT, median } from './util.js';

export interface Row {
  /** e.g. `echo`, `throughput`. */
  section: string;
  /** e.g. `p99`. */
  metric: string;
  unit: string;
  candidate: string;
  /** One value per repeat. */
  values: number[];
  /** Per-repeat ratio of this figure to another candidate's in the same repeat, by baseline name. */
  ratios?: Record<string, number[]>;
  /** Free text shown beside the figure (e.g. samples per repeat). */
  detail?: string;
}

export interface Goal {
  text: string;
  /** null: could not be judged (a candidate was skipped). */
  met: boolean | null;
  figure: string;
}

export interface Results {
  date: string;
  command: string;
  mode: 'quick' | 'full';
  repeats: number;
  machine: Machine;
  rows: Row[];
  goals: Goal[];
  notes: string[];
}

export interface Machine {
  nproc: number;
  model: string;
  memory: string;
  kernel: string;
  node: string;
  loadavg: string;
}

export function machine(): Machine {
  const cpu = readFileSync('/proc/cpuinfo', 'utf8');
  const model = /model name\s*:\s*(.+)/.exec(cpu)?.[1]?.trim() ?? 'unknown';
  let nproc = os.availableParallelism();
  try {
    nproc = Number(execSync('nproc').toString().trim());
  } catch {
    /* keep */
  }
  return {
    nproc,
    model,
    memory: `${(os.totalmem() / 2 ** 30).toFixed(1)} GiB`,
    kernel: os.release(),
    node: process.version,
    loadavg: os.loadavg().map((l) => l.toFixed(2)).join(' '),
  };
}

/** Fill `ratios[baseline]` of `candidate`'s rows from the baseline's rows of the same section+metric. */
export function addRatios(rows: Row[], candidate: string, baselines: string[]): void {
  for (const r of rows) {
    if (r.candidate !== candidate) continue;
    for (const b of baselines) {
      const base = rows.find((x) => x.section === r.section && x.metric === r.metric && x.candidate === b);
      if (!base) continue;
      const n = Math.min(r.values.length, base.values.length);
      const ratios: number[] = [];
      for (let i = 0; i < n; i++) ratios.push(r.values[i]! / base.values[i]!);
      (r.ratios ??= {})[b] = ratios;
    }
  }
}

export function find(rows: Row[], section: string, metric: string, candidate: string): Row | undefined {
  return rows.find((r) => r.section === section && r.metric === metric && r.candidate === candidate);
}

export function med(row: Row | undefined): number | null {
  return row && row.values.length ? median(row.values) : null;
}

function fmt(x: number): string {
  if (!Number.isFinite(x)) return '–';
  const a = Math.abs(x);
  if (a >= 1000) return x.toFixed(0);
  if (a >= 100) return x.toFixed(0);
  if (a >= 10) return x.toFixed(1);
  if (a >= 1) return x.toFixed(2);
  return x.toFixed(3);
}

function triple(values: number[]): string {
  if (values.length === 0) return '–';
  const s = [...values].sort((a, b) => a - b);
  if (s.length === 1) return fmt(s[0]!);
  return `${fmt(s[0]!)} / **${fmt(median(s))}** / ${fmt(s[s.length - 1]!)}`;
}

function ratioText(r: Row): string {
  if (!r.ratios) return '';
  return Object.entries(r.ratios)
    .map(([b, v]) => `${fmt(median(v))}× ${b}${v.length > 1 ? ` (${fmt(Math.min(...v))}–${fmt(Math.max(...v))})` : ''}`)
    .join(', ');
}

export function markdown(res: Results): string {
  const lines: string[] = [];
  lines.push(`Produced by \`${res.command}\` on ${res.date} (${res.mode}, ${res.repeats} repeats; figures are min / **median** / max over repeats).`);
  lines.push('');
  lines.push('| section | figure | candidate | min / **median** / max | unit | labdeck ÷ baseline (median, range) | detail |');
  lines.push('|---|---|---|---|---|---|---|');
  for (const r of res.rows) {
    lines.push(`| ${r.section} | ${r.metric} | ${r.candidate} | ${triple(r.values).replace(/\*\*/g, '**')} | ${r.unit} | ${ratioText(r)} | ${r.detail ?? ''} |`);
  }
  lines.push('');
  lines.push('| goal | figure (median) | met |');
  lines.push('|---|---|---|');
  for (const g of res.goals) lines.push(`| ${g.text} | ${g.figure} | ${g.met === null ? 'not judged' : g.met ? 'yes' : '**no**'} |`);
  if (res.notes.length) {
    lines.push('');
    for (const n of res.notes) lines.push(`- ${n}`);
  }
  return lines.join('\n') + '\n';
}

export function printTable(res: Results): void {
  const head = ['section', 'figure', 'candidate', 'min', 'median', 'max', 'unit', 'ratio (median)'];
  const body = res.rows.map((r) => {
    const s = [...r.values].sort((a, b) => a - b);
    return [r.section, r.metric, r.candidate, fmt(s[0] ?? NaN), fmt(median(s)), fmt(s[s.length - 1] ?? NaN), r.unit, ratioText(r).replace(/ \([^)]*\)/g, '')];
  });
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ');
  console.log(line(head));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const b of body) console.log(line(b));
  console.log('');
  for (const g of res.goals) console.log(`${g.met === null ? '  ?' : g.met ? ' ok' : 'MISS'}  ${g.text}: ${g.figure}`);
  for (const n of res.notes) console.log(`note: ${n}`);
}

const BEGIN = '<!-- bench:begin -->';
const END = '<!-- bench:end -->';

/** Write bench/results/latest.{json,md} and, when docs/performance.md has the markers, its table. */
/** Write bench/results/latest.*; a complete full run also replaces the table in docs/performance.md. */
export function write(res: Results, complete: boolean): string[] {
  const dir = path.join(BENCH_DIR, 'results');
  mkdirSync(dir, { recursive: true });
  const json = path.join(dir, 'latest.json');
  writeFileSync(json, JSON.stringify(res, null, 1) + '\n');
  const md = markdown(res);
  const mdFile = path.join(dir, 'latest.md');
  writeFileSync(mdFile, md);
  const written = [json, mdFile];
  const doc = path.join(ROOT, 'docs', 'performance.md');
  if (res.mode === 'full' && complete && existsSync(doc)) {
    const text = readFileSync(doc, 'utf8');
    const a = text.indexOf(BEGIN);
    const b = text.indexOf(END);
    if (a >= 0 && b > a) {
      writeFileSync(doc, text.slice(0, a + BEGIN.length) + '\n' + md + text.slice(b));
      written.push(doc);
    }
  }
  return written;
}
