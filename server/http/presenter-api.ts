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
import type { IncomingMessage, ServerResponse } from 'node:http';
import { z } from 'zod';
import type { ApiErrorBody, PresenterState } from '../../common/api.js';
import type { LabCatalog } from '../labs/catalog.js';
import type { Workshops } from '../store/workshops.js';
import type { Presenter } from '../workshop/presenter.js';
import { refusal } from '../workshop/states.js';
import type { Auth } from './auth.js';
import { safeDecode } from './assets.js';
import { readBody, type Io } from './json-body.js';

export interface PresenterApiDeps {
  labs: LabCatalog;
  store: Pick<Workshops, 'workshop'>;
  auth: Auth;
  presenter: Presenter;
}

const PresenterBody = z.object({ step: z.number().int().min(0).max(10_000).nullable() }).strict();

/** Handles the request if it is a presenter route; false otherwise. */
export async function handlePresenterApi(req: IncomingMessage, res: ServerResponse, p: string, deps: PresenterApiDeps, io: Io): Promise<boolean> {
  const m = /^\/api\/workshops\/([^/]+)\/presenter$/.exec(p);
  if (!m) return false;
  if (!deps.auth.isInstructor(req)) {
    io.json<ApiErrorBody>(res, 401, { error: 'instructor token required (Authorization: Bearer <token>)' });
    return true;
  }
  const w = deps.store.workshop(safeDecode(m[1]!) ?? '');
  if (!w) {
    io.json<ApiErrorBody>(res, 404, { error: `no workshop ${m[1]}` });
    return true;
  }
  const method = req.method ?? 'GET';
  if (method === 'GET') {
    const at = deps.presenter.stepOf(w.id);
    io.json<PresenterState>(res, 200, { workshop: w.id, lab: w.labId, step: at?.step ?? null });
    return true;
  }
  if (method !== 'POST') {
    io.json<ApiErrorBody>(res, 405, { error: `${p} takes GET or POST` });
    return true;
  }
  const body = await readBody(req, res, PresenterBody, deps.auth, io);
  if (!body) return true;
  const refused = refusal(w, 'present');
  if (refused) {
    io.json<ApiErrorBody>(res, 409, { error: refused });
    return true;
  }
  const steps = deps.labs.lab(w.labId)?.steps.length ?? 0;
  if (body.step !== null && body.step >= steps) {
    io.json<ApiErrorBody>(res, 400, { error: `the lab ${w.labId} has ${steps} steps (0 to ${steps - 1}); there is no step ${body.step}` });
    return true;
  }
  const recipients = deps.presenter.set(w.id, w.labId, body.step);
  io.json<PresenterState>(res, 200, { workshop: w.id, lab: w.labId, step: body.step, recipients });
  return true;
}
