/**
 * The JSON API's route table (issue 18 §7): every route is one row, its method, its path pattern, who
 * may call it and the schema of its body (common/api.ts), and api.ts dispatches them all the same way:
 *
 *   path → method (405) → who (401, or 429 for a token guesser) → for a write: Origin and Content-Type
 *   (403, 415) → `:workshop` looked up (404) → body read and parsed (413, 400) → the handler.
 *
 * So no route file repeats the instructor check, the workshop lookup or the body rules, and a new route
 * cannot forget them. The route files (attendee-api.ts, instructor-api.ts, workshop-api.ts,
 * capacity-api.ts, presenter-api.ts, teach-api.ts) hold only what their routes do.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { z } from 'zod';
import type { LabCatalog } from '../labs/catalog.js';
import type { SessionManager } from '../terminal/sessions.js';
import type { Messages } from '../store/messages.js';
import type { ReadModels } from '../store/read-models.js';
import type { StoredWorkshop, Workshops } from '../store/workshops.js';
import type { DriverInfo } from '../sandbox/driver.js';
import type { TerminalGateway } from '../terminal/gateway.js';
import type { Presenter } from '../workshop/presenter.js';
import type { WorkshopControl } from '../workshop/control.js';
import type { TeachRuntime } from '../teach/runtime.js';
import type { Logger } from '../log.js';
import type { Auth } from './auth.js';
import type { FailureBudget } from './rate-limit.js';

/** What the routes may use; server/main.ts builds it. */
export interface ApiDeps {
  labs: LabCatalog;
  sessions: SessionManager;
  /** What the routes read and write of the store (main.ts composes it from the store's modules). */
  store: Workshops & Pick<Messages, 'addMessage'> & Pick<ReadModels, 'attendees' | 'classFacts' | 'progressRows'>;
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
  /** REQUIRE_JOIN=1: attendee rows only for people who joined (issue 17 §4). */
  requireJoin: boolean;
  /** Wrong join codes, per address and overall (issue 17 §2; workshop-api.ts). */
  joinBudget: FailureBudget;
  isReady(): boolean;
}

/**
 * Who may call a route: anyone; an attendee (the session cookie; 401 without one); the instructor (the
 * bearer token; 401 without it, 429 while the address is out of its budget of wrong tokens).
 */
export type Who = 'anyone' | 'attendee' | 'instructor';
export type Method = 'GET' | 'POST' | 'PUT';

/** `:workshop` in a path is looked up before the handler runs: 404 when there is no such workshop. */
type WorkshopOf<P extends string> = P extends `${string}:workshop${string}` ? StoredWorkshop : undefined;

export interface Ctx<P extends string, W extends Who, B> {
  req: IncomingMessage;
  res: ServerResponse;
  url: URL;
  /** The path's `:name` segments, %-decoded. */
  params: Record<string, string>;
  /** The caller's session; always there on an attendee route. */
  attendee: W extends 'attendee' ? string : string | null;
  workshop: WorkshopOf<P>;
  body: B;
  deps: ApiDeps;
}

/** One row of the table, its types erased (route() and write() keep them for the handler). */
export interface Route {
  method: Method;
  path: string;
  who: Who;
  /** The body's schema: every POST and PUT has one (an action with nothing to say takes EmptyRequestSchema). */
  body: z.ZodType | null;
  handle(ctx: Ctx<string, Who, unknown>): Promise<void> | void;
  /** Compiled from `path`. */
  match(pathname: string): Record<string, string> | null;
}

/** A GET route. */
export function get<P extends string, W extends Who>(path: P, who: W, handle: (ctx: Ctx<P, W, undefined>) => Promise<void> | void): Route {
  return { method: 'GET', path, who, body: null, handle, match: compile(path) };
}

/** A state-changing route: its body is parsed with `body` before `handle` runs. */
export function write<P extends string, W extends Who, S extends z.ZodType>(
  method: 'POST' | 'PUT',
  path: P,
  who: W,
  body: S,
  handle: (ctx: Ctx<P, W, z.output<S>>) => Promise<void> | void,
): Route {
  return { method, path, who, body, handle, match: compile(path) };
}

/**
 * `/api/workshops/:workshop/messages` → a matcher returning `{workshop: '…'}`. A segment matches one
 * path segment, %-decoded; one that does not decode does not match (boundary.ts already refused it).
 */
function compile(path: string): (pathname: string) => Record<string, string> | null {
  const parts = path.split('/');
  return (pathname) => {
    const got = pathname.split('/');
    if (got.length !== parts.length) return null;
    const params: Record<string, string> = {};
    for (let i = 0; i < parts.length; i++) {
      const want = parts[i]!;
      if (want.startsWith(':')) {
        if (!got[i]) return null;
        try {
          params[want.slice(1)] = decodeURIComponent(got[i]!);
        } catch {
          return null;
        }
      } else if (want !== got[i]) return null;
    }
    return params;
  };
}

/** Send `body`; callers name T, the reply's type from common/api.ts, so the body is checked against it. */
export function json<T extends object>(res: ServerResponse, status: number, body: T, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store', ...headers });
  res.end(text);
}

/** A refusal the page shows as it is (`{error}`), with Retry-After on a 429. */
export function refuseWith(res: ServerResponse, status: number, error: string, retryAfterS?: number): void {
  json(res, status, { error }, retryAfterS === undefined ? {} : { 'Retry-After': String(retryAfterS) });
}

const lastWarned = new Map<string, number>();

/**
 * A refusal worth the operator's attention, logged at most once a minute per kind: a guesser sends
 * thousands, and the log must not be how they fill the disk.
 */
export function warnOnce(what: string, req: IncomingMessage, deps: Pick<ApiDeps, 'log'>): void {
  const now = Date.now();
  if (now - (lastWarned.get(what) ?? 0) < 60_000) return;
  lastWarned.set(what, now);
  deps.log.warn(what, { addr: req.socket.remoteAddress ?? '', note: 'logged once a minute' });
}
