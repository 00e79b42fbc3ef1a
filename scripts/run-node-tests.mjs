#!/usr/bin/env node
// Runs node:test files written in TypeScript (through tsx): `unit` = *.test.ts beside the code in
// common/, server/ and app/ (the page's pure state: connection reducers); `integration` = test/integration/*.test.ts. Extra arguments filter by path.
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const [kind = 'unit', ...filters] = process.argv.slice(2);
const dirs = kind === 'integration' ? ['test/integration'] : ['common', 'server', 'app', 'bench'];

function* walk(dir) {
  let names;
  try {
    names = readdirSync(dir);
  } catch {
    return;
  }
  for (const n of names.sort()) {
    const p = path.join(dir, n);
    if (n === 'node_modules' || n === 'fixtures') continue;
    if (statSync(p).isDirectory()) yield* walk(p);
    else if (n.endsWith('.test.ts')) yield p;
  }
}

const files = dirs
  .flatMap((d) => [...walk(path.join(root, d))])
  .map((f) => path.relative(root, f))
  .filter((f) => filters.length === 0 || filters.some((x) => f.includes(x)));
if (files.length === 0) {
  console.error(`no ${kind} test files found`);
  process.exit(1);
}
const args = ['--import', 'tsx', '--test', '--test-reporter=spec'];
if (process.env.CI || !process.stdout.isTTY) args.push('--test-reporter-destination=stdout');
const r = spawnSync(process.execPath, [...args, ...files], { cwd: root, stdio: 'inherit', env: { ...process.env, NODE_NO_WARNINGS: '1' } });
process.exit(r.status ?? 1);
