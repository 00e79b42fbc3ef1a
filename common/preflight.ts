/** What preflight reports for an attendee's sandbox (GET /api/preflight, `npm run doctor`): defined in common/api.ts. */
export type { PreflightReport, ToolStatus } from './api.js';
