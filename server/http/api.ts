/**
 * The JSON API and lab assets, served before Next.js gets the request. Contract: docs/protocol.md; the
 * shape of every JSON body, both ways, is a schema in common/api.ts. The routes are one table
 * (routes.ts says how a row is dispatched); this file holds the table and the dispatcher.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Health } from '../../common/api.js';
import { safeDecode, serveAsset } from './assets.js';
import { fromThisSite, readJsonBody } from './json-body.js';
import { json, refuseWith, warnOnce, type ApiDeps, type Ctx, type Route, type Who } from './routes.js';
import { attendeeRoutes } from './attendee-api.js';
import { instructorRoutes } from './instructor-api.js';
import { workshopRoutes } from './workshop-api.js';
import { capacityRoutes } from './capacity-api.js';
import { presenterRoutes } from './presenter-api.js';
import { teachRoutes } from './teach-api.js';

export type { ApiDeps } from './routes.js';

/** Every /api route of the server. */
export const ROUTES: readonly Route[] = [...attendeeRoutes, ...teachRoutes, ...instructorRoutes, ...workshopRoutes, ...capacityRoutes, ...presenterRoutes];

for (const r of ROUTES) {
  // A write without a schema would be a write whose body nobody checks (issue 18 §7).
  if ((r.method !== 'GET') !== (r.body !== null)) throw new Error(`route ${r.method} ${r.path}: a body schema goes with POST and PUT, and only with them`);
}

/**
 * Handles the request if it is ours and returns true; otherwise returns false and Next takes it.
 * `attendee` is the caller's session, or null when it has none: the cookie is minted before this runs
 * only where a page needs one (auth.ts mintsSession).
 */
export async function handleApi(req: IncomingMessage, res: ServerResponse, url: URL, attendee: string | null, deps: ApiDeps): Promise<boolean> {
  const p = url.pathname;
  const method = req.method ?? 'GET';

  if (p === '/healthz') {
    if (deps.isReady()) json<Health>(res, 200, { ok: true, labs: deps.labs.size });
    else json<Health>(res, 503, { ok: false, error: 'starting' });
    return true;
  }

  const asset = /^\/labs\/([^/]+)\/assets\/(.+)$/.exec(p);
  if (asset && method === 'GET') {
    await serveAsset(res, deps.labs, safeDecode(asset[1]!) ?? '', safeDecode(asset[2]!) ?? '');
    return true;
  }

  if (!p.startsWith('/api/')) return false;
  await dispatch(req, res, url, attendee, deps);
  return true;
}

async function dispatch(req: IncomingMessage, res: ServerResponse, url: URL, attendee: string | null, deps: ApiDeps): Promise<void> {
  const p = url.pathname;
  const method = req.method ?? 'GET';
  const hits = ROUTES.flatMap((route) => {
    const params = route.match(p);
    return params ? [{ route, params }] : [];
  });
  if (hits.length === 0) return refuseWith(res, 404, `no API route ${method} ${p}`);
  const hit = hits.find((h) => h.route.method === method);
  if (!hit) {
    const allowed = hits.map((h) => h.route.method).join(', ');
    return json(res, 405, { error: `${p} takes ${allowed}` }, { Allow: allowed });
  }
  const { route, params } = hit;

  if (!admitted(req, res, route.who, attendee, deps)) return;
  if (route.body) {
    const site = fromThisSite(req, route.who === 'instructor', (r) => deps.auth.originAllowed(r));
    if (!site.ok) return refuseWith(res, site.status, site.error);
  }
  let workshop = undefined;
  if (params.workshop !== undefined) {
    workshop = deps.store.workshop(params.workshop) ?? undefined;
    if (!workshop) return refuseWith(res, 404, `no workshop ${params.workshop}`);
  }
  let body: unknown = undefined;
  if (route.body) {
    const read = await readJsonBody(req, route.body);
    if (!read.ok) return refuseWith(res, read.status, read.error);
    body = read.body;
  }
  const ctx: Ctx<string, Who, unknown> = { req, res, url, params, attendee, workshop: workshop as Ctx<string, Who, unknown>['workshop'], body, deps };
  await route.handle(ctx);
}

/** The route's `who`: false once the refusal was sent. */
function admitted(req: IncomingMessage, res: ServerResponse, who: Who, attendee: string | null, deps: ApiDeps): boolean {
  if (who === 'attendee' && !attendee) {
    refuseWith(res, 401, 'no session: open the lab page first');
    return false;
  }
  if (who === 'instructor') {
    const verdict = deps.auth.instructor(req);
    if (!verdict.ok) {
      if (verdict.status === 429) warnOnce('instructor token refused: too many wrong tokens', req, deps);
      refuseWith(res, verdict.status, verdict.why, verdict.retryAfterS);
      return false;
    }
  }
  return true;
}
