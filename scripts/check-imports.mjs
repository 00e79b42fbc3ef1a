// `npm run lint`'s import rules (issue 18 §3), with TypeScript's own import scanner (type imports count:
// a type-only circle still ties two layers together):
//  1. no import circle among server/, app/ and common/ (tests and bench may import anything);
//  2. server/store/ imports only itself, common/, better-sqlite3 and node: built-ins.
// Prints each violation and exits 1; silent and 0 when clean. `node scripts/check-imports.mjs [repo]`.
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';

const root = path.resolve(process.argv[2] ?? path.join(path.dirname(new URL(import.meta.url).pathname), '..'));
const isTest = (f) => /\.(test|spec)\.tsx?$/.test(f);
const files = ['server', 'app', 'common'].flatMap((d) => readdirSync(path.join(root, d), { recursive: true }).map((f) => path.join(d, f)))
  .filter((f) => /\.tsx?$/.test(f) && !f.endsWith('.d.ts') && !isTest(f));

/** The repository file an import names, or null for a package. */
function resolve(from, spec) {
  const base = spec.startsWith('@/') ? path.join(root, spec.slice(2)) : spec.startsWith('.') ? path.resolve(root, path.dirname(from), spec) : null;
  if (!base) return null;
  const stem = base.replace(/\.(m?js|tsx?)$/, '');
  for (const c of [`${stem}.ts`, `${stem}.tsx`, path.join(stem, 'index.ts'), path.join(stem, 'index.tsx')]) if (existsSync(c)) return path.relative(root, c);
  return null;
}

const problems = [];
const graph = new Map();
for (const f of files) {
  const specs = ts.preProcessFile(readFileSync(path.join(root, f), 'utf8'), true, true).importedFiles.map((i) => i.fileName);
  graph.set(f, specs.map((s) => resolve(f, s)).filter((t) => t && files.includes(t)));
  if (f.startsWith('server/store/')) {
    for (const s of specs) {
      const t = resolve(f, s);
      const ok = t ? t.startsWith('server/store/') || t.startsWith('common/') : s === 'better-sqlite3' || s.startsWith('node:');
      if (!ok) problems.push(`${f}: the store imports only common/ and better-sqlite3, not ${s}`);
    }
  }
}

// Depth-first search; a back edge to a file on the stack closes a circle.
const state = new Map();
const stack = [];
const visit = (f) => {
  state.set(f, 'open');
  stack.push(f);
  for (const t of graph.get(f)) {
    if (state.get(t) === 'open') problems.push(`import circle: ${[...stack.slice(stack.indexOf(t)), t].join(' → ')}`);
    else if (!state.has(t)) visit(t);
  }
  stack.pop();
  state.set(f, 'done');
};
for (const f of files) if (!state.has(f)) visit(f);

for (const p of problems) console.error(p);
process.exit(problems.length ? 1 : 0);
