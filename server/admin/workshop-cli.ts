/**
 * `npm run workshop -- open <lab> [--title T] [--max N] [--url http://127.0.0.1:3000]`: the dashboard's
 * "Open a workshop" from the command line, through the running server's HTTP API (like reset-cli.ts),
 * so the server stays the only writer of its database. Prints the join code and URL. The token comes
 * from INSTRUCTOR_TOKEN.
 */
import { parseArgs } from 'node:util';
import { ApiErrorBodySchema, NewWorkshopSchema, type NewWorkshopRequest } from '../../common/api.js';

const USAGE = 'usage: npm run workshop -- open <lab> [--title "Morning class"] [--max 60] [--url http://host:port]';

async function main(): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: process.argv.slice(2),
      allowPositionals: true,
      options: { title: { type: 'string' }, max: { type: 'string' }, url: { type: 'string' } },
    });
  } catch (err) {
    console.error(`workshop: ${err instanceof Error ? err.message : String(err)}\n${USAGE}`);
    return 2;
  }
  const { values, positionals } = parsed;
  const [command, lab, ...extra] = positionals;
  if (command !== 'open' || !lab || extra.length > 0) {
    console.error(USAGE);
    return 2;
  }
  const token = process.env.INSTRUCTOR_TOKEN;
  if (!token) {
    console.error('workshop: set INSTRUCTOR_TOKEN to the token the server printed at start');
    return 2;
  }
  if (values.max !== undefined && !/^\d+$/.test(values.max)) {
    console.error(`workshop: --max ${values.max}: expected a whole number of attendees`);
    return 2;
  }
  const base = values.url ?? process.env.LABDECK_URL ?? `http://127.0.0.1:${process.env.PORT ?? 3000}`;
  // The bearer token authenticates the request: no Origin needed (server/http/json-body.ts).
  const body: NewWorkshopRequest = { lab, ...(values.title ? { title: values.title } : {}), ...(values.max ? { maxAttendees: Number(values.max) } : {}) };
  let res: Response;
  try {
    res = await fetch(`${base}/api/workshops`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
      body: JSON.stringify(body),
    });
  } catch (err) {
    console.error(`workshop: could not reach ${base}: ${String(err)}`);
    return 1;
  }
  const reply: unknown = await res.json().catch(() => null);
  if (res.status !== 201) {
    const error = ApiErrorBodySchema.safeParse(reply);
    console.error(`workshop: ${res.status} ${error.success ? error.data.error : res.statusText}`);
    return 1;
  }
  const w = NewWorkshopSchema.parse(reply);
  console.log(`code: ${w.code}\nurl:  ${w.joinUrl}\nid:   ${w.id}`);
  return 0;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(`workshop: ${String(err)}`);
    process.exit(1);
  },
);
