import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ServerMessage } from '../../common/protocol.js';
import type { WatchServerMessage } from '../../common/watch-protocol.js';
import { MAX_WATCHERS_PER_ATTENDEE } from '../../common/watch-protocol.js';
import { turn } from '../../test/support/fake-terminal.js';
import { ByteRing } from './screen.js';
import { WatcherSet, type WatchLink } from './watchers.js';

let ids = 1;

/** A watch socket that records what it is sent; `buffered` stands for bytes the kernel has not taken. */
class Link implements WatchLink {
  readonly id = ids++;
  readonly frames: WatchServerMessage[] = [];
  readonly output: Buffer[] = [];
  buffered = 0;
  closed: number | null = null;
  sendJson(msg: WatchServerMessage): void {
    this.frames.push(msg);
  }
  sendOutput(data: Buffer, onSent: () => void): void {
    this.output.push(data);
    onSent();
  }
  get bufferedAmount(): number {
    return this.buffered;
  }
  close(code: number): void {
    this.closed = code;
  }
  last<K extends WatchServerMessage['type']>(type: K): Extract<WatchServerMessage, { type: K }> | undefined {
    return this.frames.filter((f): f is Extract<WatchServerMessage, { type: K }> => f.type === type).at(-1);
  }
}

function setup(limits = { highBytes: 1000, lowBytes: 100, resyncEveryMs: 10 }) {
  const ring = new ByteRing(64 * 1024);
  const toAttendee: ServerMessage[] = [];
  const typed: string[] = [];
  const set = new WatcherSet(
    {
      screen: () => ({ bytes: ring.contents(), size: { cols: 80, rows: 24 } }),
      size: () => ({ cols: 80, rows: 24 }),
      tellAttendee: (m) => toAttendee.push(m),
      attendeeOnline: () => true,
      type: (data) => typed.push(data),
    },
    limits,
  );
  const out = (text: string) => {
    const b = Buffer.from(text);
    ring.push(b);
    set.output(b);
  };
  return { set, ring, out, toAttendee, typed };
}

async function screenOf(link: Link): Promise<Extract<WatchServerMessage, { type: 'screen' }>> {
  for (let i = 0; i < 200 && !link.last('screen'); i++) await new Promise((r) => setTimeout(r, 5));
  return link.last('screen')!;
}

test('a new watcher gets the screen first, then only what came after it, and the attendee hears the count', async () => {
  const { set, out, toAttendee } = setup();
  out('before\r\n');
  const w = new Link();
  assert.ok(set.add(w));
  out('during\r\n');
  const screen = await screenOf(w);
  assert.match(screen.data, /before/);
  assert.doesNotMatch(screen.data, /during/, 'output after the snapshot is not in the screen…');
  await turn();
  assert.equal(Buffer.concat(w.output).toString(), 'during\r\n', '…it follows once, as live output');
  out('live');
  await turn();
  assert.equal(Buffer.concat(w.output).toString(), 'during\r\nlive');
  assert.deepEqual(toAttendee.at(-1), { type: 'watching', watchers: 1 });
  set.remove(w);
  assert.deepEqual(toAttendee.at(-1), { type: 'watching', watchers: 0 });
});

test('control: only the attendee grants it; keys are typed only while granted to that watcher', async () => {
  const { set, typed, toAttendee } = setup();
  const a = new Link();
  const b = new Link();
  set.add(a);
  set.add(b);
  set.input(a, 'x');
  assert.equal(a.last('error')?.code, 'not-in-control');
  set.controlRequest(a, 'request');
  assert.deepEqual(toAttendee.at(-1), { type: 'control', state: 'requested' });
  set.input(a, 'y');
  set.controlRequest(b, 'request');
  assert.equal(b.last('error')?.code, 'control-busy');
  set.attendeeAnswer('accept');
  assert.deepEqual(a.last('control'), { type: 'control', state: 'granted', mine: true });
  assert.deepEqual(b.last('control'), { type: 'control', state: 'granted', mine: false });
  set.input(b, 'not b');
  set.input(a, 'z');
  assert.deepEqual(typed, ['z']);
  set.attendeeAnswer('end');
  assert.equal(a.last('control')?.ended, 'taken-back');
  set.input(a, 'late');
  assert.deepEqual(typed, ['z']);
  // Accept without a request grants nothing.
  set.attendeeAnswer('accept');
  assert.equal(set.controlState, 'none');
  // The holder leaving ends control.
  set.controlRequest(a, 'request');
  set.attendeeAnswer('accept');
  set.remove(a);
  assert.deepEqual(toAttendee.filter((m) => m.type === 'control').at(-1), { type: 'control', state: 'none' });
});

test('a watcher that does not drain is skipped, not queued, and resynced with a screen once it drains', async () => {
  const { set, out } = setup();
  const w = new Link();
  set.add(w);
  await screenOf(w);
  w.buffered = 5000;
  out('a'.repeat(600));
  out('b'.repeat(600));
  await turn();
  assert.equal(w.output.length, 0, 'nothing sent to a socket above the high mark');
  for (let i = 0; i < 10; i++) out('c'.repeat(1000));
  await turn();
  assert.equal(w.output.length, 0);
  w.buffered = 0;
  const before = w.frames.length;
  for (let i = 0; i < 200 && !w.frames.slice(before).some((f) => f.type === 'screen'); i++) await new Promise((r) => setTimeout(r, 5));
  const screen = w.frames.slice(before).find((f): f is Extract<WatchServerMessage, { type: 'screen' }> => f.type === 'screen');
  assert.ok(screen, 'a fresh screen once drained');
  assert.ok(screen.skipped >= 11_200, `skipped ${screen.skipped}`);
  assert.match(screen.data, /c{10}/);
});

test('at most MAX_WATCHERS_PER_ATTENDEE watchers; ending closes every one', () => {
  const { set } = setup();
  const links = Array.from({ length: MAX_WATCHERS_PER_ATTENDEE }, () => new Link());
  for (const l of links) assert.ok(set.add(l));
  assert.equal(set.add(new Link()), false);
  set.end('grace period over');
  for (const l of links) {
    assert.equal(l.closed, 4004);
    assert.deepEqual(l.last('ended'), { type: 'ended', reason: 'grace period over' });
  }
});

test('issue 17 §6: control lent to a watcher ends when the attendee\'s browser goes; keys are refused until they accept again', async () => {
  const s = setup();
  const a = new Link();
  s.set.add(a);
  await screenOf(a);
  s.set.controlRequest(a, 'request');
  s.set.attendeeAnswer('accept');
  s.set.input(a, 'while-there');
  assert.deepEqual(s.typed, ['while-there']);

  s.set.attendeeChanged(false);
  assert.deepEqual(a.last('control'), { type: 'control', state: 'none', mine: false, ended: 'attendee-left' });
  assert.equal(a.last('attendee')?.online, false);
  s.set.input(a, 'unattended');
  assert.equal(a.last('error')?.code, 'not-in-control');
  assert.deepEqual(s.typed, ['while-there'], 'nothing typed into the unattended shell');

  // Back: nothing is granted until the attendee accepts a new request.
  s.set.attendeeChanged(true);
  assert.equal(s.set.controlState, 'none');
  s.set.attendeeAnswer('accept');
  assert.equal(s.set.controlState, 'none', 'an accept without a request grants nothing');
  s.set.controlRequest(a, 'request');
  s.set.attendeeChanged(false);
  assert.equal(s.set.controlState, 'none', 'a pending request ends too');
  s.set.end('test');
});
