/**
 * Typed fetch helpers for labdeck's HTTP API (served by server/main.ts on the same origin).
 * Every helper throws an ApiError carrying the server's `{ error }` message, so pages can show it.
 */
import type { Lab, LabLoadFailure, LabSummary, StepNotes } from '@/common/lab-model';
import type { PreflightReport } from '@/common/preflight';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** What GET /api/me returns: who this browser is, and what kind of sandbox it gets. */
export interface Me {
  attendee: string;
  name: string | null;
  driver: string;
  isolation: string;
}

/** One row of GET /api/instructor/attendees. */
export interface AttendeeRow {
  attendee: string;
  name: string | null;
  labId: string | null;
  step: number | null;
  connected: boolean;
  /** Blocks run so far. */
  runs?: number;
  /** `health` is only known while the attendee has a live session. */
  sandbox: { id: string; driver: string; health?: string } | null;
  lastSeen: string | number | null;
}

async function request<T>(path: string, init?: RequestInit): Promise<T> {
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
    const message =
      body && typeof body === 'object' && 'error' in body && typeof body.error === 'string'
        ? body.error
        : `${res.status} ${res.statusText}`;
    throw new ApiError(res.status, message);
  }
  return body as T;
}

const bearer = (token: string): RequestInit => ({ headers: { authorization: `Bearer ${token}` } });

export const api = {
  labs: () => request<LabSummary[]>('/api/labs'),
  preflight: (labId: string) => request<PreflightReport>(`/api/preflight?lab=${encodeURIComponent(labId)}`),
  lab: (id: string) => request<Lab>(`/api/labs/${encodeURIComponent(id)}`),
  failures: () => request<LabLoadFailure[]>('/api/lab-failures'),
  me: () => request<Me>('/api/me'),
  setName: (name: string) =>
    request<Me>('/api/me', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name }),
    }),
  attendees: (token: string) => request<AttendeeRow[]>('/api/instructor/attendees', bearer(token)),
  resetSandbox: (token: string, attendee: string) =>
    request<{ ok: true }>(`/api/sandboxes/${encodeURIComponent(attendee)}/reset`, {
      method: 'POST',
      ...bearer(token),
    }),
  notes: (token: string, labId: string) =>
    request<StepNotes[]>(`/api/instructor/labs/${encodeURIComponent(labId)}/notes`, bearer(token)),
};
