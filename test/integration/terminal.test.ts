// The terminal path end to end, minus the browser: a real server, real WebSockets, real bash under
// node-pty (local sandbox).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readyTerminal, startServer, TermClient, type RunningServer } from '../support/server.js';

let server: RunningServer;

before(async () => {
  server = await startServer({ LABDECK_PROBE_SECRET: 'server-only-value' });
});
after(async () => {
  await server?.stop();
});

describe('terminal over a real WebSocket', () => {
  test('a command typed into the shell answers', async () => {
    const { term } = await readyTerminal(server);
    term.type('echo $((6*7))\r');
    // The typed text is "echo $((6*7))": only the shell's evaluation prints 42 at the start of a line.
    await term.waitForOutput(/[\r\n]42\r\n/);
    term.close();
  });

  test('resize reaches the pty', async () => {
    const { term } = await readyTerminal(server, undefined, { cols: 80, rows: 24 });
    term.send({ type: 'resize', cols: 117, rows: 33 });
    term.type('stty size\r');
    await term.waitForOutput(/[\r\n]33 117\r\n/);
    // Out-of-range sizes are clamped, not rejected.
    term.send({ type: 'resize', cols: 100_000, rows: 0 });
    term.type('stty size\r');
    await term.waitForOutput(/[\r\n]1 500\r\n/);
    term.close();
  });

  test('malformed messages get an error and the shell lives on', async () => {
    const { term } = await readyTerminal(server);
    const before = term.messages.length;
    term.send('this is not json');
    term.send({ type: 'resize', cols: 'wide', rows: 10 });
    term.send({ type: 'no-such-type' });
    term.send({ type: 'input', data: 'x', extra: true });
    term.ws.send(Buffer.from([1, 2, 3]), { binary: true });
    await term.until(() => term.messages.slice(before).filter((m) => m.type === 'error').length >= 5, 'five errors');
    const codes = term.messages.slice(before).flatMap((m) => (m.type === 'error' ? [m.code] : []));
    assert.deepEqual(codes, ['bad-json', 'bad-message', 'bad-message', 'bad-message', 'binary-not-accepted']);
    term.type('echo he$((1+1))llo\r');
    await term.waitForOutput(/he2llo/);
    term.close();
  });

  test('a client that keeps sending garbage is dropped, its shell is not', async () => {
    const { term, cookie } = await readyTerminal(server);
    term.type('export MARK=still-here-$((40+2))\r');
    for (let i = 0; i < 60; i++) term.send('{');
    await term.until(() => term.closed, 'the socket to close');
    assert.equal(term.closed!.code, 4008);
    const again = new TermClient(server.url, cookie);
    await again.opened();
    again.hello(80, 24, true);
    await again.waitForMessage('ready');
    again.type('echo $MARK\r');
    await again.waitForOutput(/still-here-42\r\n/);
    again.close();
  });

  test('Run types a lab block into the shell', async () => {
    const { term } = await readyTerminal(server);
    const lab = (await (await fetch(server.url + '/api/labs/kubernetes-meets-rust')).json()) as {
      steps: { blocks: { kind: string; id?: string }[]; commands: string[] }[];
    };
    const step = lab.steps.find((s) => s.commands.some((c) => c.includes('kubectl version --client')));
    assert.ok(step, 'the lab has a kubectl version --client step');
    term.send({ type: 'run', labId: 'kubernetes-meets-rust', blockId: 'kubectl-client' });
    await term.waitForOutput(/Client Version: v\d+\.\d+/, 20_000);
    term.send({ type: 'run', labId: 'kubernetes-meets-rust', blockId: 'no-such-block' });
    const err = await term.until(() => term.messages.find((m) => m.type === 'error' && m.code === 'unknown-block'), 'unknown-block error');
    assert.ok(err);
    term.close();
  });

  test('keystrokes typed while Run is typing a block wait for it; they never interleave', async () => {
    const { term } = await readyTerminal(server);
    term.send({ type: 'run', labId: 'kubernetes-meets-rust', blockId: 'kubectl-client' });
    term.type('echo he$((1+1))llo\r');
    await term.waitForOutput(/[\r\n]he2llo\r\n/, 20_000);
    const out = term.output;
    assert.doesNotMatch(out, /syntax error/);
    const yaml = out.indexOf('kind: Deployment');
    assert.ok(yaml > 0 && yaml < out.search(/[\r\n]he2llo\r\n/), 'the whole block ran before the typed command');
    term.close();
  });

  test('the shell does not see the server environment', async () => {
    const { term } = await readyTerminal(server);
    term.type('echo "probe=${LABDECK_PROBE_SECRET:-unset} token=${INSTRUCTOR_TOKEN:-unset}"\r');
    await term.waitForOutput(/probe=unset token=unset/);
    term.close();
  });
});

describe('upgrade checks', () => {
  test('a foreign origin is refused', async () => {
    const cookie = await server.newAttendee();
    const t = new TermClient(server.url, cookie, 'http://evil.example');
    await assert.rejects(t.opened(), /403/);
  });

  test('no session cookie is refused', async () => {
    const t = new TermClient(server.url, null);
    await assert.rejects(t.opened(), /401/);
  });

  test('a forged session cookie is refused', async () => {
    const t = new TermClient(server.url, 'labdeck_session=a-forgedforged.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA');
    await assert.rejects(t.opened(), /401/);
  });
});

describe('HTTP API', () => {
  test('labs, one lab, unknown lab, health', async () => {
    const list = (await (await fetch(server.url + '/api/labs')).json()) as { id: string; title: string; steps: number }[];
    const krust = list.find((l) => l.id === 'kubernetes-meets-rust');
    assert.ok(krust);
    assert.equal(krust.title, 'Kubernetes meets Rust');
    assert.ok(krust.steps > 10);
    const lab = (await (await fetch(server.url + '/api/labs/kubernetes-meets-rust')).json()) as { steps: { title: string; commands: string[] }[] };
    assert.equal(lab.steps.length, krust.steps);
    assert.ok(lab.steps.every((s) => typeof s.title === 'string' && Array.isArray(s.commands)));
    const missing = await fetch(server.url + '/api/labs/nope');
    assert.equal(missing.status, 404);
    assert.match(((await missing.json()) as { error: string }).error, /nope/);
    assert.equal((await fetch(server.url + '/healthz')).status, 200);
  });

  test('speaker notes reach the instructor, never the attendee model', async () => {
    const attendeeView = await (await fetch(server.url + '/api/labs/kubernetes-meets-rust')).text();
    assert.doesNotMatch(attendeeView, /pre-load kindest\/node/);
    const res = await server.instructor('/api/instructor/labs/kubernetes-meets-rust/notes');
    const notes = (await res.json()) as { index: number; speakerNotes: string[] }[];
    assert.ok(notes.some((n) => n.speakerNotes.some((t) => /pre-load kindest\/node/.test(t))));
    assert.equal((await fetch(server.url + '/api/instructor/labs/kubernetes-meets-rust/notes')).status, 401);
  });

  test('instructor routes need the token', async () => {
    assert.equal((await fetch(server.url + '/api/instructor/attendees')).status, 401);
    const wrong = await fetch(server.url + '/api/instructor/attendees', { headers: { Authorization: 'Bearer wrong-token-123' } });
    assert.equal(wrong.status, 401);
    const ok = await server.instructor('/api/instructor/attendees');
    assert.equal(ok.status, 200);
  });
});

describe('preflight', () => {
  test("the attendee's sandbox reports the lab's tools: kubectl found, kind missing with why and how", async () => {
    const { term, cookie } = await readyTerminal(server);
    const res = await fetch(server.url + '/api/preflight?lab=kubernetes-meets-rust', { headers: { Cookie: cookie } });
    assert.equal(res.status, 200);
    const report = (await res.json()) as { tools: { name: string; found: boolean; version: string | null; install: string | null; why: string | null }[]; engine: { name: string; state: string; detail: string } };
    const kubectl = report.tools.find((t) => t.name === 'kubectl');
    const kind = report.tools.find((t) => t.name === 'kind');
    assert.equal(kubectl?.found, true);
    assert.match(kubectl?.version ?? '', /Client Version/);
    assert.equal(kind?.found, false, 'kind is not installed on this machine');
    assert.ok(kind?.install && kind.why, 'a missing tool says why the lab needs it and how to install it');
    // The engine check agrees with what the attendee's own shell finds, and says so in its sentence
    // (issue 18 §11: not only "some value of the enum").
    term.type('command -v podman >/dev/null && echo ENGINE=po""dman || echo ENGINE=no""ne\r');
    const seen = (await term.waitForOutput(/^ENGINE=(\w+)\r$/m))[1];
    const sentence: Record<string, RegExp> = {
      none: /^no container engine \(podman\) in this sandbox$/,
      ok: /^podman started a container from \S+/,
      'no-image': /^podman answers, but has no local image/,
      failed: /^podman could not start a container: /,
    };
    if (seen === 'none') assert.deepEqual([report.engine.name, report.engine.state], ['none', 'none']);
    else assert.deepEqual([report.engine.name, report.engine.state === 'none'], ['podman', false], JSON.stringify(report.engine));
    assert.match(report.engine.detail, sentence[report.engine.state]!);
    term.close();
    const anon = await fetch(server.url + '/api/preflight?lab=kubernetes-meets-rust');
    assert.equal(anon.status, 409, 'a new visitor has no sandbox to check');
  });
});
