import { test } from 'node:test';
import assert from 'node:assert/strict';
import { HIGH_WATERMARK, LOW_WATERMARK } from '../../common/protocol.js';
import type { CodeBlock } from '../../common/lab-model.js';
import { FakeClient, FakeSandbox, type FakeShell, turn } from '../../test/support/fake-terminal.js';
import type { Logger } from '../log.js';
import { AttendeeSession, type SessionDeps, type SessionPool } from './session.js';
import type { TerminalSettings } from './terminal.js';

function block(id: string, run: string): CodeBlock {
  return { kind: 'code', id, lang: 'bash', attrs: ['+exec'], code: run, html: '', runnable: true, run, interrupt: false, copy: true, display: 'block', lineNumbers: false, line: 1 };
}

const BLOCKS: Record<string, CodeBlock> = {
  three: block('three', 'a1\na2\na3'),
  one: block('one', 'b1'),
  other: block('other', 'c1'),
};

interface Setup {
  session: AttendeeSession;
  sandbox: FakeSandbox;
  released: unknown[];
  errors: string[];
  done: string[];
}

type Over = Partial<Omit<SessionDeps, 'terminal'>> & { terminal?: Partial<TerminalSettings> };

function setup({ terminal, ...over }: Over = {}): Setup {
  const sandbox = new FakeSandbox('sb-1');
  const released: unknown[] = [];
  const errors: string[] = [];
  const done: string[] = [];
  // `release` takes whatever the pool keys it by: this fake does not care.
  const pool: SessionPool = {
    current: () => undefined,
    acquire: () => Promise.resolve(sandbox),
    replace: () => Promise.resolve(sandbox),
    release: (what: unknown) => {
      released.push(what);
      return Promise.resolve();
    },
  };
  const log: Logger = { info: () => undefined, warn: () => undefined, error: (m, f) => errors.push(`${m} ${JSON.stringify(f)}`) };
  const session = new AttendeeSession('alice', {
    pool,
    findBlock: (_lab, id) => BLOCKS[id],
    stepCount: () => null,
    store: { recordProgress: () => undefined, recordRun: () => undefined, sandboxOf: () => null },
    reset: { labOf: () => null, beforeReset: () => Promise.resolve(), recordReset: () => undefined },
    log,
    graceMs: 60_000,
    terminal: { driverInfo: { name: 'fake', isolation: 'none', warnings: [] }, ringBytes: 64 * 1024, typing: { quietMs: 5, maxWaitMs: 50, tickMs: 1 }, ...terminal },
    onDone: (a) => done.push(a),
    ...over,
  });
  return { session, sandbox, released, errors, done };
}

async function attached(s: Setup): Promise<{ client: FakeClient; shell: FakeShell }> {
  const client = new FakeClient();
  await s.session.attach(client, { cols: 80, rows: 24 }, false);
  assert.equal(client.ofType('ready').length, 1, JSON.stringify(client.messages));
  return { client, shell: s.sandbox.shell };
}

test('hello: the shell starts, input reaches it, its output reaches the client, state is ready', async () => {
  const s = setup();
  assert.equal(s.session.state, 'starting');
  const { client, shell } = await attached(s);
  assert.equal(s.session.state, 'ready');
  s.session.input(client, 'ls\r');
  assert.deepEqual(shell.written, ['ls\r']);
  shell.print('out');
  await turn();
  assert.equal(client.outputText, 'out');
  assert.deepEqual(s.errors, []);
});

test('Ctrl-C aborts a Run, drops the input queued for the pty and the Run waiting, and goes through at once', async () => {
  const s = setup();
  const { client, shell } = await attached(s);
  const first = s.session.runBlock(client, 'lab', 'three');
  const second = s.session.runBlock(client, 'lab', 'one');
  assert.deepEqual(shell.written, ['a1\r']);
  shell.inputBacklog = 5000;
  s.session.input(client, '\x03');
  await Promise.all([first, second]);
  assert.deepEqual(shell.written, ['a1\r', '\x03'], 'nothing of the rest of the block, nor of the waiting Run');
  assert.equal(shell.discarded, 5000);
});

test('keys typed during a Run wait for it and follow it in order', async () => {
  const s = setup();
  const { client, shell } = await attached(s);
  const run = s.session.runBlock(client, 'lab', 'three');
  s.session.input(client, 'x');
  s.session.input(client, 'y');
  await run;
  assert.deepEqual(shell.written, ['a1\r', 'a2\r', 'a3\r', 'xy']);
});

test('a third Run while one types and one waits is refused with busy, and nothing is lost', async () => {
  const s = setup();
  const { client, shell } = await attached(s);
  const first = s.session.runBlock(client, 'lab', 'three');
  const second = s.session.runBlock(client, 'lab', 'one');
  await s.session.runBlock(client, 'lab', 'other');
  assert.equal(client.ofType('error').at(-1)?.code, 'busy');
  await Promise.all([first, second]);
  assert.deepEqual(shell.written, ['a1\r', 'a2\r', 'a3\r', 'b1\r']);
});

test('detach stops typing and drops the held keys, though the shell lives on', async () => {
  const s = setup();
  const { client, shell } = await attached(s);
  const run = s.session.runBlock(client, 'lab', 'three');
  s.session.input(client, 'held');
  s.session.detach(client);
  await run;
  assert.equal(shell.ended, null, 'the shell is still there for a reconnect');
  assert.deepEqual(shell.written, ['a1\r']);
  assert.deepEqual(s.errors, []);
});

test('after the grace period without a client the session ends: shell killed, sandbox released, done', async () => {
  const s = setup({ graceMs: 5 });
  const { client, shell } = await attached(s);
  s.session.detach(client);
  while (s.session.state !== 'done') await new Promise((r) => setTimeout(r, 5));
  assert.equal(s.released.length, 1);
  assert.equal(shell.ended, 'kill');
  assert.deepEqual(s.done, ['alice']);
  assert.deepEqual(s.errors, []);
});

test('a closed session moves no more: hello is refused, close and goodbye are no-ops, nothing is logged as illegal', async () => {
  const s = setup();
  const { client } = await attached(s);
  await s.session.close('test');
  assert.equal(client.closed?.code, 4004);
  await s.session.close('again');
  s.session.goodbye('shutdown');
  assert.equal(s.session.state, 'done');
  assert.equal(s.released.length, 1);
  const late = new FakeClient();
  await s.session.attach(late, { cols: 80, rows: 24 }, false);
  assert.equal(late.closed?.code, 4003);
  assert.equal(late.ofType('ready').length, 0);
  assert.deepEqual(s.errors, []);
});

test('server shutdown (goodbye) detaches the shell and ends the session without releasing the sandbox', async () => {
  const s = setup();
  const { client, shell } = await attached(s);
  s.session.goodbye('restart');
  assert.equal(s.session.state, 'done');
  assert.equal(shell.ended, 'detach');
  assert.deepEqual(client.ofType('bye'), [{ type: 'bye', reason: 'restart' }]);
  assert.equal(s.released.length, 0);
});

test('flow control through the session: output past the high watermark pauses the shell, acks resume it', async () => {
  const s = setup();
  const { client, shell } = await attached(s);
  shell.print(Buffer.alloc(HIGH_WATERMARK + 1));
  assert.equal(shell.paused, true);
  s.session.ack(new FakeClient(), HIGH_WATERMARK);
  assert.equal(shell.paused, true, 'an ack from another client counts for nothing');
  s.session.ack(client, HIGH_WATERMARK + 1 - LOW_WATERMARK + 1);
  assert.equal(shell.paused, false);
});

test('input past the bound is refused once with input-overflow; Ctrl-C still passes', async () => {
  const s = setup({ terminal: { limits: { inputBacklogBytes: 100 } } });
  const { client, shell } = await attached(s);
  shell.inputBacklog = 99;
  s.session.input(client, 'ab');
  s.session.input(client, 'cd');
  assert.equal(client.ofType('error').filter((e) => e.code === 'input-overflow').length, 1);
  assert.deepEqual(shell.written, []);
  s.session.input(client, '\x03');
  assert.deepEqual(shell.written, ['\x03']);
  s.session.input(client, 'ok');
  assert.deepEqual(shell.written, ['\x03', 'ok']);
});

test('a newer tab takes over; the old one is told and closed, and its input is ignored', async () => {
  const s = setup();
  const { client: old, shell } = await attached(s);
  const next = new FakeClient();
  await s.session.attach(next, { cols: 100, rows: 30 }, true);
  assert.equal(old.closed?.code, 4001);
  assert.equal(old.ofType('taken-over').length, 1);
  assert.equal(next.ofType('ready')[0]?.resumed, true);
  s.session.input(old, 'nope');
  s.session.input(next, 'yes');
  assert.deepEqual(shell.written, ['yes']);
  assert.deepEqual(shell.size, { cols: 100, rows: 30 });
});
