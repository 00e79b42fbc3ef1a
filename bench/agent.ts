/**
 * The agent's cost and speed beside what it replaced (issue 19 §1), on real podman sandboxes:
 *   LABDECK_SANDBOX_IMAGE=<tag> npx tsx bench/agent.ts [--sandboxes N] [--runs N]
 * - host memory per idle attendee outside the sandbox's own cgroup: the PSS of every host process that
 *   serves an attendee with an open shell (conmon; with the old driver also a `podman exec` client and
 *   its exec conmon per shell), measured on the live processes;
 * - opening a terminal (a new login shell → first echo), re-attaching to a running one, and an
 *   out-of-band `true`, through the agent and through `podman exec` (the old path), side by side;
 * - the agent's own memory (inside the sandbox's cgroup, so not in the first figure).
 * Prints a markdown table. Not part of `npm run bench`'s default set: it needs the image with the agent.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as pty from 'node-pty';
import type { Shell } from '../server/sandbox/driver.js';
import { podman, podmanEnv } from '../server/sandbox/podman/cli.js';
import { PodmanDriver, PODMAN_DEFAULTS } from '../server/sandbox/podman/driver.js';
import type { PodmanSandbox } from '../server/sandbox/podman/sandbox.js';
import { removeWorkshop } from '../test/support/podman.js';

const argv = process.argv.slice(2);
const arg = (name: string, dflt: number) => {
  const i = argv.indexOf(name);
  return i >= 0 ? Number(argv[i + 1]) : dflt;
};
const SANDBOXES = arg('--sandboxes', 5);
const RUNS = arg('--runs', 10);
const image = process.env.LABDECK_SANDBOX_IMAGE ?? PODMAN_DEFAULTS.image;
const workshop = `benchagent${randomBytes(2).toString('hex')}`;
const agentsDir = mkdtempSync(path.join(tmpdir(), 'labdeck-bench-agents-'));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function pssKb(pid: number): number {
  try {
    return Number(/^Pss:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'))?.[1] ?? 0);
  } catch {
    return 0;
  }
}

function children(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

/** Host pids whose command line contains `needle`, with their PSS. */
function hostPss(needle: RegExp): Array<{ pid: number; kb: number; args: string }> {
  const ps = execFileSync('ps', ['-eo', 'pid=,args='], { encoding: 'utf8' });
  return ps
    .split('\n')
    .map((l) => /^\s*(\d+)\s+(.*)$/.exec(l))
    .filter((m): m is RegExpExecArray => m !== null && needle.test(m[2]!))
    .map((m) => ({ pid: Number(m[1]), kb: pssKb(Number(m[1])), args: m[2]! }));
}

function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
}
const fmt = (xs: number[]) => `${pct(xs, 50).toFixed(0)} / ${pct(xs, 95).toFixed(0)}`;

/** Write `cmd` into a shell-like thing and wait for `expect` in what it prints. */
function roundTrip(onData: (l: (s: string) => void) => { dispose(): void }, write: (s: string) => void, cmd: string, expect: RegExp): Promise<void> {
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => (sub.dispose(), reject(new Error(`no ${expect} in ${JSON.stringify(out.slice(-200))}`))), 30_000);
    const sub = onData((s) => {
      out += s;
      if (expect.test(out)) {
        clearTimeout(timer);
        sub.dispose();
        resolve();
      }
    });
    write(cmd);
  });
}
const agentIo = (sh: Shell) => [(l: (s: string) => void) => sh.onData((c) => l(c.toString())), (s: string) => sh.write(s)] as const;

async function main(): Promise<void> {
  const driver = new PodmanDriver({ workshop, image, agentsDir });
  const sbs: PodmanSandbox[] = [];
  const rows: string[][] = [];
  try {
    for (let i = 0; i < SANDBOXES; i++) sbs.push((await driver.create()) as PodmanSandbox);
    // Idle attendees: one open shell each, through the agent.
    const shells = await Promise.all(sbs.map((sb) => sb.attach({ cols: 80, rows: 24 })));
    await Promise.all(shells.map((sh, i) => roundTrip(...agentIo(sh), `echo id$((${i}+1000))\r`, new RegExp(`id${i + 1000}`))));
    await sleep(2000);
    const ids = sbs.map((s) => s.id);
    const conmons = hostPss(/conmon/).filter((p) => ids.some((id) => p.args.includes(id)));
    const execs = hostPss(/podman exec/).filter((p) => ids.some((id) => p.args.includes(id)));
    const agentKb: number[] = [];
    for (const sb of sbs) {
      const initPid = Number((await podman(['inspect', '--format', '{{.State.Pid}}', sb.id])).stdout.trim());
      for (const c of children(initPid)) agentKb.push(pssKb(c));
    }
    const perAttendeeAgent = (conmons.reduce((a, p) => a + p.kb, 0) + execs.reduce((a, p) => a + p.kb, 0)) / sbs.length;

    // The old path, for comparison: a `podman exec -it` client per shell (plus its exec conmon).
    const oldClients: pty.IPty[] = [];
    const before = new Set(hostPss(/conmon/).map((p) => p.pid));
    for (const sb of sbs) {
      const p = pty.spawn('podman', ['exec', '-it', '-e', 'TERM=xterm-256color', sb.id, 'bash', '-l'], { cols: 80, rows: 24, env: podmanEnv() });
      oldClients.push(p);
      await roundTrip((l) => p.onData(l), (s) => p.write(s), 'echo o$((1+1))ld\r', /o2ld/);
    }
    await sleep(2000);
    const clientKb = oldClients.map((p) => pssKb(p.pid));
    const execConmons = hostPss(/conmon/).filter((p) => !before.has(p.pid) && ids.some((id) => p.args.includes(id)));
    const perAttendeeOld = perAttendeeAgent + (clientKb.reduce((a, b) => a + b, 0) + execConmons.reduce((a, p) => a + p.kb, 0)) / sbs.length;
    for (const p of oldClients) p.kill('SIGKILL');
    rows.push(['host memory per idle attendee outside its sandbox (PSS)', `${(perAttendeeAgent / 1024).toFixed(2)} MiB (conmon ${conmons.length}, podman exec ${execs.length})`, `${(perAttendeeOld / 1024).toFixed(2)} MiB (+ podman exec ${(clientKb.reduce((a, b) => a + b, 0) / clientKb.length / 1024).toFixed(2)} MiB, its conmon ${(execConmons.reduce((a, p) => a + p.kb, 0) / Math.max(1, execConmons.length) / 1024).toFixed(2)} MiB)`]);
    rows.push(['the agent itself (inside the sandbox cgroup, PSS)', `${(agentKb.reduce((a, b) => a + b, 0) / Math.max(1, agentKb.length) / 1024).toFixed(2)} MiB`, '—']);

    // Speed, one sandbox, RUNS each, alternating the two paths.
    const sb = sbs[0]!;
    const t = { open: [] as number[], reattach: [] as number[], exec: [] as number[], podOpen: [] as number[], podExec: [] as number[] };
    for (let i = 0; i < RUNS; i++) {
      let t0 = performance.now();
      const sh = await sb.attach({ cols: 80, rows: 24 }, {}, `bench-${i}`);
      await roundTrip(...agentIo(sh), 'echo ne$((2+2))w\r', /ne4w/);
      t.open.push(performance.now() - t0);
      sh.detach();
      t0 = performance.now();
      const again = await sb.attach({ cols: 80, rows: 24 }, {}, `bench-${i}`);
      await roundTrip(...agentIo(again), 'echo ag$((2+3))ain\r', /ag5ain/);
      t.reattach.push(performance.now() - t0);
      again.kill();
      t0 = performance.now();
      const p = pty.spawn('podman', ['exec', '-it', '-e', 'TERM=xterm-256color', sb.id, 'bash', '-l'], { cols: 80, rows: 24, env: podmanEnv() });
      await roundTrip((l) => p.onData(l), (s) => p.write(s), 'echo ne$((2+2))w\r', /ne4w/);
      t.podOpen.push(performance.now() - t0);
      p.kill('SIGKILL');
      t0 = performance.now();
      await sb.exec(['true']);
      t.exec.push(performance.now() - t0);
      t0 = performance.now();
      await podman(['exec', sb.id, 'true']);
      t.podExec.push(performance.now() - t0);
    }
    rows.push([`open a terminal: new login shell → first echo, ms p50 / p95 (${RUNS})`, fmt(t.open), fmt(t.podOpen)]);
    rows.push([`re-attach to a running shell → echo, ms p50 / p95`, fmt(t.reattach), '— (dtach -A: a new podman exec, as above)']);
    rows.push([`out-of-band \`true\`, ms p50 / p95`, fmt(t.exec), fmt(t.podExec)]);
    console.log(`\n${SANDBOXES} sandboxes, image ${image}, load average ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')}\n`);
    console.log('| figure | through the agent | podman exec (before) |\n|---|---|---|');
    for (const r of rows) console.log(`| ${r.join(' | ')} |`);
    for (const s of shells) s.kill();
  } finally {
    await driver.close();
    await removeWorkshop(workshop);
    rmSync(agentsDir, { recursive: true, force: true });
  }
}

await main();
