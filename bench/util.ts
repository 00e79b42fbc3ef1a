/**
 * Small helpers shared by the bench files: statistics, RSS sampling, options, timeouts.
 * The bench measures; it never asserts. Goals are judged in report.ts and docs/performance.md.
 */
import { readFileSync } from 'node:fs';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const BENCH_DIR = path.dirname(fileURLToPath(import.meta.url));
export const ROOT = path.resolve(BENCH_DIR, '..');
/** Scratch files (generated output, podman floors) live outside the repo. */
export const SCRATCH = '/tmp/labdeck-bench';
mkdirSync(SCRATCH, { recursive: true });

/** The same prompt the local driver gives attendees, so every candidate echoes the same bytes. */
export const PS1 = '\\[\\e[1;32m\\]attendee\\[\\e[0m\\]:\\[\\e[1;34m\\]\\w\\[\\e[0m\\]\\$ ';

export interface BenchOptions {
  quick: boolean;
  /** Repeats of each measurement (min / median / max are over these). */
  repeats: number;
  /** Only run these sections (empty: all). */
  only: string[];
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i]!;
}

export function pcts(samples: number[], ...ps: number[]): number[] {
  const s = [...samples].sort((a, b) => a - b);
  return ps.map((p) => percentile(s, p));
}

export function median(xs: number[]): number {
  return pcts(xs, 50)[0]!;
}

/** Resident set size of a process in bytes (VmRSS), or NaN when it is gone. */
export function rssOf(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+)\s+kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : NaN;
  } catch {
    return NaN;
  }
}

/** Samples a process's RSS every `everyMs` until stopped; reports the peak. */
export class RssSampler {
  peak = 0;
  readonly start: number;
  private readonly timer: NodeJS.Timeout;
  constructor(readonly pid: number, everyMs = 50) {
    this.start = rssOf(pid);
    this.peak = this.start;
    this.timer = setInterval(() => {
      const r = rssOf(pid);
      if (r > this.peak) this.peak = r;
    }, everyMs);
  }
  stop(): { start: number; peak: number; end: number } {
    clearInterval(this.timer);
    const end = rssOf(this.pid);
    return { start: this.start, peak: Math.max(this.peak, end || 0), end };
  }
}

export function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms);
    p.then(
      (v) => {
        clearTimeout(t);
        resolve(v);
      },
      (e: unknown) => {
        clearTimeout(t);
        reject(e instanceof Error ? e : new Error(String(e)));
      },
    );
  });
}

/** Log a progress line to stderr (the table goes to stdout). */
export function note(msg: string): void {
  process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${msg}\n`);
}

/** Rotate a list by `k` (so each repeat starts with a different candidate). */
export function rotate<T>(xs: T[], k: number): T[] {
  const n = xs.length;
  if (n === 0) return xs;
  const s = ((k % n) + n) % n;
  return [...xs.slice(s), ...xs.slice(0, s)];
}

export const MB = 1024 * 1024;
