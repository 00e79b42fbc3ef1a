/**
 * `kind create cluster` in a privileged podman sandbox, as an attendee of the seed lab runs it: a
 * sandbox with the driver's own flags (runFlags, default limits), then the offline kind inside it.
 *  - create → node Ready: from `kind create cluster` to its line "node … Ready" (streamed)
 *  - create → control plane Running: to kind's exit (it waits for the four static pods)
 *  - memory per cluster: the sandbox's cgroup (RSS, and page cache the kernel can reclaim) with the
 *    cluster up, minus the same sandbox idle
 *  - disk per cluster: the sandbox's nested podman volume (the node's containerd and etcd)
 * Capacity in docs/operations.md is derived from these.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { podman } from '../server/sandbox/podman/cli.js';
import { KIND_IMAGES_VOLUME, runFlags } from '../server/sandbox/podman/run-flags.js';
import type { Row } from './report.js';
import { note } from './util.js';

const IMAGE = process.env.SANDBOX_IMAGE ?? 'localhost/labdeck-sandbox:latest';
const NODE_IMAGE = 'localhost/labdeck-kind-node:v1.20.2';
const CANDIDATE = 'offline kind, privileged sandbox (1 CPU, 1 GiB)';
const MB = 1024 * 1024;

/** Why kind cannot be benched here, or null. Reads the shared store's index; mounts nothing. */
export async function kindMissing(): Promise<string | null> {
  if ((await podman(['image', 'exists', IMAGE], { timeoutMs: 60_000 })).code !== 0) return `no sandbox image ${IMAGE} (npm run sandbox:build)`;
  const vol = await podman(['volume', 'inspect', '--format', '{{.Mountpoint}}', KIND_IMAGES_VOLUME], { timeoutMs: 60_000 });
  const index = path.join(vol.stdout.trim(), 'overlay-images', 'images.json');
  if (vol.code !== 0 || !existsSync(index)) return `no node image shared with sandboxes (npm run kube:build)`;
  const images = JSON.parse(readFileSync(index, 'utf8')) as { names?: string[] }[];
  return images.some((i) => i.names?.includes(NODE_IMAGE)) ? null : `${KIND_IMAGES_VOLUME} does not hold ${NODE_IMAGE} (npm run kube:build)`;
}

/** total_rss and total_cache of the container's memory cgroup (cgroup v1), in bytes. */
async function memory(id: string): Promise<{ rss: number; cache: number }> {
  const pid = (await podman(['inspect', '-f', '{{.State.Pid}}', id], { timeoutMs: 30_000 })).stdout.trim();
  const line = readFileSync(`/proc/${pid}/cgroup`, 'utf8').split('\n').find((l) => /:memory:/.test(l));
  if (!line) throw new Error('no memory cgroup (cgroup v2 is not measured here)');
  const stat = readFileSync(`/sys/fs/cgroup/memory${line.split(':')[2]}/memory.stat`, 'utf8');
  const get = (k: string) => Number(new RegExp(`^${k} (\\d+)$`, 'm').exec(stat)?.[1] ?? NaN);
  return { rss: get('total_rss'), cache: get('total_cache') };
}

async function diskOfNestedStorage(id: string): Promise<number> {
  const src = (await podman(['inspect', '-f', '{{range .Mounts}}{{if eq .Destination "/var/lib/containers"}}{{.Source}}{{end}}{{end}}', id], { timeoutMs: 30_000 })).stdout.trim();
  const du = await new Promise<string>((resolve) => {
    const p = spawn('du', ['-sxb', src]);
    let out = '';
    p.stdout.on('data', (b: Buffer) => (out += b.toString()));
    p.on('close', () => resolve(out));
  });
  return Number(du.split('\t')[0]);
}

interface Run {
  readyS: number;
  upS: number;
  rss: number;
  cache: number;
  disk: number;
}

/** `kind create cluster` inside the sandbox, timing the Ready line as it streams and kind's exit. */
function createCluster(id: string): Promise<{ readyS: number; upS: number }> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    let readyS = NaN;
    let out = '';
    const p = spawn('podman', ['exec', id, 'kind', 'create', 'cluster'], { env: { ...process.env, CONTAINERS_CONF: path.resolve('sandbox/containers.conf') } });
    const onData = (b: Buffer) => {
      out += b.toString();
      if (Number.isNaN(readyS) && / Ready after \d+s/.test(out)) readyS = (performance.now() - t0) / 1000;
    };
    p.stdout.on('data', onData);
    p.stderr.on('data', onData);
    const timer = setTimeout(() => p.kill('SIGKILL'), 600_000);
    p.on('close', (code) => {
      clearTimeout(timer);
      if (code !== 0) reject(new Error(`kind create cluster exited ${code}: ${out.slice(-600)}`));
      else resolve({ readyS, upS: (performance.now() - t0) / 1000 });
    });
  });
}

async function once(): Promise<Run> {
  const name = `labdeck-bench-kind-${randomBytes(4).toString('hex')}`;
  const flags = runFlags({ isolation: 'privileged', pidsLimit: 512, memory: '1g', cpus: 1, devicesParent: false });
  const r = await podman(['run', '-d', '--init', '--name', name, '--label', 'labdeck.bench=kind', ...flags, IMAGE, 'sleep', 'infinity'], { timeoutMs: 60_000 });
  if (r.code !== 0) throw new Error(`podman run: ${r.stderr.trim()}`);
  try {
    // Idle baseline: the sandbox as an attendee gets it, before the cluster.
    await podman(['exec', name, 'podman', 'images'], { timeoutMs: 60_000 });
    const idle = await memory(name);
    const { readyS, upS } = await createCluster(name);
    const up = await memory(name);
    const disk = await diskOfNestedStorage(name);
    note(`kind: Ready ${readyS.toFixed(1)} s, control plane ${upS.toFixed(1)} s, RSS +${((up.rss - idle.rss) / MB).toFixed(0)} MB, cache +${((up.cache - idle.cache) / MB).toFixed(0)} MB, disk ${(disk / MB).toFixed(0)} MB`);
    return { readyS, upS, rss: up.rss - idle.rss, cache: up.cache - idle.cache, disk };
  } finally {
    await podman(['rm', '-f', '-v', '-t', '0', name], { timeoutMs: 120_000 });
  }
}

export async function benchKind(opts: { repeats: number }): Promise<{ rows: Row[]; notes: string[] }> {
  const missing = await kindMissing();
  if (missing) return { rows: [], notes: [`kind not measured: ${missing}`] };
  const runs: Run[] = [];
  // One cluster at a time: this is the time one attendee waits, not a load test.
  for (let i = 0; i < opts.repeats; i++) runs.push(await once());
  const row = (metric: string, unit: string, values: number[], detail?: string): Row => ({ section: 'kind', metric, unit, candidate: CANDIDATE, values, ...(detail ? { detail } : {}) });
  return {
    rows: [
      row('create → node Ready', 's', runs.map((r) => r.readyS)),
      row('create → control plane Running (kind returns)', 's', runs.map((r) => r.upS)),
      row('memory per cluster, RSS', 'MB', runs.map((r) => r.rss / MB)),
      row('memory per cluster, page cache (reclaimable)', 'MB', runs.map((r) => r.cache / MB)),
      row('disk per cluster (nested podman volume)', 'MB', runs.map((r) => r.disk / MB)),
    ],
    notes: [],
  };
}
