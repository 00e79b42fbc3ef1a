/**
 * The HTTP half of the wire contract: a zod schema for every JSON body that server/http/ sends and
 * receives, and the types inferred from them. Replies: the server types each one with these, the
 * browser parses each response with them (app/lib/api.ts). Requests (issue 18 §7, at the end): the
 * browser and the CLIs build their bodies as these types, the server's route table parses every body
 * with the same schema (server/http/routes.ts). So the two sides cannot drift apart silently: a field
 * added or dropped is a type error on one side, a parse error on the other.
 *
 * Runtime imports between common/ files go without a suffix (`./lab-schemas`): Next resolves those for
 * the browser, tsx for the server; a `.js` suffix does not resolve in Next (type-only imports are erased).
 */
import { z } from 'zod';
import { StuckSettingsSchema, type SandboxState } from './class-protocol';
import type { Same } from './lab-schemas';

export { BlockSchema, LabFailuresSchema, LabSchema, LabSummariesSchema, StepNotesListSchema } from './lab-schemas';

/** Every error reply: `{ error }`, a sentence the page can show as it is. */
export const ApiErrorBodySchema = z.object({ error: z.string() });
export type ApiErrorBody = z.infer<typeof ApiErrorBodySchema>;

/** GET /healthz. */
export const HealthSchema = z.object({ ok: z.boolean(), labs: z.number().int().nonnegative().optional(), error: z.string().optional() });
export type Health = z.infer<typeof HealthSchema>;

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
/**
 * GET /api/instructor/attendees?limit=N&cursor=C: one page of every attendee on the server, oldest
 * first; `next` is the cursor of the following page, null on the last (issue 17 §4).
 */
export const InstructorAttendeePageSchema = z.object({
  attendees: z.array(InstructorAttendeeSchema),
  /** Attendees on the server, all pages together. */
  total: z.number().int().nonnegative(),
  next: z.string().nullable(),
});
export type InstructorAttendeePage = z.infer<typeof InstructorAttendeePageSchema>;

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
  /** The instructor has not closed joining (issue 17 §2): the code lets new attendees in. */
  joinsOpen: z.boolean(),
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

/** PUT /api/workshops/:id/joins (instructor): whether the code lets new attendees in now. */
export const JoinsStateSchema = z.object({ joinsOpen: z.boolean() });
export type JoinsState = z.infer<typeof JoinsStateSchema>;

/** POST /api/join: the attendee's seat; the session cookie comes with it. */
export const JoinedSchema = z.object({ attendee: z.string(), name: z.string(), workshop: z.string(), lab: z.string(), labUrl: z.string() });
export type Joined = z.infer<typeof JoinedSchema>;

type Pinned = Same<z.infer<typeof WorkshopSandboxStateSchema>, SandboxState>;
const pinned: Pinned = true;
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

// --- requests (issue 18 §7): every body a route reads, parsed by the route table with these ----------

/** A room's worth by default; the bound keeps one workshop from taking every session of the server. */
export const DEFAULT_MAX_ATTENDEES = 100;
export const MAX_ATTENDEES = 1000;
/** Long enough for a hint with a command in it, short enough to read on a projector. */
export const MAX_MESSAGE_CHARS = 2000;
/** An hour: long enough to finish a last exercise, short enough that "closing" means closing. */
export const MAX_WARN_SECONDS = 3600;
/** What one prepare may ask for: the pool's PREPARE_MAX (server/sandbox/pool.ts; pinned by a test in server/http/). */
export const MAX_PREPARE = 200;
/** Attendees one reset may name: control.ts MAX_RESET_SELECTION (pinned the same way). */
export const MAX_RESET_NAMES = 1000;
/** The attendee table's page size, by default and at most. */
export const ATTENDEE_PAGE = 50;
export const MAX_ATTENDEE_PAGE = 500;

const labId = z.string().min(1).max(200);
const stepIndex = z.number().int().min(0).max(100_000);
const attendeeId = z.string().min(1).max(200);

/** POST /api/me: the attendee renames themselves (the rule is displayNameProblem's, checked by the route). */
export const RenameRequestSchema = z.object({ name: z.string().max(1000) }).strict();
/** POST /api/join. */
export const JoinRequestSchema = z.object({ code: z.string().max(32), name: z.string().max(1000) }).strict();
/** POST /api/check. */
export const CheckRequestSchema = z.object({ lab: labId, step: stepIndex }).strict();
/** POST /api/setup: the lab's setup (once per sandbox), then the step's when `step` is given. */
export const SetupRequestSchema = z.object({ lab: labId, step: stepIndex.optional() }).strict();
/** POST /api/type: the step's solution, or its text to type on entering, typed in the attendee's shell. */
export const TypeRequestSchema = z.object({ lab: labId, step: stepIndex, what: z.enum(['solution', 'enter']) }).strict();
/** POST /api/snippet. */
export const SnippetRequestSchema = z.object({ lab: labId, block: z.string().min(1).max(200) }).strict();

/** POST /api/workshops (instructor). */
export const NewWorkshopRequestSchema = z
  .object({ lab: labId, title: z.string().trim().max(120).optional(), maxAttendees: z.number().int().min(1).max(MAX_ATTENDEES).optional() })
  .strict();
/** POST /api/workshops/:id/messages (instructor): to one attendee, or to all without `attendee`. */
export const MessageRequestSchema = z
  .object({
    text: z.string().trim().min(1, 'type a message').max(MAX_MESSAGE_CHARS, `at most ${MAX_MESSAGE_CHARS} characters`),
    attendee: attendeeId.optional(),
  })
  .strict();
/** PUT /api/workshops/:id/stuck (instructor): the class view's stuck rule, either field alone. */
export const StuckRequestSchema = StuckSettingsSchema.partial().strict();
/** PUT /api/workshops/:id/joins (instructor). */
export const JoinsRequestSchema = z.object({ open: z.boolean() }).strict();
/** POST /api/workshops/:id/presenter (instructor): the step to present, null to stop. */
export const PresenterRequestSchema = z.object({ step: z.number().int().min(0).max(10_000).nullable() }).strict();
/** POST /api/workshops/:id/prepare (instructor). */
export const PrepareRequestSchema = z.object({ count: z.number().int().min(1).max(MAX_PREPARE) }).strict();
/** POST /api/workshops/:id/close (instructor): the warning, CLOSE_WARNING_SECONDS without it. */
export const CloseRequestSchema = z.object({ warnSeconds: z.number().int().min(0).max(MAX_WARN_SECONDS).optional() }).strict();
/** POST /api/workshops/:id/reset (instructor): those members, or all without `attendees`. */
export const ResetManyRequestSchema = z.object({ attendees: z.array(attendeeId).min(1).max(MAX_RESET_NAMES).optional() }).strict();
/** A POST whose request says everything in its path (pause, resume, one reset): `{}`. */
export const EmptyRequestSchema = z.object({}).strict();

/** GET /api/instructor/attendees's query: the cursor is the last attendee id of the previous page. */
export const AttendeePageQuerySchema = z
  .object({
    limit: z
      .string()
      .regex(/^\d{1,4}$/, 'limit: a whole number')
      .transform(Number)
      .pipe(z.number().min(1).max(MAX_ATTENDEE_PAGE))
      .optional(),
    cursor: z
      .string()
      .regex(/^a-[A-Za-z0-9_-]{6,64}$/, 'cursor: an attendee id from a previous page')
      .optional(),
  })
  .strict();

export type RenameRequest = z.input<typeof RenameRequestSchema>;
export type JoinRequest = z.input<typeof JoinRequestSchema>;
export type CheckRequest = z.input<typeof CheckRequestSchema>;
export type SetupRequest = z.input<typeof SetupRequestSchema>;
export type TypeRequest = z.input<typeof TypeRequestSchema>;
export type SnippetRequest = z.input<typeof SnippetRequestSchema>;
export type NewWorkshopRequest = z.input<typeof NewWorkshopRequestSchema>;
export type MessageRequest = z.input<typeof MessageRequestSchema>;
export type StuckRequest = z.input<typeof StuckRequestSchema>;
export type JoinsRequest = z.input<typeof JoinsRequestSchema>;
export type PresenterRequest = z.input<typeof PresenterRequestSchema>;
export type PrepareRequest = z.input<typeof PrepareRequestSchema>;
export type CloseRequest = z.input<typeof CloseRequestSchema>;
export type ResetManyRequest = z.input<typeof ResetManyRequestSchema>;
