/**
 * What a fenced code block becomes: its language, presenterm's attributes after it (`+exec`,
 * `+id:NAME`, …), whether it gets a Run button, what Run types (presenterm's hidden `/// ` lines
 * included), and for other languages the snippet labdeck runs out of band (snippets.ts). presenterm rejects an unknown attribute, so labdeck warns about one rather than invent
 * its own: labdeck's data goes in the metadata comment (metadata.ts).
 */
import type { Token } from 'markdown-it';
import type { CodeBlock } from '../../common/lab-model.js';
import type { Report } from './diagnostics.js';
import { highlight } from './render.js';
import { hiddenLines, SHELL_LANGS, snippetOf } from './snippets.js';
/** Attributes that make presenterm execute a snippet; for labdeck they add a Run button. */
const EXEC_ATTRS = new Set(['+exec', '+exec_replace', '+auto_exec']);
/** presenterm's code block attributes without a parameter. */
const FLAG_ATTRS = new Set([
  'line_numbers',
  'exec',
  'exec_replace',
  'auto_exec',
  'image',
  'render',
  'no_background',
  'acquire_terminal',
  'pty',
  'validate',
]);
/** presenterm's attributes that take a `:PARAM`. */
const PARAM_ATTRS = new Set(['id', 'exec', 'exec_replace', 'auto_exec', 'acquire_terminal', 'validate', 'expect', 'width', 'pty']);

/** One attribute worth acting on, with the 1-based column where it is written. */
export type AttrFinding =
  | { kind: 'unknown'; attr: string; column: number }
  | { kind: 'id'; name: string; column: number };

/** A fence's info string read word by word: `bash +exec +id:x {1,3}`. */
export interface CodeInfo {
  /** The language; empty when the first word is an attribute or there is none. */
  lang: string;
  /** Every word after the language, known or not, as the model keeps them. */
  attrs: string[];
  /** Unknown attributes and `+id:NAME`s, in the order they are written. */
  findings: AttrFinding[];
}

/** Reads the info string of the fence written on `fenceLine`. */
export function readCodeInfo(info: string, fenceLine: string): CodeInfo {
  // presenterm's `{1,3|5}` highlight groups may contain spaces; take them out before splitting.
  const words = info.trim().replace(/\{[^}]*\}/g, ' ').split(/\s+/).filter(Boolean);
  const lang = words[0] && !words[0].startsWith('+') ? words[0] : '';
  const attrs = lang ? words.slice(1) : words;
  const findings: AttrFinding[] = [];
  for (const attr of attrs) {
    const column = Math.max(fenceLine.indexOf(attr) + 1, 1);
    const [word, param] = splitAttr(attr);
    const known = param === undefined ? FLAG_ATTRS.has(word) : PARAM_ATTRS.has(word) && param !== '';
    const fileAttr = /^(prepend|append)_file\(.*\)$/.test(attr.slice(1));
    if (!attr.startsWith('+') || (!known && !fileAttr)) findings.push({ kind: 'unknown', attr, column });
    else if (word === 'id' && param !== undefined) findings.push({ kind: 'id', name: param, column });
  }
  return { lang, attrs, findings };
}

/**
 * The code block of a `fence` token opening at 0-based `line0`. `claimId` is asked for each `+id:NAME`
 * and returns false when another block of the lab has it; such a block gets a generated id instead
 * (an empty `id`, filled in when its step is built).
 */
export function codeBlock(
  token: Token,
  line0: number,
  fenceLine: string,
  claimId: (id: string) => boolean,
  report: Report,
): CodeBlock {
  const { lang, attrs, findings } = readCodeInfo(token.info, fenceLine);
  let explicitId: string | undefined;
  for (const f of findings) {
    if (f.kind === 'unknown') {
      report('warning', line0 + 1, f.column, `unknown code block attribute "${f.attr}"; presenterm rejects it`);
    } else if (claimId(f.name)) {
      explicitId = f.name;
    } else {
      report('warning', line0 + 1, f.column, `duplicate code block id "${f.name}"; a generated id is used`);
    }
  }
  const content = token.content.endsWith('\n') ? token.content.slice(0, -1) : token.content;
  const shell = SHELL_LANGS.has(lang.toLowerCase());
  const { shown: code, runs } = hiddenLines(lang, content);
  const snippet = shell ? ({ kind: 'none' } as const) : snippetOf(lang, attrs, runs);
  if (snippet.kind === 'unsupported') report('warning', line0 + 1, 1, snippet.message);
  if (snippet.kind === 'snippet' && snippet.warning) report('warning', line0 + 1, 1, snippet.warning);
  return {
    kind: 'code',
    id: explicitId ?? '',
    lang,
    attrs,
    code,
    html: highlight(code, lang),
    runnable: shell && attrs.some((a) => EXEC_ATTRS.has(a)),
    run: shell ? runs : content,
    interrupt: false,
    copy: true,
    display: 'block',
    ...(snippet.kind === 'snippet' ? { snippet: snippet.snippet } : {}),
    lineNumbers: attrs.includes('+line_numbers'),
    line: line0 + 1,
  };
}

/**
 * Reports every fence that is never closed, at the line that opens it: markdown-it silently runs an
 * unclosed fence to the end of its container, which would turn the rest of the deck into code.
 */
export function reportUnclosedFences(tokens: Token[], lines: readonly string[], report: Report): void {
  for (const t of tokens) {
    if (t.type !== 'fence' || !t.map) continue;
    const [start, end] = t.map;
    const fenceChar = t.markup[0] === '~' ? '~' : '`';
    const closer = new RegExp(`^[\\s>]*\\${fenceChar}{${t.markup.length},}\\s*$`);
    const last = lines[end - 1] ?? '';
    if (end - start >= 2 && closer.test(last)) continue;
    const column = (lines[start] ?? '').indexOf(t.markup) + 1;
    report('error', start + 1, Math.max(column, 1), `code fence ${t.markup} opened here is never closed`);
  }
}

/** `+id:NAME` → ['id', 'NAME']; `+exec` → ['exec', undefined]. */
function splitAttr(attr: string): [string, string | undefined] {
  const body = attr.replace(/^\+/, '');
  const colon = body.indexOf(':');
  return colon < 0 ? [body, undefined] : [body.slice(0, colon), body.slice(colon + 1)];
}
