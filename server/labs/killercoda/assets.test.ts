import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { matchAssets } from './assets.js';

test('asset patterns: * and ? in one folder, ** across folders, [...] classes', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'labdeck-kc-assets-'));
  try {
    mkdirSync(path.join(dir, 'assets', 'sub'), { recursive: true });
    for (const f of ['a.txt', 'b.sh', 'sub/c.txt', 'x.y']) writeFileSync(path.join(dir, 'assets', f), '');
    // Beside assets/, not in it: never matched.
    writeFileSync(path.join(dir, 'index.json'), '{}');
    const cases: [string, string[]][] = [
      ['*', ['a.txt', 'b.sh', 'x.y']],
      ['*.txt', ['a.txt']],
      ['**/*.txt', ['a.txt', 'sub/c.txt']],
      ['**', ['a.txt', 'b.sh', 'sub/c.txt', 'x.y']],
      ['sub/*', ['sub/c.txt']],
      ['?.sh', ['b.sh']],
      ['[ab].*', ['a.txt', 'b.sh']],
      ['[!a].*', ['b.sh', 'x.y']],
      ['*.md', []],
    ];
    for (const [pattern, expected] of cases) assert.deepEqual(await matchAssets(dir, pattern), expected, pattern);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
