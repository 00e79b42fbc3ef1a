/**
 * The JSON API and lab assets, served before Next.js gets the request. Contract: docs/protocol.md; the
 * shape of every JSON reply is a schema in common/api.ts, and each reply below names its type.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { displayNameProblem, type ApiErrorBody, type Health, type InstructorAttendee, type Me, type ResetResult, type Stats } from '../../common/api.js';
import type { Lab, LabLoadFailure, LabSummary, StepNotes } from '../../common/lab-model.js';
import type { PreflightReport } from '../../common/preflight.js';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { LabCatalog } from '../labs/catalog.js';
import type { SessionManager } from '../terminal/sessions.js';
import type { Store } from '../store/store.js';
import type { DriverInfo } from '../sandbox/driver.js';
import type { TerminalGateway } from '../terminal/gateway.js';
import type { Auth } from './auth.js';
import type { Logger } from '../log.js';
import { preflight } from '../sandbox/preflight.js';
import { safeDecode, serveAsset } from './assets.js';
import { handleTeachApi } from './teach-api.js';
import { handleWorkshopApi } from './workshop-api.js';
import { handlePresenterApi } from './presenter-api.js';
import type { Presenter } from '../terminal/presenter.js';
import { handleCapacityApi } from './capacity-api.js';
import type { WorkshopControl } from '../workshop/control.js';
import type { TeachRuntime } from '../teach/runtime.js';

export interface ApiDeps {
  labs: LabCatalog;
  sessions: SessionManager;
  store: Store;
  auth: Auth;
  driver: DriverInfo;
  gateway: TerminalGateway;
  log: Logger;
  teach: TeachRuntime;
  /** Presenter mode (issue 10): each workshop's current step. */
  presenter: Presenter;
  /** PUBLIC_URL, for the workshops' join URLs. */
  publicUrl: URL | null;
  /** Prepare, close, pause, resume, reset many (capacity-api.ts). */
  control: WorkshopControl;
  closeWarningMs: number;
  isReady(): boolean;
}

const MAX_BODY = 16 * 1024;
const loopDelay = monitorEventLoopDelay({ resolution: 10 });
loopDelay.enable();

/** Send `body`; callers name T, the reply's type from common/api.ts, so the body is checked against it. */
export function json<T extends object>(res: ServerResponse, status: number, body: T): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store' });
  res.end(text);
}

export async function readJson(req: IncomingMessage): Promise<unknown> {
  let size = 0;
  const chunks: Buffer[] = [];
  for await (const c of req) {
    size += (c as Buffer).length;
    if (size > MAX_BODY) throw new Error('body too large');
    chunks.push(c as Buffer);
  }
  return JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}');
}

/**
 * Handles the request if it is ours and returns true; otherwise returns false and Next takes it.
 * `attendee` is the caller's session, or null when it has none: the cookie is minted before this runs
 * only where one is needed (auth.ts mintsSession), so `/api/me` always has one.
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

  if (p === '/api/labs' && method === 'GET') {
    json<LabSummary[]>(res, 200, deps.labs.summaries());
    return true;
  }
  if (p === '/api/lab-failures' && method === 'GET') {
    json<LabLoadFailure[]>(res, 200, deps.labs.failures);
    return true;
  }
  const labMatch = /^\/api\/labs\/([^/]+)$/.exec(p);
  if (labMatch && method === 'GET') {
    const lab = deps.labs.lab(safeDecode(labMatch[1]!) ?? '');
    if (lab) json<Lab>(res, 200, lab);
    else json<ApiErrorBody>(res, 404, { error: `no lab named ${labMatch[1]}` });
    return true;
  }

  if (p === '/api/me') {
    if (!attendee) {
      json<ApiErrorBody>(res, 401, { error: 'no session' });
      return true;
    }
    if (method === 'POST') {
      let body: unknown;
      try {
        body = await readJson(req);
      } catch (err) {
        json<ApiErrorBody>(res, 400, { error: `bad request: ${String(err instanceof Error ? err.message : err)}` });
        return true;
      }
      const raw = (body as { name?: unknown }).name;
      const problem = typeof raw === 'string' ? displayNameProblem(raw) : 'name must be a string';
      if (problem) {
        json<ApiErrorBody>(res, 400, { error: problem });
        return true;
      }
      const name = (raw as string).trim();
      if (!deps.store.setName(attendee, name)) {
        json<ApiErrorBody>(res, 409, { error: `Someone in your workshop is already called "${name}".` });
        return true;
      }
    }
    json<Me>(res, 200, { attendee, name: deps.store.nameOf(attendee), driver: deps.driver.name, isolation: deps.driver.isolation, warnings: deps.driver.warnings });
    return true;
  }

  if (p === '/api/preflight' && method === 'GET') {
    const lab = deps.labs.lab(url.searchParams.get('lab') ?? '');
    if (!lab) {
      json<ApiErrorBody>(res, 404, { error: `no lab named ${url.searchParams.get('lab') ?? ''}` });
      return true;
    }
    const sandbox = attendee ? deps.sessions.get(attendee)?.currentSandbox : undefined;
    if (!sandbox) {
      json<ApiErrorBody>(res, 409, { error: 'your sandbox is not running yet; open the terminal first' });
      return true;
    }
    json<PreflightReport>(res, 200, await preflight(sandbox, lab.tools));
    return true;
  }

  if (await handleTeachApi(req, res, url, attendee, deps, { json, readJson })) return true;
  if (await handlePresenterApi(req, res, p, deps, { json, readJson })) return true;
  if (await handleCapacityApi(req, res, p, deps, { json, readJson })) return true;
  if (await handleWorkshopApi(req, res, p, attendee, deps, { json, readJson })) return true;

  // Everything below is the instructor's.
  if (p.startsWith('/api/instructor/') || p.startsWith('/api/sandboxes/') || p === '/api/stats') {
    if (!deps.auth.isInstructor(req)) {
      json<ApiErrorBody>(res, 401, { error: 'instructor token required (Authorization: Bearer <token>)' });
      return true;
    }
    return instructorApi(res, p, method, deps);
  }

  json<ApiErrorBody>(res, 404, { error: `no API route ${method} ${p}` });
  return true;
}

async function instructorApi(res: ServerResponse, p: string, method: string, deps: ApiDeps): Promise<boolean> {
  if (p === '/api/instructor/attendees' && method === 'GET') {
    // The live session, where there is one, says whether a browser is attached and how its sandbox is;
    // where the attendee is in a lab is the store's (issue 18 bug 2: the session keeps no copy).
    const out = deps.store.attendees().map((r): InstructorAttendee => {
      const s = deps.sessions.get(r.attendee);
      return {
        attendee: r.attendee,
        name: r.name,
        labId: r.labId,
        step: r.step,
        runs: r.runs,
        connected: s?.connected ?? false,
        sandbox: s?.sandboxInfo ?? (r.sandboxId ? { id: r.sandboxId, driver: r.driver, health: 'unknown (not connected)' } : null),
        lastSeen: s?.lastSeen ?? r.lastSeen,
      };
    });
    json<InstructorAttendee[]>(res, 200, out);
    return true;
  }
  const notes = /^\/api\/instructor\/labs\/([^/]+)\/notes$/.exec(p);
  if (notes && method === 'GET') {
    const n = deps.labs.notes(safeDecode(notes[1]!) ?? '');
    if (n) json<StepNotes[]>(res, 200, n);
    else json<ApiErrorBody>(res, 404, { error: `no lab named ${notes[1]}` });
    return true;
  }
  const reset = /^\/api\/sandboxes\/([^/]+)\/reset$/.exec(p);
  if (reset && method === 'POST') {
    const attendee = safeDecode(reset[1]!) ?? '';
    try {
      const done = await deps.sessions.reset(attendee, 'instructor');
      if (done) json<ResetResult>(res, 200, { ok: true });
      else json<ApiErrorBody>(res, 404, { error: `attendee ${attendee} has no sandbox` });
    } catch (err) {
      deps.log.error('reset failed', { attendee, err: String(err) });
      json<ApiErrorBody>(res, 500, { error: `reset failed: ${String(err instanceof Error ? err.message : err)}` });
    }
    return true;
  }
  if (p === '/api/stats' && method === 'GET') {
    const d = loopDelay;
    json<Stats>(res, 200, {
      sessions: deps.sessions.size,
      gateway: deps.gateway.stats,
      memory: process.memoryUsage(),
      // Event-loop delay since the last call (ms): how long a keystroke may wait behind other work.
      eventLoopDelayMs: { p50: d.percentile(50) / 1e6, p99: d.percentile(99) / 1e6, max: d.max / 1e6 },
    });
    d.reset();
    return true;
  }
  json<ApiErrorBody>(res, 404, { error: `no API route ${method} ${p}` });
  return true;
}
