/**
 * Parses a presenterm deck into labdeck's typed lab model (common/lab-model.ts). See
 * docs/lab-format.md; each decision has its own file:
 *
 * - front-matter.ts: the YAML front matter, its options and the intro step;
 * - comments.ts: what a comment means (presenterm's commands, labdeck's metadata comment);
 * - metadata.ts and teach.ts: labdeck's own metadata (`tools`; checks, hints, solutions, setup);
 * - code-block.ts: code block attributes, Run buttons, hidden lines, unclosed fences;
 * - slides.ts: blocks placed in slides and columns, steps with their ids and commands;
 * - render.ts and images.ts: the HTML attendees see, and where images may come from;
 * - yaml-positions.ts and diagnostics.ts: `file:line:column` for every problem.
 *
 * This file walks the deck's top-level blocks, in order, and hands each to its owner. Pure: no file
 * system access, so it is easy to test and the loader decides where text comes from.
 */
import type { Token } from 'markdown-it';
import type { LabDiagnostic, ParsedLab, ToolRequirement } from '../../common/lab-model.js';
import { undeclaredTools } from './tools-used.js';
import { codeBlock, reportUnclosedFences } from './code-block.js';
import { commentText, isComment, readComment } from './comments.js';
import { Diagnostics } from './diagnostics.js';
import { introStep, readFrontMatter, type FrontMatter } from './front-matter.js';
import { rewriteImages, type ImageRef } from './images.js';
import { readMetadata } from './metadata.js';
import { renderMarkdown, structureMd } from './render.js';
import { SlideBuilder } from './slides.js';
import { labScripts, type LabTeach } from './teach.js';

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
  /** The images the deck shows, for the loader to hold to the confinement rule (images.ts). */
  images?: ImageRef[];
}

/**
 * A run of plain markdown lines (0-based, end exclusive) waiting to be rendered: markdown between
 * commands and code blocks is rendered again on its own, by the renderer that has raw HTML off.
 */
interface Chunk {
  start: number;
  end: number;
  /** Lines inside the chunk to blank before rendering (comments nested in lists or quotes). */
  blank: number[];
}

export function parseDeck(text: string, opts: ParseDeckOptions): ParseDeckResult {
  // One LF per line ending keeps every line number of a CRLF or CR file unchanged.
  const lines = text.replace(/^\uFEFF/, '').replace(/\r\n?/g, '\n').split('\n');
  const diagnostics = new Diagnostics(opts.file);
  const head = readFrontMatter(lines, diagnostics.report);
  if (!head) return { diagnostics: diagnostics.sorted() };
  const { front, bodyStart } = head;
  // Front matter lines are blanked rather than cut so token line numbers stay file line numbers.
  const tokens = structureMd.parse(lines.map((l, i) => (i < bodyStart ? '' : l)).join('\n'), {});
  reportUnclosedFences(tokens, lines, diagnostics.report);
  if (diagnostics.hasErrors()) return { diagnostics: diagnostics.sorted() };

  const body = new DeckBody(lines, front, opts, diagnostics);
  const tools = body.read(tokens, bodyStart);
  const steps = body.slides.steps;
  undeclaredTools(steps, tools, () => diagnostics.report);
  const sorted = diagnostics.sorted();
  if (diagnostics.hasErrors()) return { diagnostics: sorted };
  const scripts = labScripts(body.labTeach, body.slides.scripts);
  return {
    diagnostics: sorted,
    images: body.images,
    parsed: {
      lab: {
        id: opts.id,
        title: front.title ?? steps[0]?.title ?? opts.id,
        ...(front.subTitle !== undefined ? { subTitle: front.subTitle } : {}),
        authors: front.authors,
        source: opts.file,
        format: 'presenterm',
        steps,
        tools,
        requireCheck: body.labTeach.requireCheck ?? false,
        hasSetup: scripts.setup !== undefined,
        hasReset: scripts.reset !== undefined,
        warnings: sorted.filter((d) => d.severity === 'warning'),
      },
      notes: body.slides.notes,
      scripts,
    },
  };
}

/** The walk over the deck's top-level blocks. */
class DeckBody {
  readonly slides: SlideBuilder;
  /** The lab-level teaching settings of every metadata comment, each key given once. */
  readonly labTeach: LabTeach = {};
  /** Every image the deck shows, hints included. */
  readonly images: ImageRef[] = [];
  private readonly labTeachLines = new Map<keyof LabTeach, number>();
  private readonly tools: ToolRequirement[] = [];
  private readonly explicitIds = new Set<string>();
  private chunk: Chunk | undefined;

  constructor(
    private readonly lines: string[],
    private readonly front: FrontMatter,
    private readonly opts: ParseDeckOptions,
    private readonly diagnostics: Diagnostics,
  ) {
    this.slides = new SlideBuilder(diagnostics.report);
  }

  /** Builds the steps from the body's tokens; returns the tools the metadata comments declare. */
  read(tokens: Token[], bodyStart: number): ToolRequirement[] {
    const intro = introStep(this.front);
    if (intro) this.slides.addStep(intro);
    this.slides.startAt(bodyStart + 1);
    let i = 0;
    while (i < tokens.length) {
      const token = tokens[i];
      if (!token) break;
      const end = closingIndex(tokens, i);
      this.visit(token, tokens.slice(i, end + 1));
      i = end + 1;
    }
    this.endSlide();
    return this.tools;
  }

  private visit(token: Token, group: Token[]): void {
    const map = token.map;
    if (!map) return;
    this.slides.reach(map[0] + 1);
    switch (token.type) {
      case 'html_block': {
        const inner = commentText(token.content);
        if (inner !== undefined) {
          this.flushChunk();
          this.visitComment(inner, map[0]);
          return;
        }
        this.diagnostics.report('warning', map[0] + 1, 1, 'raw HTML is shown as text in labdeck');
        this.addToChunk(map, group);
        return;
      }
      case 'fence':
        this.flushChunk();
        this.slides.push(
          codeBlock(token, map[0], this.lines[map[0]] ?? '', (id) => this.claimId(id), this.diagnostics.report),
        );
        return;
      case 'heading_open': {
        const setext = token.markup === '=' || token.markup === '-';
        if (setext && this.front.implicitSlideEnds && (this.slides.hasBlocks() || this.chunk !== undefined)) {
          this.endSlide();
          this.slides.reach(map[0] + 1);
        }
        this.slides.offerTitle(inlineText(group[1]));
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

  private visitComment(inner: string, line0: number): void {
    const line = line0 + 1;
    const column = (this.lines[line0] ?? '').indexOf('<!--') + 1;
    const meaning = readComment(inner, this.front.commandPrefix);
    switch (meaning.kind) {
      case 'command':
        this.slides.apply(meaning.command, line, column);
        return;
      case 'metadata': {
        const renderHint = (md: string, hintLine0: number) => this.render(md, hintLine0);
        const metadata = readMetadata(meaning.yaml, line0 + 1, this.opts.file, this.diagnostics.report, renderHint);
        this.tools.push(...metadata.tools);
        this.mergeLabTeach(metadata.lab, line);
        if (metadata.step && metadata.stepPos) this.slides.teach(metadata.step, metadata.stepPos.line, metadata.stepPos.column);
        return;
      }
      case 'warning':
        this.diagnostics.report('warning', line, column, meaning.message);
        return;
      case 'ignored':
        return;
    }
  }

  /** Adds one comment's lab settings; a setting given by an earlier comment wins, with a warning. */
  private mergeLabTeach(teach: LabTeach, line: number): void {
    for (const key of ['setup', 'reset', 'requireCheck'] as const) {
      if (teach[key] === undefined) continue;
      const first = this.labTeachLines.get(key);
      if (first !== undefined) {
        this.diagnostics.report('warning', line, 1, `labdeck \`${key}\` is already set at line ${first}; ignored`);
        continue;
      }
      this.labTeachLines.set(key, line);
      Object.assign(this.labTeach, { [key]: teach[key] });
    }
  }

  /** Renders markdown written from 0-based deck line `line0` (hints): images checked like the deck's own. */
  private render(md: string, line0: number): string {
    const scope = { id: this.opts.id, labDir: this.opts.labDir, lines: this.lines, images: this.images };
    return renderMarkdown(md, (tokens) => rewriteImages(tokens, line0, scope, this.diagnostics.report));
  }

  private claimId(id: string): boolean {
    if (this.explicitIds.has(id)) return false;
    this.explicitIds.add(id);
    return true;
  }

  private addToChunk(map: [number, number], group: Token[]): void {
    const blank: number[] = [];
    group.forEach((t, i) => {
      if (i === 0) return;
      // Headings nested in lists or quotes still name the step when they come first.
      if (t.type === 'heading_open') this.slides.offerTitle(inlineText(group[i + 1]));
      if (t.type !== 'html_block' || !t.map || !isComment(t.content)) return;
      // A comment nested in a list or quote is not a command; blank it so it does not show up as text.
      for (let l = t.map[0]; l < t.map[1]; l++) blank.push(l);
      if (!t.content.trim().includes('\n')) {
        const column = (this.lines[t.map[0]] ?? '').indexOf('<!--') + 1;
        this.diagnostics.report('warning', t.map[0] + 1, column, 'a comment command inside a list or quote is ignored');
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
    const html = this.render(src, chunk.start);
    if (html.trim() === '') return;
    this.slides.push({ kind: 'markdown', html, line: chunk.start + 1 });
  }

  private endSlide(): void {
    this.flushChunk();
    this.slides.end();
  }
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
