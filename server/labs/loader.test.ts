import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { formatDiagnostic, loadLabs } from './loader.js';

test('loadLabs: folders and top-level files load; a broken lab fails alone', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'labdeck-labs-'));
  try {
    await mkdir(path.join(dir, 'good'));
    await writeFile(path.join(dir, 'good', 'whatever.md'), '# Good\n\n```bash +exec\nls\n```\n');
    await mkdir(path.join(dir, 'broken'));
    await writeFile(path.join(dir, 'broken', 'broken.md'), '# Broken\r\n\r\n```bash\r\nls\r\n');
    await writeFile(path.join(dir, 'broken', 'notes.md'), '# not the deck\n');
    await mkdir(path.join(dir, 'ambiguous'));
    await writeFile(path.join(dir, 'ambiguous', 'a.md'), '# A\n');
    await writeFile(path.join(dir, 'ambiguous', 'b.md'), '# B\n');
    await writeFile(path.join(dir, 'single.md'), '# Single\n<!-- nope -->\n');
    await writeFile(path.join(dir, 'README.md'), '# not a lab\n');
    // A folder holding index.json is a Killercoda scenario, whatever .md files it has.
    await mkdir(path.join(dir, 'scenario'));
    await writeFile(path.join(dir, 'scenario', 'index.json'), '{"title": "S", "details": {"steps": [{"text": "a.md"}, {"text": "b.md"}]}}');
    await writeFile(path.join(dir, 'scenario', 'a.md'), '`ls`{{exec}}\n');
    await writeFile(path.join(dir, 'scenario', 'b.md'), 'B\n');

    const logged: string[] = [];
    const { labs, failures } = await loadLabs(dir, { log: (l) => logged.push(l) });

    assert.deepEqual([...labs.keys()].sort(), ['good', 'scenario', 'single']);
    assert.equal(labs.get('scenario')?.lab.format, 'killercoda');
    assert.deepEqual(labs.get('scenario')?.lab.steps.map((s) => s.commands), [['ls'], []]);
    assert.equal(labs.get('good')?.lab.source, 'good/whatever.md');
    assert.deepEqual(labs.get('good')?.lab.steps[0]?.commands, ['ls']);
    assert.deepEqual(
      failures.map((f) => [f.id, f.diagnostics.map(formatDiagnostic)]),
      [
        ['ambiguous', ['ambiguous:1:1: error: lab folder has several .md files (a.md, b.md); name the deck lab.md or ambiguous.md']],
        ['broken', ['broken/broken.md:3:1: error: code fence ``` opened here is never closed']],
      ],
    );
    assert.deepEqual(logged, [
      'single.md:2:1: warning: unknown comment command "nope"; ignored (presenterm rejects it: use <!-- // … --> for notes)',
      'ambiguous:1:1: error: lab folder has several .md files (a.md, b.md); name the deck lab.md or ambiguous.md',
      'broken/broken.md:3:1: error: code fence ``` opened here is never closed',
    ]);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
