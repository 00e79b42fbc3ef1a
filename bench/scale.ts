/**
 * Many attendees on one server: server RSS per session (RSS delta / sessions), and the echo of one
 * quiet attendee while 10% of the others flood output (`yes`) into acking clients, beside the same
 * quiet attendee's echo with everyone idle, measured in the same run.
 */
import { fork } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { labdeckHost, openLabdeck, type LabdeckTerm } from './endpoints.js';
import { typeKeys } from './echo.js';
import type { Row } from './report.js';
import { BENCH_DIR, MB, ROOT, RssSampler, note, pcts, rssOf, sleep } from './util.js';

/** RSS of the direct children of `pid` (the shells), averaged; NaN when /proc has no children list. */
function childShellRss(pid: number): { count: number; avg: number } {
  let kids: number[] = [];
  try {
    for (const task of readdirSync(`/proc/${pid}/task`)) {
      kids.push(...readFileSync(`/proc/${pid}/task/${task}/children`, 'utf8').split(/\s+/).filter(Boolean).map(Number));
    }
  } catch {
    return { count: 0, avg: NaN };
  }
  kids = kids.filter((k) => {
    try {
      return readFileSync(`/proc/${k}/comm`, 'utf8').trim() === 'bash';
    } catch {
      return false;
    }
  });
  const rss = kids.map(rssOf).filter(Number.isFinite);
  return { count: rss.length, avg: rss.reduce((a, b) => a + b, 0) / Math.max(1, rss.length) };
}

export async function benchScale(opts: { sessions: number; keys: number; repeats: number }): Promise<{ rows: Row[]; notes: string[] }> {
  const host = await labdeckHost({ POOL_SIZE: '0', MAX_SESSIONS: String(opts.sessions + 50) });
  const pid = host.pid!;
  const floods = Math.max(1, Math.round(opts.sessions * 0.1));
  const idle: LabdeckTerm[] = [];
  let child: ReturnType<typeof fork> | null = null;
  const rows: Row[] = [];
  const notes: string[] = [];
  try {
    const quiet = (await host.open()) as LabdeckTerm;
    await typeKeys(quiet, 20);
    await sleep(1000);
    const rss0 = rssOf(pid);
    const idleCount = opts.sessions - 1 - floods;
    for (let i = 0; i < idleCount; i += 10) {
      idle.push(...(await Promise.all(Array.from({ length: Math.min(10, idleCount - i) }, () => openLabdeck(host.server)))));
    }
    child = fork(path.join(BENCH_DIR, 'flood-child.ts'), [host.server.url, String(floods)], { cwd: ROOT, execArgv: ['--import', 'tsx'] });
    const c = child;
    const fromChild = (type: string) =>
      new Promise<Record<string, number>>((resolve, reject) => {
        const onMsg = (m: { type: string } & Record<string, number>) => {
          if (m.type === type) {
            c.off('message', onMsg);
            resolve(m);
          }
        };
        c.on('message', onMsg);
        c.once('exit', (code) => reject(new Error(`flood child exited with ${code}`)));
      });
    await fromChild('ready');
    await sleep(2000);
    const rss1 = rssOf(pid);
    const perSession = (rss1 - rss0) / (opts.sessions - 1);
    const shells = childShellRss(pid);
    note(`scale: ${opts.sessions} sessions, server RSS ${(rss0 / MB).toFixed(0)} → ${(rss1 / MB).toFixed(0)} MB, ${(perSession / 1024).toFixed(0)} KB/session; ${shells.count} bash, ${(shells.avg / MB).toFixed(1)} MB RSS each`);

    const idleP99: number[] = [];
    const floodP99: number[] = [];
    const idleP50: number[] = [];
    const floodP50: number[] = [];
    const floodMBs: number[] = [];
    const peak: number[] = [];
    let prevBytes = 0;
    for (let r = 0; r < opts.repeats; r++) {
      const a = await typeKeys(quiet, opts.keys);
      const [a50, a99] = pcts(a, 50, 99);
      const tGo = performance.now();
      c.send({ type: 'go' });
      await sleep(1000);
      const sampler = new RssSampler(pid, 50);
      const b = await typeKeys(quiet, opts.keys);
      c.send({ type: 'stop' });
      const stopped = await fromChild('stopped');
      const rss = sampler.stop();
      const [b50, b99] = pcts(b, 50, 99);
      idleP50.push(a50!);
      idleP99.push(a99!);
      floodP50.push(b50!);
      floodP99.push(b99!);
      peak.push(rss.peak / MB);
      floodMBs.push((stopped.bytes! - prevBytes) / MB / ((performance.now() - tGo) / 1000));
      prevBytes = stopped.bytes!;
      note(`scale repeat ${r + 1}/${opts.repeats}: quiet echo p99 ${a99!.toFixed(2)} ms idle, ${b99!.toFixed(2)} ms with ${floods} floods; peak RSS ${(rss.peak / MB).toFixed(0)} MB`);
      await sleep(1500);
    }
    const section = `scale ${opts.sessions} sessions`;
    rows.push({ section, metric: 'server RSS per session', unit: 'KB', candidate: 'labdeck', values: [perSession / 1024], detail: 'one measurement, idle' });
    rows.push({ section, metric: 'bash RSS per shell', unit: 'MB', candidate: 'labdeck', values: [shells.avg / MB], detail: `${shells.count} shells` });
    rows.push({ section, metric: 'server RSS, all idle', unit: 'MB', candidate: 'labdeck', values: [rss1 / MB] });
    rows.push({ section, metric: 'peak server RSS during floods', unit: 'MB', candidate: 'labdeck', values: peak });
    const idleName = 'labdeck, others idle';
    const floodName = `labdeck, ${floods} flooding`;
    rows.push({ section, metric: 'quiet echo p50', unit: 'ms', candidate: idleName, values: idleP50, detail: `${opts.keys} keys/repeat` });
    rows.push({ section, metric: 'quiet echo p50', unit: 'ms', candidate: floodName, values: floodP50 });
    rows.push({ section, metric: 'quiet echo p99', unit: 'ms', candidate: idleName, values: idleP99 });
    rows.push({ section, metric: 'quiet echo p99', unit: 'ms', candidate: floodName, values: floodP99 });
    rows.push({ section, metric: 'flood output, all floods together', unit: 'MB/s', candidate: floodName, values: floodMBs, detail: 'approximate' });
  } finally {
    if (child && child.exitCode === null) {
      child.send({ type: 'exit' });
      await new Promise((r) => child!.once('exit', r));
    }
    for (const t of idle) t.close();
    await host.stop();
  }
  return { rows, notes };
}
