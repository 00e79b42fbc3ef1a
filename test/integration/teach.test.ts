// The teaching runtime (issue 11) against the real server, real WebSockets and real sandboxes, local
// and podman: checks that pass, fail and hang (killed with their background child), setup scripts,
// the reset script, a solution typed through the Run path, a python snippet's output streamed, and
// that the cookie alone decides whose sandbox a check runs in.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import Database from 'better-sqlite3';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pgrep } from '../support/procs.js';
import { removeWorkshop } from '../support/podman.js';
import { ROOT, readyTerminal, startServer, type RunningServer, type TermClient } from '../support/server.js';

const token = `t${process.pid}x${Date.now() % 1_000_000}`;
const LAB = 'teach';
const resetMark = path.join(tmpdir(), `labdeck-reset-${token}`);
/** Where the scenario's big asset goes: a folder any sandbox user may create, local or in a container. */
const assetDir = `/tmp/labdeck-assets-${token}`;
/** The scenario's own folder (its scripts say /tmp/lab): this run's, since a local sandbox shares the host's /tmp. */
const scenarioTmp = `/tmp/labdeck-lab-${token}`;
/** Far beyond one exec argument (128 KiB): it must travel in chunks. */
const bigAsset = randomBytes(3 * 1024 * 1024 + 5);

/** A lab that needs nothing but bash and python3. `[l]` keeps the pgrep pattern from matching itself. */
function labText(): string {
  return `<!-- labdeck
setup: echo "lab-setup-$((2+3))" >> ~/lab-setup.txt
reset: echo reset-ran > ${resetMark}
-->

# Marker

\`\`\`bash +exec +id:make-marker
touch ~/marker-$((6*7))
\`\`\`

<!-- labdeck
step:
  check:
    script: |
      test -f ~/marker-42 || { echo "no marker-42 in your home yet (${token})"; exit 3; }
      echo found the marker
    timeout: 10
  hints:
    - Run the block.
  solution: touch ~/marker-42
  setup: echo "step-setup-$((3+4))" > ~/step-setup.txt
-->

<!-- end_slide -->

# Hang

<!-- labdeck
step:
  check:
    script: |
      bash -c 'exec -a labdeck-hang-${token} sleep 1000' &
      exec -a labdeck-hang-${token} sleep 1001
    timeout: 2
-->

<!-- end_slide -->

# Snippets

\`\`\`python +exec +id:py
/// import os, time
print("waiting for go", flush=True)
while not os.path.exists(os.path.expanduser("~/go-${token}")):
    time.sleep(0.05)
print("finished", 6 * 7)
\`\`\`

\`\`\`ruby +exec +id:rb
puts "hi"
\`\`\`

\`\`\`python +exec +id:py-long
/// import os, subprocess, sys
/// if sys.argv[1:] != ["labdeck-long-${token}"]:
///     os.execv(sys.executable, [sys.executable, "-u", __file__, "labdeck-long-${token}"])
child = subprocess.Popen(["bash", "-c", "exec -a labdeck-long-${token}-child sleep 1000"])
print("started", flush=True)
child.wait()
\`\`\`
`;
}

interface Call {
  status: number;
  body: Record<string, unknown>;
}

async function post(server: RunningServer, route: string, body: unknown, cookie?: string, headers: Record<string, string> = {}): Promise<Call> {
  const res = await fetch(server.url + route, {
    method: 'POST',
    // As the browser sends it: JSON, with the page's Origin (a write without one is refused: issue 18 §7).
    headers: { 'Content-Type': 'application/json', Origin: server.url, ...(cookie ? { Cookie: cookie } : {}), ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

/** Read the snippet's NDJSON stream; `onLine` may act on each message (e.g. let the snippet finish). */
async function snippet(server: RunningServer, cookie: string, block: string, onLine: (m: { type: string; data?: string }) => Promise<void> | void) {
  const res = await fetch(server.url + '/api/snippet', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Origin: server.url, Cookie: cookie },
    body: JSON.stringify({ lab: LAB, block }),
  });
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type') ?? '', /application\/x-ndjson/);
  const messages: { type: string; data?: string; ok?: boolean; message?: string }[] = [];
  const decoder = new TextDecoder();
  let pending = '';
  for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
    pending += decoder.decode(chunk, { stream: true });
    for (let nl = pending.indexOf('\n'); nl >= 0; nl = pending.indexOf('\n')) {
      const msg = JSON.parse(pending.slice(0, nl)) as (typeof messages)[number];
      pending = pending.slice(nl + 1);
      messages.push(msg);
      await onLine(msg);
    }
  }
  return messages;
}

/** Type a command and wait for a pattern that only its output (not its echo) can match. */
async function shell(term: TermClient, command: string, expect: RegExp): Promise<void> {
  term.type(`${command}\r`);
  await term.waitForOutput(expect, 20_000);
}

/** The reset events the store logged for `attendee` (issue 10's event log), read from the server's own file. */
function resetEvents(dataDir: string, attendee: string): string[] {
  const db = new Database(path.join(dataDir, 'labdeck.db'), { readonly: true });
  try {
    return (db.prepare("SELECT detail FROM events WHERE attendee = ? AND kind = 'reset' ORDER BY id").all(attendee) as { detail: string }[]).map((r) => r.detail);
  } finally {
    db.close();
  }
}

function suite(driver: 'local' | 'podman'): void {
  describe(`teaching runtime, ${driver} sandbox`, () => {
    const labsDir = mkdtempSync(path.join(tmpdir(), 'labdeck-teach-labs-'));
    // Kept across the restarts of the reset tests (issue 18 bug 2), removed in after().
    const dataDir = mkdtempSync(path.join(tmpdir(), 'labdeck-teach-data-'));
    const env: Record<string, string> = { LABS_DIR: labsDir };
    let server: RunningServer;
    const workshop = `t-teach-${token}`;
    /** Stop the server (SIGTERM: a podman sandbox stays for the next one to re-adopt) and start it again on the same data. */
    const restart = async () => {
      await server.stop();
      server = await startServer(env, { dataDir });
    };

    before(async () => {
      mkdirSync(path.join(labsDir, LAB));
      writeFileSync(path.join(labsDir, LAB, 'teach.md'), labText());
      cpSync(path.join(ROOT, 'server', 'labs', 'fixtures', 'killercoda', 'complete'), path.join(labsDir, 'scenario'), { recursive: true });
      writeFileSync(path.join(labsDir, 'scenario', 'assets', 'big.bin'), bigAsset);
      for (const script of ['intro/background.sh', 'step1/background.sh', 'step1/foreground.sh', 'step1/verify.sh', 'finish/background.sh']) {
        const file = path.join(labsDir, 'scenario', script);
        writeFileSync(file, readFileSync(file, 'utf8').replaceAll('/tmp/lab', scenarioTmp));
      }
      const index = JSON.parse(readFileSync(path.join(labsDir, 'scenario', 'index.json'), 'utf8')) as { details: { assets: Record<string, unknown[]> } };
      index.details.assets.host01?.push({ file: 'big.bin', target: assetDir });
      writeFileSync(path.join(labsDir, 'scenario', 'index.json'), JSON.stringify(index));
      if (driver === 'podman') Object.assign(env, { SANDBOX: 'podman', WORKSHOP: workshop, POOL_SIZE: '1' });
      server = await startServer(env, { dataDir });
    });
    after(async () => {
      await server?.stop();
      if (driver === 'podman') await removeWorkshop(workshop);
      rmSync(labsDir, { recursive: true, force: true });
      rmSync(dataDir, { recursive: true, force: true });
      rmSync(resetMark, { force: true });
      rmSync(assetDir, { recursive: true, force: true });
      rmSync(scenarioTmp, { recursive: true, force: true });
    });

    test('a check fails with its output, passes once the step is done, and never reaches the terminal', async () => {
      const { term, cookie } = await readyTerminal(server);
      const failed = await post(server, '/api/check', { lab: LAB, step: 0 }, cookie);
      assert.equal(failed.status, 200);
      assert.equal(failed.body.passed, false);
      assert.match(String(failed.body.message), new RegExp(`no marker-42 in your home yet \\(${token}\\)`));

      term.send({ type: 'run', labId: LAB, blockId: 'make-marker' });
      await shell(term, 'ls ~ | grep -c "^marker-42$"', /[\r\n]1\r\n/);
      const passed = await post(server, '/api/check', { lab: LAB, step: 0 }, cookie);
      assert.deepEqual(passed.body, { passed: true, message: 'found the marker' });
      const progress = (await (await fetch(`${server.url}/api/check?lab=${LAB}`, { headers: { Cookie: cookie } })).json()) as { passed: number[] };
      assert.deepEqual(progress.passed, [0]);

      // Out of band: the check's text is neither in the terminal's output nor in the shell's history.
      await shell(term, 'history; echo END-$((1+1))', /END-2\r\n/);
      assert.doesNotMatch(term.output, new RegExp(token));
      term.close();
    });

    test('a check that hangs is killed at its timeout, its background child too', async () => {
      const { term, cookie } = await readyTerminal(server);
      const r = await post(server, '/api/check', { lab: LAB, step: 1 }, cookie);
      assert.equal(r.status, 200);
      assert.equal(r.body.passed, false);
      assert.match(String(r.body.message), /timed out after 2 s/);
      // Killed processes may still be reaped by their new parent for a moment; none may live on.
      const deadline = Date.now() + 5000;
      while (pgrep(`labdeck-hang-${token}`).length > 0 && Date.now() < deadline) await new Promise((res) => setTimeout(res, 100));
      assert.deepEqual(pgrep(`labdeck-hang-${token}`), [], 'no process of the check is left');
      term.close();
    });

    test('setup: the lab setup once per sandbox, the step setup each time the step is entered', async () => {
      const { term, cookie } = await readyTerminal(server);
      const first = await post(server, '/api/setup', { lab: LAB, step: 0 }, cookie);
      assert.deepEqual(first.body, { ok: true, ran: ['lab', 'step'], message: '' });
      const again = await post(server, '/api/setup', { lab: LAB, step: 0 }, cookie);
      assert.deepEqual(again.body, { ok: true, ran: ['step'], message: '' });
      // The lab setup appends: one line means it ran once.
      await shell(term, 'cat ~/lab-setup.txt ~/step-setup.txt | tr "\\n" " "; echo', /lab-setup-5 step-setup-7 \r\n/);
      term.close();
    });

    test('the solution is typed visibly into the terminal, through the Run path', async () => {
      const { term, cookie } = await readyTerminal(server);
      const r = await post(server, '/api/type', { lab: LAB, step: 0, what: 'solution' }, cookie);
      assert.deepEqual(r.body, { typed: true });
      await term.waitForOutput(/touch ~\/marker-42/);
      await shell(term, 'ls ~ | grep -c "^marker-42$"', /[\r\n]1\r\n/);
      assert.equal((await post(server, '/api/check', { lab: LAB, step: 0 }, cookie)).body.passed, true);
      term.close();
    });

    test('a python snippet streams its output; a missing toolchain says so', async () => {
      const { term, cookie } = await readyTerminal(server);
      let released = false;
      const messages = await snippet(server, cookie, 'py', async (m) => {
        // The snippet waits for a file: its first line can only arrive before the end if it is streamed.
        if (m.type === 'output' && /waiting for go/.test(m.data ?? '') && !released) {
          released = true;
          await shell(term, `touch ~/go-${token}; echo GO-$((1+1))`, /GO-2\r\n/);
        }
      });
      assert.ok(released, 'the first line came before the snippet ended');
      assert.match(messages.map((m) => m.data ?? '').join(''), /waiting for go\nfinished 42\n/);
      assert.deepEqual(messages.at(-1), { type: 'done', ok: true, code: 0 });

      const ruby = await snippet(server, cookie, 'rb', () => undefined);
      assert.equal(ruby.at(-1)?.ok, false);
      assert.match(String(ruby.at(-1)?.message), /ruby is not installed in your sandbox/);
      term.close();
    });

    test('a snippet whose request goes away is killed with its children, long before its timeout', async () => {
      const { term, cookie } = await readyTerminal(server);
      const ctl = new AbortController();
      const res = await fetch(server.url + '/api/snippet', {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', Origin: server.url, Cookie: cookie },
        body: JSON.stringify({ lab: LAB, block: 'py-long' }),
        signal: ctl.signal,
      });
      assert.equal(res.status, 200);
      let seen = '';
      const decoder = new TextDecoder();
      const reader = (res.body as ReadableStream<Uint8Array>).getReader();
      while (!/started/.test(seen)) {
        const { done, value } = await reader.read();
        if (done) break;
        seen += decoder.decode(value, { stream: true });
      }
      assert.match(seen, /started/);
      // The snippet re-executed python under the marker, and its child sleeps under it too. "started" is
      // printed once the child is forked, which may be before its bash has exec'd the named sleep: wait
      // for the name (a loaded machine takes a moment), then let the request go.
      const seenBy = Date.now() + 10_000;
      while (pgrep(`labdeck-long-${token}-child`).length === 0 && Date.now() < seenBy) await new Promise((r) => setTimeout(r, 50));
      assert.ok(pgrep(`labdeck-long-${token}-child`).length > 0, 'the snippet\'s child is running');
      ctl.abort();
      // Without a cancel they would live until the snippet's 60 s timeout; a kill is a matter of a second or two.
      const deadline = Date.now() + 15_000;
      while (pgrep(`labdeck-long-${token}`).length > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      assert.deepEqual(pgrep(`labdeck-long-${token}`), [], 'no process of the snippet is left');
      // Its slot in the gate is free again: the attendee can run the next snippet.
      const ruby = await snippet(server, cookie, 'rb', () => undefined);
      assert.equal(ruby.at(-1)?.type, 'done');
      term.close();
    });

    test('the cookie decides the sandbox: another attendee, a forged or absent cookie', async () => {
      const a = await readyTerminal(server);
      const b = await readyTerminal(server);
      a.term.send({ type: 'run', labId: LAB, blockId: 'make-marker' });
      await shell(a.term, 'ls ~ | grep -c "^marker-42$"', /[\r\n]1\r\n/);
      assert.equal((await post(server, '/api/check', { lab: LAB, step: 0 }, a.cookie)).body.passed, true);
      assert.equal((await post(server, '/api/check', { lab: LAB, step: 0 }, b.cookie)).body.passed, false);

      const [name, value] = a.cookie.split('=') as [string, string];
      assert.equal((await post(server, '/api/check', { lab: LAB, step: 0 }, `${name}=${value.slice(0, -2)}xx`)).status, 401);
      assert.equal((await post(server, '/api/check', { lab: LAB, step: 0 })).status, 401);
      // A valid cookie whose attendee has no sandbox yet.
      assert.equal((await post(server, '/api/check', { lab: LAB, step: 0 }, await server.newAttendee())).status, 409);
      a.term.close();
      b.term.close();
    });

    test('bad requests get a clear error', async () => {
      const { term, cookie } = await readyTerminal(server);
      const cases: [unknown, number][] = [
        [{ lab: 'no-such-lab', step: 0 }, 404],
        [{ lab: LAB, step: 99 }, 404],
        [{ lab: LAB, step: 2 }, 404], // a step without a check
        [{ lab: LAB }, 400],
        [{ lab: LAB, step: -1 }, 400],
        [{ lab: LAB, step: 0, sandbox: 'someone-else' }, 400],
        ['{not json', 400],
      ];
      for (const [body, status] of cases) {
        const r = await post(server, '/api/check', body, cookie);
        assert.equal(r.status, status, JSON.stringify(body));
        assert.equal(typeof r.body.error, 'string');
      }
      assert.equal((await post(server, '/api/check', { lab: LAB, step: 0 }, cookie, { 'Content-Type': 'text/plain' })).status, 415);
      assert.equal((await post(server, '/api/check', { lab: LAB, step: 0 }, cookie, { Origin: 'http://evil.example' })).status, 403);
      term.close();
    });

    test('Killercoda assets: a 3 MiB file arrives whole; a target the sandbox user may not write is skipped, and said so', async () => {
      const { term, cookie } = await readyTerminal(server);
      const setup = await post(server, '/api/setup', { lab: 'scenario', step: 0 }, cookie);
      assert.equal(setup.body.ok, true, String(setup.body.message));
      if (driver === 'local') {
        // The local sandbox's user is not root: /usr/local/bin is not theirs.
        assert.match(String(setup.body.message), /greet\.sh was not copied to \/usr\/local\/bin\/: \/usr\/local\/bin\/ is not writable by /);
      } else {
        assert.equal(setup.body.message, '');
      }
      const sha = createHash('sha256').update(bigAsset).digest('hex');
      await shell(term, `sha256sum ${assetDir}/big.bin | cut -c1-64; ls -A ${assetDir} | wc -l`, new RegExp(`[\\r\\n]${sha}\\r\\n1\\r\\n`));
      term.close();
    });

    if (driver === 'podman') {
      // Killercoda's assets go to /usr/local/bin, which only root in a container may write.
      test('a Killercoda scenario: assets and background as the lab setup, foreground typed on entering', async () => {
        const { term, cookie } = await readyTerminal(server);
        const setup = await post(server, '/api/setup', { lab: 'scenario', step: 0 }, cookie);
        assert.deepEqual(setup.body, { ok: true, ran: ['lab'], message: '' });
        await shell(term, `greet.sh; cat ${scenarioTmp}/setup-done`, /[\r\n]hello\r\nready\r\n/);
        assert.deepEqual((await post(server, '/api/type', { lab: 'scenario', step: 0, what: 'enter' }, cookie)).body, { typed: true });
        await term.waitForOutput(/[\r\n]welcome\r\n/);
        term.close();
      });
    }

    if (driver === 'local') {
      test('a reset runs the lab reset script in the old sandbox first', async () => {
        const { term, cookie } = await readyTerminal(server);
        term.send({ type: 'progress', labId: LAB, step: 0 });
        await shell(term, 'echo READY-$((1+1))', /READY-2\r\n/);
        const me = (await (await fetch(`${server.url}/api/me`, { headers: { Cookie: cookie } })).json()) as { attendee: string };
        assert.equal(existsSync(resetMark), false);
        const r = await server.instructor(`/api/sandboxes/${me.attendee}/reset`, 'POST');
        assert.equal(r.status, 200);
        assert.equal(readFileSync(resetMark, 'utf8'), 'reset-ran\n');
        term.close();
      });

      // Issue 18 bug 2: the lab comes from the store, not from a copy the session fills only once the
      // page reports its step. After a restart the page is fresh: its hello comes before any progress.
      test('a fresh page (no progress frame yet) reset runs the lab reset script and logs the event', async () => {
        rmSync(resetMark, { force: true });
        const first = await readyTerminal(server);
        first.term.send({ type: 'progress', labId: LAB, step: 0 });
        await shell(first.term, 'echo STEP-$((1+1))', /STEP-2\r\n/);
        const attendee = (await first.term.waitForMessage('ready')).attendee;
        first.term.close();
        await restart();
        const { term } = await readyTerminal(server, first.cookie);
        await shell(term, 'echo FRESH-$((1+1))', /FRESH-2\r\n/);
        const from = term.messages.length;
        const r = await server.instructor(`/api/sandboxes/${attendee}/reset`, 'POST');
        assert.equal(r.status, 200);
        assert.equal((await term.waitForMessage('reset', 10_000, from)).by, 'instructor');
        assert.equal(existsSync(resetMark) ? readFileSync(resetMark, 'utf8') : 'no reset script ran', 'reset-ran\n');
        assert.deepEqual(resetEvents(dataDir, attendee), ['instructor']);
        term.close();
      });
    }

    if (driver === 'podman') {
      // Issue 18 bug 2: an attendee without a live session (after a restart, or "Reset all" reaching
      // someone offline) is reset through the same path: the lab's reset script, then the event.
      test('an offline attendee reset by the instructor runs the lab reset script and logs the event', async () => {
        const { term, cookie } = await readyTerminal(server);
        const attendee = (await term.waitForMessage('ready')).attendee;
        term.send({ type: 'progress', labId: LAB, step: 0 });
        await shell(term, 'echo STEP-$((1+1))', /STEP-2\r\n/);
        term.close();
        // The podman sandbox outlives the server; the new one re-adopts it, and no browser opens a session.
        await restart();
        const r = await server.instructor(`/api/sandboxes/${attendee}/reset`, 'POST');
        assert.equal(r.status, 200);
        const ran = new RegExp(`reset script passed attendee="${attendee}" lab="${LAB}"`);
        assert.match(server.log(), ran, 'the lab reset script ran in the old sandbox');
        assert.deepEqual(resetEvents(dataDir, attendee), ['instructor']);
        // The attendee comes back to the fresh sandbox.
        const back = await readyTerminal(server, cookie);
        await shell(back.term, 'echo BACK-$((1+1))', /BACK-2\r\n/);
        back.term.close();
      });
    }
  });
}

suite('local');
suite('podman');
