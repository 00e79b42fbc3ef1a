/**
 * Parses a presenterm deck into labdeck's typed lab model (common/lab-model.ts).
 *
 * Pure: no file system access, so it is easy to test and the loader decides where text comes from.
 * The block structure comes from markdown-it with HTML enabled, which follows CommonMark: that is
 * what decides, for instance, that a `-----` line right after `<!-- end_slide -->` is a thematic
 * break and not a setext underline (an HTML block is not a paragraph). Each run of plain markdown
 * between commands and code blocks is then rendered again by a second markdown-it with raw HTML
 * disabled, so no author HTML ever reaches the browser. See docs/lab-format.md.
 */
import path from 'node:path';
import MarkdownIt, { type Token } from 'markdown-it';
import hljs from 'highlight.js';
import { LineCounter, isMap, isScalar, isSeq, parseDocument, type Document } from 'yaml';
import { z } from 'zod';
import type {
  Block,
  CodeBlock,
  ColumnsBlock,
  LabDiagnostic,
  ParsedLab,
  Step,
  StepNotes,
  ToolRequirement,
} from '../../common/lab-model.js';

export interface ParseDeckOptions {
  /** The lab's id (folder or file name); used in asset URLs. */
  id: string;
  /** The deck's path relative to LABS_DIR, used in diagnostics. */
  file: string;
  /** Absolute folder of the lab; images must resolve inside it. */
  labDir: string;
}

export interface ParseDeckResult {
  /** Present only when there is no error diagnostic. */
  parsed?: ParsedLab;
  diagnostics: LabDiagnostic[];
}

/** Languages whose `+exec` blocks are typed into the attendee's bash. */
const SHELL_LANGS = new Set(['bash', 'sh', 'shell']);
/** Attributes that make presenterm execute a snippet; for labdeck they add a Run button. */
const EXEC_ATTRS = new Set(['+exec', '+exec_replace', '+auto_exec']);
/** presenterm's code block attributes without a parameter. An unknown one is an error in presenterm. */
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
const PARAM_ATTRS = new Set(['id', 'exec', 'exec_replace', 'validate', 'expect', 'width', 'pty']);
/** Front matter keys presenterm knows; it rejects others unless strict parsing is turned off. */
const FRONT_MATTER_KEYS = new Set(['title', 'sub_title', 'event', 'location', 'date', 'author', 'authors', 'theme', 'options']);
/** Comment commands that only change how presenterm draws a slide; labdeck accepts and ignores them. */
const PRESENTATION_ONLY_COMMANDS = new Set([
  'incremental_lists',
  'font_size',
  'alignment',
  'no_footer',
  'list_item_newlines',
  'snippet_output',
]);

const toolSchema = z
  .object({
    name: z.string().regex(/^[A-Za-z0-9._+-]+$/, 'must be a command name, e.g. kubectl'),
    version: z.string().min(1).optional(),
    install: z.string().min(1).optional(),
    why: z.string().min(1).optional(),
  })
  .strict();

/** Finds structure only; HTML is on so that comments become html_block tokens with their lines. */
const structureMd = new MarkdownIt('default', { html: true });

/** Renders attendee-visible markdown: raw HTML off, bare URLs linked, fenced code highlighted. */
const renderMd = new MarkdownIt('default', {
  html: false,
  linkify: true,
  highlight: (code, lang) => highlight(code, lang),
});
renderMd.renderer.rules.link_open = (tokens, idx, options, _env, self) => {
  const token = tokens[idx];
  if (!token) return '';
  token.attrSet('target', '_blank');
  token.attrSet('rel', 'noopener');
  const open = self.renderToken(tokens, idx, options);
  // presenterm decks often write `[](https://…)`; an empty anchor would be invisible, so show the URL.
  if (tokens[idx + 1]?.type === 'link_close') {
    return open + renderMd.utils.escapeHtml(String(token.attrGet('href') ?? ''));
  }
  return open;
};

function highlight(code: string, lang: string): string {
  if (lang && hljs.getLanguage(lang)) {
    return hljs.highlight(code, { language: lang, ignoreIllegals: true }).value;
  }
  return renderMd.utils.escapeHtml(code);
}

interface FrontMatter {
  title?: string;
  subTitle?: string;
  event?: string;
  location?: string;
  date?: string;
  authors: string[];
  implicitSlideEnds: boolean;
  endSlideShorthand: boolean;
  commandPrefix: string;
}

/** A slide being built; becomes a Step unless it is empty or skipped. */
interface SlideDraft {
  blocks: Block[];
  title?: string;
  line: number;
  /** Set by the slide's first token, whose line becomes the step's line. */
  started: boolean;
  notes: string[];
  skip: boolean;
  layout?: { block: ColumnsBlock; current: number | null };
}

/** A run of plain markdown lines (0-based, end exclusive) waiting to be rendered. */
interface Chunk {
  start: number;
  end: number;
  /** Lines inside the chunk to blank before rendering (comments nested in lists or quotes). */
  blank: number[];
}

export function parseDeck(text: string, opts: ParseDeckOptions): ParseDeckResult {
  return new DeckParser(text, opts).parse();
}

class DeckParser {
  private readonly lines: string[];
  private readonly diagnostics: LabDiagnostic[] = [];
  private readonly steps: Step[] = [];
  private readonly notes: StepNotes[] = [];
  private readonly tools: ToolRequirement[] = [];
  private readonly explicitIds = new Set<string>();
  private front: FrontMatter = {
    authors: [],
    implicitSlideEnds: false,
    endSlideShorthand: false,
    commandPrefix: '',
  };
  private slide: SlideDraft = newSlide(1);
  private chunk: Chunk | undefined;

  constructor(
    text: string,
    private readonly opts: ParseDeckOptions,
  ) {
    // One LF per line ending keeps every line number of a CRLF or CR file unchanged.
    this.lines = text.replace(/^\uFEFF/, '').replace(/\r\n?/g, '\n').split('\n');
  }

  parse(): ParseDeckResult {
    const bodyStart = this.parseFrontMatter();
    if (bodyStart === undefined) return this.result();
    this.pushIntroStep();

    // Front matter lines are blanked rather than cut so token line numbers stay file line numbers.
    const source = this.lines.map((l, i) => (i < bodyStart ? '' : l)).join('\n');
    const tokens = structureMd.parse(source, {});
    this.checkFences(tokens);
    if (this.hasErrors()) return this.result();

    this.slide = newSlide(bodyStart + 1);
    let i = 0;
    while (i < tokens.length) {
      const token = tokens[i];
      if (!token) break;
      const end = closingIndex(tokens, i);
      this.visitTopLevel(token, tokens.slice(i, end + 1));
      i = end + 1;
    }
    this.endSlide();
    return this.result();
  }

  // ---- front matter -------------------------------------------------------------------------

  /** Returns the 0-based line where the markdown body starts, or undefined on a fatal error. */
  private parseFrontMatter(): number | undefined {
    if (this.lines[0]?.trimEnd() !== '---') return 0;
    const close = this.lines.findIndex((l, i) => i > 0 && l.trimEnd() === '---');
    if (close < 0) {
      this.report('error', 1, 1, 'front matter starts here but has no closing `---` line');
      return undefined;
    }
    const yamlText = this.lines.slice(1, close).join('\n');
    const counter = new LineCounter();
    const doc = parseDocument(yamlText, { lineCounter: counter });
    const at = (offset: number | undefined) => {
      const pos = counter.linePos(offset ?? 0);
      return { line: pos.line + 1, column: pos.col };
    };
    if (doc.errors.length > 0) {
      for (const err of doc.errors) {
        const { line, column } = at(err.pos[0]);
        this.report('error', line, column, `front matter is not valid YAML: ${shortYamlMessage(err.message)}`);
      }
      return undefined;
    }
    const value: unknown = doc.toJS();
    if (value !== null && value !== undefined && !isPlainObject(value)) {
      this.report('error', 2, 1, 'front matter must be a YAML mapping (key: value lines)');
      return undefined;
    }
    const fm = (value ?? {});
    for (const key of Object.keys(fm)) {
      if (FRONT_MATTER_KEYS.has(key)) continue;
      const { line, column } = at(keyOffset(doc, key));
      const hint =
        key === 'labdeck'
          ? ' — put labdeck metadata in a multi-line `<!-- labdeck … -->` comment instead; it is ignored here'
          : '';
      this.report('warning', line, column, `unknown front matter key "${key}": presenterm rejects it${hint}`);
    }
    const str = (key: string): string | undefined => {
      const v = fm[key];
      if (v === undefined || v === null) return undefined;
      if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') return String(v);
      const { line, column } = at(keyOffset(doc, key));
      this.report('warning', line, column, `front matter "${key}" should be text; ignored`);
      return undefined;
    };
    const options = isPlainObject(fm.options) ? fm.options : {};
    const author = str('author');
    const authors = Array.isArray(fm.authors) ? fm.authors.map((a) => String(a)) : [];
    if (author !== undefined && authors.length > 0) {
      const { line, column } = at(keyOffset(doc, 'authors'));
      this.report('warning', line, column, 'front matter has both "author" and "authors"; presenterm rejects that');
    }
    this.front = {
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
    return close + 1;
  }

  /** presenterm shows an intro slide when the front matter has a title, sub title, author… */
  private pushIntroStep(): void {
    const f = this.front;
    const parts: string[] = [];
    if (f.title) parts.push(`<h1>${renderMd.renderInline(f.title)}</h1>`);
    if (f.subTitle) parts.push(`<h2>${renderMd.renderInline(f.subTitle)}</h2>`);
    for (const extra of [f.event, f.location, f.date]) {
      if (extra) parts.push(`<p>${renderMd.renderInline(extra)}</p>`);
    }
    for (const a of f.authors) parts.push(`<p class="author">${renderMd.renderInline(a)}</p>`);
    if (parts.length === 0) return;
    this.steps.push({
      index: 0,
      title: f.title ?? f.subTitle ?? 'Introduction',
      blocks: [{ kind: 'markdown', html: parts.join('\n'), line: 1 }],
      commands: [],
      line: 1,
    });
    this.notes.push({ index: 0, speakerNotes: [] });
  }

  // ---- body -----------------------------------------------------------------------------------

  /** Every fence must close: markdown-it silently runs an unclosed one to the end of its container. */
  private checkFences(tokens: Token[]): void {
    for (const t of tokens) {
      if (t.type !== 'fence' || !t.map) continue;
      const [start, end] = t.map;
      const fenceChar = t.markup[0] === '~' ? '~' : '`';
      const closer = new RegExp(`^[\\s>]*\\${fenceChar}{${t.markup.length},}\\s*$`);
      const last = this.lines[end - 1] ?? '';
      if (end - start >= 2 && closer.test(last)) continue;
      const column = (this.lines[start] ?? '').indexOf(t.markup) + 1;
      this.report('error', start + 1, Math.max(column, 1), `code fence ${t.markup} opened here is never closed`);
    }
  }

  private visitTopLevel(token: Token, group: Token[]): void {
    const map = token.map;
    if (!map) return;
    if (!this.slide.started) {
      this.slide.started = true;
      this.slide.line = map[0] + 1;
    }
    switch (token.type) {
      case 'html_block': {
        const comment = /^<!--([\s\S]*?)-->$/.exec(token.content.trim());
        if (comment && !comment[1]?.includes('-->')) {
          this.flushChunk();
          this.visitComment(comment[1] ?? '', map[0]);
          return;
        }
        this.report('warning', map[0] + 1, 1, 'raw HTML is shown as text in labdeck');
        this.addToChunk(map, group);
        return;
      }
      case 'fence':
        this.flushChunk();
        this.pushBlock(this.codeBlock(token, map[0]));
        return;
      case 'heading_open': {
        const setext = token.markup === '=' || token.markup === '-';
        if (setext && this.front.implicitSlideEnds && this.slideHasContent()) {
          this.endSlide();
          this.slide.started = true;
          this.slide.line = map[0] + 1;
        }
        this.slide.title ??= inlineText(group[1]);
        this.addToChunk(map, group);
        return;
      }
      case 'hr':
        if (this.front.endSlideShorthand) {
          this.endSlide();
          return;
        }
        this.addToChunk(map, group);
        return;
      default:
        this.addToChunk(map, group);
    }
  }

  private slideHasContent(): boolean {
    return this.slide.blocks.length > 0 || this.chunk !== undefined;
  }

  private addToChunk(map: [number, number], group: Token[]): void {
    const blank: number[] = [];
    group.forEach((t, i) => {
      if (i === 0) return;
      // Headings nested in lists or quotes still name the step when they come first.
      if (t.type === 'heading_open') this.slide.title ??= inlineText(group[i + 1]);
      if (t.type !== 'html_block' || !t.map || !/^<!--[\s\S]*-->$/.test(t.content.trim())) return;
      // A comment nested in a list or quote is not a command (presenterm only reads top-level ones);
      // blank it so it does not show up as text.
      for (let l = t.map[0]; l < t.map[1]; l++) blank.push(l);
      if (!t.content.trim().includes('\n')) {
        const column = (this.lines[t.map[0]] ?? '').indexOf('<!--') + 1;
        this.report('warning', t.map[0] + 1, column, 'a comment command inside a list or quote is ignored');
      }
    });
    if (this.chunk) {
      this.chunk.end = map[1];
      this.chunk.blank.push(...blank);
    } else {
      this.chunk = { start: map[0], end: map[1], blank };
    }
  }

  private flushChunk(): void {
    const chunk = this.chunk;
    if (!chunk) return;
    this.chunk = undefined;
    const blank = new Set(chunk.blank);
    const src = this.lines
      .slice(chunk.start, chunk.end)
      .map((l, i) => (blank.has(chunk.start + i) ? '' : l))
      .join('\n');
    const tokens = renderMd.parse(src, {});
    this.checkImages(tokens, chunk.start);
    const html = renderMd.renderer.render(tokens, renderMd.options, {});
    if (html.trim() === '') return;
    this.pushBlock({ kind: 'markdown', html, line: chunk.start + 1 });
  }

  /** Images must be relative paths inside the lab folder; they are served from the lab's assets URL. */
  private checkImages(tokens: Token[], lineOffset: number): void {
    for (const t of tokens) {
      if (t.type !== 'inline' || !t.children) continue;
      for (const child of t.children) {
        if (child.type !== 'image') continue;
        const src = String(child.attrGet('src') ?? '');
        const rewritten = this.assetUrl(src);
        if (rewritten) {
          child.attrSet('src', rewritten);
          continue;
        }
        const { line, column } = this.findImage(src, lineOffset + (t.map?.[0] ?? 0), lineOffset + (t.map?.[1] ?? 1));
        this.report(
          'warning',
          line,
          column,
          `image "${src}" is not a relative path inside the lab folder; shown as its alt text`,
        );
        child.type = 'text';
        child.content = child.content || src;
        child.children = null;
      }
    }
  }

  /** 1-based position of the `![` of the image whose target is `src`, searched in lines [from, to). */
  private findImage(src: string, from: number, to: number): { line: number; column: number } {
    for (let l = from; l < to; l++) {
      const text = this.lines[l] ?? '';
      const target = text.indexOf(`](${src}`);
      if (target >= 0) return { line: l + 1, column: Math.max(text.lastIndexOf('![', target) + 1, 1) };
    }
    return { line: from + 1, column: Math.max((this.lines[from] ?? '').indexOf('![') + 1, 1) };
  }

  private assetUrl(src: string): string | undefined {
    let rel: string;
    try {
      rel = decodeURIComponent(src.replace(/[?#].*$/, ''));
    } catch {
      return undefined;
    }
    if (rel === '' || /^[a-z][a-z0-9+.-]*:/i.test(rel) || rel.startsWith('/') || rel.includes('\\')) return undefined;
    const normal = path.posix.normalize(rel);
    if (normal === '..' || normal.startsWith('../')) return undefined;
    const labDir = path.resolve(this.opts.labDir);
    const abs = path.resolve(labDir, normal);
    if (!abs.startsWith(labDir + path.sep)) return undefined;
    const encoded = normal.split('/').map(encodeURIComponent).join('/');
    return `/labs/${encodeURIComponent(this.opts.id)}/assets/${encoded}`;
  }

  // ---- comments -------------------------------------------------------------------------------

  private visitComment(inner: string, line0: number): void {
    const column = (this.lines[line0] ?? '').indexOf('<!--') + 1;
    const firstLine = inner.split('\n', 1)[0]?.trim() ?? '';
    if (inner.includes('\n')) {
      if (firstLine === 'labdeck') {
        this.parseLabdeckMeta(inner.slice(inner.indexOf('\n') + 1), line0 + 1);
        return;
      }
      // presenterm reads a multi-line comment as a command when it parses as one (the usual way to
      // write a long speaker note), and otherwise ignores it as the author's own comment.
      const command = multiLineCommand(inner);
      if (command) this.applyCommand(command.name, command.value, line0, column, true);
      return;
    }
    let body = inner.trim();
    if (this.front.commandPrefix) {
      if (!body.startsWith(this.front.commandPrefix)) return;
      body = body.slice(this.front.commandPrefix.length);
    }
    if (body.startsWith('//') || body.startsWith('vim:') || body === '{{{' || body === '}}}') return;
    const m = /^([A-Za-z_]+)\s*(?::\s*([\s\S]*))?$/.exec(body);
    if (!m || !m[1]) {
      this.report('warning', line0 + 1, column, `unknown comment command "${body}"; ignored`);
      return;
    }
    const raw = m[2];
    this.applyCommand(m[1], raw === undefined ? undefined : yamlValue(raw), line0, column, false, raw);
  }

  private applyCommand(
    name: string,
    value: unknown,
    line0: number,
    column: number,
    multiLine: boolean,
    raw?: string,
  ): void {
    const line = line0 + 1;
    const warn = (message: string) => this.report('warning', line, column, message);
    switch (name) {
      case 'end_slide':
        this.endSlide();
        return;
      case 'pause':
        this.pushBlock({ kind: 'pause', line });
        return;
      case 'jump_to_middle':
        this.pushBlock({ kind: 'jump_to_middle', line });
        return;
      case 'new_line':
      case 'newline':
        this.pushBlock({ kind: 'spacer', lines: 1, line });
        return;
      case 'new_lines':
      case 'newlines': {
        if (!isCount(value)) return warn(`${name} needs a positive whole number, e.g. <!-- new_lines: 2 -->`);
        this.pushBlock({ kind: 'spacer', lines: value, line });
        return;
      }
      case 'column_layout': {
        if (!Array.isArray(value) || value.length === 0 || !value.every(isCount)) {
          return warn('column_layout needs a list of positive widths, e.g. <!-- column_layout: [1, 2] -->');
        }
        const widths = value;
        const block: ColumnsBlock = { kind: 'columns', widths, columns: widths.map(() => []), line };
        this.slide.layout = undefined;
        this.pushBlock(block);
        this.slide.layout = { block, current: null };
        return;
      }
      case 'column': {
        const layout = this.slide.layout;
        if (!layout) return warn('column without a column_layout before it in this slide; ignored');
        if (!isCount(value, 0) || value >= layout.block.widths.length) {
          return warn(`column index must be 0 to ${layout.block.widths.length - 1}; ignored`);
        }
        layout.current = value;
        return;
      }
      case 'reset_layout':
        this.slide.layout = undefined;
        return;
      case 'speaker_note': {
        const note = typeof value === 'string' ? value : (raw ?? (value === undefined ? '' : JSON.stringify(value)));
        this.slide.notes.push(note.trimEnd());
        return;
      }
      case 'skip_slide':
        this.slide.skip = true;
        return;
      case 'include':
        return warn('include is not supported by labdeck: the included file is not shown; inline its content');
      default:
        if (PRESENTATION_ONLY_COMMANDS.has(name)) return;
        if (!multiLine) {
          warn(`unknown comment command "${name}"; ignored (presenterm rejects it: use <!-- // … --> for notes)`);
        }
    }
  }

  /** `<!-- labdeck` … `-->`: YAML with labdeck's own metadata; presenterm ignores multi-line comments. */
  private parseLabdeckMeta(yamlText: string, firstLine0: number): void {
    const counter = new LineCounter();
    const doc = parseDocument(yamlText, { lineCounter: counter });
    const at = (offset: number | undefined) => {
      const pos = counter.linePos(offset ?? 0);
      return { line: firstLine0 + pos.line, column: pos.col };
    };
    if (doc.errors.length > 0) {
      for (const err of doc.errors) {
        const { line, column } = at(err.pos[0]);
        this.report('error', line, column, `labdeck metadata is not valid YAML: ${shortYamlMessage(err.message)}`);
      }
      return;
    }
    const value: unknown = doc.toJS();
    if (!isPlainObject(value)) {
      const { line, column } = at(0);
      this.report('warning', line, column, 'labdeck metadata must be a YAML mapping, e.g. `tools:`; ignored');
      return;
    }
    for (const key of Object.keys(value)) {
      if (key === 'tools') continue;
      const { line, column } = at(keyOffset(doc, key));
      this.report('warning', line, column, `unknown labdeck metadata key "${key}"; ignored`);
    }
    if (value.tools === undefined) return;
    if (!Array.isArray(value.tools)) {
      const { line, column } = at(keyOffset(doc, 'tools'));
      this.report('warning', line, column, 'labdeck `tools` must be a list; ignored');
      return;
    }
    value.tools.forEach((tool: unknown, i: number) => {
      const parsed = toolSchema.safeParse(tool);
      if (parsed.success) {
        this.tools.push(parsed.data);
        return;
      }
      for (const issue of parsed.error.issues) {
        const nodePath = ['tools', i, ...issue.path.filter((p) => typeof p !== 'symbol')];
        const { line, column } = at(nodeOffset(doc, nodePath) ?? nodeOffset(doc, ['tools', i]));
        const where = issue.path.length > 0 ? ` ${issue.path.join('.')}` : '';
        this.report('warning', line, column, `labdeck tool #${i + 1}${where}: ${issue.message}; tool ignored`);
      }
    });
  }

  // ---- code -----------------------------------------------------------------------------------

  private codeBlock(token: Token, line0: number): CodeBlock {
    const fenceLine = this.lines[line0] ?? '';
    const info = token.info.trim();
    // presenterm's `{1,3|5}` highlight groups may contain spaces; take them out before splitting.
    const words = info.replace(/\{[^}]*\}/g, ' ').split(/\s+/).filter(Boolean);
    const lang = words[0] && !words[0].startsWith('+') ? words[0] : '';
    const attrs = lang ? words.slice(1) : words;
    let explicitId: string | undefined;
    for (const attr of attrs) {
      const column = Math.max(fenceLine.indexOf(attr) + 1, 1);
      const [word = '', param] = splitAttr(attr);
      const known = param === undefined ? FLAG_ATTRS.has(word) : PARAM_ATTRS.has(word) && param !== '';
      const fileAttr = /^(prepend|append)_file\(.*\)$/.test(attr.slice(1));
      if (!attr.startsWith('+') || (!known && !fileAttr)) {
        this.report('warning', line0 + 1, column, `unknown code block attribute "${attr}"; presenterm rejects it`);
        continue;
      }
      if (word === 'id' && param !== undefined) {
        if (this.explicitIds.has(param)) {
          this.report('warning', line0 + 1, column, `duplicate code block id "${param}"; a generated id is used`);
        } else {
          this.explicitIds.add(param);
          explicitId = param;
        }
      }
    }
    const content = token.content.endsWith('\n') ? token.content.slice(0, -1) : token.content;
    const shell = SHELL_LANGS.has(lang.toLowerCase());
    let code = content;
    let run = content;
    if (shell) {
      // presenterm hides bash lines starting with `/// ` from view but still runs them.
      const all = content.split('\n');
      code = all.filter((l) => !isHiddenLine(l)).join('\n');
      run = all.map((l) => (isHiddenLine(l) ? l.replace(/^\/\/\/ ?/, '') : l)).join('\n');
    }
    return {
      kind: 'code',
      id: explicitId ?? '',
      lang,
      attrs,
      code,
      html: highlight(code, lang),
      runnable: shell && attrs.some((a) => EXEC_ATTRS.has(a)),
      run,
      lineNumbers: attrs.includes('+line_numbers'),
      line: line0 + 1,
    };
  }

  // ---- slides ---------------------------------------------------------------------------------

  private pushBlock(block: Block): void {
    const layout = this.slide.layout;
    if (!layout) {
      this.slide.blocks.push(block);
      return;
    }
    if (layout.current === null) {
      this.report(
        'warning',
        block.line,
        1,
        'content after column_layout but before any <!-- column: N -->; placed in column 0',
      );
      layout.current = 0;
    }
    layout.block.columns[layout.current]?.push(block);
  }

  private endSlide(): void {
    this.flushChunk();
    const slide = this.slide;
    this.slide = newSlide(slide.line);
    if (slide.skip || slide.blocks.length === 0) return;
    const index = this.steps.length;
    const commands: string[] = [];
    let n = 0;
    walkCode(slide.blocks, (code) => {
      n += 1;
      if (!code.id) code.id = `s${index}-b${n}`;
      if (code.runnable) commands.push(code.run);
    });
    this.steps.push({
      index,
      title: slide.title ?? `Step ${index + 1}`,
      blocks: slide.blocks,
      commands,
      line: slide.line,
    });
    this.notes.push({ index, speakerNotes: slide.notes });
  }

  // ---- results --------------------------------------------------------------------------------

  private report(severity: LabDiagnostic['severity'], line: number, column: number, message: string): void {
    this.diagnostics.push({ severity, file: this.opts.file, line, column, message });
  }

  private hasErrors(): boolean {
    return this.diagnostics.some((d) => d.severity === 'error');
  }

  private result(): ParseDeckResult {
    const diagnostics = [...this.diagnostics].sort((a, b) => a.line - b.line || a.column - b.column);
    if (this.hasErrors()) return { diagnostics };
    const firstTitle = this.steps[0]?.title;
    return {
      diagnostics,
      parsed: {
        lab: {
          id: this.opts.id,
          title: this.front.title ?? firstTitle ?? this.opts.id,
          ...(this.front.subTitle !== undefined ? { subTitle: this.front.subTitle } : {}),
          authors: this.front.authors,
          source: this.opts.file,
          steps: this.steps,
          tools: this.tools,
          warnings: diagnostics.filter((d) => d.severity === 'warning'),
        },
        notes: this.notes,
      },
    };
  }
}

function newSlide(line: number): SlideDraft {
  return { blocks: [], line, started: false, notes: [], skip: false };
}

/** Index of the token closing the top-level block that opens at `start`. */
function closingIndex(tokens: Token[], start: number): number {
  const open = tokens[start];
  if (!open || open.nesting !== 1) return start;
  for (let i = start + 1; i < tokens.length; i++) {
    const t = tokens[i];
    if (t && t.level === open.level && t.nesting === -1) return i;
  }
  return tokens.length - 1;
}

/** Plain text of a heading's inline token, markup stripped. */
function inlineText(token: Token | undefined): string | undefined {
  if (!token || token.type !== 'inline') return undefined;
  const text = (token.children ?? [])
    .map((c) => (c.type === 'text' || c.type === 'code_inline' ? c.content : c.type === 'softbreak' ? ' ' : ''))
    .join('')
    .trim();
  return text || undefined;
}

function walkCode(blocks: Block[], visit: (code: CodeBlock) => void): void {
  for (const b of blocks) {
    if (b.kind === 'code') visit(b);
    else if (b.kind === 'columns') for (const col of b.columns) walkCode(col, visit);
  }
}

function isHiddenLine(line: string): boolean {
  return line.startsWith('/// ') || line === '///';
}

/** `+id:NAME` → ['id', 'NAME']; `+exec` → ['exec', undefined]. */
function splitAttr(attr: string): [string, string | undefined] {
  const body = attr.replace(/^\+/, '');
  const colon = body.indexOf(':');
  return colon < 0 ? [body, undefined] : [body.slice(0, colon), body.slice(colon + 1)];
}

function isCount(value: unknown, min = 1): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= min;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A command's value as YAML (`[1, 2]`, `0`, `true`), or the raw text when it is not valid YAML. */
function yamlValue(raw: string): unknown {
  const doc = parseDocument(raw);
  return doc.errors.length > 0 ? raw.trim() : doc.toJS();
}

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

function keyOffset(doc: Document, key: string): number | undefined {
  if (!isMap(doc.contents)) return undefined;
  const pair = doc.contents.items.find((p) => isScalar(p.key) && p.key.value === key);
  return isScalar(pair?.key) ? pair.key.range?.[0] : undefined;
}

function nodeOffset(doc: Document, nodePath: (string | number)[]): number | undefined {
  const node: unknown = doc.getIn(nodePath, true);
  if (isScalar(node) || isMap(node) || isSeq(node)) return node.range?.[0];
  return undefined;
}

/** yaml's messages end with " at line N, column M:" and a code excerpt; the diagnostic has both. */
function shortYamlMessage(message: string): string {
  return message.split(' at line ')[0]?.trim() ?? message;
}
