/**
 * `npm run labs:check [dir]`: parses every lab in `labs/` (or dir) the way the server does, prints
 * each diagnostic as `path:line:column: severity: message` and one summary line per lab, and exits 1
 * when any lab fails to load. CI runs it so a broken deck never reaches a workshop.
 */
import path from 'node:path';
import { codeBlocks } from '../../common/lab-model.js';
import { formatDiagnostic, loadLabs } from './loader.js';

async function main(): Promise<number> {
  const dir = path.resolve(process.argv[2] ?? process.env.LABS_DIR ?? 'labs');
  const { labs, failures } = await loadLabs(dir, { log: () => {} });

  for (const { lab } of [...labs.values()].sort((a, b) => a.lab.id.localeCompare(b.lab.id))) {
    for (const d of lab.warnings) console.log(formatDiagnostic(d));
    const runnable = lab.steps.flatMap((s) => codeBlocks(s.blocks)).filter((b) => b.runnable).length;
    const warnings = lab.warnings.length > 0 ? `, ${lab.warnings.length} warning(s)` : '';
    console.log(
      `ok   ${lab.id}: ${lab.steps.length} steps, ${runnable} runnable blocks, ${lab.tools.length} tools${warnings}`,
    );
  }
  for (const f of failures) {
    for (const d of f.diagnostics) console.log(formatDiagnostic(d));
    console.log(`FAIL ${f.id}: ${f.diagnostics.filter((d) => d.severity === 'error').length} error(s)`);
  }
  if (labs.size === 0 && failures.length === 0) console.log(`no labs found in ${dir}`);
  return failures.length > 0 ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(`labs:check: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  },
);
