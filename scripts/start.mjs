#!/usr/bin/env node
// `npm start`: build the web UI when its sources changed since the last build, then run the server.
// The build is skipped (a hash over the UI's inputs matches) so a second start takes a second or two.
// `--build-only` stops after the build; `--dev` runs Next in development mode instead.
import { createHash } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const INPUTS = ['app', 'common', 'next.config.js', 'package-lock.json', 'tsconfig.json'];
const stampFile = path.join(root, '.next', 'labdeck-inputs.sha256');

function* files(p) {
  const st = statSync(p);
  if (st.isDirectory()) for (const n of readdirSync(p).sort()) yield* files(path.join(p, n));
  else yield p;
}

function inputsHash() {
  const h = createHash('sha256');
  for (const input of INPUTS) {
    const abs = path.join(root, input);
    if (!existsSync(abs)) continue;
    for (const f of files(abs)) h.update(path.relative(root, f)).update('\0').update(readFileSync(f));
  }
  return h.digest('hex');
}

const dev = process.argv.includes('--dev');
if (!dev) {
  const hash = inputsHash();
  const fresh = existsSync(path.join(root, '.next', 'BUILD_ID')) && existsSync(stampFile) && readFileSync(stampFile, 'utf8') === hash;
  if (!fresh) {
    console.log('labdeck: building the web UI (once; about a minute)…');
    const r = spawnSync(process.execPath, [path.join(root, 'node_modules', 'next', 'dist', 'bin', 'next'), 'build'], {
      cwd: root,
      stdio: 'inherit',
      env: { ...process.env, NEXT_TELEMETRY_DISABLED: '1' },
    });
    if (r.status !== 0) {
      console.error('labdeck: the web UI build failed (see above).');
      process.exit(r.status ?? 1);
    }
    writeFileSync(stampFile, hash);
  }
}

if (process.argv.includes('--build-only')) process.exit(0);

process.env.NEXT_TELEMETRY_DISABLED = '1';
process.env.NODE_ENV = dev ? 'development' : 'production';
const { register } = await import('tsx/esm/api');
register();
await import(path.join(root, 'server', 'main.ts'));
