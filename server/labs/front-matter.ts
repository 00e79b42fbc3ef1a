/**
 * presenterm's YAML front matter: the deck's title and authors, the intro step they make, and the
 * options that change how slides end or which comments are commands.
 */
import type { Step } from '../../common/lab-model.js';
import type { Report } from './diagnostics.js';
import { renderInline } from './render.js';
import { teachFields } from './teach.js';
import { isPlainObject, parseYamlAt } from './yaml-positions.js';

export interface FrontMatter {
  title?: string;
  subTitle?: string;
  event?: string;
  location?: string;
  date?: string;
  authors: string[];
  /** `options.implicit_slide_ends`: a setext heading starts a new slide. */
  implicitSlideEnds: boolean;
  /** `options.end_slide_shorthand`: a thematic break ends the slide. */
  endSlideShorthand: boolean;
  /** `options.command_prefix`: only comments starting with it are commands; empty for all. */
  commandPrefix: string;
}

/** A deck without front matter: no intro step, presenterm's default options. */
const NO_FRONT_MATTER: FrontMatter = { authors: [], implicitSlideEnds: false, endSlideShorthand: false, commandPrefix: '' };

/** Front matter keys presenterm knows; it rejects others unless strict parsing is turned off. */
const FRONT_MATTER_KEYS = new Set([
  'title',
  'sub_title',
  'event',
  'location',
  'date',
  'author',
  'authors',
  'theme',
  'options',
]);

/**
 * Reads the front matter at the top of `lines`, if any. Returns it with the 0-based line where the
 * markdown body starts, or undefined when it is broken (unclosed, invalid YAML, not a mapping): those
 * stop the lab from loading, since the rest of the deck would be read wrongly.
 */
export function readFrontMatter(
  lines: readonly string[],
  report: Report,
): { front: FrontMatter; bodyStart: number } | undefined {
  if (lines[0]?.trimEnd() !== '---') return { front: NO_FRONT_MATTER, bodyStart: 0 };
  const close = lines.findIndex((l, i) => i > 0 && l.trimEnd() === '---');
  if (close < 0) {
    report('error', 1, 1, 'front matter starts here but has no closing `---` line');
    return undefined;
  }
  const yaml = parseYamlAt(lines.slice(1, close).join('\n'), 1, 'front matter', report);
  if (!yaml) return undefined;
  const { value } = yaml;
  if (value !== null && value !== undefined && !isPlainObject(value)) {
    report('error', 2, 1, 'front matter must be a YAML mapping (key: value lines)');
    return undefined;
  }
  const fm = value ?? {};
  const warnAtKey = (key: string, message: string) => {
    const { line, column } = yaml.keyPos(key);
    report('warning', line, column, message);
  };
  for (const key of Object.keys(fm)) {
    if (FRONT_MATTER_KEYS.has(key)) continue;
    const hint =
      key === 'labdeck'
        ? ' — put labdeck metadata in a multi-line `<!-- labdeck … -->` comment instead; it is ignored here'
        : '';
    warnAtKey(key, `unknown front matter key "${key}": presenterm rejects it${hint}`);
  }
  const str = (key: string): string | undefined => {
    const v = fm[key];
    if (v === undefined || v === null) return undefined;
    if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') return String(v);
    warnAtKey(key, `front matter "${key}" should be text; ignored`);
    return undefined;
  };
  const options = isPlainObject(fm.options) ? fm.options : {};
  const author = str('author');
  const authors = Array.isArray(fm.authors) ? fm.authors.map((a) => String(a)) : [];
  if (author !== undefined && authors.length > 0) {
    warnAtKey('authors', 'front matter has both "author" and "authors"; presenterm rejects that');
  }
  const front: FrontMatter = {
    title: str('title'),
    subTitle: str('sub_title'),
    event: str('event'),
    location: str('location'),
    date: str('date'),
    authors: author !== undefined ? [author, ...authors] : authors,
    implicitSlideEnds: options.implicit_slide_ends === true,
    endSlideShorthand: options.end_slide_shorthand === true,
    commandPrefix: typeof options.command_prefix === 'string' ? options.command_prefix : '',
  };
  return { front, bodyStart: close + 1 };
}

/** presenterm's intro slide: shown when the front matter has a title, sub title, author… */
export function introStep(front: FrontMatter): Step | undefined {
  const parts: string[] = [];
  if (front.title) parts.push(`<h1>${renderInline(front.title)}</h1>`);
  if (front.subTitle) parts.push(`<h2>${renderInline(front.subTitle)}</h2>`);
  for (const extra of [front.event, front.location, front.date]) {
    if (extra) parts.push(`<p>${renderInline(extra)}</p>`);
  }
  for (const a of front.authors) parts.push(`<p class="author">${renderInline(a)}</p>`);
  if (parts.length === 0) return undefined;
  return {
    index: 0,
    title: front.title ?? front.subTitle ?? 'Introduction',
    blocks: [{ kind: 'markdown', html: parts.join('\n'), line: 1 }],
    commands: [],
    ...teachFields(undefined),
    line: 1,
  };
}
