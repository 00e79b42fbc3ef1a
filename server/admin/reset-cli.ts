/**
 * `npm run reset -- <attendee|--all> [--url http://127.0.0.1:3000]`: the instructor's reset from the
 * command line, through the running server's HTTP API. The token comes from INSTRUCTOR_TOKEN.
 */
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
  const headers = { Authorization: `Bearer ${token}` };
  let ids = targets;
  if (all) {
    const res = await fetch(`${base}/api/instructor/attendees`, { headers });
    if (!res.ok) {
      console.error(`reset: ${res.status} ${await res.text()}`);
      return 1;
    }
    ids = ((await res.json()) as { attendee: string; sandbox: unknown }[]).filter((a) => a.sandbox).map((a) => a.attendee);
  }
  let failed = 0;
  for (const id of ids) {
    const res = await fetch(`${base}/api/sandboxes/${encodeURIComponent(id)}/reset`, { method: 'POST', headers });
    const body = await res.text();
    console.log(`${id}: ${res.ok ? 'reset' : `failed (${res.status}) ${body}`}`);
    if (!res.ok) failed++;
  }
  return failed ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(`reset: could not reach ${base}: ${String(err)}`);
    process.exit(1);
  },
);
