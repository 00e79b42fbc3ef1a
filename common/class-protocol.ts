/**
 * The class view's WebSocket (`/ws/class?workshop=<id>`, issue 10 "The class view"), imported by the
 * instructor's page and by the server (server/classroom/class-socket.ts); docs/protocol.md "The class
 * socket" describes it for humans, this file is the definition.
 *
 * The socket is authenticated before the upgrade (common/instructor-socket.ts). The server sends a
 * `snapshot` first, then `update`s holding only the rows that changed (coalesced: at most a few per
 * second), and a fresh `snapshot` to a socket that fell behind instead of a queue of updates. Every
 * frame is one JSON object with a string-literal `type`, validated on both sides.
 */
import { z } from 'zod';
import { FRAME_ERROR_CODES } from './frame';

export const CLASS_PATH = '/ws/class';

/** Bounds of the stuck rule's settings (server/classroom/stuck.ts). */
export const MIN_STUCK_AFTER_MS = 60_000;
export const MAX_STUCK_AFTER_MS = 24 * 3600_000;
export const MIN_FAIL_STREAK = 2;
export const MAX_FAIL_STREAK = 100;

/**
 * Where an attendee's sandbox is: `none` (never had one), `starting` (a session, no sandbox yet),
 * `running` / `stopped` / `missing` (the session's last health check), `parked` (assigned, kept for
 * them, no session now: a podman sandbox after a restart, or while they are away).
 */
export const SandboxStateSchema = z.enum(['none', 'starting', 'running', 'stopped', 'missing', 'parked']);
export type SandboxState = z.infer<typeof SandboxStateSchema>;

/** The instructor's stuck rule for one workshop, persisted with it. */
export const StuckSettingsSchema = z.object({
  /** On the same step longer than this: stuck. */
  stuckAfterMs: z.number().int().min(MIN_STUCK_AFTER_MS).max(MAX_STUCK_AFTER_MS),
  /** This many failing commands in a row (no success between) on the current step: stuck. */
  failStreak: z.number().int().min(MIN_FAIL_STREAK).max(MAX_FAIL_STREAK),
});
export type StuckSettings = z.infer<typeof StuckSettingsSchema>;

/** One attendee's row. */
export const ClassRowSchema = z.object({
  id: z.string(),
  name: z.string(),
  online: z.boolean(),
  /** Index into the lab's steps, or null before the first report. */
  step: z.number().int().nonnegative().nullable(),
  /**
   * When the time on the current step started counting (ms since epoch), with earlier visits of the
   * step folded in: the page shows `now - onStepSince`, so a row does not change every second.
   */
  onStepSince: z.number().nullable(),
  /** Failing commands in the workshop's lab, as the attendee's shell reported them (docs/protocol.md). */
  failedCommands: z.number().int().nonnegative(),
  /** Run clicks in the workshop's lab. */
  runs: z.number().int().nonnegative(),
  sandbox: SandboxStateSchema,
  /** ms since epoch. */
  lastSeen: z.number(),
  stuck: z.boolean(),
  /** Why the row is stuck, as a sentence; null when it is not. */
  stuckReason: z.string().nullable(),
});
export type ClassRow = z.infer<typeof ClassRowSchema>;

export const classServerMessage = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('snapshot'),
    workshop: z.object({ id: z.string(), title: z.string(), code: z.string(), lab: z.string(), stepTitles: z.array(z.string()) }),
    settings: StuckSettingsSchema,
    rows: z.array(ClassRowSchema),
    /** The server's clock when the rows were computed (ms since epoch): the page corrects its own by it. */
    at: z.number(),
  }),
  /** Rows added or changed since the last frame, and ids gone from the workshop. */
  z.object({ type: z.literal('update'), rows: z.array(ClassRowSchema), removed: z.array(z.string()), at: z.number() }),
  z.object({ type: z.literal('settings'), settings: StuckSettingsSchema }),
  /** A frame the server refused; the socket stays open unless `fatal` (closed after too many: `too-many-errors`). */
  z.object({ type: z.literal('error'), code: z.enum(FRAME_ERROR_CODES), message: z.string(), fatal: z.boolean().optional() }),
]);
export type ClassServerMessage = z.infer<typeof classServerMessage>;

/** Largest frame the server reads from the class socket. */
export const MAX_CLASS_FRAME_BYTES = 4096;

export const classClientMessage = z.discriminatedUnion('type', [
  /** Change the stuck rule; either field alone is fine. Answered with `settings` to every watcher. */
  z
    .object({
      type: z.literal('stuck-settings'),
      stuckAfterMs: StuckSettingsSchema.shape.stuckAfterMs.optional(),
      failStreak: StuckSettingsSchema.shape.failStreak.optional(),
    })
    .strict(),
]);
export type ClassClientMessage = z.infer<typeof classClientMessage>;

