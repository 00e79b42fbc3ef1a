/**
 * A workshop's capacity and lifecycle, the instructor's API (issue 10); every route takes the bearer
 * token, and the dashboard's buttons are these calls. Contract in docs/protocol.md "HTTP API":
 *
 * - `GET  /api/workshops/:id/capacity` → `Capacity`: ready / in use / capacity, and the progress of
 *   a prepare and of resets
 * - `POST /api/workshops/:id/prepare {count}` → 202 `PrepareStatus`; 409 while one runs
 * - `POST /api/workshops/:id/close {warnSeconds?}` → 202 `{closesAt}`: members are warned now, their
 *   sandboxes destroyed when it ends, the workshop marked closed (joining it is then refused)
 * - `POST /api/workshops/:id/pause {}` → 200 `TransitionResult`: sandboxes stopped, files kept
 * - `POST /api/workshops/:id/resume {}` → 200 `TransitionResult`: sandboxes started, shells back
 * - `POST /api/workshops/:id/reset {attendees?}` → 202 `{attendees}`: those members (all without the
 *   field) get a fresh sandbox; each one's progress is in `capacity`'s `resets`
 */
import type { ServerResponse } from 'node:http';
import { CloseRequestSchema, EmptyRequestSchema, PrepareRequestSchema, ResetManyRequestSchema } from '../../common/api.js';
import type { Capacity, CloseScheduled, PrepareStatus, ResetQueued, TransitionResult } from '../../common/api.js';
import type { StoredWorkshop } from '../store/workshops.js';
import { refusal, type WorkshopAction } from '../workshop/states.js';
import { get, json, refuseWith, write, type Route } from './routes.js';

export const capacityRoutes: Route[] = [
  get('/api/workshops/:workshop/capacity', 'instructor', ({ res, workshop, deps }) => json<Capacity>(res, 200, deps.control.capacity(workshop))),

  write('POST', '/api/workshops/:workshop/prepare', 'instructor', PrepareRequestSchema, ({ res, workshop: w, body, deps }) => {
    if (refused(res, w, 'prepare')) return;
    const status = deps.control.prepare(w, body.count);
    if (status) json<PrepareStatus>(res, 202, status);
    else refuseWith(res, 409, 'a prepare is already running for this workshop: wait for it to finish');
  }),

  write('POST', '/api/workshops/:workshop/close', 'instructor', CloseRequestSchema, ({ res, workshop: w, body, deps }) => {
    if (refused(res, w, 'close')) return;
    const closesAt = deps.control.close(w, body.warnSeconds === undefined ? deps.closeWarningMs : body.warnSeconds * 1000);
    json<CloseScheduled>(res, 202, { closesAt });
  }),

  ...(['pause', 'resume'] as const).map((action) =>
    write('POST', `/api/workshops/:workshop/${action}`, 'instructor', EmptyRequestSchema, async ({ res, workshop: w, deps }) => {
      if (refused(res, w, action)) return;
      json<TransitionResult>(res, 200, action === 'pause' ? await deps.control.pause(w) : await deps.control.resume(w));
    }),
  ),

  write('POST', '/api/workshops/:workshop/reset', 'instructor', ResetManyRequestSchema, ({ res, workshop: w, body, deps }) => {
    // A paused workshop's sandboxes are stopped: a reset would start fresh ones behind the pause.
    if (refused(res, w, 'reset')) return;
    const r = deps.control.reset(w, body.attendees);
    if ('notMember' in r) refuseWith(res, 404, `no attendee ${r.notMember} in the workshop "${w.title}"`);
    else json<ResetQueued>(res, 202, { attendees: r.queued });
  }),
];

/** Answers 409 with the reason when the workshop's state does not allow `action` (server/workshop/states.ts). */
function refused(res: ServerResponse, w: StoredWorkshop, action: WorkshopAction): boolean {
  const why = refusal(w, action);
  if (why) refuseWith(res, 409, why);
  return why !== null;
}
