/**
 * How slides become steps: blocks go into the current slide (or the current column of its layout),
 * comment commands change the slide, and an ended slide becomes a Step with its code blocks' ids and
 * Run commands and its teaching parts (teach.ts), unless it is empty or skipped.
 */
import { codeBlocks, type Block, type ColumnsBlock, type Step, type StepNotes, type StepScripts } from '../../common/lab-model.js';
import type { Command } from './comments.js';
import type { Report } from './diagnostics.js';
import { stepScripts, teachFields, type StepTeach } from './teach.js';

/** A slide being built. */
interface SlideDraft {
  blocks: Block[];
  title?: string;
  line: number;
  /** Set by the slide's first token, whose line becomes the step's line. */
  started: boolean;
  notes: string[];
  skip: boolean;
  layout?: { block: ColumnsBlock; current: number | null };
  teach?: { teach: StepTeach; line: number; column: number };
}

export class SlideBuilder {
  readonly steps: Step[] = [];
  /** One entry per step, in step order. */
  readonly notes: StepNotes[] = [];
  /** One entry per step, in step order: the scripts that stay on the server. */
  readonly scripts: StepScripts[] = [];
  private slide: SlideDraft = newSlide(1);

  constructor(private readonly report: Report) {}

  /** Adds a step made elsewhere (presenterm's intro slide), with no notes. */
  addStep(step: Step): void {
    this.steps.push(step);
    this.notes.push({ index: step.index, speakerNotes: [] });
    this.scripts.push(stepScripts(step.index, undefined));
  }

  /**
   * The `step:` part of a labdeck comment written at 1-based `line` and `column`: it belongs to the
   * slide being built. A slide has one; a second is reported and ignored.
   */
  teach(teach: StepTeach, line: number, column: number): void {
    if (this.slide.teach) {
      const first = this.slide.teach.line;
      this.report('warning', line, column, `this slide already has labdeck step metadata (line ${first}); ignored`);
      return;
    }
    this.slide.teach = { teach, line, column };
  }

  /** The next slide starts no earlier than 1-based `line`. */
  startAt(line: number): void {
    this.slide = newSlide(line);
  }

  /** Content at 1-based `line`: the slide's line is that of its first content. */
  reach(line: number): void {
    if (this.slide.started) return;
    this.slide.started = true;
    this.slide.line = line;
  }

  /** The slide's title is its first heading. */
  offerTitle(title: string | undefined): void {
    this.slide.title ??= title;
  }

  hasBlocks(): boolean {
    return this.slide.blocks.length > 0;
  }

  push(block: Block): void {
    const layout = this.slide.layout;
    if (!layout) {
      this.slide.blocks.push(block);
      return;
    }
    if (layout.current === null) {
      const message = 'content after column_layout but before any <!-- column: N -->; placed in column 0';
      this.report('warning', block.line, 1, message);
      layout.current = 0;
    }
    layout.block.columns[layout.current]?.push(block);
  }

  /** Applies a comment command written at 1-based `line` and `column`. */
  apply(command: Command, line: number, column: number): void {
    switch (command.name) {
      case 'end_slide':
        this.end();
        return;
      case 'pause':
      case 'jump_to_middle':
        this.push({ kind: command.name, line });
        return;
      case 'spacer':
        this.push({ kind: 'spacer', lines: command.lines, line });
        return;
      case 'column_layout': {
        const { widths } = command;
        const block: ColumnsBlock = { kind: 'columns', widths, columns: widths.map(() => []), line };
        this.slide.layout = undefined;
        this.push(block);
        this.slide.layout = { block, current: null };
        return;
      }
      case 'column': {
        const layout = this.slide.layout;
        if (!layout) {
          this.report('warning', line, column, 'column without a column_layout before it in this slide; ignored');
          return;
        }
        const count = layout.block.widths.length;
        if (command.index === undefined || command.index >= count) {
          this.report('warning', line, column, `column index must be 0 to ${count - 1}; ignored`);
          return;
        }
        layout.current = command.index;
        return;
      }
      case 'reset_layout':
        this.slide.layout = undefined;
        return;
      case 'speaker_note':
        this.slide.notes.push(command.text);
        return;
      case 'skip_slide':
        this.slide.skip = true;
        return;
    }
  }

  /**
   * Ends the slide. A code block without `+id:NAME` gets `s<step>-b<n>`, n counting the step's code
   * blocks from 1 in reading order, so ids stay put when another step changes.
   */
  end(): void {
    const slide = this.slide;
    this.slide = newSlide(slide.line);
    if (slide.skip || slide.blocks.length === 0) {
      if (slide.teach) {
        const { line, column } = slide.teach;
        this.report('warning', line, column, 'labdeck step metadata in a slide that is skipped or empty; ignored');
      }
      return;
    }
    const index = this.steps.length;
    const code = codeBlocks(slide.blocks);
    code.forEach((b, i) => {
      if (!b.id) b.id = `s${index}-b${i + 1}`;
    });
    this.steps.push({
      index,
      title: slide.title ?? `Step ${index + 1}`,
      blocks: slide.blocks,
      commands: code.filter((b) => b.runnable).map((b) => b.run),
      ...teachFields(slide.teach?.teach),
      line: slide.line,
    });
    this.notes.push({ index, speakerNotes: slide.notes });
    this.scripts.push(stepScripts(index, slide.teach?.teach));
  }
}

function newSlide(line: number): SlideDraft {
  return { blocks: [], line, started: false, notes: [], skip: false };
}
