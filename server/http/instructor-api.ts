/**
 * The instructor's server-wide routes (bearer token). Contract in docs/protocol.md "HTTP API":
 *
 * - `GET /api/instructor/attendees?limit=N&cursor=C` → `InstructorAttendeePage`: every attendee of the
 *   server, oldest first, a page at a time (issue 17 §4): `limit` 1–500 (50 by default), `cursor` the
 *   `next` of the previous page
 * - `GET /api/instructor/labs/:lab/notes` → the speaker notes
 * - `POST /api/sandboxes/:attendee/reset {}` → `ResetResult`: a fresh sandbox for that attendee
 * - `GET /api/stats` → `Stats`
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { AttendeePageQuerySchema, ATTENDEE_PAGE, EmptyRequestSchema } from '../../common/api.js';
import type { InstructorAttendee, InstructorAttendeePage, ResetResult, Stats } from '../../common/api.js';
import type { StepNotes } from '../../common/lab-model.js';
import { get, json, refuseWith, write, type ApiDeps, type Route } from './routes.js';

const loopDelay = monitorEventLoopDelay({ resolution: 10 });
loopDelay.enable();

export const instructorRoutes: Route[] = [
  get('/api/instructor/attendees', 'instructor', ({ res, url, deps }) => {
    const query = AttendeePageQuerySchema.safeParse(Object.fromEntries(url.searchParams));
    if (!query.success) return refuseWith(res, 400, `bad request: ${query.error.issues.map((i) => i.message).join('; ')}`);
    const limit = query.data.limit ?? ATTENDEE_PAGE;
    // The store has no keyset query yet (the store's split, issue 18 §3, is where it belongs): the page
    // is cut here, so the reply and the dashboard stay bounded whatever the table holds.
    const all = deps.store.attendees();
    const from = query.data.cursor === undefined ? 0 : all.findIndex((r) => r.attendee === query.data.cursor) + 1;
    if (from === 0 && query.data.cursor !== undefined) return refuseWith(res, 400, `bad request: no attendee ${query.data.cursor} to continue after`);
    const rows = all.slice(from, from + limit);
    const next = from + limit < all.length ? rows[rows.length - 1]!.attendee : null;
    json<InstructorAttendeePage>(res, 200, { attendees: rows.map((r) => row(r, deps)), total: all.length, next });
  }),

  get('/api/instructor/labs/:lab/notes', 'instructor', ({ res, params, deps }) => {
    const n = deps.labs.notes(params.lab!);
    if (n) json<StepNotes[]>(res, 200, n);
    else refuseWith(res, 404, `no lab named ${params.lab}`);
  }),

  write('POST', '/api/sandboxes/:attendee/reset', 'instructor', EmptyRequestSchema, async ({ res, params, deps }) => {
    const attendee = params.attendee!;
    try {
      const done = await deps.sessions.reset(attendee, 'instructor');
      if (done) json<ResetResult>(res, 200, { ok: true });
      else refuseWith(res, 404, `attendee ${attendee} has no sandbox`);
    } catch (err) {
      deps.log.error('reset failed', { attendee, err: String(err) });
      refuseWith(res, 500, `reset failed: ${String(err instanceof Error ? err.message : err)}`);
    }
  }),

  get('/api/stats', 'instructor', ({ res, deps }) => {
    const d = loopDelay;
    json<Stats>(res, 200, {
      sessions: deps.sessions.size,
      gateway: deps.gateway.stats,
      memory: process.memoryUsage(),
      // Event-loop delay since the last call (ms): how long a keystroke may wait behind other work.
      eventLoopDelayMs: { p50: d.percentile(50) / 1e6, p99: d.percentile(99) / 1e6, max: d.max / 1e6 },
    });
    d.reset();
  }),
];

/** The store's record, freshened by the live session if any. */
function row(r: ReturnType<ApiDeps['store']['attendees']>[number], deps: ApiDeps): InstructorAttendee {
  const s = deps.sessions.get(r.attendee);
  return {
    attendee: r.attendee,
    name: r.name,
    // Where the attendee is in a lab is the store's alone (issue 18 bug 2: the session keeps no copy).
    labId: r.labId,
    step: r.step,
    runs: r.runs,
    connected: s?.connected ?? false,
    sandbox: s?.sandboxInfo ?? (r.sandboxId ? { id: r.sandboxId, driver: r.driver, health: 'unknown (not connected)' } : null),
    lastSeen: s?.lastSeen ?? r.lastSeen,
  };
}
