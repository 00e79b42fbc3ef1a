/**
 * What an HTML comment in a deck means. presenterm reads single-line comments as commands
 * (`<!-- end_slide -->`, `<!-- column: 1 -->`) and rejects unknown ones, except `<!-- // … -->`,
 * `<!-- vim: … -->` and fold markers; a multi-line comment is a command when its YAML parses as one
 * (the long form of a speaker note) and the author's own note otherwise. labdeck's metadata comment
 * (`<!-- labdeck`) is recognised here too. Applying a command to the slide is slides.ts's job.
 */
import { parseDocument } from 'yaml';
import { isPlainObject } from './yaml-positions.js';

/** A command, with its value checked; what it does to the slide is decided by the slide builder. */
export type Command =
  | { name: 'end_slide' | 'pause' | 'jump_to_middle' | 'reset_layout' | 'skip_slide' }
  | { name: 'spacer'; lines: number }
  | { name: 'column_layout'; widths: number[] }
  | {
      name: 'column';
      /** Undefined when the value is not a whole number ≥ 0; the layout decides the upper bound. */
      index: number | undefined;
    }
  | { name: 'speaker_note'; text: string };

export type CommentMeaning =
  | { kind: 'command'; command: Command }
  /** `<!-- labdeck` comment: its YAML body starts on the line after the comment's first. */
  | { kind: 'metadata'; yaml: string }
  | { kind: 'warning'; message: string }
  | { kind: 'ignored' };

/** Comment commands that only change how presenterm draws a slide; labdeck accepts and ignores them. */
const PRESENTATION_ONLY_COMMANDS = new Set([
  'incremental_lists',
  'font_size',
  'alignment',
  'no_footer',
  'list_item_newlines',
  'snippet_output',
]);

/** The text inside an HTML block that is exactly one comment (a top-level command candidate). */
export function commentText(html: string): string | undefined {
  const comment = /^<!--([\s\S]*?)-->$/.exec(html.trim());
  return comment && !comment[1]?.includes('-->') ? (comment[1] ?? '') : undefined;
}

/**
 * True for an HTML block made of comments. Used for comments nested in a list or quote, which are
 * never commands (presenterm reads only top-level ones) and are removed from the page whole.
 */
export function isComment(html: string): boolean {
  return /^<!--[\s\S]*-->$/.test(html.trim());
}

/** What the comment `<!--inner-->` means in a deck whose front matter sets `commandPrefix` ('' for none). */
export function readComment(inner: string, commandPrefix: string): CommentMeaning {
  if (inner.includes('\n')) {
    if (inner.split('\n', 1)[0]?.trim() === 'labdeck') {
      return { kind: 'metadata', yaml: inner.slice(inner.indexOf('\n') + 1) };
    }
    const command = multiLineCommand(inner);
    return command ? interpret(command.name, command.value, true) : { kind: 'ignored' };
  }
  let body = inner.trim();
  if (commandPrefix) {
    if (!body.startsWith(commandPrefix)) return { kind: 'ignored' };
    body = body.slice(commandPrefix.length);
  }
  if (body.startsWith('//') || body.startsWith('vim:') || body === '{{{' || body === '}}}') return { kind: 'ignored' };
  if (/^labdeck\b/.test(body)) {
    return {
      kind: 'warning',
      message: 'a labdeck comment on one line is ignored, and presenterm rejects it as an unknown command: start the YAML on the line after <!-- labdeck',
    };
  }
  const m = /^([A-Za-z_]+)\s*(?::\s*([\s\S]*))?$/.exec(body);
  if (!m || !m[1]) return { kind: 'warning', message: `unknown comment command "${body}"; ignored` };
  const raw = m[2];
  return interpret(m[1], raw === undefined ? undefined : yamlValue(raw), false, raw);
}

/** A command by name with its value; `raw` is the single-line form's text after the colon. */
function interpret(name: string, value: unknown, multiLine: boolean, raw?: string): CommentMeaning {
  const command = (c: Command): CommentMeaning => ({ kind: 'command', command: c });
  const warning = (message: string): CommentMeaning => ({ kind: 'warning', message });
  switch (name) {
    case 'end_slide':
    case 'pause':
    case 'jump_to_middle':
    case 'reset_layout':
    case 'skip_slide':
      return command({ name });
    case 'new_line':
    case 'newline':
      return command({ name: 'spacer', lines: 1 });
    case 'new_lines':
    case 'newlines':
      if (!isCount(value)) return warning(`${name} needs a positive whole number, e.g. <!-- new_lines: 2 -->`);
      return command({ name: 'spacer', lines: value });
    case 'column_layout':
      // Not `every(isCount)`: every() would pass each width's index as isCount's minimum.
      if (!Array.isArray(value) || value.length === 0 || !value.every((w) => isCount(w))) {
        return warning('column_layout needs a list of positive widths, e.g. <!-- column_layout: [1, 2] -->');
      }
      return command({ name: 'column_layout', widths: value });
    case 'column':
      return command({ name: 'column', index: isCount(value, 0) ? value : undefined });
    case 'speaker_note': {
      const text = typeof value === 'string' ? value : (raw ?? (value === undefined ? '' : JSON.stringify(value)));
      return command({ name: 'speaker_note', text: text.trimEnd() });
    }
    case 'include':
      return warning('include is not supported by labdeck: the included file is not shown; inline its content');
    default:
      // A multi-line comment that happens to parse as `word: value` is the author's own note.
      if (PRESENTATION_ONLY_COMMANDS.has(name) || multiLine) return { kind: 'ignored' };
      return warning(
        `unknown comment command "${name}"; ignored (presenterm rejects it: use <!-- // … --> for notes)`,
      );
  }
}

/** A multi-line comment read as presenterm does: YAML that is one command name, or one `name: value` pair. */
function multiLineCommand(inner: string): { name: string; value: unknown } | undefined {
  const doc = parseDocument(inner);
  if (doc.errors.length > 0) return undefined;
  const value: unknown = doc.toJS();
  if (typeof value === 'string' && /^[a-z_]+$/.test(value.trim())) return { name: value.trim(), value: undefined };
  if (isPlainObject(value)) {
    const keys = Object.keys(value);
    const name = keys[0];
    if (keys.length === 1 && name) return { name, value: value[name] };
  }
  return undefined;
}

/** A single-line command's value as YAML (`[1, 2]`, `0`, `true`), or the raw text when it is not valid YAML. */
function yamlValue(raw: string): unknown {
  const doc = parseDocument(raw);
  return doc.errors.length > 0 ? raw.trim() : doc.toJS();
}

function isCount(value: unknown, min = 1): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= min;
}
