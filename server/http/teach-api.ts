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
 * sandbox or an attendee. The route table (routes.ts) checks the cookie, the origin and the body.
 */
import type { ServerResponse } from 'node:http';
import { CheckRequestSchema, SetupRequestSchema, SnippetRequestSchema, TypeRequestSchema } from '../../common/api.js';
import type { z } from 'zod';
import type { CheckAnswer, PassedSteps, SetupAnswer, SnippetEvent, TypedAnswer } from '../../common/api.js';
import { TeachError } from '../teach/errors.js';
import { get, json, refuseWith, write, type ApiDeps, type Ctx, type Route } from './routes.js';

export const teachRoutes: Route[] = [
  get('/api/check', 'attendee', ({ res, url, attendee, deps }) => json<PassedSteps>(res, 200, { passed: deps.teach.passed(attendee, url.searchParams.get('lab') ?? '') })),
  write(
    'POST',
    '/api/check',
    'attendee',
    CheckRequestSchema,
    taught(async ({ res, attendee, body, deps }) => json<CheckAnswer>(res, 200, await deps.teach.check(attendee, body.lab, body.step))),
  ),
  write(
    'POST',
    '/api/setup',
    'attendee',
    SetupRequestSchema,
    taught(async ({ res, attendee, body, deps }) => json<SetupAnswer>(res, 200, await deps.teach.setup(attendee, body.lab, body.step))),
  ),
  write('POST', '/api/type', 'attendee', TypeRequestSchema, taught(typeForStep)),
  write(
    'POST',
    '/api/snippet',
    'attendee',
    SnippetRequestSchema,
    taught(({ res, attendee, body, deps }) => streamSnippet(attendee, body.lab, body.block, deps, res)),
  ),
];

/** A TeachError is the answer it names (also once a stream has started: then the stream just ends). */
function taught<P extends string, B>(handle: (ctx: Ctx<P, 'attendee', B>) => Promise<void>): (ctx: Ctx<P, 'attendee', B>) => Promise<void> {
  return async (ctx) => {
    const { res, deps } = ctx;
    try {
      await handle(ctx);
    } catch (err) {
      if (!(err instanceof TeachError)) deps.log.error('teaching request failed', { path: ctx.url.pathname, attendee: ctx.attendee, err: String(err) });
      if (res.headersSent) res.end();
      else if (err instanceof TeachError) refuseWith(res, err.status, err.message);
      else refuseWith(res, 500, 'the script could not be run; see the server log');
    }
  };
}

/** A step's solution or its `typeOnEnter`, typed visibly into the attendee's terminal. */
async function typeForStep({ res, attendee, body, deps }: Ctx<'/api/type', 'attendee', z.output<typeof TypeRequestSchema>>): Promise<void> {
  const lab = deps.labs.lab(body.lab);
  const step = lab?.steps[body.step];
  if (!lab || !step) throw new TeachError(404, `lab ${body.lab} has no step ${body.step}`);
  const text = body.what === 'solution' ? step.solution : step.typeOnEnter;
  if (!text) throw new TeachError(404, `step ${body.step} of lab ${body.lab} has no ${body.what === 'solution' ? 'solution' : 'text to type on entering'}`);
  const session = deps.sessions.get(attendee);
  const typed = session ? await session.typeText(text, false) : false;
  if (!typed) throw new TeachError(409, 'your terminal is not ready (or a block is still being typed); try again in a moment');
  json<TypedAnswer>(res, 200, { typed: true });
}

/**
 * Newline-delimited JSON, so the page can show each chunk as it arrives and still tell how it ended.
 * A request that goes away before the end (the page closed or moved on) cancels the snippet: it would
 * otherwise run on in the sandbox, unseen, until its timeout.
 */
async function streamSnippet(attendee: string, labId: string, blockId: string, deps: ApiDeps, res: ServerResponse): Promise<void> {
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
