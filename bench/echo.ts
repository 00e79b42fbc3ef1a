/**
 * Keystroke echo latency: write one key, time until its echo comes back, from a Node client.
 * Keys alternate `x` and DEL (bash echoes `x`, then `\b\e[K`), so the line never grows. The candidates
 * are interleaved in round-robin batches inside one run, so machine noise hits all of them alike.
 */
import type { Host, Term } from './endpoints.js';
import type { Row } from './report.js';
import { note, pcts, rotate } from './util.js';

const X = 0x78;
const BS = 0x08;

/** One keystroke: resolves with the ms until a chunk containing `expect` arrives. */
export function keystroke(t: Term, key: string, expect: number, timeoutMs = 3000): Promise<number> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      t.onData = null;
      reject(new Error(`${t.name}: no echo within ${timeoutMs} ms`));
    }, timeoutMs);
    const t0 = performance.now();
    t.onData = (chunk) => {
      if (!chunk.includes(expect)) return;
      const dt = performance.now() - t0;
      t.onData = null;
      clearTimeout(timer);
      resolve(dt);
    };
    t.send(key);
  });
}

/** `n` keystrokes on `t`, alternating x / DEL starting from `i0`; returns latencies in ms. */
export async function typeKeys(t: Term, n: number, i0 = 0): Promise<number[]> {
  const out: number[] = [];
  for (let i = i0; i < i0 + n; i++) {
    const x = i % 2 === 0;
    out.push(await keystroke(t, x ? 'x' : '\x7f', x ? X : BS));
    // Let a trailing chunk of this echo (e.g. `\e[K`) arrive before the next key is timed.
    await new Promise<void>((r) => setImmediate(r));
  }
  return out;
}

export async function benchEcho(hosts: Host[], opts: { keystrokes: number; repeats: number; batch?: number }): Promise<Row[]> {
  const batch = opts.batch ?? 50;
  const rows = new Map<string, { p50: number[]; p99: number[] }>();
  for (const h of hosts) rows.set(h.name, { p50: [], p99: [] });
  for (let r = 0; r < opts.repeats; r++) {
    const terms: Term[] = [];
    for (const h of hosts) terms.push(await h.open());
    const samples = new Map<string, number[]>(terms.map((t) => [t.name, []]));
    // Warm-up: a few keys each, not recorded (JIT, first frames).
    for (const t of terms) await typeKeys(t, 20);
    for (let done = 0, b = 0; done < opts.keystrokes; done += batch, b++) {
      const n = Math.min(batch, opts.keystrokes - done);
      for (const t of rotate(terms, b)) samples.get(t.name)!.push(...(await typeKeys(t, n, done)));
    }
    for (const t of terms) {
      const [p50, p99] = pcts(samples.get(t.name)!, 50, 99);
      rows.get(t.name)!.p50.push(p50!);
      rows.get(t.name)!.p99.push(p99!);
      t.close();
    }
    note(`echo repeat ${r + 1}/${opts.repeats}: ${terms.map((t) => `${t.name} p99 ${rows.get(t.name)!.p99.at(-1)!.toFixed(2)} ms`).join(', ')}`);
  }
  const out: Row[] = [];
  for (const metric of ['p50', 'p99'] as const) {
    for (const h of hosts) {
      out.push({ section: 'echo (Node client)', metric, unit: 'ms', candidate: h.name, values: rows.get(h.name)![metric], detail: `${opts.keystrokes} keys/repeat` });
    }
  }
  return out;
}
