/**
 * presenterm's executable snippets in languages other than the attendee's shell (`python +exec`,
 * `rust +exec_replace`, …): how presenterm runs each language, so labdeck can run it the same way,
 * out of band, in the attendee's sandbox (common/lab-model.ts `Snippet`).
 *
 * The table mirrors presenterm's own `executors.yaml` (mfontanini/presenterm, the file that defines
 * each language's file name, commands and hidden-line prefix) and the language names of its
 * `SnippetLanguage` parser (src/code/snippet.rs); the list of executable languages is the one in its
 * docs (docs/src/features/code/highlighting.md). One deliberate difference: presenterm runs
 * `python`, which Debian does not ship; labdeck runs `python3`.
 */
import type { Snippet } from '../../common/lab-model.js';

interface Executor {
  filename: string;
  commands: string[][];
  /** presenterm's `hidden_line_prefix`: lines starting with it run but are not shown. */
  hidden?: string;
  env?: Record<string, string>;
  /** `+exec:NAME` alternatives. */
  alternatives?: Record<string, Omit<Executor, 'hidden' | 'alternatives'>>;
}

const SLASHES = '/// ';

/** presenterm's executors, by executor name. `bash` and `sh` are here for their hidden lines only: labdeck types them. */
const EXECUTORS: Record<string, Executor> = {
  bash: { filename: 'script.sh', commands: [['bash', '$pwd/script.sh']], hidden: SLASHES },
  sh: { filename: 'script.sh', commands: [['sh', '$pwd/script.sh']], hidden: SLASHES },
  'c++': {
    filename: 'snippet.cpp',
    commands: [['g++', '-std=c++20', '-fdiagnostics-color=always', '$pwd/snippet.cpp', '-o', '$pwd/snippet'], ['$pwd/snippet']],
    hidden: SLASHES,
  },
  c: {
    filename: 'snippet.c',
    commands: [['gcc', '$pwd/snippet.c', '-fdiagnostics-color=always', '-o', '$pwd/snippet'], ['$pwd/snippet']],
    hidden: SLASHES,
  },
  csharp: { filename: 'snippet.cs', commands: [['dotnet-script', '$pwd/snippet.cs']], hidden: SLASHES },
  elixir: { filename: 'snippet.exs', commands: [['elixir', '$pwd/snippet.exs']], hidden: '## ' },
  fish: { filename: 'script.fish', commands: [['fish', '$pwd/script.fish']], hidden: SLASHES },
  fsharp: { filename: 'snippet.fsx', commands: [['dotnet', 'fsi', '$pwd/snippet.fsx']], hidden: SLASHES },
  go: { filename: 'snippet.go', commands: [['go', 'run', '$pwd/snippet.go']], hidden: SLASHES, env: { GO111MODULE: 'off' } },
  haskell: { filename: 'snippet.hs', commands: [['runhaskell', '-w', '$pwd/snippet.hs']] },
  java: { filename: 'Snippet.java', commands: [['java', '$pwd/Snippet.java']], hidden: SLASHES },
  js: { filename: 'snippet.js', commands: [['node', '$pwd/snippet.js']], hidden: SLASHES },
  jsonnet: { filename: 'snippet.jsonnet', commands: [['jsonnet', '$pwd/snippet.jsonnet']], hidden: '## ' },
  julia: { filename: 'snippet.jl', commands: [['julia', '$pwd/snippet.jl']], hidden: SLASHES },
  kotlin: { filename: 'snippet.kts', commands: [['kotlinc', '-script', '$pwd/snippet.kts']], hidden: SLASHES },
  lua: { filename: 'snippet.lua', commands: [['lua', '$pwd/snippet.lua']] },
  nushell: { filename: 'snippet.nu', commands: [['nu', '$pwd/snippet.nu']] },
  perl: { filename: 'snippet.pl', commands: [['perl', '$pwd/snippet.pl']] },
  php: { filename: 'snippet.php', commands: [['php', '-f', '$pwd/snippet.php']], hidden: SLASHES },
  python: {
    filename: 'snippet.py',
    commands: [['python3', '-u', '$pwd/snippet.py']],
    hidden: SLASHES,
    alternatives: { uv: { filename: 'snippet.py', commands: [['uv', 'run', '--script', '-q', '$pwd/snippet.py']] } },
  },
  r: { filename: 'snippet.R', commands: [['Rscript', '$pwd/snippet.R']] },
  ruby: { filename: 'snippet.rb', commands: [['ruby', '$pwd/snippet.rb']] },
  rust: {
    filename: 'snippet.rs',
    commands: [
      ['rustc', '--crate-name', 'presenterm_snippet', '$pwd/snippet.rs', '-o', '$pwd/snippet', '--color', 'always'],
      ['$pwd/snippet'],
    ],
    hidden: '# ',
    alternatives: {
      'rust-script': {
        filename: 'snippet.rs',
        commands: [['rust-script', '--debug', '$pwd/snippet.rs']],
        env: { CARGO_TERM_COLOR: 'always' },
      },
      'rust-script-pedantic': {
        filename: 'snippet.rs',
        commands: [['rust-script', '--debug', '$pwd/snippet.rs']],
        env: { RUSTFLAGS: '--deny warnings', CARGO_TERM_COLOR: 'always' },
      },
    },
  },
  'rust-script': {
    filename: 'snippet.rs',
    commands: [['rust-script', '--debug', '$pwd/snippet.rs']],
    hidden: '# ',
    env: { CARGO_TERM_COLOR: 'always' },
  },
  zsh: { filename: 'script.sh', commands: [['zsh', '$pwd/script.sh']], hidden: SLASHES },
};

/** presenterm's names for a language (lower-cased, as it reads them) → executor name. */
const LANGUAGE_NAMES: Record<string, string> = {
  bash: 'bash',
  shell: 'sh',
  sh: 'sh',
  cpp: 'c++',
  'c++': 'c++',
  javascript: 'js',
  js: 'js',
  nushell: 'nushell',
  nu: 'nushell',
  ...Object.fromEntries(
    ['c', 'csharp', 'elixir', 'fish', 'fsharp', 'go', 'haskell', 'java', 'jsonnet', 'julia', 'kotlin', 'lua']
      .concat(['perl', 'php', 'python', 'r', 'ruby', 'rust', 'rust-script', 'zsh'])
      .map((n) => [n, n]),
  ),
};

/** Languages labdeck types into the attendee's bash instead of running them out of band. */
export const SHELL_LANGS = new Set(['bash', 'sh', 'shell']);

/** presenterm's executor for a fence language, if it can execute that language. */
export function executorName(lang: string): string | undefined {
  return LANGUAGE_NAMES[lang.toLowerCase()];
}

/**
 * Splits a block's text into what is shown and what runs, by the language's hidden-line prefix
 * (presenterm's rule; a line that is only the prefix without its trailing space counts too).
 */
export function hiddenLines(lang: string, content: string): { shown: string; runs: string } {
  const name = executorName(lang);
  const prefix = name ? EXECUTORS[name]?.hidden : undefined;
  if (!prefix) return { shown: content, runs: content };
  const bare = prefix.trimEnd();
  const hidden = (l: string) => l.startsWith(prefix) || l === bare;
  const lines = content.split('\n');
  return {
    shown: lines.filter((l) => !hidden(l)).join('\n'),
    runs: lines.map((l) => (l.startsWith(prefix) ? l.slice(prefix.length) : l === bare ? '' : l)).join('\n'),
  };
}

/** What a non-shell block with presenterm execution attributes becomes, or why it cannot run. */
export type SnippetResult =
  | { kind: 'snippet'; snippet: Snippet; warning?: string }
  | { kind: 'unsupported'; message: string } | { kind: 'none' };

/**
 * The snippet of a non-shell block: `attrs` are the words after the language, `runs` its source with
 * hidden lines included. Blocks without `+exec`, `+exec_replace` or `+auto_exec` are `none`.
 */
export function snippetOf(lang: string, attrs: readonly string[], runs: string): SnippetResult {
  const word = (a: string) => a.replace(/^\+/, '').split(':')[0] ?? '';
  const param = (a: string) => (a.includes(':') ? a.slice(a.indexOf(':') + 1) : undefined);
  const exec = attrs.find((a) => ['exec', 'exec_replace', 'auto_exec'].includes(word(a)));
  const represent = attrs.find((a) => ['render', 'image'].includes(word(a)));
  if (represent) {
    return {
      kind: 'unsupported',
      message: `${represent} is not supported by labdeck: the block is shown as code`,
    };
  }
  if (attrs.some((a) => word(a) === 'acquire_terminal')) {
    return {
      kind: 'unsupported',
      message: `+acquire_terminal on a ${lang || 'plain'} block is not supported by labdeck (it runs snippets without a terminal); the block is shown as code`,
    };
  }
  if (!exec) return { kind: 'none' };
  const name = executorName(lang);
  const base = name ? EXECUTORS[name] : undefined;
  if (!name || !base) {
    return {
      kind: 'unsupported',
      message: `presenterm cannot execute ${lang ? `"${lang}"` : 'unlabelled'} snippets; ${exec} is ignored and the block is shown as code`,
    };
  }
  const alternative = param(exec);
  const chosen = alternative === undefined ? base : base.alternatives?.[alternative];
  if (!chosen) {
    const known = Object.keys(base.alternatives ?? {});
    return {
      kind: 'unsupported',
      message: `no executor "${alternative}" for ${name} snippets${known.length ? ` (presenterm has: ${known.join(', ')})` : ''}; the block is shown as code`,
    };
  }
  const mode = word(exec) === 'exec_replace' ? 'replace' : word(exec) === 'auto_exec' ? 'auto' : 'exec';
  const pty = attrs.find((a) => word(a) === 'pty');
  return {
    kind: 'snippet',
    ...(pty ? { warning: `${pty} is not supported by labdeck: the snippet runs without a terminal` } : {}),
    snippet: {
      executor: alternative ?? name,
      mode,
      filename: chosen.filename,
      commands: chosen.commands.map((c) => [...c]),
      env: { ...(chosen.env ?? {}) },
      tool: chosen.commands[0]?.[0] ?? name,
      source: runs.endsWith('\n') ? runs : `${runs}\n`,
      expectFailure: attrs.some((a) => a === '+expect:failure' || a === '+expect:fail'),
    },
  };
}
