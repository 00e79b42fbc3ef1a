// Reconnect, takeover, grace period, floods and restarts against the real server and real shells.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { pgrep } from '../support/procs.js';
import headless from '@xterm/headless';
import { readyTerminal, startServer, TermClient, type RunningServer } from '../support/server.js';


/** What a browser would show after writing `data`: the lines of a headless xterm, trimmed. */
function screenLines(data: string, cols = 80, rows = 24): Promise<string[]> {
  const t = new headless.Terminal({ cols, rows, scrollback: 5000, allowProposedApi: true });
  return new Promise((resolve) => {
    t.write(data, () => {
      const b = t.buffer.active;
      const lines: string[] = [];
      for (let i = 0; i < b.length; i++) lines.push(b.getLine(i)!.translateToString(true));
      t.dispose();
      resolve(lines);
    });
  });
}

let server: RunningServer;
before(async () => {
  server = await startServer({ GRACE_SECONDS: '2' });
});
after(async () => {
  await server?.stop();
});

describe('reconnect', () => {
  test('a dropped socket mid-output resumes the same shell: nothing lost, nothing twice', async () => {
    const { term, cookie } = await readyTerminal(server);
    term.type('for i in $(seq 1 300); do echo row-$i; sleep 0.005; done; echo fini$((1+1))shed\r');
    await term.waitForOutput(/row-40\r\n/);
    term.ws.terminate(); // an abrupt drop, like Wi-Fi going away
    await new Promise((r) => setTimeout(r, 300));

    const again = new TermClient(server.url, cookie);
    await again.opened();
    again.hello(80, 24, true);
    const ready = await again.waitForMessage('ready');
    assert.equal(ready.resumed, true);
    await again.waitForOutput(/fini2shed/, 20_000);
    const lines = await screenLines(again.output);
    const rows = lines.filter((l) => /^row-\d+$/.test(l)).map((l) => Number(l.slice(4)));
    assert.deepEqual(rows, Array.from({ length: 300 }, (_, i) => i + 1), 'every row exactly once, in order');
    again.close();
  });

  test('a second tab takes over; the first is told', async () => {
    const { term: first, cookie } = await readyTerminal(server);
    first.type('export TAB=one-$((0+1))\r');
    await first.waitForOutput(/export TAB/);
    const second = new TermClient(server.url, cookie);
    await second.opened();
    second.hello(80, 24, true);
    await second.waitForMessage('ready');
    await first.waitForMessage('taken-over');
    await first.until(() => first.closed, 'the first tab to be closed');
    assert.equal(first.closed!.code, 4001);
    second.type('echo tab=$TAB\r');
    await second.waitForOutput(/tab=one-1/);
    second.close();
  });

  test('after the grace period the shell and its processes are gone', async () => {
    const { term, cookie } = await readyTerminal(server);
    const tag = String(5000 + Math.floor(Math.random() * 4000));
    term.type(`sleep ${tag}7 & echo bg$((3*3))\r`);
    await term.waitForOutput(/bg9/);
    assert.equal(pgrep(`sleep ${tag}7`).length, 1);
    term.close();
    // GRACE_SECONDS=2 for this server.
    await term.until(() => pgrep(`sleep ${tag}7`).length === 0, 'the background sleep to end', 8_000);
    // Coming back later gives a new, working shell.
    const again = new TermClient(server.url, cookie);
    await again.opened();
    again.hello(80, 24, true);
    await again.waitForMessage('ready');
    again.type('echo back$((2*2))\r');
    await again.waitForOutput(/back4/);
    again.close();
  });
});

describe('floods and flow control', () => {
  test('yes floods one shell; another attendee still answers; Ctrl-C stops it', async () => {
    const { term: flood } = await readyTerminal(server);
    const { term: quiet } = await readyTerminal(server);
    flood.type('yes flood-line-of-text\r');
    await flood.waitForOutput(/flood-line-of-text\r\n/);
    for (let i = 0; i < 5; i++) {
      quiet.output = '';
      quiet.type(`echo quiet-$((${i}+100))\r`);
      await quiet.waitForOutput(new RegExp(`quiet-${i + 100}\\r\\n`), 5_000);
    }
    const stats = (await (await server.instructor('/api/stats')).json()) as { memory: { rss: number } };
    assert.ok(stats.memory.rss < 600 * 1024 * 1024, `server rss ${stats.memory.rss} bytes stays bounded under a flood`);
    flood.type('\x03');
    flood.output = '';
    flood.type('echo stop$((5+5))ped\r');
    await flood.waitForOutput(/stop10ped\r\n/, 10_000);
    flood.close();
    quiet.close();
  });

  test('a client that stops acknowledging pauses its shell instead of queueing without bound', async () => {
    const { term } = await readyTerminal(server);
    term.autoAck = false;
    term.type('yes 0123456789abcdef\r');
    await term.waitForOutput(/0123456789abcdef\r\n/);
    await new Promise((r) => setTimeout(r, 1500));
    const received = Buffer.byteLength(term.output);
    await new Promise((r) => setTimeout(r, 1000));
    const later = Buffer.byteLength(term.output);
    // Paused: at most a high watermark (512 KiB) plus reads in flight arrive without acks.
    assert.ok(received < 2 * 1024 * 1024, `received ${received} bytes without acking`);
    assert.ok(later - received < 256 * 1024, `still receiving ${later - received} bytes while paused`);
    term.autoAck = true;
    term.send({ type: 'ack', bytes: received });
    term.type('\x03');
    term.output = '';
    term.type('echo un$((1+2))paused\r');
    await term.waitForOutput(/un3paused\r\n/, 10_000);
    term.close();
  });

  test('binary garbage dumped to the terminal leaves the session and its neighbours working', async () => {
    const { term: dump } = await readyTerminal(server);
    const { term: quiet } = await readyTerminal(server);
    dump.type('head -c 20000000 /dev/urandom; echo; echo du$((2+2))mped\r');
    quiet.type('echo ne$((3+3))ighbour\r');
    await quiet.waitForOutput(/ne6ighbour\r\n/, 10_000);
    await dump.waitForOutput(/du4mped/, 60_000);
    dump.output = '';
    dump.type('\x1bc');
    dump.type('stty sane; echo af$((1+4))ter\r');
    await dump.waitForOutput(/af5ter/, 10_000);
    dump.close();
    quiet.close();
  });

  test('a 1 MB paste arrives whole', async () => {
    const { term } = await readyTerminal(server);
    term.type('wc -c\r');
    await term.waitForOutput(/wc -c\r\n/);
    const line = 'x'.repeat(1023) + '\n';
    const total = 1024; // lines → 1 MiB
    for (let i = 0; i < total; i += 16) term.send({ type: 'input', data: line.repeat(16) });
    term.type('\x04');
    await term.waitForOutput(/[\r\n]1048576\r\n/, 20_000);
    term.close();
  });
});
