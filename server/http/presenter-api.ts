/**
 * Presenter mode's API twin (issue 10), the dashboard's PresenterControls use it too:
 *
 * - `GET /api/workshops/:id/presenter` → `{workshop, lab, step}`: the step the presenter is on, or null
 * - `POST /api/workshops/:id/presenter {step: number|null}` → 200 with `recipients`: every member's
 *   terminal socket gets a `presenter` frame (docs/protocol.md#presenter); null stops presenting.
 *   404 unknown workshop, 400 a step the lab does not have, 409 a workshop that is not open.
 *
 * Instructor only (bearer token), like every workshop route.
 */
import { PresenterRequestSchema, type PresenterState } from '../../common/api.js';
import { refusal } from '../workshop/states.js';
import { get, json, refuseWith, write, type Route } from './routes.js';

export const presenterRoutes: Route[] = [
  get('/api/workshops/:workshop/presenter', 'instructor', ({ res, workshop: w, deps }) => {
    const at = deps.presenter.stepOf(w.id);
    json<PresenterState>(res, 200, { workshop: w.id, lab: w.labId, step: at?.step ?? null });
  }),

  write('POST', '/api/workshops/:workshop/presenter', 'instructor', PresenterRequestSchema, ({ res, workshop: w, body, deps }) => {
    const refused = refusal(w, 'present');
    if (refused) return refuseWith(res, 409, refused);
    const steps = deps.labs.lab(w.labId)?.steps.length ?? 0;
    if (body.step !== null && body.step >= steps) {
      return refuseWith(res, 400, `the lab ${w.labId} has ${steps} steps (0 to ${steps - 1}); there is no step ${body.step}`);
    }
    const recipients = deps.presenter.set(w.id, w.labId, body.step);
    json<PresenterState>(res, 200, { workshop: w.id, lab: w.labId, step: body.step, recipients });
  }),
];
