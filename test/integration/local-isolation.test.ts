// issue 8 §3: with the local driver, an attendee's shell cannot read the server's secrets, another
// attendee's workspace, or another attendee's processes. Each probe runs in a real shell over a real
// WebSocket against the real server, and is judged by what the attacker's shell actually printed.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { statSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { readyTerminal, startServer, INSTRUCTOR_TOKEN, type RunningServer, type TermClient } from '../support/server.js';

const asRoot = process.getuid?.() === 0;
const rootOnly = asRoot ? false : 'the server is not root, so a local shell is the user\'s own account by design (docs/operations.md)';

let server: RunningServer;
let alice: TermClient;
let bob: TermClient;
let probes = 0;

/** Run `cmd` in `term`; its output (stdout and stderr, NULs shown as newlines) and exit status. */
async function run(term: TermClient, cmd: string): Promise<{ out: string; code: number }> {
  const n = ++probes;
  term.output = '';
  // `$((n+0))` only becomes n when bash evaluates it, so the echo of the typed line cannot match.
  term.type(`{ ${cmd}; } 2>&1 | tr '\\0' '\\n' | head -c 20000; echo "@@end-$((${n}+0)) \${PIPESTATUS[0]}"\r`);
  const m = await term.waitForOutput(new RegExp(`@@end-${n} (\\d+)\\r\\n`));
  const typed = term.output.indexOf('\r\n');
  // bash turns bracketed paste off while a command runs: that mode switch is not the command's output.
  const out = term.output.slice(typed + 2, m.index).replace(/\u001b\[\?2004[hl]\r?/g, '');
  return { out, code: Number(m[1]) };
}

/** Assert the probe failed and printed none of `secrets`. */
function refused(r: { out: string; code: number }, why: RegExp, ...secrets: string[]): void {
  assert.notEqual(r.code, 0, `the command succeeded:\n${r.out}`);
  assert.match(r.out, why);
  for (const s of secrets) assert.ok(!r.out.includes(s), `the output holds a secret:\n${r.out}`);
}

before(async () => {
  server = await startServer({ POOL_SIZE: '1' });
  // Wide enough that no typed probe wraps, so its echo is exactly one line.
  const size = { cols: 400, rows: 50 };
  alice = (await readyTerminal(server, undefined, size)).term;
  bob = (await readyTerminal(server, undefined, size)).term;
});
after(async () => {
  alice?.close();
  bob?.close();
  await server?.stop();
});

test('the data folder is 0700 and the database 0600', () => {
  assert.equal(statSync(server.dataDir).mode & 0o777, 0o700);
  for (const f of ['labdeck.db', 'labdeck.db-wal', 'labdeck.db-shm']) assert.equal(statSync(path.join(server.dataDir, f)).mode & 0o777, 0o600, f);
});

test('the shell works normally, as a user that is not root', { skip: rootOnly }, async () => {
  const hello = await run(alice, 'x=; echo he${x}llo; echo "$USER:$LOGNAME"; id -u; id -G; cd && touch made-here && stat -c "%a %u" "$HOME" made-here "$(tty)"');
  assert.equal(hello.code, 0, hello.out);
  const [greeting, names, uid, groups, home, file, tty] = hello.out.trim().split('\r\n');
  assert.equal(greeting, 'hello');
  assert.equal(names, 'attendee:attendee');
  assert.notEqual(uid, '0');
  assert.equal(groups, uid, 'no supplementary groups (in particular not root\'s)');
  assert.equal(home, `700 ${uid}`);
  assert.equal(file, `644 ${uid}`);
  assert.equal(tty, `600 ${uid}`, 'its terminal is its own, as after a login');
  const bobs = await run(bob, 'id -u');
  assert.notEqual(bobs.out.trim(), uid, 'each sandbox has a uid of its own');
  assert.notEqual(bobs.out.trim(), '0');
});

test("the server's environment and process are out of reach", { skip: rootOnly }, async () => {
  const pid = server.proc.pid!;
  refused(await run(alice, `cat /proc/${pid}/environ`), /Permission denied/, INSTRUCTOR_TOKEN);
  refused(await run(alice, `kill -0 ${pid}`), /Operation not permitted/);
});

test("the server's data folder and database are out of reach", { skip: rootOnly }, async () => {
  const db = new Database(path.join(server.dataDir, 'labdeck.db'), { readonly: true });
  const { value: cookieSecret } = db.prepare("SELECT value FROM settings WHERE key = 'cookie-secret'").get() as { value: string };
  db.close();
  refused(await run(alice, `cat ${server.dataDir}/labdeck.db`), /Permission denied/, cookieSecret, 'SQLite format');
  refused(await run(alice, `cat ${server.dataDir}/labdeck.db-wal`), /Permission denied/, cookieSecret);
  refused(await run(alice, `ls -la ${server.dataDir}`), /Permission denied/, 'labdeck.db');
});

test("another attendee's workspace and processes are out of reach", { skip: rootOnly }, async () => {
  const mine = await run(bob, 'cd && echo bob-$((6*7))-secret > notes.txt && echo "$$ $HOME"');
  const [bobPid, bobHome] = mine.out.trim().split(' ') as [string, string];
  assert.match(bobHome, /^\/\S+local-[0-9a-f]+$/);
  refused(await run(alice, `ls ${bobHome}`), /Permission denied/, 'notes.txt');
  refused(await run(alice, `cat ${bobHome}/notes.txt`), /Permission denied/, 'bob-42-secret');
  refused(await run(alice, `ls ${path.dirname(bobHome)}`), /Permission denied/, path.basename(bobHome));
  refused(await run(alice, `kill -0 ${bobPid}`), /Operation not permitted/);
  refused(await run(alice, `cat /proc/${bobPid}/environ`), /Permission denied/, 'LABDECK_SANDBOX');
  // Bob's shell is unharmed by all that.
  const still = await run(bob, 'cat notes.txt');
  assert.equal(still.out.trim(), 'bob-42-secret');
});
