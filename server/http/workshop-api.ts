/**
 * Workshops and joining (issue 10); contract in docs/protocol.md "HTTP API":
 *
 * - `POST /api/workshops {lab, title?, maxAttendees?}` → 201 `{id, code, joinUrl}` (instructor)
 * - `GET /api/workshops` → the list; `GET /api/workshops/:id` → one, with its attendees as the class
 *   view shows them: step, time on it, runs, failed commands, sandbox state, stuck and why (instructor)
 * - `POST /api/workshops/:id/messages {text, attendee?}` → 202: a `message` on the attendee's socket,
 *   or on every member's without `attendee`; kept until dismissed (instructor)
 * - `GET /api/workshops/:id/progress.csv` → one row per attendee, for a spreadsheet (instructor)
 * - `PUT /api/workshops/:id/stuck {stuckAfterMs?, failStreak?}` → 200 the workshop's stuck rule, kept
 *   with it; the class view shows it within a second (instructor)
 * - `POST /api/join {code, name}` → 201 `Joined` and the session cookie: 404 unknown code, 400 bad name,
 *   409 name taken or workshop full, each with a sentence the join page shows as it is.
 *
 * The join POST sets a cookie, so like every attendee POST it must be JSON (a cross-site form cannot
 * send that without a CORS preflight, which this server never answers) and come from one of the
 * server's own origins when the browser names one: another site cannot join a visitor to a workshop.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { stringify } from 'csv-stringify/sync';
import { z } from 'zod';
import { displayNameProblem, type ApiErrorBody, type Joined, type MessageSent, type NewWorkshop, type Workshop, type WorkshopList } from '../../common/api.js';
import type { LabCatalog } from '../labs/catalog.js';
import type { SessionManager } from '../terminal/sessions.js';
import type { Store, StoredWorkshop } from '../store/store.js';
import type { Auth } from './auth.js';
import { safeDecode } from './assets.js';
import { readBody, type Io } from './json-body.js';
import { rosterRows } from '../classroom/roster.js';
import { StuckSettingsSchema, type StuckSettings } from '../../common/class-protocol.js';

export interface WorkshopApiDeps {
  labs: LabCatalog;
  sessions: SessionManager;
  store: Store;
  auth: Auth;
  /** PUBLIC_URL: the address attendees open, when set; else the request's own (allowed) Host. */
  publicUrl: URL | null;
}

/** A room's worth by default; the bound keeps one workshop from taking every session of the server. */
export const DEFAULT_MAX_ATTENDEES = 100;
const MAX_ATTENDEES = 1000;

const NewWorkshopBody = z
  .object({
    lab: z.string().min(1).max(200),
    title: z.string().trim().max(120).optional(),
    maxAttendees: z.number().int().min(1).max(MAX_ATTENDEES).optional(),
  })
  .strict();
/** Long enough for a hint with a command in it, short enough to read on a projector. */
export const MAX_MESSAGE_CHARS = 2000;
const MessageBody = z
  .object({
    text: z.string().trim().min(1, 'type a message').max(MAX_MESSAGE_CHARS, `at most ${MAX_MESSAGE_CHARS} characters`),
    attendee: z.string().min(1).max(200).optional(),
  })
  .strict();
const JoinBody = z.object({ code: z.string().max(32), name: z.string().max(1000) }).strict();
/** The class view's stuck rule, either field alone (the class socket's `stuck-settings` twin). */
const StuckBody = StuckSettingsSchema.partial().strict();

/** Handles the request if it is a workshop or join route; false otherwise. */
export async function handleWorkshopApi(req: IncomingMessage, res: ServerResponse, p: string, attendee: string | null, deps: WorkshopApiDeps, io: Io): Promise<boolean> {
  const method = req.method ?? 'GET';
  if (p === '/api/join') {
    if (method !== 'POST') io.json<ApiErrorBody>(res, 405, { error: '/api/join takes POST' });
    else await join(req, res, attendee, deps, io);
    return true;
  }
  if (p !== '/api/workshops' && !p.startsWith('/api/workshops/')) return false;
  if (!deps.auth.isInstructor(req)) {
    io.json<ApiErrorBody>(res, 401, { error: 'instructor token required (Authorization: Bearer <token>)' });
    return true;
  }
  if (p === '/api/workshops' && method === 'POST') {
    const body = await readBody(req, res, NewWorkshopBody, deps.auth, io);
    if (!body) return true;
    const lab = deps.labs.lab(body.lab);
    if (!lab) {
      io.json<ApiErrorBody>(res, 404, { error: `no lab named ${body.lab}` });
      return true;
    }
    const w = deps.store.createWorkshop({ labId: lab.id, title: body.title || lab.title, maxAttendees: body.maxAttendees ?? DEFAULT_MAX_ATTENDEES });
    io.json<NewWorkshop>(res, 201, { id: w.id, code: w.code, joinUrl: joinUrl(req, deps, w.code) });
    return true;
  }
  if (p === '/api/workshops' && method === 'GET') {
    const list = deps.store.workshops().map((w) => ({ ...summary(req, deps, w), joined: deps.store.members(w.id).length }));
    io.json<WorkshopList>(res, 200, list);
    return true;
  }
  const one = /^\/api\/workshops\/([^/]+)$/.exec(p);
  if (one && method === 'GET') {
    const w = deps.store.workshop(safeDecode(one[1]!) ?? '');
    if (!w) {
      io.json<ApiErrorBody>(res, 404, { error: `no workshop ${one[1]}` });
      return true;
    }
    // The class view's rows (server/classroom/roster.ts), with the time on the step as of now.
    const roster = { store: deps.store, session: (a: string) => deps.sessions.get(a), stepCount: (labId: string) => deps.labs.lab(labId)?.steps.length ?? 0 };
    const attendees = rosterRows(roster, w, Date.now()).map((r) => ({
      id: r.id,
      name: r.name,
      step: r.step,
      online: r.online,
      lastSeen: r.lastSeen,
      stuck: r.stuck,
      stuckReason: r.stuckReason,
      timeOnStepMs: r.timeOnStepMs,
      failedCommands: r.failedCommands,
      runs: r.runs,
      sandbox: r.sandbox,
    }));
    io.json<Workshop>(res, 200, { ...summary(req, deps, w), attendees });
    return true;
  }
  const sub = /^\/api\/workshops\/([^/]+)\/(messages|progress\.csv|stuck)$/.exec(p);
  const w = sub ? deps.store.workshop(safeDecode(sub[1]!) ?? '') : null;
  if (sub && !w) {
    io.json<ApiErrorBody>(res, 404, { error: `no workshop ${sub[1]}` });
    return true;
  }
  if (w && sub![2] === 'messages' && method === 'POST') {
    await postMessage(req, res, w, deps, io);
    return true;
  }
  if (w && sub![2] === 'stuck' && method === 'PUT') {
    const body = await readBody(req, res, StuckBody, deps.auth, io);
    if (!body) return true;
    const settings = { ...deps.store.stuckSettings(w.id), ...body };
    deps.store.setStuckSettings(w.id, settings);
    io.json<StuckSettings>(res, 200, settings);
    return true;
  }
  if (w && sub![2] === 'progress.csv' && method === 'GET') {
    progressCsv(res, w, deps);
    return true;
  }
  io.json<ApiErrorBody>(res, 404, { error: `no API route ${method} ${p}` });
  return true;
}

async function postMessage(req: IncomingMessage, res: ServerResponse, w: StoredWorkshop, deps: WorkshopApiDeps, io: Io): Promise<void> {
  const body = await readBody(req, res, MessageBody, deps.auth, io);
  if (!body) return;
  const to = body.attendee ?? null;
  const message = deps.store.addMessage(w.id, to, body.text);
  if (!message) return io.json<ApiErrorBody>(res, 404, { error: `no attendee ${to} in the workshop "${w.title}"` });
  const recipients = to ? [to] : deps.store.members(w.id).map((m) => m.attendee);
  for (const a of recipients) deps.sessions.get(a)?.notify(message);
  io.json<MessageSent>(res, 202, { id: message.id, recipients: recipients.length });
}

/**
 * A cell a spreadsheet would read as a formula (= + - @, and tab/CR which some strip first) gets a
 * leading apostrophe (OWASP "CSV injection"): an attendee's name must not run on the instructor's machine.
 */
export function csvCell(value: string | number | boolean | null): string | number | boolean | null {
  return typeof value === 'string' && /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
}

export const PROGRESS_CSV_HEADER = ['name', 'step', 'step title', 'online', 'last seen', 'runs', 'checks passed'] as const;

function progressCsv(res: ServerResponse, w: StoredWorkshop, deps: WorkshopApiDeps): void {
  const steps = deps.labs.lab(w.labId)?.steps ?? [];
  const rows = deps.store.progressRows(w.id).map((m) => {
    const s = deps.sessions.get(m.attendee);
    const step = m.labId === w.labId ? m.step : null;
    const lastSeen = s?.lastSeen ?? m.lastSeen;
    return [m.name, step === null ? '' : step + 1, step === null ? '' : (steps[step]?.title ?? ''), s?.connected ? 'yes' : 'no', new Date(lastSeen).toISOString(), m.runs, m.checksPassed].map(csvCell);
  });
  const csv = stringify([[...PROGRESS_CSV_HEADER], ...rows]);
  const file = `${w.code}-progress.csv`;
  res.writeHead(200, { 'Content-Type': 'text/csv; charset=utf-8', 'Content-Disposition': `attachment; filename="${file}"`, 'Cache-Control': 'no-store' });
  res.end(csv);
}

async function join(req: IncomingMessage, res: ServerResponse, attendee: string | null, deps: WorkshopApiDeps, io: Io): Promise<void> {
  const body = await readBody(req, res, JoinBody, deps.auth, io);
  if (!body) return;
  const w = deps.store.workshopByCode(body.code);
  if (!w) return io.json<ApiErrorBody>(res, 404, { error: `No workshop has the code ${body.code.trim().toUpperCase() || '(empty)'}: check it on the projector.` });
  if (w.state !== 'open') return io.json<ApiErrorBody>(res, 409, { error: `The workshop "${w.title}" is ${w.state}: ask the instructor.` });
  const problem = displayNameProblem(body.name);
  if (problem) return io.json<ApiErrorBody>(res, 400, { error: problem });
  const name = body.name.trim();
  // A browser that has no session yet gets one here, and only once the join succeeded.
  const id = attendee ?? deps.auth.newAttendeeId();
  const outcome = deps.store.join(id, w.id, name);
  if (!outcome.ok) {
    const error =
      outcome.why === 'name-taken'
        ? `Someone in this workshop is already called "${name}": add an initial or pick another name.`
        : outcome.why === 'full'
          ? `The workshop "${w.title}" is full (${w.maxAttendees} attendees): ask the instructor.`
          : `The workshop "${w.title}" is not open: ask the instructor.`;
    return io.json<ApiErrorBody>(res, 409, { error });
  }
  if (!attendee) res.setHeader('Set-Cookie', deps.auth.cookieHeader(id, req.headers['x-forwarded-proto'] === 'https'));
  io.json<Joined>(res, 201, { attendee: id, name: outcome.name, workshop: w.id, lab: w.labId, labUrl: `/labs/${encodeURIComponent(w.labId)}` });
}


/**
 * Where attendees open the workshop: PUBLIC_URL when set (the name behind a proxy), else the origin
 * this request came to, whose Host the host guard already admitted (boundary.ts), so it is one of ours.
 */
function joinUrl(req: IncomingMessage, deps: WorkshopApiDeps, code: string): string {
  const origin = deps.publicUrl?.origin ?? `${req.headers['x-forwarded-proto'] === 'https' ? 'https' : 'http'}://${req.headers.host ?? 'localhost'}`;
  return `${origin}/join/${code}`;
}

function summary(req: IncomingMessage, deps: WorkshopApiDeps, w: StoredWorkshop) {
  return { id: w.id, lab: w.labId, title: w.title, code: w.code, joinUrl: joinUrl(req, deps, w.code), state: w.state, maxAttendees: w.maxAttendees, createdAt: w.createdAt };
}
