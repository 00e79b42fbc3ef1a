/**
 * The typed lab model: what the server parses a presenterm deck into, and what the UI renders.
 * Parsing happens once, on the server (server/labs/); the browser never sees raw markdown.
 * See docs/lab-format.md.
 */

/** A position in a lab's source file, 1-based, as editors show it. */
export interface SourcePos {
  line: number;
  column: number;
}

/** A problem found while loading a lab. `error` stops the lab from loading; `warning` does not. */
export interface LabDiagnostic {
  severity: 'error' | 'warning';
  /** Path relative to LABS_DIR, e.g. `kubernetes-meets-rust/kubernetes-meets-rust.md`. */
  file: string;
  line: number;
  column: number;
  message: string;
}

/** A tool a lab needs inside the attendee's sandbox (checked by preflight / `npm run doctor`). */
export interface ToolRequirement {
  /** Command name looked up on PATH, e.g. `kubectl`. */
  name: string;
  /** Command that prints the version, e.g. `kubectl version --client`. */
  version?: string;
  /** One line that installs it, shown when it is missing. */
  install?: string;
  /** Why the lab needs it, shown beside it. */
  why?: string;
}

export type Block =
  | MarkdownBlock
  | CodeBlock
  | ColumnsBlock
  | { kind: 'pause'; line: number }
  | { kind: 'spacer'; lines: number; line: number }
  | { kind: 'jump_to_middle'; line: number };

/** Rendered, sanitised HTML (markdown-it with raw HTML disabled). */
export interface MarkdownBlock {
  kind: 'markdown';
  html: string;
  line: number;
}

export interface CodeBlock {
  kind: 'code';
  /** Stable id within the lab (`s3-b1`, or presenterm's `+id:NAME` when given). */
  id: string;
  /** Language after the fence, e.g. `bash`; empty when none. */
  lang: string;
  /** Attributes after the language, e.g. `['+exec', '+line_numbers']`. */
  attrs: string[];
  /** The text an attendee sees (presenterm's hidden `/// ` lines removed). */
  code: string;
  /** Highlighted HTML of `code`. */
  html: string;
  /** True when the block carries `+exec`, `+exec_replace` or `+auto_exec` and a shell language: it gets a Run button. */
  runnable: boolean;
  /** The text typed into the shell on Run, hidden lines included, one command per line. */
  run: string;
  lineNumbers: boolean;
  line: number;
}

export interface ColumnsBlock {
  kind: 'columns';
  /** Relative widths, from `<!-- column_layout: [1, 2] -->`. */
  widths: number[];
  columns: Block[][];
  line: number;
}

/**
 * Every code block in `blocks`, in reading order, columns included (left column first). The one walk
 * over the block tree: ids, Run lookups and counts all go through it, so a new container kind is
 * handled in one place.
 */
export function codeBlocks(blocks: readonly Block[]): CodeBlock[] {
  return blocks.flatMap((b) => (b.kind === 'code' ? [b] : b.kind === 'columns' ? b.columns.flatMap(codeBlocks) : []));
}

export interface Step {
  /** 0-based position in the lab. */
  index: number;
  title: string;
  blocks: Block[];
  /** The `run` text of every runnable block of this step, in order. */
  commands: string[];
  /** Line in the source where the step starts. */
  line: number;
}

/** Instructor-only parts of a step, kept out of the attendee model. */
export interface StepNotes {
  index: number;
  speakerNotes: string[];
}

export interface Lab {
  /** The folder's (or deck file's) name, e.g. `kubernetes-meets-rust`. */
  id: string;
  title: string;
  subTitle?: string;
  authors: string[];
  /** Source path relative to LABS_DIR. */
  source: string;
  steps: Step[];
  tools: ToolRequirement[];
  warnings: LabDiagnostic[];
}

/** The full parse result: the attendee model plus what only the instructor sees. */
export interface ParsedLab {
  lab: Lab;
  notes: StepNotes[];
}

/** What GET /api/labs returns for each lab. */
export interface LabSummary {
  id: string;
  title: string;
  steps: number;
}

/** A lab folder that failed to load; listed on the catalogue with file and line. */
export interface LabLoadFailure {
  id: string;
  diagnostics: LabDiagnostic[];
}
