/**
 * The lab model's reply schemas (GET /api/labs, /api/labs/:id, /api/lab-failures, the speaker notes),
 * part of the HTTP contract that common/api.ts re-exports. The model's types live in lab-model.ts, next
 * to the parser that builds them; these schemas are pinned to them at compile time (`Same<…>` below),
 * so the model has one shape however it is written down.
 */
import { z } from 'zod';
import type { Block, CodeBlock, Lab, LabLoadFailure, LabSummary, Snippet, Step, StepNotes, ToolRequirement } from './lab-model.js';

const DiagnosticSchema = z.object({
  severity: z.enum(['error', 'warning']),
  file: z.string(),
  line: z.number().int(),
  column: z.number().int(),
  message: z.string(),
});

const ToolRequirementSchema = z.object({
  name: z.string(),
  version: z.string().optional(),
  install: z.string().optional(),
  why: z.string().optional(),
});

const SnippetSchema = z.object({
  executor: z.string(),
  mode: z.enum(['exec', 'auto', 'replace']),
  filename: z.string(),
  commands: z.array(z.array(z.string())),
  env: z.record(z.string(), z.string()),
  tool: z.string(),
  source: z.string(),
  expectFailure: z.boolean(),
});

const CodeBlockSchema = z.object({
  kind: z.literal('code'),
  id: z.string(),
  lang: z.string(),
  attrs: z.array(z.string()),
  code: z.string(),
  html: z.string(),
  runnable: z.boolean(),
  run: z.string(),
  interrupt: z.boolean(),
  copy: z.boolean(),
  display: z.enum(['block', 'inline']),
  snippet: SnippetSchema.optional(),
  lineNumbers: z.boolean(),
  line: z.number().int(),
});

/** A block; `columns` holds blocks again, hence the lazy schema. */
export const BlockSchema: z.ZodType<Block> = z.lazy(() =>
  z.discriminatedUnion('kind', [
    z.object({ kind: z.literal('markdown'), html: z.string(), line: z.number().int() }),
    CodeBlockSchema,
    z.object({ kind: z.literal('columns'), widths: z.array(z.number()), columns: z.array(z.array(BlockSchema)), line: z.number().int() }),
    z.object({ kind: z.literal('pause'), line: z.number().int() }),
    z.object({ kind: z.literal('spacer'), lines: z.number().int(), line: z.number().int() }),
    z.object({ kind: z.literal('jump_to_middle'), line: z.number().int() }),
  ]),
);

const StepSchema = z.object({
  index: z.number().int(),
  title: z.string(),
  blocks: z.array(BlockSchema),
  commands: z.array(z.string()),
  hasCheck: z.boolean(),
  recheckSeconds: z.number().optional(),
  hints: z.array(z.string()),
  solution: z.string().optional(),
  typeOnEnter: z.string().optional(),
  hasSetup: z.boolean(),
  line: z.number().int(),
});

/** GET /api/labs/:id: the attendee's model of one lab. */
export const LabSchema = z.object({
  id: z.string(),
  title: z.string(),
  subTitle: z.string().optional(),
  authors: z.array(z.string()),
  source: z.string(),
  format: z.enum(['presenterm', 'killercoda']),
  description: z.string().optional(),
  steps: z.array(StepSchema),
  tools: z.array(ToolRequirementSchema),
  requireCheck: z.boolean(),
  hasSetup: z.boolean(),
  hasReset: z.boolean(),
  warnings: z.array(DiagnosticSchema),
});

/** GET /api/labs. */
export const LabSummariesSchema = z.array(z.object({ id: z.string(), title: z.string(), steps: z.number().int().nonnegative() }));

/** GET /api/lab-failures. */
export const LabFailuresSchema = z.array(z.object({ id: z.string(), diagnostics: z.array(DiagnosticSchema) }));

/** GET /api/instructor/labs/:id/notes. */
export const StepNotesListSchema = z.array(z.object({ index: z.number().int(), speakerNotes: z.array(z.string()) }));

// --- the lab model and the schemas are the same shape (a compile error otherwise) -------------------

/** True when A and B are the same type; exported for the pins of common/api.ts. */
export type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const pinned: [
  Same<z.infer<typeof LabSchema>, Lab>,
  Same<z.infer<typeof StepSchema>, Step>,
  Same<z.infer<typeof CodeBlockSchema>, CodeBlock>,
  Same<z.infer<typeof SnippetSchema>, Snippet>,
  Same<z.infer<typeof ToolRequirementSchema>, ToolRequirement>,
  Same<z.infer<typeof LabSummariesSchema>, LabSummary[]>,
  Same<z.infer<typeof LabFailuresSchema>, LabLoadFailure[]>,
  Same<z.infer<typeof StepNotesListSchema>, StepNotes[]>,
] = [true, true, true, true, true, true, true, true];
void pinned;
