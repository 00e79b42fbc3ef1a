/**
 * The HTTP half of the wire contract: a zod schema for every JSON body that server/http/api.ts sends,
 * and the types inferred from them. The server types each reply with these (api.ts `reply()`), the
 * browser parses each response with them (app/lib/api.ts), so the two cannot drift apart silently:
 * a field the server adds or drops is a type error on one side, a parse error on the other.
 *
 * Everything here is one file on purpose: Next bundles common/ for the browser, and a runtime import
 * between common/ files with a `.js` suffix does not resolve there (type-only imports are erased).
 *
 * The lab model's types live in lab-model.ts, next to the parser that builds them; the schemas here are
 * pinned to them at compile time (`Same<…>` below), so the model has one shape however it is written down.
 */
import { z } from 'zod';
import type { Block, CodeBlock, Lab, LabLoadFailure, LabSummary, Snippet, Step, StepNotes, ToolRequirement } from './lab-model.js';
import type { SandboxState } from './class-protocol.js';

/** Every error reply: `{ error }`, a sentence the page can show as it is. */
export const ApiErrorBodySchema = z.object({ error: z.string() });
export type ApiErrorBody = z.infer<typeof ApiErrorBodySchema>;

/** GET /healthz. */
export const HealthSchema = z.object({ ok: z.boolean(), labs: z.number().int().nonnegative().optional(), error: z.string().optional() });
export type Health = z.infer<typeof HealthSchema>;

// --- labs -------------------------------------------------------------------------------------------

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

// --- the attendee -----------------------------------------------------------------------------------

/** GET and POST /api/me: who this browser is, and what kind of sandbox it gets. */
export const MeSchema = z.object({
  attendee: z.string(),
  name: z.string().nullable(),
  driver: z.string(),
  isolation: z.string(),
  /** What the instructor should know about this kind of sandbox (e.g. privileged is not isolation). */
  warnings: z.array(z.string()),
});
export type Me = z.infer<typeof MeSchema>;

export const ToolStatusSchema = z.object({
  name: z.string(),
  found: z.boolean(),
  /** First line of the version command's output, when found. */
  version: z.string().nullable(),
  install: z.string().nullable(),
  why: z.string().nullable(),
});
export type ToolStatus = z.infer<typeof ToolStatusSchema>;

/** GET /api/preflight?lab=ID: which of the lab's tools the sandbox has, and whether its engine runs a container. */
export const PreflightReportSchema = z.object({
  tools: z.array(ToolStatusSchema),
  /** `ok`: a container ran; `no-image`: the engine answers but has no local image to run (no registry). */
  engine: z.object({ name: z.string(), state: z.enum(['ok', 'failed', 'no-image', 'none']), detail: z.string() }),
  checkedAt: z.number(),
});
export type PreflightReport = z.infer<typeof PreflightReportSchema>;

// --- the instructor ---------------------------------------------------------------------------------

/** One row of GET /api/instructor/attendees: the store's record, freshened by the live session if any. */
export const InstructorAttendeeSchema = z.object({
  attendee: z.string(),
  name: z.string().nullable(),
  labId: z.string().nullable(),
  step: z.number().int().nullable(),
  /** Blocks run so far. */
  runs: z.number().int().nonnegative(),
  connected: z.boolean(),
  /**
   * The assigned sandbox. `health` is the last check's (`running`, `stopped`, `missing`) while the
   * attendee has a live session, else `unknown (not connected)`; `driver` is null for rows written
   * before the store recorded it.
   */
  sandbox: z.object({ id: z.string(), driver: z.string().nullable(), health: z.string() }).nullable(),
  /** ms since epoch. */
  lastSeen: z.number(),
});
export type InstructorAttendee = z.infer<typeof InstructorAttendeeSchema>;
export const InstructorAttendeesSchema = z.array(InstructorAttendeeSchema);

/** POST /api/sandboxes/:attendee/reset. */
export const ResetResultSchema = z.object({ ok: z.literal(true) });
export type ResetResult = z.infer<typeof ResetResultSchema>;

/** GET /api/stats. */
export const StatsSchema = z.object({
  sessions: z.number().int().nonnegative(),
  /** The terminal gateway's counters (server/terminal/gateway.ts GatewayStats). */
  gateway: z.object({
    connections: z.number(),
    rejectedUpgrades: z.number(),
    badFrames: z.number(),
    droppedClients: z.number(),
    limited: z.number(),
  }),
  /** process.memoryUsage() of the server, in bytes. */
  memory: z.object({ rss: z.number(), heapTotal: z.number(), heapUsed: z.number(), external: z.number(), arrayBuffers: z.number() }),
  /** Event-loop delay since the previous call, ms: how long a keystroke may wait behind other work. */
  eventLoopDelayMs: z.object({ p50: z.number(), p99: z.number(), max: z.number() }),
});
export type Stats = z.infer<typeof StatsSchema>;

// --- workshops (issue 10) ---------------------------------------------------------------------------

/** The longest display name, in characters (code points), after trimming. */
export const MAX_NAME_CHARS = 60;

/**
 * Why a display name is refused, as a sentence for the join form, or null when it is fine. Shared by
 * the page (checks before sending) and the server (the one that decides). Control characters would
 * move the cursor on the instructor's screen; bidi overrides would make a name read as another.
 */
export function displayNameProblem(name: string): string | null {
  const trimmed = name.trim();
  if (!trimmed) return 'Type a display name.';
  if ([...trimmed].length > MAX_NAME_CHARS) return `A display name has at most ${MAX_NAME_CHARS} characters.`;
  if (/[\p{Cc}\u202A-\u202E\u2066-\u2069]/u.test(trimmed)) return 'A display name cannot contain control characters (tabs, line breaks, escapes).';
  return null;
}

/** POST /api/workshops (instructor). */
export const NewWorkshopSchema = z.object({ id: z.string(), code: z.string(), joinUrl: z.string() });
export type NewWorkshop = z.infer<typeof NewWorkshopSchema>;

const WorkshopSummarySchema = z.object({
  id: z.string(),
  lab: z.string(),
  title: z.string(),
  code: z.string(),
  joinUrl: z.string(),
  state: z.enum(['open', 'paused', 'closed']),
  maxAttendees: z.number().int().positive(),
  /** ms since epoch. */
  createdAt: z.number(),
});

/**
 * Where an attendee's sandbox is; the same values as common/class-protocol.ts SandboxState (pinned
 * below: this file may not import that one at run time).
 */
const WorkshopSandboxStateSchema = z.enum(['none', 'starting', 'running', 'stopped', 'missing', 'parked']);

/** One attendee of GET /api/workshops/:id: the class view's row (server/classroom/roster.ts). */
export const WorkshopAttendeeSchema = z.object({
  id: z.string(),
  name: z.string(),
  /** Index into the workshop lab's steps (as in the `progress` message), or null before the first report. */
  step: z.number().int().nullable(),
  /** A terminal socket is connected now. */
  online: z.boolean(),
  /** ms since epoch. */
  lastSeen: z.number(),
  /** The workshop's stuck rule holds (server/classroom/stuck.ts), and why, as a sentence. */
  stuck: z.boolean(),
  stuckReason: z.string().nullable(),
  /** On the current step so far, earlier visits included; null without a step. */
  timeOnStepMs: z.number().int().nonnegative().nullable(),
  /** Commands that failed in the attendee's shell, in the workshop's lab (reported by the shell: docs/protocol.md). */
  failedCommands: z.number().int().nonnegative(),
  /** Run clicks in the workshop's lab. */
  runs: z.number().int().nonnegative(),
  sandbox: WorkshopSandboxStateSchema,
});
export type WorkshopAttendee = z.infer<typeof WorkshopAttendeeSchema>;

/** GET /api/workshops/:id (instructor). */
export const WorkshopSchema = WorkshopSummarySchema.extend({ attendees: z.array(WorkshopAttendeeSchema) });
export type Workshop = z.infer<typeof WorkshopSchema>;

/** GET /api/workshops (instructor): newest first, with how many joined. */
/** POST /api/workshops/:id/messages (202): the message's id, and how many attendees it is for. */
export const MessageSentSchema = z.object({ id: z.number().int(), recipients: z.number().int().nonnegative() });
export type MessageSent = z.infer<typeof MessageSentSchema>;

export const WorkshopListSchema = z.array(WorkshopSummarySchema.extend({ joined: z.number().int().nonnegative() }));
export type WorkshopList = z.infer<typeof WorkshopListSchema>;

/** POST /api/join: the attendee's seat; the session cookie comes with it. */
export const JoinedSchema = z.object({ attendee: z.string(), name: z.string(), workshop: z.string(), lab: z.string(), labUrl: z.string() });
export type Joined = z.infer<typeof JoinedSchema>;

// --- the lab model and the schemas are the same shape (a compile error otherwise) -------------------

type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const pinned: [
  Same<z.infer<typeof LabSchema>, Lab>,
  Same<z.infer<typeof StepSchema>, Step>,
  Same<z.infer<typeof CodeBlockSchema>, CodeBlock>,
  Same<z.infer<typeof SnippetSchema>, Snippet>,
  Same<z.infer<typeof ToolRequirementSchema>, ToolRequirement>,
  Same<z.infer<typeof LabSummariesSchema>, LabSummary[]>,
  Same<z.infer<typeof LabFailuresSchema>, LabLoadFailure[]>,
  Same<z.infer<typeof StepNotesListSchema>, StepNotes[]>,
  Same<z.infer<typeof WorkshopSandboxStateSchema>, SandboxState>,
] = [true, true, true, true, true, true, true, true, true];
void pinned;

// --- steps that teach (server/http/teach-api.ts) ------------------------------------------------------

/** POST /api/check: the step's check, run in the caller's own sandbox. */
export const CheckAnswerSchema = z.object({ passed: z.boolean(), message: z.string() });
export type CheckAnswer = z.infer<typeof CheckAnswerSchema>;

/** GET /api/check?lab=ID: the steps whose check this attendee has passed. */
export const PassedStepsSchema = z.object({ passed: z.array(z.number().int().nonnegative()) });
export type PassedSteps = z.infer<typeof PassedStepsSchema>;

/** POST /api/setup: what ran, in order: the lab's setup (once per sandbox), then the step's. */
export const SetupAnswerSchema = z.object({ ok: z.boolean(), ran: z.array(z.enum(['lab', 'step'])), message: z.string() });
export type SetupAnswer = z.infer<typeof SetupAnswerSchema>;

/** POST /api/type. */
export const TypedAnswerSchema = z.object({ typed: z.literal(true) });
export type TypedAnswer = z.infer<typeof TypedAnswerSchema>;

/** One line of POST /api/snippet's NDJSON stream. */
export const SnippetEventSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('output'), data: z.string() }),
  z.object({ type: z.literal('done'), ok: z.boolean(), code: z.number().int(), message: z.string().optional() }),
]);
export type SnippetEvent = z.infer<typeof SnippetEventSchema>;

/**
 * GET and POST /api/workshops/:id/presenter (instructor): the step of the workshop's lab the presenter
 * is on, null while nobody presents; POST also says how many attendees were told.
 */
export const PresenterStateSchema = z.object({
  workshop: z.string(),
  lab: z.string(),
  step: z.number().int().nonnegative().nullable(),
  recipients: z.number().int().nonnegative().optional(),
});
export type PresenterState = z.infer<typeof PresenterStateSchema>;
// --- workshop capacity and lifecycle (issue 10; server/http/capacity-api.ts) ---------------------------

/** One sandbox a prepare made: `problem` is null when it passed the smoke test (the lab's tool check). */
export const PreparedSandboxSchema = z.object({ id: z.string(), problem: z.string().nullable() });

/** A prepare's progress: `done` of `requested` sandboxes are finished, `ready` of them passed. */
export const PrepareStatusSchema = z.object({
  /** How many it creates: the count asked for, less any beyond the 200 the pool holds ready at most. */
  requested: z.number().int().nonnegative(),
  done: z.number().int().nonnegative(),
  ready: z.number().int().nonnegative(),
  /** The sandboxes that failed (destroyed), with the reason. */
  failed: z.array(PreparedSandboxSchema),
  /** Lab tools the passing sandboxes lack (reported, not a failure: every sandbox of the image lacks them). */
  missingTools: z.array(z.string()),
  running: z.boolean(),
  startedAt: z.number(),
  finishedAt: z.number().nullable(),
});
export type PrepareStatus = z.infer<typeof PrepareStatusSchema>;

/** Where one attendee's reset is: queued, under way, done, failed (with why), or skipped (no sandbox). */
export const ResetStateSchema = z.object({
  state: z.enum(['queued', 'resetting', 'done', 'failed', 'skipped']),
  error: z.string().optional(),
  at: z.number(),
});
export type ResetState = z.infer<typeof ResetStateSchema>;

/** GET /api/workshops/:id/capacity (instructor): the dashboard's capacity line and what is under way. */
export const CapacitySchema = z.object({
  state: z.enum(['open', 'paused', 'closed']),
  /** Sandboxes waiting in the pool, ready for the next join (the server's pool: shared by its workshops). */
  ready: z.number().int().nonnegative(),
  /** This workshop's attendees that have a sandbox. */
  inUse: z.number().int().nonnegative(),
  joined: z.number().int().nonnegative(),
  /** The workshop's maxAttendees. */
  capacity: z.number().int().positive(),
  /** Sandboxes being created right now, and attendees waiting in line for a creation slot (server-wide). */
  creating: z.number().int().nonnegative(),
  waiting: z.number().int().nonnegative(),
  /** ms since the epoch: when the close countdown ends, and since when the workshop is paused. */
  closesAt: z.number().nullable(),
  pausedAt: z.number().nullable(),
  prepare: PrepareStatusSchema.nullable(),
  /** The latest reset per attendee id. */
  resets: z.record(z.string(), ResetStateSchema),
});
export type Capacity = z.infer<typeof CapacitySchema>;

/** POST /api/workshops/:id/pause and /resume: how many sandboxes were stopped or started, and which failed. */
export const TransitionResultSchema = z.object({
  state: z.enum(['open', 'paused', 'closed']),
  sandboxes: z.number().int().nonnegative(),
  failed: z.array(z.object({ attendee: z.string(), error: z.string() })),
});
export type TransitionResult = z.infer<typeof TransitionResultSchema>;

/** POST /api/workshops/:id/close (202): when the countdown ends. */
export const CloseScheduledSchema = z.object({ closesAt: z.number() });
export type CloseScheduled = z.infer<typeof CloseScheduledSchema>;

/** POST /api/workshops/:id/reset (202): the attendees whose reset was queued. */
export const ResetQueuedSchema = z.object({ attendees: z.array(z.string()) });
export type ResetQueued = z.infer<typeof ResetQueuedSchema>;
