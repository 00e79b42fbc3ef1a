/**
 * `npm run doctor [lab-id]`: first the configured driver's own checks of its host or cluster, each
 * failure with its fix (`SandboxDriver.checks()`: podman's are the host checks that `npm test`'s smoke
 * test also runs, podman/host-check.ts; kubernetes' are the sandbox namespace's objects that deploy/
 * makes); exit 1 if one fails. Then it creates a sandbox with that driver, and lists for each tool the
 * labs need its version or "missing" with the line that installs it, and whether the sandbox's
 * container engine can start a container. Exit 1 when a required tool is missing.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ToolRequirement } from '../../common/lab-model.js';
import { loadConfig } from '../config.js';
import { loadLabs } from '../labs/loader.js';
import { formatCheck, type SandboxDriver } from './driver.js';
import { createDriver } from './select.js';
import { preflight } from './preflight.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/** The driver's own checks, printed one line each; false when one fails (a sandbox could not start). */
async function driverReady(driver: SandboxDriver): Promise<boolean> {
  if (!driver.checks) return true;
  console.log(`doctor: checking what the ${driver.info.name} driver needs (${driver.info.isolation})…`);
  const checks = await driver.checks();
  for (const c of checks) console.log(`  ${formatCheck(c)}`);
  const bad = checks.filter((c) => !c.ok).length;
  if (bad) console.log(`doctor: ${bad} problem(s): fix them first, then run doctor again`);
  return bad === 0;
}

async function main(): Promise<number> {
  const config = loadConfig(process.env, root);
  const only = process.argv[2];
  const { labs } = await loadLabs(config.labsDir, { log: () => undefined });
  const tools = new Map<string, ToolRequirement & { labs: string[] }>();
  for (const { lab } of labs.values()) {
    if (only && lab.id !== only) continue;
    for (const t of lab.tools) {
      const seen = tools.get(t.name);
      if (seen) seen.labs.push(lab.id);
      else tools.set(t.name, { ...t, labs: [lab.id] });
    }
  }
  if (only && !labs.has(only)) {
    console.error(`doctor: no lab named ${only} in ${config.labsDir}`);
    return 2;
  }
  const driver = await createDriver(config);
  if (!(await driverReady(driver))) {
    await driver.close();
    return 1;
  }
  console.log(`doctor: sandbox driver ${driver.info.name} (${driver.info.isolation}); creating a sandbox…`);
  const sb = await driver.create((phase, f) => process.stdout.write(`  ${Math.round(f * 100)}% ${phase}\n`));
  try {
    const report = await preflight(sb, [...tools.values()]);
    const width = Math.max(8, ...report.tools.map((t) => t.name.length));
    console.log('');
    for (const t of report.tools) {
      const labsOf = tools.get(t.name)?.labs.join(', ') ?? '';
      if (t.found) console.log(`  ✓ ${t.name.padEnd(width)}  ${t.version ?? '(no version output)'}`);
      else {
        console.log(`  ✗ ${t.name.padEnd(width)}  missing (needed by ${labsOf})`);
        if (t.why) console.log(`    ${' '.repeat(width)}  why: ${t.why}`);
        if (t.install) console.log(`    ${' '.repeat(width)}  install: ${t.install}`);
      }
    }
    console.log(`\n  ${report.engine.state === 'ok' ? '✓' : '✗'} container engine: ${report.engine.detail}\n`);
    const missing = report.tools.filter((t) => !t.found).length;
    console.log(missing ? `doctor: ${missing} tool(s) missing` : 'doctor: every tool is there');
    return missing ? 1 : 0;
  } finally {
    await driver.destroy(sb);
    await driver.close();
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(`doctor: ${String(err instanceof Error ? err.message : err)}`);
    process.exit(2);
  },
);
