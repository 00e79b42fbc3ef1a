/**
 * `npm run labs:check [dir]`: parses every lab in `labs/` (or dir), presenterm decks and Killercoda
 * scenarios alike, the way the server does, prints each diagnostic as `path:line:column: severity:
 * message` and one summary line per lab, and exits 1 when any lab fails to load. The diagnostics are
 * the ones the catalogue shows: structure, scripts present (and executable, for Killercoda files),
 * labdeck's own syntax kept presenterm-compatible, tools the steps use but the lab does not declare.
 * CI runs it so a broken lab never reaches a workshop.
 */
import path from 'node:path';
import { codeBlocks } from '../../common/lab-model.js';
import { formatDiagnostic, loadLabs } from './loader.js';

async function main(): Promise<number> {
  const dir = path.resolve(process.argv[2] ?? process.env.LABS_DIR ?? 'labs');
  const { labs, failures } = await loadLabs(dir, { log: () => {} });

  for (const { lab } of [...labs.values()].sort((a, b) => a.lab.id.localeCompare(b.lab.id))) {
    for (const d of lab.warnings) console.log(formatDiagnostic(d));
    const blocks = lab.steps.flatMap((s) => codeBlocks(s.blocks));
    const runnable = blocks.filter((b) => b.runnable).length;
    const snippets = blocks.filter((b) => b.snippet).length;
    const checks = lab.steps.filter((s) => s.hasCheck).length;
    const extra = [
      snippets > 0 ? `, ${snippets} snippets` : '',
      lab.warnings.length > 0 ? `, ${lab.warnings.length} warning(s)` : '',
    ].join('');
    console.log(
      `ok   ${lab.id}${lab.format === 'killercoda' ? ' (Killercoda)' : ''}: ${lab.steps.length} steps, ${runnable} runnable blocks, ${checks} checks, ${lab.tools.length} tools${extra}`,
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
