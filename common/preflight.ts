/** What preflight reports for an attendee's sandbox (GET /api/preflight, `npm run doctor`). */

export interface ToolStatus {
  name: string;
  found: boolean;
  /** First line of the version command's output, when found. */
  version: string | null;
  install: string | null;
  why: string | null;
}

export interface PreflightReport {
  tools: ToolStatus[];
  /** `ok`: a container ran; `no-image`: the engine answers but has no local image to run (no registry). */
  engine: { name: string; state: 'ok' | 'failed' | 'no-image' | 'none'; detail: string };
  checkedAt: number;
}
