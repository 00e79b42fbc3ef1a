/**
 * The bash script that runs a snippet as presenterm does (common/lab-model.ts `Snippet`): a fresh
 * directory, the source written to the executor's file name, then each command in order, stopping at
 * the first failure. The source arrives as `$1`, never spliced into the script; every argv word is
 * single-quoted, with presenterm's `$pwd` placeholder replaced by the directory.
 */
import type { Snippet } from '../../common/lab-model.js';

export function shellQuote(word: string): string {
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

function word(arg: string): string {
  return arg
    .split('$pwd')
    .map((part) => (part ? shellQuote(part) : ''))
    .join('"$d"');
}

export function snippetScript(snippet: Snippet): string {
  const env = Object.entries(snippet.env).map(([k, v]) => `export ${k}=${shellQuote(v)}`);
  return [
    'd=$(mktemp -d) || exit 1',
    `trap 'rm -rf "$d"' EXIT`,
    'cd "$d" || exit 1',
    `printf '%s\\n' "$1" > ${shellQuote(snippet.filename)}`,
    ...env,
    snippet.commands.map((argv) => argv.map(word).join(' ')).join(' && '),
  ].join('\n');
}
