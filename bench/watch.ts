/**
 * Does a watcher slow the attendee? (issue 10: "a slow watcher is dropped or skips, never slows the
 * attendee"). One attendee floods MB megabytes through their shell with no watcher, with a watcher that
 * reads, and with one that stopped reading; prints the attendee's time per condition (median of
 * REPEATS) and what the watchers got. Standalone: `npx tsx bench/watch.ts [MB] [REPEATS]` (not part
 * of `npm run bench` yet).
 */
import { readyTerminal, startServer } from '../test/support/server.js';
import { WatchClient } from '../test/support/watch-client.js';

const MB = Number(process.argv[2] ?? 30);
const REPEATS = Number(process.argv[3] ?? 3);

const server = await startServer();
try {
  const { term } = await readyTerminal(server);
  const attendee = (await term.waitForMessage('ready')).attendee;
  const flood = async (tag: string): Promise<number> => {
    const t0 = performance.now();
    term.type(`head -c ${MB * 1_000_000} /dev/zero | tr "\\0" "a" | fold -w 200; echo; echo ${tag.slice(0, 1)}\${x}${tag.slice(1)}\r`);
    const re = new RegExp(`^${tag}`, 'm');
    // Only the tail is kept: matching a regex over the whole flood on every frame would make this client the bottleneck.
    await term.until(() => {
      if (term.output.length > 64 * 1024) term.output = term.output.slice(-1024);
      return re.exec(term.output);
    }, tag, 600_000);
    return performance.now() - t0;
  };
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  const rows: string[] = [];
  let n = 0;
  for (const condition of ['no watcher', 'a watcher reading', 'a watcher not reading'] as const) {
    const times: number[] = [];
    let skipped = 0;
    for (let i = 0; i < REPEATS; i++) {
      const w = condition === 'no watcher' ? null : new WatchClient(server.url, attendee);
      if (w) {
        await w.opened();
        await w.waitFor('screen');
      }
      const raw = w && (w.ws as unknown as { _socket: { pause(): void; resume(): void } })._socket;
      if (condition === 'a watcher not reading') raw?.pause();
      times.push(await flood(`done${n++}x`));
      if (w) {
        const seen = w.messages.length;
        raw?.resume();
        if (condition === 'a watcher not reading') skipped += (await w.waitFor('screen', (m) => m.skipped > 0, seen, 60_000)).skipped;
        w.close();
      }
      term.output = '';
    }
    rows.push(`| ${condition} | ${(median(times) / 1000).toFixed(2)} s | ${((MB / median(times)) * 1000).toFixed(1)} MB/s | ${condition === 'a watcher not reading' ? `${(skipped / REPEATS / 1e6).toFixed(1)} MB skipped per run` : ''} |`);
  }
  console.log(`\nattendee flood of ${MB} MB, median of ${REPEATS}, local driver\n\n| condition | attendee's time | throughput | watcher |\n|---|---|---|---|\n${rows.join('\n')}`);
  term.close();
} finally {
  await server.stop();
}
