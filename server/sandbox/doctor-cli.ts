/**
 * `npm run doctor [lab-id]`: creates a sandbox with the configured driver (SANDBOX=local|podman), and
 * lists for each tool the labs need its version or "missing" with the line that installs it, and
 * whether the sandbox's container engine can start a container. Exit 1 when a required tool is missing.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ToolRequirement } from '../../common/lab-model.js';
import { loadConfig } from '../config.js';
import { loadLabs } from '../labs/loader.js';
import { createDriver } from './select.js';
import { preflight } from './preflight.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

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
