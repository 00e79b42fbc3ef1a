// The local driver under the real server: instructor reset ends every process the attendee started
// (also ones that left the shell's session) and empties the workspace.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { pgrep } from '../support/procs.js';
import { readyTerminal, startServer, INSTRUCTOR_TOKEN, type RunningServer } from '../support/server.js';
import { InstructorAttendeePageSchema } from '../../common/api.js';

let server: RunningServer;
before(async () => {
  server = await startServer({ POOL_SIZE: '1' });
});
after(async () => {
  await server?.stop();
});


test('instructor reset kills background processes, empties the workspace, and the shell answers', async () => {
  const { term } = await readyTerminal(server);
  const tag = String(4000 + Math.floor(Math.random() * 5000));
  term.type(`sleep ${tag}1 & setsid sleep ${tag}2 & nohup sleep ${tag}3 >/dev/null 2>&1 & echo written > keep-me.txt; echo do$((1+1))ne\r`);
  await term.waitForOutput(/do2ne/);
  await term.until(() => pgrep(`sleep ${tag}[123]`).length === 3, 'three sleeps running');
  term.type('pwd\r');
  const home = (await term.waitForOutput(/[\r\n](\/\S+local-[0-9a-f]+)\r\n/))[1]!;

  const me = InstructorAttendeePageSchema.parse(await (await server.instructor('/api/instructor/attendees?limit=500')).json()).attendees;
  const attendee = me.find((a) => a.connected)!.attendee;
  const from = term.messages.length;
  const res = await server.instructor(`/api/sandboxes/${attendee}/reset`, 'POST');
  assert.equal(res.status, 200);
  const reset = await term.waitForMessage('reset', 10_000, from);
  assert.equal(reset.by, 'instructor');
  await term.waitForMessage('ready', 10_000, from);

  await term.until(() => pgrep(`sleep ${tag}[123]`).length === 0, 'every sleep to be gone', 5_000);
  term.output = '';
  term.type('ls -A; pwd; echo fre$((2+3))sh\r');
  await term.waitForOutput(/fre5sh/);
  assert.doesNotMatch(term.output, /keep-me\.txt/);
  const newHome = /[\r\n](\/\S+local-[0-9a-f]+)\r\n/.exec(term.output)?.[1];
  assert.ok(newHome && newHome !== home, 'a fresh workspace');
  term.close();
});

test('reset of an unknown attendee is a 404, without a token a 401', async () => {
  const bad = await server.instructor('/api/sandboxes/a-nobody12345/reset', 'POST');
  assert.equal(bad.status, 404);
  const anon = await fetch(`${server.url}/api/sandboxes/a-nobody12345/reset`, { method: 'POST' });
  assert.equal(anon.status, 401);
});

test('npm run reset resets an attendee from the command line', async () => {
  const { term } = await readyTerminal(server);
  term.type('touch cli-was-here; echo to$((1+1))uched\r');
  await term.waitForOutput(/to2uched/);
  const list = InstructorAttendeePageSchema.parse(await (await server.instructor('/api/instructor/attendees?limit=500')).json()).attendees;
  const attendee = list.filter((a) => a.connected).at(-1)!.attendee;
  const from = term.messages.length;
  const out = execFileSync(process.execPath, ['--import', 'tsx', 'server/admin/reset-cli.ts', attendee, '--url', server.url], {
    encoding: 'utf8',
    env: { ...process.env, INSTRUCTOR_TOKEN },
  });
  assert.match(out, new RegExp(`${attendee}: reset`));
  await term.waitForMessage('ready', 10_000, from);
  term.output = '';
  term.type('ls; echo li$((2+2))sted\r');
  await term.waitForOutput(/li4sted/);
  assert.doesNotMatch(term.output, /cli-was-here/);
  term.close();
});
