/** What preflight reports for an attendee's sandbox (GET /api/preflight, `npm run doctor`); common/api.ts. */
import { z } from 'zod';

export const ToolStatusSchema = z.object({
  name: z.string(),
  found: z.boolean(),
  /** First line of the version command's output, when found. */
  version: z.string().nullable(),
  install: z.string().nullable(),
  why: z.string().nullable(),
});
export type ToolStatus = z.infer<typeof ToolStatusSchema>;

export const PreflightReportSchema = z.object({
  tools: z.array(ToolStatusSchema),
  /** `ok`: a container ran; `no-image`: the engine answers but has no local image to run (no registry). */
  engine: z.object({ name: z.string(), state: z.enum(['ok', 'failed', 'no-image', 'none']), detail: z.string() }),
  checkedAt: z.number(),
});
export type PreflightReport = z.infer<typeof PreflightReportSchema>;
