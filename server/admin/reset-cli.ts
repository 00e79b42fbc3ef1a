/**
 * `npm run reset -- <attendee|--all> [--url http://127.0.0.1:3000]`: the instructor's reset from the
 * command line, through the running server's HTTP API. The token comes from INSTRUCTOR_TOKEN; it is
 * what authenticates these requests, so they need no Origin (server/http/json-body.ts), but like every
 * write they are JSON.
 */
import { ApiErrorBodySchema, InstructorAttendeePageSchema, MAX_ATTENDEE_PAGE } from '../../common/api.js';

const args = process.argv.slice(2);
const urlAt = args.indexOf('--url');
const base = (urlAt >= 0 ? args[urlAt + 1] : undefined) ?? process.env.LABDECK_URL ?? `http://127.0.0.1:${process.env.PORT ?? 3000}`;
const targets = args.filter((a, i) => !a.startsWith('--') && i !== urlAt + 1);
const all = args.includes('--all');
const token = process.env.INSTRUCTOR_TOKEN;

async function main(): Promise<number> {
  if (!token) {
    console.error('reset: set INSTRUCTOR_TOKEN to the token the server printed at start');
    return 2;
  }
  if (!all && targets.length === 0) {
    console.error('usage: npm run reset -- <attendee-id>... | --all   [--url http://host:port]');
    return 2;
  }
  const auth = { Authorization: `Bearer ${token}` };
  let ids = targets;
  if (all) {
    ids = [];
    // A page at a time (issue 17 §4): the server never sends its whole table at once.
    for (let cursor: string | null = ''; cursor !== null; ) {
      const res = await fetch(`${base}/api/instructor/attendees?limit=${MAX_ATTENDEE_PAGE}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`, { headers: auth });
      if (!res.ok) {
        console.error(`reset: ${res.status} ${await errorOf(res)}`);
        return 1;
      }
      const page = InstructorAttendeePageSchema.parse(await res.json());
      ids.push(...page.attendees.filter((a) => a.sandbox).map((a) => a.attendee));
      cursor = page.next;
    }
  }
  let failed = 0;
  for (const id of ids) {
    const res = await fetch(`${base}/api/sandboxes/${encodeURIComponent(id)}/reset`, {
      method: 'POST',
      headers: { ...auth, 'Content-Type': 'application/json' },
      body: '{}',
    });
    console.log(`${id}: ${res.ok ? 'reset' : `failed (${res.status}) ${await errorOf(res)}`}`);
    if (!res.ok) failed++;
  }
  return failed ? 1 : 0;
}

async function errorOf(res: Response): Promise<string> {
  const text = await res.text();
  try {
    const parsed = ApiErrorBodySchema.safeParse(JSON.parse(text));
    if (parsed.success) return parsed.data.error;
  } catch {
    // not JSON: the text as it came
  }
  return text.trim() || res.statusText;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(`reset: could not reach ${base}: ${String(err)}`);
    process.exit(1);
  },
);
