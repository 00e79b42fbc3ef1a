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
  /**
   * Send Ctrl-C before typing `run` (Killercoda's `{{exec interrupt}}`), so a command still running
   * in the foreground (a `watch`, a server) is stopped first.
   */
  interrupt: boolean;
  /** False when the author disabled copying (Killercoda's `{{}}`); every other block has a Copy button. */
  copy: boolean;
  /**
   * `inline` for an action written in running text (Killercoda's `` `ls`{{exec}} ``): the markdown block
   * before it shows the command as `<code data-labdeck-block="ID">`, so the UI can attach Run and
   * Copy there instead of drawing the block again.
   */
  display: 'block' | 'inline';
  /** A non-shell snippet presenterm would execute (`python +exec`): how labdeck runs it out of band. */
  snippet?: Snippet;
  lineNumbers: boolean;
  line: number;
}

/**
 * A presenterm `+exec` snippet in a language other than the attendee's shell. It is never typed into
 * the terminal: the runtime writes `source` to `filename` in a fresh directory of the attendee's
 * sandbox and runs `commands` there, one after the other, streaming their output under the block.
 * See docs/lab-format.md ("Snippets in other languages").
 */
export interface Snippet {
  /** presenterm's executor name, e.g. `python`, `rust`, `rust-script` (for `+exec:rust-script`). */
  executor: string;
  /** `exec`: run on request; `auto`: run when the step is shown (`+auto_exec`); `replace`: run when shown, the output replaces the code (`+exec_replace`). */
  mode: 'exec' | 'auto' | 'replace';
  /** File name the source is written to, e.g. `snippet.py` (some toolchains care: `Snippet.java`). */
  filename: string;
  /** argv lists run in order, stopping at the first failure; `$pwd` stands for the snippet's directory. */
  commands: string[][];
  /** Extra environment for the commands, e.g. `GO111MODULE=off` for go. */
  env: Record<string, string>;
  /** The program the sandbox must have (the first command's argv[0]); missing → say so, like a missing tool. */
  tool: string;
  /** What runs: the whole block, hidden lines included, their prefix removed. `CodeBlock.code` is what is shown. */
  source: string;
  /** `+expect:failure`: a non-zero exit is the expected outcome, not an error. */
  expectFailure: boolean;
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
  /** The `run` text of every runnable block of this step, in order (Killercoda `{{exec}}` actions included). */
  commands: string[];
  /**
   * Whether the step has a check (POST /api/check). The check script itself is never in the attendee
   * model: it stays on the server with the other scripts (`LabScripts`), like speaker notes.
   */
  hasCheck: boolean;
  /** Re-check on its own every this many seconds while the step is open (only with `hasCheck`). */
  recheckSeconds?: number;
  /** Hints as rendered HTML, in the order the UI reveals them, one at a time. */
  hints: string[];
  /** Commands the attendee may ask labdeck to type, visibly, into their terminal (like a block's `run`). */
  solution?: string;
  /** Typed into the terminal when the step is entered (Killercoda's `foreground` script). */
  typeOnEnter?: string;
  /** A setup script runs out of band when the step is entered (its text stays on the server). */
  hasSetup: boolean;
  /** Line in the source where the step starts. */
  line: number;
}

/** Instructor-only parts of a step, kept out of the attendee model. */
export interface StepNotes {
  index: number;
  speakerNotes: string[];
}

/**
 * A script labdeck runs in the attendee's sandbox *out of band*: never typed into the terminal,
 * never in the shell's history, as the attendee's user, killed (with its whole process group) at
 * `timeoutSeconds`. Exit 0 is success; otherwise its output is the message.
 */
export interface LabScript {
  /** bash source, run as `bash -c` (or from stdin) by the runtime. */
  source: string;
  timeoutSeconds: number;
  /** Where it was written (path relative to LABS_DIR and 1-based line), for logs and errors. */
  file: string;
  line: number;
}

/** A step's server-side scripts. */
export interface StepScripts {
  index: number;
  check?: LabScript;
  /** Run when the step is entered. */
  setup?: LabScript;
}

/** A file copied into the sandbox when it is created (Killercoda's `details.assets`). */
export interface LabAsset {
  /** Path relative to the lab folder (inside it: checked when loading). */
  file: string;
  /** Absolute directory (or path ending in a file name) in the sandbox. */
  target: string;
  /** `chmod` argument applied after copying, e.g. `+x`. */
  chmod?: string;
}

/** Everything a lab runs on the attendee's behalf; server-only, never sent to the browser. */
export interface LabScripts {
  /** Run when the attendee's sandbox is created, after `assets` are copied. */
  setup?: LabScript;
  /** Run by a reset (before the sandbox is recreated), e.g. `kind delete cluster`. */
  reset?: LabScript;
  assets: LabAsset[];
  /** One entry per step, in step order. */
  steps: StepScripts[];
}

export interface Lab {
  /** The folder's (or deck file's) name, e.g. `kubernetes-meets-rust`. */
  id: string;
  title: string;
  subTitle?: string;
  authors: string[];
  /** Source path relative to LABS_DIR. */
  source: string;
  /** Where the lab comes from: a presenterm deck, or a Killercoda/Katacoda scenario (`index.json`). */
  format: 'presenterm' | 'killercoda';
  /** One paragraph for the catalogue (Killercoda's `description`). */
  description?: string;
  steps: Step[];
  tools: ToolRequirement[];
  /** Next needs a passing check on every step that has one. */
  requireCheck: boolean;
  /** The lab has a setup script (run when the sandbox is created; progress is shown). */
  hasSetup: boolean;
  /** The lab has a reset script. */
  hasReset: boolean;
  warnings: LabDiagnostic[];
}

/** The full parse result: the attendee model plus what only the server and the instructor see. */
export interface ParsedLab {
  lab: Lab;
  notes: StepNotes[];
  scripts: LabScripts;
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
