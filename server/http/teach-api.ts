/**
 * The teaching runtime's HTTP routes (issue 11), all out of band of the terminal socket; contract in
 * docs/protocol.md and docs/lab-format.md "What labdeck does with it":
 *
 * - `POST /api/check {lab, step}` → `{passed, message}`; `GET /api/check?lab=ID` → `{passed: [steps]}`
 * - `POST /api/setup {lab, step?}` → `{ok, ran, message}` (lab setup once per sandbox, then the step's)
 * - `POST /api/type {lab, step, what: "solution" | "enter"}` → `{typed}`: typed through the Run path
 * - `POST /api/snippet {lab, block}` → NDJSON, streamed: `{"type":"output","data"}` … `{"type":"done",…}`
 *
 * Every route acts on the caller's own sandbox, found from the session cookie: no body field names a
 * sandbox or an attendee. A POST must be JSON (a cross-site form cannot send that without a CORS
 * preflight, which this server never answers) and, when the browser says where it comes from, come
 * from one of the server's own origins.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { z } from 'zod';
import type { PassedSteps, SnippetEvent, TypedAnswer } from '../../common/api.js';
import type { TeachRuntime } from '../teach/runtime.js';
import { TeachError } from '../teach/errors.js';
import type { SessionManager } from '../terminal/sessions.js';
import type { LabCatalog } from '../labs/catalog.js';
import type { Auth } from './auth.js';
import type { Logger } from '../log.js';

export interface TeachApiDeps {
  teach: TeachRuntime;
  labs: LabCatalog;
  sessions: SessionManager;
  auth: Auth;
  log: Logger;
}

type Json = (res: ServerResponse, status: number, body: object) => void;

const labId = z.string().min(1).max(200);
const stepIndex = z.number().int().min(0).max(100_000);
const CheckBody = z.object({ lab: labId, step: stepIndex }).strict();
const SetupBody = z.object({ lab: labId, step: stepIndex.optional() }).strict();
const TypeBody = z.object({ lab: labId, step: stepIndex, what: z.enum(['solution', 'enter']) }).strict();
const SnippetBody = z.object({ lab: labId, block: z.string().min(1).max(200) }).strict();

const ROUTES = new Set(['/api/check', '/api/setup', '/api/type', '/api/snippet']);

/** Handles the request if it is one of the teaching routes; false otherwise. */
export async function handleTeachApi(
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
  attendee: string | null,
  deps: TeachApiDeps,
  io: { json: Json; readJson(req: IncomingMessage): Promise<unknown> },
): Promise<boolean> {
  const p = url.pathname;
  if (!ROUTES.has(p)) return false;
  const method = req.method ?? 'GET';
  const { json } = io;
  if (!attendee) {
    json(res, 401, { error: 'no session: open the lab page first' });
    return true;
  }
  try {
    if (p === '/api/check' && method === 'GET') {
      json(res, 200, { passed: deps.teach.passed(attendee, url.searchParams.get('lab') ?? '') } satisfies PassedSteps);
      return true;
    }
    if (method !== 'POST') {
      json(res, 405, { error: `${p} takes POST` });
      return true;
    }
    if (req.headers.origin !== undefined && !deps.auth.originAllowed(req)) {
      json(res, 403, { error: 'this request comes from another site' });
      return true;
    }
    if (!/^application\/json\b/i.test(req.headers['content-type'] ?? '')) {
      json(res, 415, { error: 'send the body as application/json' });
      return true;
    }
    let raw: unknown;
    try {
      raw = await io.readJson(req);
    } catch (err) {
      json(res, 400, { error: `bad request: ${err instanceof Error ? err.message : String(err)}` });
      return true;
    }
    if (p === '/api/check') {
      const body = parse(CheckBody, raw);
      json(res, 200, await deps.teach.check(attendee, body.lab, body.step));
    } else if (p === '/api/setup') {
      const body = parse(SetupBody, raw);
      json(res, 200, await deps.teach.setup(attendee, body.lab, body.step));
    } else if (p === '/api/type') {
      const body = parse(TypeBody, raw);
      await typeForStep(attendee, body, deps, res, json);
    } else {
      const body = parse(SnippetBody, raw);
      await streamSnippet(attendee, body.lab, body.block, deps, res);
    }
  } catch (err) {
    if (err instanceof TeachError) {
      if (!res.headersSent) json(res, err.status, { error: err.message });
      else res.end();
    } else {
      deps.log.error('teaching request failed', { path: p, attendee, err: String(err) });
      if (!res.headersSent) json(res, 500, { error: 'the script could not be run; see the server log' });
      else res.end();
    }
  }
  return true;
}

function parse<T>(schema: z.ZodType<T>, raw: unknown): T {
  const r = schema.safeParse(raw);
  if (!r.success) throw new TeachError(400, `bad request: ${r.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; ')}`);
  return r.data;
}

/** A step's solution or its `typeOnEnter`, typed visibly into the attendee's terminal. */
async function typeForStep(
  attendee: string,
  body: z.infer<typeof TypeBody>,
  deps: TeachApiDeps,
  res: ServerResponse,
  json: Json,
): Promise<void> {
  const lab = deps.labs.lab(body.lab);
  const step = lab?.steps[body.step];
  if (!lab || !step) throw new TeachError(404, `lab ${body.lab} has no step ${body.step}`);
  const text = body.what === 'solution' ? step.solution : step.typeOnEnter;
  if (!text) throw new TeachError(404, `step ${body.step} of lab ${body.lab} has no ${body.what === 'solution' ? 'solution' : 'text to type on entering'}`);
  const session = deps.sessions.get(attendee);
  const typed = session ? await session.typeText(text, false) : false;
  if (!typed) throw new TeachError(409, 'your terminal is not ready (or a block is still being typed); try again in a moment');
  json(res, 200, { typed: true } satisfies TypedAnswer);
}

/**
 * Newline-delimited JSON, so the page can show each chunk as it arrives and still tell how it ended.
 * A request that goes away before the end (the page closed or moved on) cancels the snippet: it would
 * otherwise run on in the sandbox, unseen, until its timeout.
 */
async function streamSnippet(attendee: string, labId: string, blockId: string, deps: TeachApiDeps, res: ServerResponse): Promise<void> {
  const target = deps.teach.snippetTarget(attendee, labId, blockId);
  const gone = new AbortController();
  res.on('close', () => {
    if (!res.writableFinished) gone.abort();
  });
  const send = (msg: SnippetEvent) => {
    if (!gone.signal.aborted) res.write(`${JSON.stringify(msg)}\n`);
  };
  const result = await deps.teach.runSnippet(
    attendee,
    target,
    (data) => {
      if (!res.headersSent) res.writeHead(200, { 'Content-Type': 'application/x-ndjson; charset=utf-8', 'Cache-Control': 'no-store' });
      send({ type: 'output', data });
    },
    gone.signal,
  );
  if (result.cancelled) return;
  if (!res.headersSent) res.writeHead(200, { 'Content-Type': 'application/x-ndjson; charset=utf-8', 'Cache-Control': 'no-store' });
  const done: SnippetEvent = result.missingTool
    ? { type: 'done', ok: false, code: result.code, message: `${result.missingTool} is not installed in your sandbox, so this ${target.snippet.executor} snippet cannot run.` }
    : { type: 'done', ok: result.ok, code: result.code, ...(result.timedOut ? { message: 'The snippet timed out and was stopped.' } : {}) };
  send(done);
  res.end();
}
