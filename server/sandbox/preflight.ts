/**
 * Preflight: which of a lab's tools the attendee's sandbox has (with versions), and whether its
 * container engine can start a container. One out-of-band script per check, so a podman sandbox pays
 * one `podman exec`, not one per tool.
 */
import type { ToolRequirement } from '../../common/lab-model.js';
import type { PreflightReport } from '../../common/preflight.js';
import type { Sandbox } from './driver.js';

export type { PreflightReport, ToolStatus } from '../../common/preflight.js';

const TOOL_NAME = /^[A-Za-z0-9._+-]{1,64}$/;
const MARK = '@@labdeck';

/** Single-quote a string for bash. */
function sh(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/**
 * `engine: false` leaves out the container-engine check (a nested container start: seconds per
 * sandbox), for the smoke test of many prepared sandboxes at once (server/workshop/control.ts).
 */
export function preflightScript(tools: ToolRequirement[], { engine = true }: { engine?: boolean } = {}): string {
  const lines = ['export LC_ALL=C'];
  for (const t of tools) {
    if (!TOOL_NAME.test(t.name)) continue;
    const version = t.version ?? `${t.name} --version`;
    lines.push(
      `if command -v ${sh(t.name)} >/dev/null 2>&1; then echo ${sh(`${MARK} tool ${t.name} found`)}; ` +
        `timeout 10 bash -c ${sh(version)} 2>&1 | grep -m1 . ; else echo ${sh(`${MARK} tool ${t.name} missing`)}; fi`,
    );
  }
  if (!engine) return lines.join('\n');
  // Start a container from an image already in the engine's store: no registry is needed.
  lines.push(
    `if command -v podman >/dev/null 2>&1; then echo '${MARK} engine podman'; ` +
      `img=$(timeout 20 podman images --format '{{.Repository}}:{{.Tag}}' 2>/dev/null | grep -v '<none>' | head -n 1); ` +
      `if [ -z "$img" ]; then if timeout 20 podman info >/dev/null 2>&1; then echo '${MARK} engine-no-image'; ` +
      `else echo '${MARK} engine-failed'; timeout 20 podman info 2>&1 | tail -n 3; fi; ` +
      `else out=$(timeout 30 podman run --rm "$img" true 2>&1) && echo "${MARK} engine-ok $img" || ` +
      `{ echo '${MARK} engine-failed'; printf '%s\\n' "$out" | tail -n 3; }; fi; ` +
      `else echo '${MARK} engine none'; fi`,
  );
  return lines.join('\n');
}

export function parsePreflight(output: string, tools: ToolRequirement[]): PreflightReport {
  const found = new Map<string, string | null>();
  let engineName = 'none';
  let state: PreflightReport['engine']['state'] = 'none';
  let image = '';
  const engineDetail: string[] = [];
  let current: string | null = null;
  let inEngine = false;
  for (const line of output.split('\n')) {
    if (line.startsWith(MARK)) {
      const [, kind, name, extra] = line.split(' ');
      current = null;
      if (kind === 'tool' && name) {
        if (extra === 'found') {
          found.set(name, null);
          current = name;
        }
      } else if (kind === 'engine' && name) {
        engineName = name;
        state = name === 'none' ? 'none' : 'failed';
        inEngine = true;
      } else if (kind === 'engine-ok') {
        state = 'ok';
        image = name ?? '';
      } else if (kind === 'engine-no-image') state = 'no-image';
      else if (kind === 'engine-failed') state = 'failed';
      continue;
    }
    if (current && found.get(current) === null && line.trim()) found.set(current, line.trim().slice(0, 200));
    else if (inEngine && line.trim()) engineDetail.push(line.trim());
  }
  const details: Record<typeof state, string> = {
    none: 'no container engine (podman) in this sandbox',
    ok: `${engineName} started a container from ${image}`,
    'no-image': `${engineName} answers, but has no local image to start a container from (and no registry is reachable to pull one)`,
    failed: `${engineName} could not start a container: ${engineDetail.join(' ').slice(0, 400) || 'no output'}${engineHint(engineDetail.join(' '))}`,
  };
  return {
    tools: tools.map((t) => ({
      name: t.name,
      found: found.has(t.name),
      version: found.get(t.name) ?? null,
      install: t.install ?? null,
      why: t.why ?? null,
    })),
    engine: { name: engineName, state, detail: details[state] },
    checkedAt: Date.now(),
  };
}

/** Known failures of podman on hosts like the measured one, and their fix (docs/host-facts.md, "podman on this host"). */
function engineHint(detail: string): string {
  if (/rlimit|hybrid mode|crun/.test(detail)) {
    return ' — hint: use labdeck\'s podman settings (runc, cgroupfs, ulimits within the host\'s limits): export CONTAINERS_CONF=<labdeck>/sandbox/containers.conf';
  }
  return '';
}

export async function preflight(sandbox: Sandbox, tools: ToolRequirement[]): Promise<PreflightReport> {
  const r = await sandbox.exec(['bash', '-c', preflightScript(tools)], { timeoutMs: 60_000 });
  return parsePreflight(r.stdout + (r.stderr ? `\n${r.stderr}` : ''), tools);
}
