/**
 * Typed fetch helpers for labdeck's HTTP API (served by server/main.ts on the same origin). Every
 * response is parsed with its schema from common/api.ts, the one definition of the HTTP contract, so
 * a server that answers something else is reported, not rendered. Every helper throws an ApiError
 * carrying the server's `{ error }` message (or what did not match), so pages can show it.
 */
import type { z } from 'zod';
import {
  ApiErrorBodySchema,
  CapacitySchema,
  CloseScheduledSchema,
  PrepareStatusSchema,
  ResetQueuedSchema,
  TransitionResultSchema,
  InstructorAttendeesSchema,
  JoinedSchema,
  MessageSentSchema,
  NewWorkshopSchema,
  PresenterStateSchema,
  WorkshopListSchema,
  WorkshopSchema,
  LabFailuresSchema,
  LabSchema,
  LabSummariesSchema,
  MeSchema,
  PreflightReportSchema,
  ResetResultSchema,
  StepNotesListSchema,
} from '@/common/api';

export type { Capacity, InstructorAttendee, Joined, Me, NewWorkshop, Workshop, WorkshopList } from '@/common/api';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

async function request<S extends z.ZodType>(schema: S, path: string, init?: RequestInit): Promise<z.infer<S>> {
  let res: Response;
  try {
    res = await fetch(path, { cache: 'no-store', ...init });
  } catch {
    throw new ApiError(0, 'The labdeck server is unreachable.');
  }
  const text = await res.text();
  let body: unknown = undefined;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    // A proxy's HTML error page, for example: fall through to the status line below.
  }
  if (!res.ok) {
    const error = ApiErrorBodySchema.safeParse(body);
    throw new ApiError(res.status, error.success ? error.data.error : `${res.status} ${res.statusText}`);
  }
  const parsed = schema.safeParse(body);
  if (!parsed.success) {
    const first = parsed.error.issues[0];
    const where = first && first.path.length > 0 ? ` at ${first.path.join('.')}` : '';
    throw new ApiError(res.status, `The server's answer to ${path} is not what this page expects${where}: ${first?.message ?? 'invalid'}. Reload the page.`);
  }
  return parsed.data;
}

const bearer = (token: string): RequestInit => ({ headers: { authorization: `Bearer ${token}` } });
const postJson = (token: string, body: object): RequestInit => ({
  method: 'POST',
  headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
  body: JSON.stringify(body),
});
const workshopRoute = (workshop: string, action: string) => `/api/workshops/${encodeURIComponent(workshop)}/${action}`;

export const api = {
  labs: () => request(LabSummariesSchema, '/api/labs'),
  preflight: (labId: string) => request(PreflightReportSchema, `/api/preflight?lab=${encodeURIComponent(labId)}`),
  lab: (id: string) => request(LabSchema, `/api/labs/${encodeURIComponent(id)}`),
  failures: () => request(LabFailuresSchema, '/api/lab-failures'),
  me: () => request(MeSchema, '/api/me'),
  setName: (name: string) =>
    request(MeSchema, '/api/me', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name }),
    }),
  attendees: (token: string) => request(InstructorAttendeesSchema, '/api/instructor/attendees', bearer(token)),
  resetSandbox: (token: string, attendee: string) =>
    request(ResetResultSchema, `/api/sandboxes/${encodeURIComponent(attendee)}/reset`, {
      method: 'POST',
      ...bearer(token),
    }),
  join: (code: string, name: string) =>
    request(JoinedSchema, '/api/join', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ code, name }) }),
  openWorkshop: (token: string, lab: string, title?: string, maxAttendees?: number) =>
    request(NewWorkshopSchema, '/api/workshops', {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ lab, ...(title ? { title } : {}), ...(maxAttendees ? { maxAttendees } : {}) }),
    }),
  workshops: (token: string) => request(WorkshopListSchema, '/api/workshops', bearer(token)),
  workshop: (token: string, id: string) => request(WorkshopSchema, `/api/workshops/${encodeURIComponent(id)}`, bearer(token)),
  /** A message to one attendee of the workshop, or to all of them without `attendee`. */
  sendMessage: (token: string, workshop: string, text: string, attendee?: string) =>
    request(MessageSentSchema, `/api/workshops/${encodeURIComponent(workshop)}/messages`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ text, ...(attendee ? { attendee } : {}) }),
    }),
  /** The progress CSV as a Blob: it needs the bearer token, which a plain link cannot send. */
  progressCsv: async (token: string, workshop: string): Promise<Blob> => {
    let res: Response;
    try {
      res = await fetch(`/api/workshops/${encodeURIComponent(workshop)}/progress.csv`, { cache: 'no-store', ...bearer(token) });
    } catch {
      throw new ApiError(0, 'The labdeck server is unreachable.');
    }
    if (!res.ok) {
      const error = ApiErrorBodySchema.safeParse(await res.json().catch(() => undefined));
      throw new ApiError(res.status, error.success ? error.data.error : `${res.status} ${res.statusText}`);
    }
    return res.blob();
  },
  /** The step the workshop's presenter is on (null: nobody presents). */
  presenter: (token: string, workshop: string) => request(PresenterStateSchema, `/api/workshops/${encodeURIComponent(workshop)}/presenter`, bearer(token)),
  /** Move the presenter to `step` (null: stop presenting); every attendee of the workshop is told. */
  present: (token: string, workshop: string, step: number | null) =>
    request(PresenterStateSchema, `/api/workshops/${encodeURIComponent(workshop)}/presenter`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ step }),
    }),
  /** Capacity and lifecycle of a workshop (server/http/capacity-api.ts). */
  capacity: (token: string, workshop: string) => request(CapacitySchema, `/api/workshops/${encodeURIComponent(workshop)}/capacity`, bearer(token)),
  prepare: (token: string, workshop: string, count: number) => request(PrepareStatusSchema, workshopRoute(workshop, 'prepare'), postJson(token, { count })),
  closeWorkshop: (token: string, workshop: string, warnSeconds?: number) =>
    request(CloseScheduledSchema, workshopRoute(workshop, 'close'), postJson(token, warnSeconds === undefined ? {} : { warnSeconds })),
  pauseWorkshop: (token: string, workshop: string) => request(TransitionResultSchema, workshopRoute(workshop, 'pause'), postJson(token, {})),
  resumeWorkshop: (token: string, workshop: string) => request(TransitionResultSchema, workshopRoute(workshop, 'resume'), postJson(token, {})),
  /** Reset the named attendees of the workshop, or all of them without `attendees`. */
  resetMany: (token: string, workshop: string, attendees?: string[]) =>
    request(ResetQueuedSchema, workshopRoute(workshop, 'reset'), postJson(token, attendees ? { attendees } : {})),
  notes: (token: string, labId: string) =>
    request(StepNotesListSchema, `/api/instructor/labs/${encodeURIComponent(labId)}/notes`, bearer(token)),
};
