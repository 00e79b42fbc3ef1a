import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { snippetOf } from '../labs/snippets.js';
import { snippetScript, shellQuote } from './snippet-script.js';

/** Run the generated script with real bash, the source as $1, as the runtime does in a sandbox. */
function run(script: string, source: string): string {
  return execFileSync('bash', ['-c', script, 'labdeck', source], { encoding: 'utf8' });
}

test('quoting survives every awkward character', () => {
  const nasty = `it's "$HOME" \`id\` $(id) \\ ; |`;
  assert.equal(execFileSync('bash', ['-c', `printf %s ${shellQuote(nasty)}`], { encoding: 'utf8' }), nasty);
});

test('a snippet runs in a fresh directory with its file, its $pwd and env, then the directory is gone', () => {
  const snippet = {
    executor: 'sh',
    mode: 'exec' as const,
    filename: "it's.sh",
    commands: [['sh', '$pwd/it\'s.sh'], ['sh', '-c', 'echo second "$V"; echo "$PWD"']],
    env: { V: "a 'quoted' value" },
    tool: 'sh',
    source: 'echo "first $(basename "$0")"',
    expectFailure: false,
  };
  const out = run(snippetScript(snippet), snippet.source);
  const [first, second, dir] = out.trim().split('\n');
  assert.equal(first, "first it's.sh");
  assert.equal(second, "second a 'quoted' value");
  assert.ok(dir && dir.startsWith('/'), 'the commands ran in a directory of their own');
  assert.equal(execFileSync('bash', ['-c', `test -e ${shellQuote(dir)} && echo left || echo gone`], { encoding: 'utf8' }).trim(), 'gone');
});

test("presenterm's python table entry runs the source with its hidden lines", { skip: !hasPython() && 'no python3 on this host' }, () => {
  const r = snippetOf('python', ['+exec'], 'import sys\nprint("py", sys.version_info[0] * 14)\n');
  assert.equal(r.kind, 'snippet');
  if (r.kind !== 'snippet') return;
  assert.equal(run(snippetScript(r.snippet), r.snippet.source), 'py 42\n');
});

test('the commands stop at the first failure', () => {
  const snippet = {
    executor: 'c',
    mode: 'exec' as const,
    filename: 'x',
    commands: [['false'], ['echo', 'never']],
    env: {},
    tool: 'false',
    source: '',
    expectFailure: false,
  };
  assert.throws(() => run(snippetScript(snippet), ''), (e: { status?: number; stdout?: string }) => e.status === 1 && e.stdout === '');
});

function hasPython(): boolean {
  try {
    execFileSync('python3', ['--version']);
    return true;
  } catch {
    return false;
  }
}
