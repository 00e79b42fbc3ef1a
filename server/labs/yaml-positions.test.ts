import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { LabDiagnostic } from '../../common/lab-model.js';
import { parseYamlAt } from './yaml-positions.js';

function collect(): { report: (s: LabDiagnostic['severity'], line: number, column: number, m: string) => void; seen: string[] } {
  const seen: string[] = [];
  return { seen, report: (s, line, column, m) => seen.push(`${line}:${column} ${s} ${m}`) };
}

test('parseYamlAt: positions are deck positions, counted from the snippet first line', () => {
  const { report, seen } = collect();
  // The snippet starts on the deck's 0-based line 9, i.e. line 10 as editors show it.
  const yaml = parseYamlAt('title: T\ntools:\n  - name: kubectl\n    why: x\n', 9, 'snippet', report);
  assert.ok(yaml);
  assert.deepEqual(seen, []);
  assert.deepEqual(yaml.value, { title: 'T', tools: [{ name: 'kubectl', why: 'x' }] });
  assert.deepEqual(yaml.start, { line: 10, column: 1 });
  assert.deepEqual(yaml.keyPos('tools'), { line: 11, column: 1 });
  assert.deepEqual(yaml.keyPos('absent'), { line: 10, column: 1 });
  assert.deepEqual(yaml.nodePos(['tools', 0, 'why']), { line: 13, column: 10 });
  assert.deepEqual(yaml.nodePos(['tools', 0]), { line: 12, column: 5 });
  assert.equal(yaml.nodePos(['tools', 5]), undefined);
});

test('parseYamlAt: invalid YAML is one error per problem at its position, message without yaml excerpt', () => {
  const { report, seen } = collect();
  assert.equal(parseYamlAt('a: 1\nb: [x\nc: 2\n', 1, 'front matter', report), undefined);
  assert.deepEqual(seen, [
    '4:1 error front matter is not valid YAML: Flow sequence in block collection must be sufficiently indented and end with a ]',
  ]);
});

test('parseYamlAt: keyPos on a snippet that is not a mapping is its start', () => {
  const { report } = collect();
  const yaml = parseYamlAt('- a\n', 4, 'x', report);
  assert.ok(yaml);
  assert.deepEqual(yaml.keyPos('a'), { line: 5, column: 1 });
});
