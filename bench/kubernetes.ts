/**
 * The kubernetes driver's join and reset, with and without the warm pool, against a real Kubernetes:
 * the offline node (test/support/kube.ts) started for the section, with the sandbox image loaded into
 * its containerd. Rows sit beside `sandbox podman` (bench/sandbox.ts) of the same run.
 *  - floor: the driver alone, create() (a pod created and seen running) + one exec of `true`
 *  - join/reset: as bench/sandbox.ts measures them, through a real server with SANDBOX=kubernetes
 * Also the node's own figures: start → Ready, and the image load into containerd.
 */
import { KubernetesDriver } from '../server/sandbox/kubernetes/driver.js';
import { podman } from '../server/sandbox/podman/cli.js';
import { KUBE_NODE_IMAGE, removeStaleKubeNodes, startKubeNode } from '../test/support/kube.js';
import type { Row } from './report.js';
import { measureConfig } from './sandbox.js';
import { MB, note, pcts } from './util.js';

const IMAGE = 'localhost/labdeck-sandbox:latest';
const SECTION = 'sandbox kubernetes';

/** Why the kubernetes driver cannot be benched here, or null. */
async function kubeMissing(): Promise<string | null> {
  for (const image of [KUBE_NODE_IMAGE, IMAGE]) {
    if ((await podman(['image', 'exists', image], { timeoutMs: 60_000 })).code !== 0) return `the image ${image} does not exist (npm run kube:build; npm run sandbox:build)`;
  }
  return null;
}

/** RSS of a sandbox pod with an attendee's login shell at its prompt: what the capacity plan counts per attendee. */
async function idleMemory(driver: KubernetesDriver): Promise<number> {
  const sb = await driver.create();
  try {
    const shell = await sb.attach({ cols: 80, rows: 24 });
    const ready = new Promise<void>((resolve) => shell.onData((c) => c.toString().includes('idle-9') && resolve()));
    shell.write('echo idle-$((4+5))\r');
    await ready;
    // cgroup v1, as on the offline node: runc mounts the container's own memory cgroup at the root.
    const r = await sb.exec(['sh', '-c', "awk '/^total_rss /{print $2}' /sys/fs/cgroup/memory/memory.stat"]);
    shell.kill();
    return Number(r.stdout.trim()) / MB;
  } finally {
    await driver.destroy(sb);
  }
}

export async function benchKubernetes(opts: { runs: number; repeats: number }): Promise<{ rows: Row[]; notes: string[] }> {
  const rows: Row[] = [];
  const notes: string[] = [];
  const why = await kubeMissing();
  if (why) return { rows, notes: [`kubernetes driver not measured: ${why}`] };
  const summarize = (metric: string, candidate: string, perRepeat: number[][], p: number, detail: string) =>
    rows.push({ section: SECTION, metric, unit: 'ms', candidate, values: perRepeat.map((xs) => pcts(xs, p)[0]!), detail });

  await removeStaleKubeNodes();
  const node = await startKubeNode({ images: [IMAGE] });
  try {
    rows.push({ section: SECTION, metric: 'node start → Ready', unit: 'ms', candidate: 'offline node', values: [node.figures.readySeconds * 1000], detail: KUBE_NODE_IMAGE });
    rows.push({ section: SECTION, metric: 'sandbox image → containerd', unit: 'ms', candidate: 'offline node', values: [(node.figures.imageLoadSeconds ?? NaN) * 1000], detail: 'podman save | ctr import' });
    // Small requests: the bench node shares two cores with its own control plane.
    const settings = { workshop: 'benchfloor', kubeconfig: node.kubeconfig, imagePullPolicy: 'Never' as const, requests: { cpu: '10m', memory: '32Mi' } };
    const driver = new KubernetesDriver(settings);
    try {
      const floor: number[][] = [];
      for (let r = 0; r < opts.repeats; r++) {
        const xs: number[] = [];
        for (let i = 0; i < opts.runs; i++) {
          const t0 = performance.now();
          const sb = await driver.create();
          const e = await sb.exec(['true']);
          if (e.code !== 0) throw new Error(`exec true in a new pod: ${e.stderr}`);
          xs.push(performance.now() - t0);
          await driver.destroy(sb);
        }
        floor.push(xs);
      }
      for (const p of [50, 95]) summarize(`join p${p}`, 'floor: create pod + exec true', floor, p, `${opts.runs} runs/repeat`);
      rows.push({ section: SECTION, metric: 'idle sandbox memory (rss)', unit: 'MiB', candidate: 'one pod + login shell', values: [await idleMemory(driver)], detail: 'the pod cgroup total_rss (v1)' });
    } finally {
      await driver.close();
    }
    const env = { KUBECONFIG: node.kubeconfig, KUBE_IMAGE_PULL_POLICY: 'Never', KUBE_CPU_REQUEST: '10m', KUBE_MEMORY_REQUEST: '32Mi' };
    for (const pool of [0, 2]) {
      const m = await measureConfig({ driver: 'kubernetes', pool, env }, opts.runs, opts.repeats);
      for (const p of [50, 95]) summarize(`join p${p}`, `labdeck pool=${pool}`, m.join, p, `${opts.runs} runs/repeat`);
      for (const p of [50, 95]) summarize(`reset p${p}`, `labdeck pool=${pool}`, m.reset, p, `${opts.runs} runs/repeat`);
    }
  } catch (err) {
    notes.push(`kubernetes driver measurement failed: ${String(err instanceof Error ? err.message : err)}`);
  } finally {
    note('kubernetes: removing the bench node');
    await node.stop();
  }
  return { rows, notes };
}
