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
 * - `PUT /api/workshops/:id/joins {open}` → 200 `{joinsOpen}`: close joining once the class has started,
 *   or open it again; members keep their seat (instructor; issue 17 §2)
 * - `POST /api/join {code, name}` → 201 `Joined` and the session cookie: 404 unknown code, 400 bad name,
 *   409 name taken, workshop full or not joinable, 429 too many wrong codes, each with a sentence the
 *   join page shows as it is.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { stringify } from 'csv-stringify/sync';
import {
  DEFAULT_MAX_ATTENDEES,
  JoinRequestSchema,
  JoinsRequestSchema,
  MessageRequestSchema,
  NewWorkshopRequestSchema,
  StuckRequestSchema,
  type ApiErrorBody,
  type Joined,
  type JoinsState,
  type MessageSent,
  type NewWorkshop,
  type Workshop,
  type WorkshopList,
} from '../../common/api.js';
import { displayNameKey, displayNameProblem, normalizeDisplayName } from '../../common/display-name.js';
import type { StuckSettings } from '../../common/class-protocol.js';
import type { StoredWorkshop } from '../store/workshops.js';
import { normalizeJoinCode } from '../workshop/join-code.js';
import { refusal } from '../workshop/states.js';
import { stuckSettingsOr } from '../classroom/stuck.js';
import { rosterRows } from '../classroom/roster.js';
import { clientAddress, type BucketRule } from './rate-limit.js';
import { get, json, refuseWith, warnOnce, write, type ApiDeps, type Ctx, type Route } from './routes.js';

/**
 * The budget of wrong join codes (issue 17 §2; docs/operations.md "Joining" has the arithmetic): one
 * address may fail 20 times at once, then once every 5 s; all addresses together 300 at once, then 5
 * a second. A room's typos fit in the bursts; a guesser meets them at once.
 */
export const JOIN_BUDGET: { perAddress: BucketRule; overall: BucketRule; maxAddresses: number } = {
  perAddress: { burst: 20, perSecond: 0.2 },
  overall: { burst: 300, perSecond: 5 },
  maxAddresses: 10_000,
};

export const workshopRoutes: Route[] = [
  write('POST', '/api/workshops', 'instructor', NewWorkshopRequestSchema, ({ req, res, body, deps }) => {
    const lab = deps.labs.lab(body.lab);
    if (!lab) return refuseWith(res, 404, `no lab named ${body.lab}`);
    const w = deps.store.createWorkshop({ labId: lab.id, title: body.title || lab.title, maxAttendees: body.maxAttendees ?? DEFAULT_MAX_ATTENDEES });
    json<NewWorkshop>(res, 201, { id: w.id, code: w.code, joinUrl: joinUrl(req, deps, w.code) });
  }),
  get('/api/workshops', 'instructor', ({ req, res, deps }) => {
    const list = deps.store.workshops().map((w) => ({ ...summary(req, deps, w), joined: deps.store.members(w.id).length }));
    json<WorkshopList>(res, 200, list);
  }),
  get('/api/workshops/:workshop', 'instructor', ({ req, res, workshop: w, deps }) => {
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
    json<Workshop>(res, 200, { ...summary(req, deps, w), attendees });
  }),
  write('POST', '/api/workshops/:workshop/messages', 'instructor', MessageRequestSchema, ({ res, workshop: w, body, deps }) => {
    const to = body.attendee ?? null;
    const message = deps.store.addMessage(w.id, to, body.text);
    if (!message) return refuseWith(res, 404, `no attendee ${to} in the workshop "${w.title}"`);
    const recipients = to ? [to] : deps.store.members(w.id).map((m) => m.attendee);
    for (const a of recipients) deps.sessions.get(a)?.notify(message);
    json<MessageSent>(res, 202, { id: message.id, recipients: recipients.length });
  }),
  write('PUT', '/api/workshops/:workshop/stuck', 'instructor', StuckRequestSchema, ({ res, workshop: w, body, deps }) => {
    const settings = { ...stuckSettingsOr(deps.store.stuckSettings(w.id)), ...body };
    deps.store.setStuckSettings(w.id, settings);
    json<StuckSettings>(res, 200, settings);
  }),
  write('PUT', '/api/workshops/:workshop/joins', 'instructor', JoinsRequestSchema, ({ res, workshop: w, body, deps }) => {
    deps.store.setJoinsOpen(w.id, body.open);
    json<JoinsState>(res, 200, { joinsOpen: body.open });
  }),
  get('/api/workshops/:workshop/progress.csv', 'instructor', ({ res, workshop, deps }) => progressCsv(res, workshop, deps)),
  write('POST', '/api/join', 'anyone', JoinRequestSchema, join),
];

/**
 * A cell a spreadsheet would read as a formula (= + - @, and tab/CR which some strip first) gets a
 * leading apostrophe (OWASP "CSV injection"): an attendee's name must not run on the instructor's machine.
 */
export function csvCell(value: string | number | boolean | null): string | number | boolean | null {
  return typeof value === 'string' && /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
}

export const PROGRESS_CSV_HEADER = ['name', 'step', 'step title', 'online', 'last seen', 'runs', 'checks passed'] as const;

function progressCsv(res: ServerResponse, w: StoredWorkshop, deps: ApiDeps): void {
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

/**
 * The join (issue 10, issue 17 §2). Under the budget, a guess is a refused code (unknown, or a workshop
 * that takes no joins now: that answer says the code exists, so it costs a guess too); a right code
 * with a taken name or a full room costs nothing. An address out of budget is answered 429 before its
 * code is looked at. The page (app/join/) shows the wait in words from Retry-After.
 */
function join({ req, res, attendee, body, deps }: Ctx<'/api/join', 'anyone', { code: string; name: string }>): void {
  const address = clientAddress(req);
  const limited = deps.joinBudget.check(address);
  if (limited) {
    const s = limited.retryAfterS;
    const wait = `wait ${s} second${s === 1 ? '' : 's'}, then try again`;
    if (limited.scope === 'overall') warnOnce('joins refused: the server-wide budget of wrong workshop codes is spent', req, deps);
    return refuseWith(
      res,
      429,
      limited.scope === 'address'
        ? `Too many wrong workshop codes from your network: ${wait}.`
        : `Too many wrong workshop codes reached this server just now: ${wait}.`,
      s,
    );
  }
  // Typed off a projector: any case, and the groups of four may come with a space or a dash between.
  const code = normalizeJoinCode(body.code);
  const w = deps.store.workshopByCode(code);
  const closed = w ? joinRefusal(w, attendee, deps) : null;
  if (!w || closed) {
    deps.joinBudget.fail(address);
    return refuseWith(res, w ? 409 : 404, closed ?? `No workshop has the code ${code || '(empty)'}: check it on the projector.`);
  }
  const problem = displayNameProblem(body.name);
  if (problem) return refuseWith(res, 400, problem);
  const name = normalizeDisplayName(body.name);
  // The store's index compares ASCII case only; the key also folds fullwidth, accents and the rest
  // (issue 17 §7). Synchronous from here to the store's insert: no other join runs in between.
  const key = displayNameKey(name);
  if (deps.store.members(w.id).some((m) => m.attendee !== attendee && displayNameKey(m.name) === key)) return nameTaken(res, name);
  // A browser that has no session yet gets one here, and only once the join succeeded.
  const id = attendee ?? deps.auth.newAttendeeId();
  const outcome = deps.store.join(id, w.id, name);
  if (!outcome.ok) {
    if (outcome.why === 'name-taken') return nameTaken(res, name);
    const error =
      outcome.why === 'full'
        ? `The workshop "${w.title}" is full (${w.maxAttendees} attendees): ask the instructor.`
        : outcome.why === 'joins-closed'
          ? closedJoining(w)
          : `The workshop "${w.title}" is not open: ask the instructor.`;
    return json<ApiErrorBody>(res, 409, { error });
  }
  if (!attendee) res.setHeader('Set-Cookie', deps.auth.cookieHeader(id, req));
  json<Joined>(res, 201, { attendee: id, name: outcome.name, workshop: w.id, lab: w.labId, labUrl: `/labs/${encodeURIComponent(w.labId)}` });
}

/** Why this workshop takes no join from this browser now, or null. Its members keep their seat. */
function joinRefusal(w: StoredWorkshop, attendee: string | null, deps: ApiDeps): string | null {
  const closed = refusal(w, 'join');
  if (closed) return closed;
  if (!w.joinsOpen && !(attendee && deps.store.workshopOf(attendee)?.id === w.id)) return closedJoining(w);
  return null;
}

function closedJoining(w: StoredWorkshop): string {
  return `The instructor has closed joining for "${w.title}". If you joined earlier, open the lab in the browser you joined with; otherwise ask the instructor to let you in.`;
}

function nameTaken(res: ServerResponse, name: string): void {
  refuseWith(res, 409, `Someone in this workshop is already called "${name}": add an initial or pick another name.`);
}

/**
 * Where attendees open the workshop: PUBLIC_URL when set (the name behind a proxy), else the origin
 * this request came to, whose Host the host guard already admitted (boundary.ts), so it is one of ours.
 */
function joinUrl(req: IncomingMessage, deps: ApiDeps, code: string): string {
  const origin = deps.publicUrl?.origin ?? `${req.headers['x-forwarded-proto'] === 'https' ? 'https' : 'http'}://${req.headers.host ?? 'localhost'}`;
  return `${origin}/join/${code}`;
}

function summary(req: IncomingMessage, deps: ApiDeps, w: StoredWorkshop) {
  return { id: w.id, lab: w.labId, title: w.title, code: w.code, joinUrl: joinUrl(req, deps, w.code), state: w.state, joinsOpen: w.joinsOpen, maxAttendees: w.maxAttendees, createdAt: w.createdAt };
}
