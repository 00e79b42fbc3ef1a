/**
 * The attendee's page in a real Chromium, against a production build:
 *  - JS shipped to /labs/kubernetes-meets-rust: every script resource Chromium loads, gzip'd with zlib
 *  - navigation → ready terminal: `conn-status` connected, and the first prompt in xterm's buffer
 *  - keystroke → character in xterm's buffer (`onWriteParsed`) and → next render (`onRender`), timed
 *    inside the page with performance.now() around `term.input()` (what a keypress does in xterm).
 */
import { gzipSync } from 'node:zlib';
import { chromium, type Browser } from '@playwright/test';
import { startServer } from '../test/support/server.js';
import type { Row } from './report.js';
import { note } from './util.js';

const LAB = '/labs/kubernetes-meets-rust';

/** In-page keystroke loop; runs in the browser (no closures over Node values). */
async function keyLoop(n: number): Promise<{ parsed: number[]; rendered: number[] }> {
  interface Disp { dispose(): void }
  interface T {
    input(data: string, wasUserInput?: boolean): void;
    onWriteParsed(f: () => void): Disp;
    onRender(f: () => void): Disp;
    buffer: { active: { cursorX: number } };
  }
  const term = (window as unknown as { __labdeck: { term: T } }).__labdeck.term;
  const parsed: number[] = [];
  const rendered: number[] = [];
  for (let i = 0; i < n; i++) {
    const x = i % 2 === 0;
    const before = term.buffer.active.cursorX;
    await new Promise<void>((resolve, reject) => {
      let t0 = 0;
      let gotParsed = false;
      const timer = setTimeout(() => reject(new Error(`no echo for key ${i}`)), 5000);
      const d1 = term.onWriteParsed(() => {
        if (gotParsed || term.buffer.active.cursorX === before) return;
        gotParsed = true;
        parsed.push(performance.now() - t0);
      });
      const d2 = term.onRender(() => {
        if (!gotParsed) return;
        rendered.push(performance.now() - t0);
        d1.dispose();
        d2.dispose();
        clearTimeout(timer);
        resolve();
      });
      t0 = performance.now();
      term.input(x ? 'x' : '\x7f', true);
    });
    // Let the rest of this echo settle before the next key is timed.
    await new Promise((r) => setTimeout(r, 2));
  }
  return { parsed, rendered };
}

export async function benchPage(opts: { keys: number; loads: number; repeats: number }): Promise<{ rows: Row[]; notes: string[] }> {
  const server = await startServer({ POOL_SIZE: '2' });
  let browser: Browser | null = null;
  const rows: Row[] = [];
  const notes: string[] = [];
  try {
    browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
    const connected: number[] = [];
    const prompt: number[] = [];
    let js = { count: 0, raw: 0, gz: 0 };
    for (let i = 0; i < opts.loads; i++) {
      const ctx = await browser.newContext({ viewport: { width: 1400, height: 900 } });
      const page = await ctx.newPage();
      const bodies: Array<Promise<Buffer | null>> = [];
      page.on('response', (res) => {
        if (res.request().resourceType() === 'script') bodies.push(res.body().catch(() => null));
      });
      await page.goto(server.url + LAB, { waitUntil: 'commit' });
      // performance.now() counts from this document's navigation start.
      const tConn = await page.waitForFunction(
        () => (document.querySelector('[data-testid=conn-status][data-state=connected]') ? performance.now() : 0),
        undefined,
        { polling: 5, timeout: 60_000 },
      );
      connected.push((await tConn.jsonValue()));
      const tPrompt = await page.waitForFunction(
        () => {
          const t = (window as unknown as { __labdeck?: { term: { buffer: { active: { getLine(i: number): { translateToString(): string } | undefined; length: number } } } } }).__labdeck?.term;
          if (!t) return 0;
          const b = t.buffer.active;
          for (let l = 0; l < b.length; l++) if (/attendee:\S*[$#] /.test(b.getLine(l)?.translateToString() ?? '')) return performance.now();
          return 0;
        },
        undefined,
        { polling: 5, timeout: 60_000 },
      );
      prompt.push((await tPrompt.jsonValue()));
      await page.waitForLoadState('networkidle').catch(() => undefined);
      if (i === 0) {
        const bufs = (await Promise.all(bodies)).filter((b): b is Buffer => b !== null);
        js = { count: bufs.length, raw: bufs.reduce((a, b) => a + b.length, 0), gz: bufs.reduce((a, b) => a + gzipSync(b, { level: 9 }).length, 0) };
      }
      if (i === opts.loads - 1) {
        const parsedP: number[][] = [[], []];
        const renderedP: number[][] = [[], []];
        for (let r = 0; r < opts.repeats; r++) {
          await page.evaluate(keyLoop, 20); // warm-up
          const { parsed, rendered } = await page.evaluate(keyLoop, opts.keys);
          const p = (xs: number[], q: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.ceil((q / 100) * xs.length) - 1)]!;
          parsedP[0]!.push(p(parsed, 50));
          parsedP[1]!.push(p(parsed, 99));
          renderedP[0]!.push(p(rendered, 50));
          renderedP[1]!.push(p(rendered, 99));
          note(`page keys repeat ${r + 1}/${opts.repeats}: in buffer p99 ${p(parsed, 99).toFixed(2)} ms, rendered p99 ${p(rendered, 99).toFixed(2)} ms`);
        }
        const section = 'browser (Chromium, lab page)';
        const detail = `${opts.keys} keys/repeat`;
        rows.push({ section, metric: 'key → in xterm buffer p50', unit: 'ms', candidate: 'labdeck', values: parsedP[0]!, detail });
        rows.push({ section, metric: 'key → in xterm buffer p99', unit: 'ms', candidate: 'labdeck', values: parsedP[1]!, detail });
        rows.push({ section, metric: 'key → rendered p50', unit: 'ms', candidate: 'labdeck', values: renderedP[0]!, detail });
        rows.push({ section, metric: 'key → rendered p99', unit: 'ms', candidate: 'labdeck', values: renderedP[1]!, detail });
      }
      await ctx.close();
      note(`page load ${i + 1}/${opts.loads}: connected at ${connected.at(-1)!.toFixed(0)} ms, prompt at ${prompt.at(-1)!.toFixed(0)} ms`);
    }
    const section = 'attendee page';
    rows.push({ section, metric: 'JS shipped (gzip)', unit: 'KB', candidate: 'labdeck', values: [js.gz / 1024], detail: `${js.count} scripts, ${(js.raw / 1024).toFixed(0)} KB raw` });
    rows.push({ section, metric: 'navigation → connected', unit: 'ms', candidate: 'labdeck', values: connected, detail: `${opts.loads} loads, fresh context each` });
    rows.push({ section, metric: 'navigation → first prompt', unit: 'ms', candidate: 'labdeck', values: prompt });
  } finally {
    await browser?.close();
    await server.stop();
  }
  return { rows, notes };
}
