/**
 * A workshop's capacity and lifecycle, the instructor's API (issue 10); every route takes the bearer
 * token, and the dashboard's buttons are these calls. Contract in docs/protocol.md "HTTP API":
 *
 * - `GET  /api/workshops/:id/capacity` → `Capacity`: ready / in use / capacity, and the progress of
 *   a prepare and of resets
 * - `POST /api/workshops/:id/prepare {count}` → 202 `PrepareStatus`; 409 while one runs
 * - `POST /api/workshops/:id/close {warnSeconds?}` → 202 `{closesAt}`: members are warned now, their
 *   sandboxes destroyed when it ends, the workshop marked closed (joining it is then refused)
 * - `POST /api/workshops/:id/pause` → 200 `TransitionResult`: sandboxes stopped, files kept
 * - `POST /api/workshops/:id/resume` → 200 `TransitionResult`: sandboxes started, shells back
 * - `POST /api/workshops/:id/reset {attendees?}` → 202 `{attendees}`: those members (all without the
 *   field) get a fresh sandbox; each one's progress is in `capacity`'s `resets`
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { z } from 'zod';
import type { ApiErrorBody, Capacity, CloseScheduled, PrepareStatus, ResetQueued, TransitionResult } from '../../common/api.js';
import { PREPARE_MAX } from '../sandbox/pool.js';
import type { StoredWorkshop, Workshops } from '../store/workshops.js';
import { MAX_RESET_SELECTION, type WorkshopControl } from '../workshop/control.js';
import { refusal, type WorkshopAction } from '../workshop/states.js';
import { safeDecode } from './assets.js';
import { readBody, type Io } from './json-body.js';
import type { Auth } from './auth.js';

export interface CapacityApiDeps {
  store: Pick<Workshops, 'workshop'>;
  auth: Auth;
  control: WorkshopControl;
  /** The close warning when the request names none (CLOSE_WARNING_SECONDS). */
  closeWarningMs: number;
}

/** An hour: long enough to finish a last exercise, short enough that "closing" means closing. */
const MAX_WARN_SECONDS = 3600;

const PrepareBody = z.object({ count: z.number().int().min(1).max(PREPARE_MAX) }).strict();
const CloseBody = z.object({ warnSeconds: z.number().int().min(0).max(MAX_WARN_SECONDS).optional() }).strict();
const ResetBody = z.object({ attendees: z.array(z.string().min(1).max(200)).min(1).max(MAX_RESET_SELECTION).optional() }).strict();
const Empty = z.object({}).strict();

const ROUTE = /^\/api\/workshops\/([^/]+)\/(capacity|prepare|close|pause|resume|reset)$/;

/** Handles the request if it is one of these routes; false otherwise. */
export async function handleCapacityApi(req: IncomingMessage, res: ServerResponse, p: string, deps: CapacityApiDeps, io: Io): Promise<boolean> {
  const m = ROUTE.exec(p);
  if (!m) return false;
  const method = req.method ?? 'GET';
  const action = m[2]!;
  if (!deps.auth.isInstructor(req)) {
    io.json<ApiErrorBody>(res, 401, { error: 'instructor token required (Authorization: Bearer <token>)' });
    return true;
  }
  const wanted = action === 'capacity' ? 'GET' : 'POST';
  if (method !== wanted) {
    io.json<ApiErrorBody>(res, 405, { error: `${p} takes ${wanted}` });
    return true;
  }
  const w = deps.store.workshop(safeDecode(m[1]!) ?? '');
  if (!w) {
    io.json<ApiErrorBody>(res, 404, { error: `no workshop ${m[1]}` });
    return true;
  }
  const { control } = deps;
  switch (action) {
    case 'capacity':
      io.json<Capacity>(res, 200, control.capacity(w));
      return true;
    case 'prepare': {
      const body = await readBody(req, res, PrepareBody, deps.auth, io, { emptyIsObject: true });
      if (!body) return true;
      if (refused(res, w, 'prepare', io)) return true;
      const status = control.prepare(w, body.count);
      if (status) io.json<PrepareStatus>(res, 202, status);
      else io.json<ApiErrorBody>(res, 409, { error: 'a prepare is already running for this workshop: wait for it to finish' });
      return true;
    }
    case 'close': {
      const body = await readBody(req, res, CloseBody, deps.auth, io, { emptyIsObject: true });
      if (!body) return true;
      if (refused(res, w, 'close', io)) return true;
      const closesAt = control.close(w, body.warnSeconds === undefined ? deps.closeWarningMs : body.warnSeconds * 1000);
      io.json<CloseScheduled>(res, 202, { closesAt });
      return true;
    }
    case 'pause':
    case 'resume': {
      if (!(await readBody(req, res, Empty, deps.auth, io, { emptyIsObject: true }))) return true;
      if (refused(res, w, action, io)) return true;
      io.json<TransitionResult>(res, 200, action === 'pause' ? await control.pause(w) : await control.resume(w));
      return true;
    }
    case 'reset': {
      const body = await readBody(req, res, ResetBody, deps.auth, io, { emptyIsObject: true });
      if (!body) return true;
      // A paused workshop's sandboxes are stopped: a reset would start fresh ones behind the pause.
      if (refused(res, w, 'reset', io)) return true;
      const r = control.reset(w, body.attendees);
      if ('notMember' in r) io.json<ApiErrorBody>(res, 404, { error: `no attendee ${r.notMember} in the workshop "${w.title}"` });
      else io.json<ResetQueued>(res, 202, { attendees: r.queued });
      return true;
    }
  }
  return false;
}

/** Answers 409 with the reason when the workshop's state does not allow `action` (server/workshop/states.ts). */
function refused(res: ServerResponse, w: StoredWorkshop, action: WorkshopAction, io: Io): boolean {
  const why = refusal(w, action);
  if (why) io.json<ApiErrorBody>(res, 409, { error: why });
  return why !== null;
}
