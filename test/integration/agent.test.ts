// The labdeck agent (sandbox/agent/labdeck-agent.c) run directly on the host, with the server's own
// agent modules (server/sandbox/agent/) on the other end of a real Unix socket: real ptys, real
// bash, no container. Terminals, resume by offset, flow control, kill-then-attach, exec, follow, and
// peers that misbehave on either side. Podman is not needed.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, appendFileSync, symlinkSync, truncateSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Duplex } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import type { Shell } from '../../server/sandbox/driver.js';
import { encodeFrame, PayloadWriter } from '../../server/sandbox/agent/codec.js';
import { AgentConnection } from '../../server/sandbox/agent/connection.js';
import { FRAME, LIMIT, PROTOCOL } from '../../server/sandbox/agent/frames.js';
import { AgentLink } from '../../server/sandbox/agent/link.js';
import { PAUSE_SLACK, type TerminalSpec } from '../../server/sandbox/agent/shell.js';
import { agentBinary, dialAgent, spawnAgent, type RunningAgent } from '../support/agent.js';
import { pgrep } from '../support/procs.js';

const dir = mkdtempSync(path.join(tmpdir(), 'labdeck-agent-'));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function spec(name = 'main', env: Record<string, string> = {}): TerminalSpec {
  return { name, cwd: dir, argv: ['bash', '--noprofile', '--norc', '-i'], env: { PS1: 'pr$ ', TERM: 'xterm-256color', ...env }, size: { cols: 100, rows: 30 } };
}

/** Everything a shell prints, and a way to wait for a pattern in it. */
function collect(shell: Shell): { text: () => string; bytes: () => number; waitFor(re: RegExp, ms?: number): Promise<void>; dispose(): void } {
  const chunks: Buffer[] = [];
  let bytes = 0;
  const sub = shell.onData((c) => {
    chunks.push(c);
    bytes += c.length;
  });
  const text = () => Buffer.concat(chunks).toString('utf8');
  return {
    text,
    bytes: () => bytes,
    async waitFor(re, ms = 10_000) {
      const end = Date.now() + ms;
      while (!re.test(text())) {
        if (Date.now() > end) assert.fail(`no ${re} within ${ms} ms; got ${JSON.stringify(text().slice(-300))}`);
        await sleep(10);
      }
    },
    dispose: () => sub.dispose(),
  };
}

async function until(what: string, check: () => boolean | Promise<boolean>, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) assert.fail(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

after(() => rmSync(dir, { recursive: true, force: true }));

describe('the agent on the host (listen mode)', () => {
  const sock = path.join(dir, 'agent.sock');
  let agent: RunningAgent;
  let link: AgentLink;

  before(async () => {
    agentBinary();
    agent = spawnAgent(['listen', sock]);
    link = new AgentLink('host');
    link.adopt(await dialAgent(sock));
  });

  after(async () => {
    link?.close('test over');
    await agent?.stop();
  });

  test('open, then resume by offset across a dropped connection: 0 bytes lost or doubled', async () => {
    const shell = await link.attach(spec('resume'), 5000);
    assert.equal(shell.created, true);
    const out = collect(shell);
    await out.waitFor(/pr\$ $/);
    shell.write('for i in $(seq 1 30000); do echo line-$i; done; echo do$((1+1))ne\r');
    await out.waitFor(/line-2000\r\n/);
    // Paused mid-flood (so the drop surely falls inside it), then the connection drops: detached, the
    // agent goes on reading into its ring; a new connection re-attaches from the byte it had reached.
    shell.pause();
    await sleep(100);
    assert.doesNotMatch(out.text(), /do2ne/, 'positive control: the flood is not over at the drop');
    link.current()!.close('test: dropped');
    await sleep(50);
    link.adopt(await dialAgent(sock));
    shell.resume();
    await out.waitFor(/do2ne/, 30_000);
    // bash's bracketed-paste switch (ESC [?2004l, CR) precedes the first output line.
    const lines = out.text().replace(/\x1b\[[?0-9;]*[a-zA-Z]|\r/g, '').split('\n').filter((l) => l.startsWith('line-'));
    const firstBad = lines.findIndex((l, i) => l !== `line-${i + 1}`);
    assert.equal(firstBad, -1, `line ${firstBad + 1}: ${JSON.stringify(lines.slice(Math.max(0, firstBad - 2), firstBad + 3))}; lost ${shell.lostBytes}`);
    assert.equal(lines.length, 30000, 'every line exactly once');
    lines.forEach((l, i) => assert.equal(l, `line-${i + 1}`));
    out.dispose();
    shell.kill();
  });

  test('a fresh client (a restarted server) gets the same shell and its ring, including what it printed meanwhile', async () => {
    const first = await link.attach(spec('fresh'), 5000);
    const out = collect(first);
    first.write('export KEEP=$((40+2)); echo set$((1+1))\r');
    await out.waitFor(/set2/);
    first.detach();
    // While nobody is attached, the shell goes on printing; the agent keeps it in the ring.
    const other = new AgentLink('host-2');
    other.adopt(await dialAgent(sock)); // replaces `link`'s connection, as a restarted server's would
    const again = await other.attach(spec('fresh'), 5000);
    assert.equal(again.created, false, 'the same shell');
    assert.match(again.backlog.toString(), /set2/);
    const out2 = collect(again);
    again.write('echo keep=$KEEP\r');
    await out2.waitFor(/keep=42/);
    again.write('(sleep 0.3; echo printed-while-away) &\r');
    await out2.waitFor(/pr\$ /);
    again.detach();
    await sleep(600);
    const third = await other.attach(spec('fresh'), 5000);
    assert.match(third.backlog.toString(), /printed-while-away/, 'output produced while detached is in the ring');
    third.kill();
    other.close('done');
    link.adopt(await dialAgent(sock));
    out.dispose();
  });

  test('a shell that ends while no connection is there: the next connection hears its last words and its exit', async () => {
    const shell = await link.attach(spec('leaving'), 5000);
    const out = collect(shell);
    await out.waitFor(/pr\$ $/);
    const exited = new Promise<{ exitCode: number | null }>((r) => shell.onExit(r));
    shell.write('sleep 0.3; echo last$((1))words; exit 7\r');
    await out.waitFor(/exit 7/);
    link.current()!.close('test: dropped');
    await sleep(700);
    link.adopt(await dialAgent(sock));
    assert.equal((await exited).exitCode, 7);
    await out.waitFor(/last1words/);
    const fresh = await link.attach(spec('leaving'), 5000);
    assert.equal(fresh.created, true, 'the name starts a new shell once the old one has said its exit');
    fresh.kill();
    // Ended while nobody was attached, then asked for by a fresh client (a restarted server): a new
    // shell, not the ended one's exit (only a client that had the shell is told how it ended).
    const lonely = await link.attach(spec('lonely'), 5000);
    const lonelyOut = collect(lonely);
    await lonelyOut.waitFor(/pr\$ $/);
    lonely.write('sleep 0.3; exit 5\r');
    await lonelyOut.waitFor(/exit 5/);
    lonely.detach();
    await sleep(700);
    const next = await link.attach(spec('lonely'), 5000);
    assert.equal(next.created, true);
    assert.equal(next.backlog.length, 0);
    next.kill();
  });

  test('flow control: a yes flood stops when paused, and Ctrl-C answers', async () => {
    const shell = await link.attach(spec('flood'), 5000);
    const out = collect(shell);
    await out.waitFor(/pr\$ $/);
    shell.write('yes\r');
    await until('a megabyte of yes', () => out.bytes() > 1 << 20);
    shell.pause();
    const atPause = out.bytes();
    await sleep(500);
    const afterPause = out.bytes() - atPause;
    assert.ok(afterPause < PAUSE_SLACK, `${afterPause} bytes arrived after the pause`);
    await sleep(300);
    assert.equal(out.bytes() - atPause, afterPause, 'nothing more arrives while paused');
    shell.write('\x03');
    shell.resume();
    shell.write('echo after$((2+3))\r');
    await out.waitFor(/after5/, 20_000);
    assert.equal(shell.inputBacklog, 0);
    shell.kill();
  });

  test('input accounting: a program that does not read shows a backlog; discardInput drops it', async () => {
    const shell = await link.attach(spec('input'), 5000);
    const out = collect(shell);
    await out.waitFor(/pr\$ $/);
    shell.write('stty raw -echo; sleep 600\r');
    await sleep(300);
    shell.write('x'.repeat(400_000));
    await until('input to back up', () => shell.inputBacklog > 100_000);
    shell.discardInput();
    await until('the backlog to empty', () => shell.inputBacklog === 0);
    shell.kill();
  });

  test('kill then immediate attach: the new shell lives, the old one and what it started are gone (issue 18 bug 1)', async () => {
    for (let round = 0; round < 5; round++) {
      const first = await link.attach(spec('main'), 5000);
      const out = collect(first);
      first.write(`sleep ${4300 + round} & echo bg$((${round}+1))\r`);
      await out.waitFor(new RegExp(`bg${round + 1}`));
      first.kill();
      const second = await link.attach(spec('main'), 5000);
      assert.equal(second.created, true, 'a new shell, not the killed one');
      const out2 = collect(second);
      for (let i = 0; i < 3; i++) {
        second.write(`echo al$((${i}))ive\r`);
        await out2.waitFor(new RegExp(`al${i}ive`));
        await sleep(100);
      }
      await until(`sleep ${4300 + round} to be swept`, () => pgrep(`^sleep ${4300 + round}$`).length === 0);
      second.kill();
    }
  });

  test('terminals by name: several at once, each its own shell', async () => {
    const a = await link.attach(spec('tab-a'), 5000);
    const b = await link.attach(spec('tab-b'), 5000);
    const oa = collect(a);
    const ob = collect(b);
    a.write('echo $$ > a.pid; echo A$((1))\r');
    b.write('echo $$ > b.pid; echo B$((2))\r');
    await oa.waitFor(/A1/);
    await ob.waitFor(/B2/);
    assert.doesNotMatch(oa.text(), /B2/);
    a.kill();
    b.write('echo still$((3))\r');
    await ob.waitFor(/still3/);
    b.kill();
  });

  test('exec: output, exit code, streamed output, a missing command', async () => {
    const r = await link.exec(['sh', '-c', 'echo out; echo err >&2; exit 3'], { cwd: dir, readyTimeoutMs: 1000 });
    assert.deepEqual([r.code, r.stdout, r.stderr, r.timedOut], [3, 'out\n', 'err\n', false]);
    const seen: string[] = [];
    const s = await link.exec(['sh', '-c', 'echo one; sleep 0.2; echo two'], { cwd: dir, readyTimeoutMs: 1000, onOutput: (c) => seen.push(c) });
    assert.equal(s.stdout, 'one\ntwo\n');
    assert.deepEqual(seen, ['one\n', 'two\n']);
    const env = await link.exec(['sh', '-c', 'echo "$FOO:$(pwd)"'], { cwd: dir, env: { FOO: 'bar' }, readyTimeoutMs: 1000 });
    assert.equal(env.stdout, `bar:${dir}\n`);
    const missing = await link.exec(['no-such-command-here'], { cwd: dir, readyTimeoutMs: 1000 });
    assert.equal(missing.code, 127);
    assert.match(missing.stderr, /cannot run no-such-command-here/);
  });

  test('exec: the timeout ends the whole process group inside; output past its bound ends it', async () => {
    const r = await link.exec(['sh', '-c', 'sleep 4711 & sleep 4712'], { cwd: dir, timeoutMs: 300, readyTimeoutMs: 1000 });
    assert.equal(r.timedOut, true);
    assert.equal(r.code, 137);
    await until('the timed-out group to be gone', () => pgrep('^sleep 471[12]$').length === 0);
    const big = await link.exec(['sh', '-c', 'yes | head -c 5000000; echo never'], { cwd: dir, maxBytes: 100_000, readyTimeoutMs: 1000 });
    assert.ok(big.stdout.length <= 100_000, `kept ${big.stdout.length} bytes`);
    assert.match(big.stderr, /output over 100000 bytes/);
    assert.doesNotMatch(big.stdout, /never/);
  });

  test('follow: from an offset, what is appended, a truncation, never a symlink or a FIFO', async () => {
    const file = path.join(dir, 'status');
    writeFileSync(file, 'a\nb\n');
    const got: Array<[string, number]> = [];
    let ended = '';
    const f = link.follow(file, 2, 1 << 20, { data: (c, o) => got.push([c.toString(), o]), end: (r) => (ended = r) });
    await until('the tail of the file', () => got.length > 0);
    assert.deepEqual(got, [['b\n', 2]]);
    appendFileSync(file, 'c\n');
    await until('the appended line', () => got.length > 1);
    assert.deepEqual(got[1], ['c\n', 4]);
    truncateSync(file, 0);
    appendFileSync(file, 'x\n');
    await until('the truncated file from its start', () => got.some(([, o]) => o === 0));
    f.dispose();
    assert.equal(ended, '');
    // A FIFO is neither opened for good nor waited on; a symlink is not followed.
    execFileSync('mkfifo', [path.join(dir, 'fifo')]);
    symlinkSync('/etc/passwd', path.join(dir, 'link'));
    const none: Buffer[] = [];
    const g = link.follow(path.join(dir, 'fifo'), 0, 1000, { data: (c) => none.push(c) });
    const h = link.follow(path.join(dir, 'link'), 0, 1000, { data: (c) => none.push(c) });
    await sleep(600);
    const ok = await link.exec(['true'], { cwd: dir, readyTimeoutMs: 1000 });
    assert.equal(ok.code, 0, 'the agent still answers');
    assert.equal(none.length, 0);
    g.dispose();
    h.dispose();
    // The byte budget: a follow ends with `limit` once spent.
    writeFileSync(path.join(dir, 'big'), 'y'.repeat(5000));
    let why = '';
    link.follow(path.join(dir, 'big'), 0, 1000, { data: () => undefined, end: (r) => (why = r) });
    await until('the follow to end at its limit', () => why === 'limit');
  });

  test('a peer that is not the server: garbage and an oversized frame end its connection only; terminals live on', async () => {
    const shell = await link.attach(spec('survivor'), 5000);
    const out = collect(shell);
    shell.write('export S=$((6*7))\r');
    await out.waitFor(/pr\$ $/);
    const instance = shell.instance;
    shell.detach();
    for (const bytes of [Buffer.from('GET / HTTP/1.1\r\n\r\n'.repeat(100)), Buffer.from([0xff, 0xff, 0xff, 0xff, 0x10, 1, 0, 0, 0])]) {
      const s = net.connect(sock);
      await new Promise((r) => s.once('connect', r));
      s.write(bytes);
      await new Promise<void>((r) => {
        s.once('close', () => r());
        s.resume();
      });
    }
    // Bad requests on a good connection are answered ERROR, and the connection stays.
    const conn = await dialAgent(sock);
    const errors: string[] = [];
    const chan = conn.open({ frame: (_t, p) => errors.push(p.subarray(6).toString()), lost: () => undefined });
    conn.send(FRAME.TERM_OPEN, chan, new PayloadWriter().str('bad name!').u64(0).u64(0).u16(80).u16(24).str('/').strs(['bash']).strs([]).done());
    conn.send(0x77, chan);
    conn.send(FRAME.TERM_OPEN, chan, Buffer.from([1, 2, 3]));
    await until('three errors', () => errors.length === 3);
    assert.match(errors.join('|'), /bad terminal name.*unsupported.*malformed/);
    link.adopt(conn);
    const back = await link.attach(spec('survivor'), 5000);
    assert.equal(back.instance, instance, 'the same shell after the garbage');
    const o2 = collect(back);
    back.write('echo S=$S\r');
    await o2.waitFor(/S=42/);
    back.kill();
  });
});

describe('a misbehaving agent, from the server side', () => {
  /** A Unix socket pair: the test plays the agent on one end. */
  async function pair(): Promise<{ conn: AgentConnection; agentEnd: net.Socket; close(): void }> {
    const p = path.join(dir, `fake-${Math.random().toString(36).slice(2)}.sock`);
    const server = net.createServer();
    await new Promise<void>((r) => server.listen(p, r));
    const accepted = new Promise<net.Socket>((r) => server.once('connection', r));
    const client = net.connect(p);
    const agentEnd = await accepted;
    const conn = new AgentConnection(client, { helloTimeoutMs: 2000 });
    return { conn, agentEnd, close: () => (server.close(), agentEnd.destroy(), client.destroy()) };
  }
  const hello = () => encodeFrame(FRAME.HELLO, 0, new PayloadWriter().u16(PROTOCOL.VERSION).u32(LIMIT.RING_BYTES).str('fake').u32(1).done());

  test('garbage, an oversized frame, a wrong version, a frame for a channel never opened: that connection ends, with the reason', async () => {
    const cases: Array<[Buffer, RegExp]> = [
      [Buffer.from('hello?'.repeat(10)), /frame of 1819043176 bytes/],
      [Buffer.from([1, 0, 0, 0, 0x99, 0, 0, 0, 0, 0]), /type 0x99 is not one an agent sends/],
      [Buffer.from([0, 0, 0, 0x40, FRAME.HELLO, 0, 0, 0, 0]), /frame of \d+ bytes/],
      [encodeFrame(FRAME.HELLO, 0, new PayloadWriter().u16(99).u32(1).str('x').u32(1).done()), /protocol 99/],
      [Buffer.concat([hello(), encodeFrame(FRAME.TERM_DATA, 7, Buffer.from('x'))]), /channel 7, which the server never opened/],
      [Buffer.concat([hello(), encodeFrame(FRAME.HELLO, 0)]), /second HELLO/],
      [Buffer.concat([hello(), encodeFrame(FRAME.TERM_OPEN, 0)]), /not one an agent sends/],
    ];
    for (const [bytes, reason] of cases) {
      const p = await pair();
      const closed = new Promise<string>((r) => p.conn.onClose(r));
      p.agentEnd.write(bytes);
      assert.match(await closed, reason);
      p.close();
    }
    const silent = await pair();
    assert.match(await new Promise<string>((r) => silent.conn.onClose(r)), /no hello within 2000 ms/);
    silent.close();
  });

  test('an agent that floods past a pause is no longer read; another sandbox goes on meanwhile', async () => {
    const p = await pair();
    p.agentEnd.write(hello());
    await p.conn.hello;
    const flooding = new AgentLink('flooder');
    flooding.adopt(p.conn);
    // The fake agent answers the open with an empty backlog, then floods and ignores TERM_PAUSE.
    p.agentEnd.once('data', () => {
      p.agentEnd.write(encodeFrame(FRAME.TERM_OPENED, 1, new PayloadWriter().u64(1).u8(1).u64(0).u64(0).u64(0).u32(1).done()));
    });
    const shell = await flooding.attach(spec('x'), 2000);
    let got = 0;
    shell.onData((c) => (got += c.length));
    shell.pause();
    let written = 0;
    const chunk = encodeFrame(FRAME.TERM_DATA, 1, Buffer.alloc(32 * 1024, 0x41));
    const flood = setInterval(() => {
      for (let i = 0; i < 16 && p.agentEnd.writableLength < 4 << 20; i++) {
        p.agentEnd.write(chunk);
        written += chunk.length;
      }
    }, 5);
    // A real agent beside it keeps working.
    const sock = path.join(dir, 'other.sock');
    const other = spawnAgent(['listen', sock]);
    const otherLink = new AgentLink('other');
    otherLink.adopt(await dialAgent(sock));
    const r = await otherLink.exec(['echo', 'fine'], { cwd: dir, readyTimeoutMs: 2000 });
    assert.equal(r.stdout, 'fine\n');
    await until('the flood to back up in the fake agent', () => p.agentEnd.writableLength > 1 << 20);
    clearInterval(flood);
    assert.ok(got <= PAUSE_SLACK + 128 * 1024, `the server took ${got} bytes past the pause`);
    assert.ok(written > got + (1 << 20), 'the rest waits in the flooder\'s own socket');
    otherLink.close('done');
    await other.stop();
    flooding.close('done');
    p.close();
  });
});

describe('the agent in its other modes', () => {
  test('connect: it dials the server, and dials again after the server goes', async () => {
    const sock = path.join(dir, 'server.sock');
    const link = new AgentLink('dialer');
    const listen = () => {
      const server = net.createServer((s) => {
        const conn = new AgentConnection(s);
        void conn.hello.then(() => link.adopt(conn), () => undefined);
      });
      return new Promise<net.Server>((r) => server.listen(sock, () => r(server)));
    };
    let server = await listen();
    const agent = spawnAgent(['connect', sock]);
    try {
      const shell = await link.attach(spec('dialed'), 5000);
      const out = collect(shell);
      shell.write('export D=$((3*3))\r');
      await out.waitFor(/pr\$ $/);
      // The server goes away (its connections too), and comes back on the same path.
      const stopped = new Promise((r) => server.close(r));
      link.current()!.close('server restart');
      await stopped;
      rmSync(sock, { force: true });
      await sleep(300);
      server = await listen();
      await until('the agent to dial again', () => link.connections === 2, 5000);
      shell.write('echo D=$D\r');
      await out.waitFor(/D=9/);
      shell.kill();
    } finally {
      link.close('done');
      await agent.stop();
      server.close();
    }
  });

  test('stdio: the protocol on its stdin and stdout; it ends its terminals when they close', async () => {
    const agent = spawnAgent(['stdio']);
    const conn = new AgentConnection(Duplex.from({ readable: agent.proc.stdout!, writable: agent.proc.stdin! }));
    const link = new AgentLink('stdio');
    await conn.hello;
    link.adopt(conn);
    const shell = await link.attach(spec('s', { LABDECK_TEST_TAG: 'stdio-tag' }), 5000);
    const out = collect(shell);
    shell.write('sleep 4999 & echo st$((1))dio\r');
    await out.waitFor(/st1dio/);
    agent.proc.stdin!.end();
    await new Promise((r) => agent.proc.once('exit', r));
    await until('its shell and sleep to be gone', () => pgrep('^sleep 4999$').length === 0);
  });
});
