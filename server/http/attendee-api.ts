/**
 * The attendee's own routes: the lab catalogue, who they are, their sandbox's tools. Contract in
 * docs/protocol.md "HTTP API":
 *
 * - `GET /api/labs`, `GET /api/labs/:id`, `GET /api/lab-failures` (anyone)
 * - `GET /api/me` → `Me` (the cookie is minted for it: auth.ts mintsSession)
 * - `POST /api/me {name}` → `Me`: rename; 401 without a session, 403 under REQUIRE_JOIN=1 before
 *   joining (no row for someone who has not joined: issue 17 §4), 400 a bad name, 409 a name taken in
 *   the workshop (compared by displayNameKey: issue 17 §7)
 * - `GET /api/preflight?lab=ID` → `PreflightReport` for the caller's running sandbox
 */
import type { ApiErrorBody, Me } from '../../common/api.js';
import { RenameRequestSchema } from '../../common/api.js';
import { displayNameKey, displayNameProblem, normalizeDisplayName } from '../../common/display-name.js';
import type { Lab, LabLoadFailure, LabSummary } from '../../common/lab-model.js';
import type { PreflightReport } from '../../common/preflight.js';
import { preflight } from '../sandbox/preflight.js';
import { get, json, refuseWith, write, type ApiDeps, type Route } from './routes.js';

export const attendeeRoutes: Route[] = [
  get('/api/labs', 'anyone', ({ res, deps }) => json<LabSummary[]>(res, 200, deps.labs.summaries())),
  get('/api/lab-failures', 'anyone', ({ res, deps }) => json<LabLoadFailure[]>(res, 200, deps.labs.failures)),
  get('/api/labs/:lab', 'anyone', ({ res, params, deps }) => {
    const lab = deps.labs.lab(params.lab!);
    if (lab) json<Lab>(res, 200, lab);
    else refuseWith(res, 404, `no lab named ${params.lab}`);
  }),

  get('/api/me', 'attendee', ({ res, attendee, deps }) => json<Me>(res, 200, me(attendee, deps))),
  write('POST', '/api/me', 'attendee', RenameRequestSchema, ({ res, attendee, body, deps }) => {
    const workshop = deps.store.workshopOf(attendee);
    if (deps.requireJoin && !workshop) return refuseWith(res, 403, 'Join the workshop first: open the join link (or /join) and type your name there.');
    const problem = displayNameProblem(body.name);
    if (problem) return refuseWith(res, 400, problem);
    const name = normalizeDisplayName(body.name);
    const key = displayNameKey(name);
    // The store's index compares ASCII case only; the key also folds fullwidth, accents and the rest.
    const clash = workshop ? deps.store.members(workshop.id).some((m) => m.attendee !== attendee && displayNameKey(m.name) === key) : false;
    if (clash || !deps.store.setName(attendee, name)) return json<ApiErrorBody>(res, 409, { error: `Someone in your workshop is already called "${name}".` });
    json<Me>(res, 200, me(attendee, deps));
  }),

  get('/api/preflight', 'anyone', async ({ res, url, attendee, deps }) => {
    const lab = deps.labs.lab(url.searchParams.get('lab') ?? '');
    if (!lab) return refuseWith(res, 404, `no lab named ${url.searchParams.get('lab') ?? ''}`);
    const sandbox = attendee ? deps.sessions.get(attendee)?.currentSandbox : undefined;
    if (!sandbox) return refuseWith(res, 409, 'your sandbox is not running yet; open the terminal first');
    json<PreflightReport>(res, 200, await preflight(sandbox, lab.tools));
  }),
];

function me(attendee: string, deps: ApiDeps): Me {
  return { attendee, name: deps.store.nameOf(attendee), driver: deps.driver.name, isolation: deps.driver.isolation, warnings: deps.driver.warnings };
}
