/**
 * The browser's one client of labdeck's HTTP API (served by server/main.ts on the same origin; issue 18
 * §7). Requests are built as the types of common/api.ts's request schemas, the ones the server parses
 * them with; every response is parsed with its reply schema, so a server that answers something else
 * is reported, not rendered. Every helper throws an ApiError carrying the server's `{ error }` message
 * (or what did not match), and for a 429 how long to wait, so pages can show it.
 */
import type { z } from 'zod';
import {
  ApiErrorBodySchema,
  CapacitySchema,
  CheckAnswerSchema,
  CloseScheduledSchema,
  InstructorAttendeePageSchema,
  JoinedSchema,
  JoinsStateSchema,
  LabFailuresSchema,
  LabSchema,
  LabSummariesSchema,
  MeSchema,
  MessageSentSchema,
  NewWorkshopSchema,
  PassedStepsSchema,
  PreflightReportSchema,
  PrepareStatusSchema,
  PresenterStateSchema,
  ResetQueuedSchema,
  ResetResultSchema,
  SetupAnswerSchema,
  SnippetEventSchema,
  StepNotesListSchema,
  TransitionResultSchema,
  TypedAnswerSchema,
  WorkshopListSchema,
  WorkshopSchema,
  type CheckRequest,
  type CloseRequest,
  type JoinRequest,
  type JoinsRequest,
  type MessageRequest,
  type NewWorkshopRequest,
  type PrepareRequest,
  type PresenterRequest,
  type RenameRequest,
  type ResetManyRequest,
  type SetupRequest,
  type SnippetEvent,
  type SnippetRequest,
  type TypeRequest,
} from '@/common/api';

export type { Capacity, CheckAnswer, InstructorAttendee, InstructorAttendeePage, Joined, Me, NewWorkshop, SetupAnswer, SnippetEvent, Workshop, WorkshopList } from '@/common/api';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    /** A 429's Retry-After, in seconds: how long the page should wait before trying again. */
    readonly retryAfterS: number | null = null,
  ) {
    super(message);
  }
}

/** fetch, with an unreachable server as an ApiError. */
async function send(path: string, init?: RequestInit): Promise<Response> {
  try {
    return await fetch(path, { cache: 'no-store', ...init });
  } catch (err) {
    if (err instanceof DOMException && err.name === 'AbortError') throw err;
    throw new ApiError(0, 'The labdeck server is unreachable.');
  }
}

/** The refusal a non-2xx response carries. */
async function refusal(res: Response, body?: unknown): Promise<ApiError> {
  const payload: unknown = body === undefined ? await res.json().catch(() => undefined) : body;
  const error = ApiErrorBodySchema.safeParse(payload);
  const retry = Number(res.headers.get('retry-after'));
  return new ApiError(res.status, error.success ? error.data.error : `${res.status} ${res.statusText}`, res.status === 429 && retry > 0 ? retry : null);
}

async function request<S extends z.ZodType>(schema: S, path: string, init?: RequestInit): Promise<z.infer<S>> {
  const res = await send(path, init);
  const text = await res.text();
  let body: unknown = undefined;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    // A proxy's HTML error page, for example: fall through to the status line below.
  }
  if (!res.ok) throw await refusal(res, body);
  const parsed = schema.safeParse(body);
  if (!parsed.success) {
    const first = parsed.error.issues[0];
    const where = first && first.path.length > 0 ? ` at ${first.path.join('.')}` : '';
    throw new ApiError(res.status, `The server's answer to ${path} is not what this page expects${where}: ${first?.message ?? 'invalid'}. Reload the page.`);
  }
  return parsed.data;
}

const bearer = (token: string): RequestInit => ({ headers: { authorization: `Bearer ${token}` } });

/**
 * A write: JSON (the server refuses anything else), `body` typed by the route's request schema; with
 * the instructor's token when given. The browser adds Origin itself, which the server checks.
 */
function writeJson<B extends object>(method: 'POST' | 'PUT', body: B, token?: string): RequestInit {
  return {
    method,
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify(body),
  };
}
const workshopRoute = (workshop: string, action: string) => `/api/workshops/${encodeURIComponent(workshop)}/${action}`;

export const api = {
  labs: () => request(LabSummariesSchema, '/api/labs'),
  preflight: (labId: string) => request(PreflightReportSchema, `/api/preflight?lab=${encodeURIComponent(labId)}`),
  lab: (id: string) => request(LabSchema, `/api/labs/${encodeURIComponent(id)}`),
  failures: () => request(LabFailuresSchema, '/api/lab-failures'),
  me: () => request(MeSchema, '/api/me'),
  setName: (name: string) => request(MeSchema, '/api/me', writeJson<RenameRequest>('POST', { name })),
  join: (code: string, name: string) => request(JoinedSchema, '/api/join', writeJson<JoinRequest>('POST', { code, name })),

  // --- steps that teach (server/http/teach-api.ts), on the attendee's cookie ---
  check: (lab: string, step: number) => request(CheckAnswerSchema, '/api/check', writeJson<CheckRequest>('POST', { lab, step })),
  setup: (lab: string, step: number) => request(SetupAnswerSchema, '/api/setup', writeJson<SetupRequest>('POST', { lab, step })),
  type: (lab: string, step: number, what: TypeRequest['what']) => request(TypedAnswerSchema, '/api/type', writeJson<TypeRequest>('POST', { lab, step, what })),
  /** The steps whose check this attendee passed; none when that cannot be told. */
  passed: (lab: string) => request(PassedStepsSchema, `/api/check?lab=${encodeURIComponent(lab)}`).then((p) => p.passed, () => []),
  /** Run a snippet; `onEvent` gets each line of the NDJSON stream as it arrives. */
  snippet: async (lab: string, block: string, onEvent: (e: SnippetEvent) => void, signal: AbortSignal): Promise<void> => {
    const res = await send('/api/snippet', { ...writeJson<SnippetRequest>('POST', { lab, block }), signal });
    if (!res.ok || !res.body) throw await refusal(res);
    const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
    let pending = '';
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      pending += value;
      for (let nl = pending.indexOf('\n'); nl >= 0; nl = pending.indexOf('\n')) {
        onEvent(SnippetEventSchema.parse(JSON.parse(pending.slice(0, nl))));
        pending = pending.slice(nl + 1);
      }
    }
  },

  // --- the instructor (bearer token) ---
  /** One page of the server's attendees (issue 17 §4); `cursor` is the previous page's `next`. */
  attendees: (token: string, page: { limit?: number; cursor?: string | null } = {}) => {
    const q = new URLSearchParams();
    if (page.limit) q.set('limit', String(page.limit));
    if (page.cursor) q.set('cursor', page.cursor);
    const qs = q.toString();
    return request(InstructorAttendeePageSchema, `/api/instructor/attendees${qs ? `?${qs}` : ''}`, bearer(token));
  },
  resetSandbox: (token: string, attendee: string) => request(ResetResultSchema, `/api/sandboxes/${encodeURIComponent(attendee)}/reset`, writeJson('POST', {}, token)),
  openWorkshop: (token: string, lab: string, title?: string, maxAttendees?: number) =>
    request(NewWorkshopSchema, '/api/workshops', writeJson<NewWorkshopRequest>('POST', { lab, ...(title ? { title } : {}), ...(maxAttendees ? { maxAttendees } : {}) }, token)),
  workshops: (token: string) => request(WorkshopListSchema, '/api/workshops', bearer(token)),
  workshop: (token: string, id: string) => request(WorkshopSchema, `/api/workshops/${encodeURIComponent(id)}`, bearer(token)),
  /** A message to one attendee of the workshop, or to all of them without `attendee`. */
  sendMessage: (token: string, workshop: string, text: string, attendee?: string) =>
    request(MessageSentSchema, workshopRoute(workshop, 'messages'), writeJson<MessageRequest>('POST', { text, ...(attendee ? { attendee } : {}) }, token)),
  /** Let new attendees join with the code, or not (issue 17 §2); members keep their seat. */
  setJoinsOpen: (token: string, workshop: string, open: boolean) => request(JoinsStateSchema, workshopRoute(workshop, 'joins'), writeJson<JoinsRequest>('PUT', { open }, token)),
  /** The progress CSV as a Blob: it needs the bearer token, which a plain link cannot send. */
  progressCsv: async (token: string, workshop: string): Promise<Blob> => {
    const res = await send(workshopRoute(workshop, 'progress.csv'), bearer(token));
    if (!res.ok) throw await refusal(res);
    return res.blob();
  },
  /** The step the workshop's presenter is on (null: nobody presents). */
  presenter: (token: string, workshop: string) => request(PresenterStateSchema, workshopRoute(workshop, 'presenter'), bearer(token)),
  /** Move the presenter to `step` (null: stop presenting); every attendee of the workshop is told. */
  present: (token: string, workshop: string, step: number | null) => request(PresenterStateSchema, workshopRoute(workshop, 'presenter'), writeJson<PresenterRequest>('POST', { step }, token)),
  /** Capacity and lifecycle of a workshop (server/http/capacity-api.ts). */
  capacity: (token: string, workshop: string) => request(CapacitySchema, workshopRoute(workshop, 'capacity'), bearer(token)),
  prepare: (token: string, workshop: string, count: number) => request(PrepareStatusSchema, workshopRoute(workshop, 'prepare'), writeJson<PrepareRequest>('POST', { count }, token)),
  closeWorkshop: (token: string, workshop: string, warnSeconds?: number) =>
    request(CloseScheduledSchema, workshopRoute(workshop, 'close'), writeJson<CloseRequest>('POST', warnSeconds === undefined ? {} : { warnSeconds }, token)),
  pauseWorkshop: (token: string, workshop: string) => request(TransitionResultSchema, workshopRoute(workshop, 'pause'), writeJson('POST', {}, token)),
  resumeWorkshop: (token: string, workshop: string) => request(TransitionResultSchema, workshopRoute(workshop, 'resume'), writeJson('POST', {}, token)),
  /** Reset the named attendees of the workshop, or all of them without `attendees`. */
  resetMany: (token: string, workshop: string, attendees?: string[]) =>
    request(ResetQueuedSchema, workshopRoute(workshop, 'reset'), writeJson<ResetManyRequest>('POST', attendees ? { attendees } : {}, token)),
  notes: (token: string, labId: string) => request(StepNotesListSchema, `/api/instructor/labs/${encodeURIComponent(labId)}/notes`, bearer(token)),
};
