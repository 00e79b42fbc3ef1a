/**
 * Output throughput and Ctrl-C under a flood.
 *  - Throughput: `cat` a pre-generated file of 200-byte lines into a Node client that acks on receipt
 *    (like a browser whose renderer keeps up), timed until a marker printed after it; peak server RSS
 *    sampled from /proc/<pid>/status meanwhile.
 *  - Ctrl-C: `yes` for a while into a client that consumes at a renderer's pace (token bucket) and
 *    acks what it consumed; then ^C: time until the prompt is *consumed* (what the attendee sees), and
 *    the backlog the renderer had to chew through after the ^C.
 */
import { existsSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Host, Term } from './endpoints.js';
import type { Row } from './report.js';
import { MB, RssSampler, SCRATCH, note, rotate, sleep } from './util.js';

/** A file of `mb` MB of 200-byte lines (`x` × 199 + newline), made once. */
export function outputFile(mb: number): string {
  const file = path.join(SCRATCH, `out-${mb}M.txt`);
  if (existsSync(file) && statSync(file).size === mb * MB) return file;
  const line = Buffer.from('x'.repeat(199) + '\n');
  const block = Buffer.alloc(MB);
  for (let o = 0; o < MB; o += line.length) line.copy(block, o, 0, Math.min(line.length, MB - o));
  writeFileSync(file, Buffer.concat(Array.from({ length: mb }, () => block)));
  return file;
}

const MARK = '__DONE42__';
const PROMPT_END = /\x1b\[0m[$#] /;
const PROMPT_END_LEN = 6;

function waitMarker(t: Term, mark: string, timeoutMs: number): Promise<number> {
  return new Promise((resolve, reject) => {
    let tail = '';
    const timer = setTimeout(() => {
      t.onData = null;
      reject(new Error(`${t.name}: no ${mark} within ${timeoutMs} ms (received ${t.received} bytes)`));
    }, timeoutMs);
    t.onData = (chunk) => {
      tail = (tail + chunk.toString('latin1')).slice(-(mark.length + chunk.length));
      if (tail.includes(mark)) {
        clearTimeout(timer);
        t.onData = null;
        resolve(performance.now());
      }
      tail = tail.slice(-mark.length);
    };
  });
}

export async function benchThroughput(hosts: Host[], opts: { mb: number; repeats: number }): Promise<Row[]> {
  const file = outputFile(opts.mb);
  const res = new Map<string, { mbs: number[]; peak: number[]; growth: number[] }>();
  for (const h of hosts) res.set(h.name, { mbs: [], peak: [], growth: [] });
  for (let r = 0; r < opts.repeats; r++) {
    for (const h of rotate(hosts, r)) {
      const t = await h.open();
      const sampler = h.pid ? new RssSampler(h.pid, 25) : null;
      const done = waitMarker(t, MARK, 300_000);
      const t0 = performance.now();
      // $((6*7)) keeps the echoed command line from matching the marker.
      t.send(`cat ${file}; echo __DONE$((6*7))__\r`);
      const t1 = await done;
      const rss = sampler?.stop();
      const mbs = opts.mb / ((t1 - t0) / 1000);
      const e = res.get(h.name)!;
      e.mbs.push(mbs);
      if (rss) {
        e.peak.push(rss.peak / MB);
        e.growth.push((rss.peak - rss.start) / MB);
      }
      t.close();
      note(`throughput repeat ${r + 1}/${opts.repeats} ${h.name}: ${mbs.toFixed(1)} MB/s${rss ? `, peak RSS ${(rss.peak / MB).toFixed(0)} MB (+${((rss.peak - rss.start) / MB).toFixed(1)})` : ''}`);
      await sleep(200);
    }
  }
  const rows: Row[] = [];
  const section = `throughput ${opts.mb} MB`;
  for (const h of hosts) rows.push({ section, metric: 'MB/s', unit: 'MB/s', candidate: h.name, values: res.get(h.name)!.mbs });
  for (const h of hosts) if (h.pid) rows.push({ section, metric: 'peak server RSS', unit: 'MB', candidate: h.name, values: res.get(h.name)!.peak });
  for (const h of hosts) if (h.pid) rows.push({ section, metric: 'RSS growth during run', unit: 'MB', candidate: h.name, values: res.get(h.name)!.growth });
  return rows;
}

/**
 * Consume a Term's output at `bytesPerSec` (token bucket, 5 ms ticks, 64 KB burst), acking what was
 * consumed. `onConsumed` sees every consumed slice in order.
 */
export class PacedConsumer {
  private readonly queue: Buffer[] = [];
  private tokens = 0;
  private last = performance.now();
  private readonly timer: NodeJS.Timeout;
  queued = 0;

  constructor(private readonly t: Term, bytesPerSec: number, onConsumed: (slice: Buffer) => void) {
    t.autoAck = false;
    t.onData = (chunk) => {
      this.queue.push(chunk);
      this.queued += chunk.length;
    };
    this.timer = setInterval(() => {
      const now = performance.now();
      this.tokens = Math.min(64 * 1024, this.tokens + ((now - this.last) / 1000) * bytesPerSec);
      this.last = now;
      while (this.tokens >= 1 && this.queue.length) {
        const head = this.queue[0]!;
        const n = Math.min(head.length, Math.floor(this.tokens));
        const slice = head.subarray(0, n);
        if (n === head.length) this.queue.shift();
        else this.queue[0] = head.subarray(n);
        this.tokens -= n;
        this.queued -= n;
        onConsumed(slice);
        t.consumed(n);
      }
    }, 5);
  }

  stop(): void {
    clearInterval(this.timer);
    this.t.onData = null;
  }
}

export async function benchCtrlC(hosts: Host[], opts: { floodMs: number; repeats: number; rate: number }): Promise<Row[]> {
  const res = new Map<string, { ms: number[]; backlog: number[]; afterCtrl: number[] }>();
  for (const h of hosts) res.set(h.name, { ms: [], backlog: [], afterCtrl: [] });
  for (let r = 0; r < opts.repeats; r++) {
    for (const h of rotate(hosts, r)) {
      const t = await h.open();
      let ctrlAt = 0;
      let backlog = 0;
      let tail = '';
      let promptAt = 0;
      const consumer = new PacedConsumer(t, opts.rate, (slice) => {
        if (!ctrlAt || promptAt) return;
        backlog += slice.length;
        // The prompt ends `\e[0m$ ` (`# ` as root); `yes` output never contains it.
        tail = (tail + slice.toString('latin1')).slice(-(slice.length + PROMPT_END_LEN));
        if (PROMPT_END.test(tail)) promptAt = performance.now();
        tail = tail.slice(-PROMPT_END_LEN);
      });
      // 200-byte lines: the pty then carries ~3× what the 20 MB/s reader takes, so a backlog can build.
      t.send(`yes "$(printf '%0199d' 0)"\r`);
      await sleep(opts.floodMs);
      const receivedAtCtrl = t.received;
      ctrlAt = performance.now();
      t.send('\x03');
      const deadline = ctrlAt + 60_000;
      while (!promptAt && performance.now() < deadline) await sleep(2);
      consumer.stop();
      const e = res.get(h.name)!;
      const ms = promptAt ? promptAt - ctrlAt : NaN;
      e.ms.push(ms);
      e.backlog.push(backlog / MB);
      e.afterCtrl.push((t.received - receivedAtCtrl) / MB);
      note(`ctrl-c repeat ${r + 1}/${opts.repeats} ${h.name}: prompt after ${ms.toFixed(1)} ms, backlog ${(backlog / MB).toFixed(2)} MB`);
      t.close();
      await sleep(300);
    }
  }
  const rows: Row[] = [];
  const section = `^C under yes (${(opts.rate / MB).toFixed(0)} MB/s reader)`;
  const detail = `after ${opts.floodMs} ms of flood`;
  for (const h of hosts) rows.push({ section, metric: '^C → prompt', unit: 'ms', candidate: h.name, values: res.get(h.name)!.ms, detail });
  for (const h of hosts) rows.push({ section, metric: 'backlog read after ^C', unit: 'MB', candidate: h.name, values: res.get(h.name)!.backlog });
  for (const h of hosts) rows.push({ section, metric: 'bytes arriving after ^C', unit: 'MB', candidate: h.name, values: res.get(h.name)!.afterCtrl });
  return rows;
}
