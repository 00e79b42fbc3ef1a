// Workshops: codes, joining, states (the table of server/workshop/states.ts, enforced in the store).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { JOIN_CODE_ALPHABET, JOIN_CODE_LENGTH, normalizeJoinCode } from '../workshop/join-code.js';
import { openStore as open, type Store } from './index.js';
import { WORKSHOP_RULES } from '../workshop/states.js';

const openStore = (file: string): Store => open(file, WORKSHOP_RULES);

test('workshops: codes from the unambiguous alphabet, found whatever the case', () => {
  const store = openStore(':memory:');
  const codes = new Set<string>();
  for (let i = 0; i < 200; i++) {
    const w = store.workshops.createWorkshop({ labId: 'k8s', title: `w${i}`, maxAttendees: 3 });
    assert.match(w.code, new RegExp(`^[${JOIN_CODE_ALPHABET}]{${JOIN_CODE_LENGTH}}$`));
    assert.doesNotMatch(w.code, /[ILO01]/);
    codes.add(w.code);
  }
  assert.equal(codes.size, 200, 'codes are unique');
  const [first] = store.workshops.workshops().slice(-1);
  assert.equal(store.workshops.workshopByCode(normalizeJoinCode(` ${first!.code.toLowerCase()} `))?.id, first!.id, 'what was typed, normalised by workshop/');
  assert.equal(store.workshops.workshopByCode('NOPE00'), null);
  store.close();
});

test('join: names unique per workshop (case-insensitively), seats bounded, the same browser keeps its seat', () => {
  const store = openStore(':memory:');
  const a = store.workshops.createWorkshop({ labId: 'k8s', title: 'A', maxAttendees: 2 });
  const b = store.workshops.createWorkshop({ labId: 'k8s', title: 'B', maxAttendees: 2 });
  assert.deepEqual(store.workshops.join('a-1', a.id, 'Ana'), { ok: true, name: 'Ana' });
  assert.deepEqual(store.workshops.join('a-2', a.id, 'ana'), { ok: false, why: 'name-taken' });
  assert.deepEqual(store.workshops.join('a-2', b.id, 'Ana'), { ok: true, name: 'Ana' }, 'the same name in another workshop is fine');
  assert.deepEqual(store.workshops.join('a-3', a.id, 'Bo'), { ok: true, name: 'Bo' });
  assert.deepEqual(store.workshops.join('a-4', a.id, 'Cy'), { ok: false, why: 'full' });
  assert.deepEqual(store.workshops.join('a-1', a.id, 'Ana'), { ok: true, name: 'Ana' }, 'coming back takes no second seat');
  assert.deepEqual(store.workshops.join('a-1', a.id, 'Bo'), { ok: false, why: 'name-taken' });
  assert.equal(store.workshops.nameOf('a-1'), 'Ana', 'a refused rename keeps the old name');
  assert.equal(store.workshops.setName('a-1', 'bo'), false, '/api/me cannot take a name either');
  assert.deepEqual(store.workshops.members(a.id).map((m) => m.name), ['Ana', 'Bo']);
  assert.equal(store.workshops.moveWorkshop(a.id, 'closed'), true);
  assert.deepEqual(store.workshops.join('a-5', a.id, 'Di'), { ok: false, why: 'not-open' });
  assert.equal(store.workshops.workshopOf('a-1')?.state, 'closed');
  store.close();
});

test('a workshop pauses, resumes and closes; its close countdown is kept until it closes (migration 5)', () => {
  const store = openStore(':memory:');
  const w = store.workshops.createWorkshop({ labId: 'lab', title: 'T', maxAttendees: 5 });
  assert.deepEqual(store.workshops.workshopTimes(w.id), { closesAt: null, pausedAt: null });
  assert.equal(store.workshops.moveWorkshop(w.id, 'paused'), true);
  assert.equal(store.workshops.workshop(w.id)?.state, 'paused');
  assert.ok(store.workshops.workshopTimes(w.id).pausedAt !== null, 'since when it is paused');
  assert.equal(store.workshops.moveWorkshop(w.id, 'open'), true);
  assert.deepEqual(store.workshops.workshopTimes(w.id), { closesAt: null, pausedAt: null });

  store.workshops.setClosesAt(w.id, 1234);
  assert.deepEqual(store.workshops.closingWorkshops(), [{ id: w.id, closesAt: 1234 }]);
  assert.equal(store.workshops.moveWorkshop(w.id, 'closed'), true);
  assert.deepEqual(store.workshops.closingWorkshops(), [], 'a closed workshop has no countdown left to finish');
  assert.equal(store.workshops.workshopTimes(w.id).closesAt, null);
  store.close();
});


test('the store takes only the moves the table allows: closed is final, a move to the same state is refused (issue 18 §5)', () => {
  const store = openStore(':memory:');
  const w = store.workshops.createWorkshop({ labId: 'lab', title: 'T', maxAttendees: 5 });
  assert.equal(store.workshops.moveWorkshop(w.id, 'open'), false, 'open → open');
  assert.equal(store.workshops.moveWorkshop(w.id, 'paused'), true);
  assert.equal(store.workshops.moveWorkshop(w.id, 'paused'), false, 'paused → paused');
  const pausedAt = store.workshops.workshopTimes(w.id).pausedAt;
  assert.equal(store.workshops.moveWorkshop(w.id, 'closed'), true, 'a paused workshop can close');
  assert.equal(store.workshops.moveWorkshop(w.id, 'open'), false, 'closed → open is refused');
  assert.equal(store.workshops.moveWorkshop(w.id, 'paused'), false, 'closed → paused is refused');
  assert.equal(store.workshops.moveWorkshop(w.id, 'closed'), false, 'closed twice');
  assert.equal(store.workshops.workshop(w.id)?.state, 'closed');
  assert.notEqual(pausedAt, null);
  assert.equal(store.workshops.moveWorkshop('w-nobody', 'closed'), false, 'an unknown workshop');
  store.close();
});

test('a refused join writes no row: 50 refused joins (name taken, full, not open) add no attendee and no event (issue 17 §4)', () => {
  const store = openStore(':memory:');
  const full = store.workshops.createWorkshop({ labId: 'lab', title: 'Full', maxAttendees: 1 });
  const roomy = store.workshops.createWorkshop({ labId: 'lab', title: 'Roomy', maxAttendees: 100 });
  const closed = store.workshops.createWorkshop({ labId: 'lab', title: 'Closed', maxAttendees: 100 });
  assert.ok(store.workshops.join('ana', full.id, 'Ana').ok);
  assert.ok(store.workshops.join('bo', roomy.id, 'Bo').ok);
  assert.ok(store.workshops.moveWorkshop(closed.id, 'closed'));
  const rowsBefore = store.reads.attendees().length;
  const eventsBefore = store.events.events(full.id).length + store.events.events(roomy.id).length;
  const refused: string[] = [];
  for (let i = 0; i < 50; i++) {
    const [workshop, name] = i % 3 === 0 ? [roomy.id, 'bo'] : i % 3 === 1 ? [full.id, `Bo${i}`] : [closed.id, `Cy${i}`];
    const outcome = store.workshops.join(`stranger-${i}`, workshop, name);
    assert.equal(outcome.ok, false);
    if (!outcome.ok) refused.push(outcome.why);
  }
  assert.deepEqual(new Set(refused), new Set(['name-taken', 'full', 'not-open']));
  assert.equal(store.reads.attendees().length - rowsBefore, 0, 'no row for a refused join');
  assert.equal(store.events.events(full.id).length + store.events.events(roomy.id).length, eventsBefore, 'no event either');
  store.close();
});

test('joins can be closed: nobody new joins, a member re-joining from the same browser keeps their seat (issue 17 §2)', () => {
  const store = openStore(':memory:');
  const w = store.workshops.createWorkshop({ labId: 'lab', title: 'T', maxAttendees: 10 });
  assert.equal(w.joinsOpen, true);
  assert.ok(store.workshops.join('ana', w.id, 'Ana').ok);
  store.workshops.setJoinsOpen(w.id, false);
  assert.equal(store.workshops.workshop(w.id)?.joinsOpen, false);
  assert.equal(store.workshops.workshopOf('ana')?.joinsOpen, false);
  const rows = store.reads.attendees().length;
  assert.deepEqual(store.workshops.join('bo', w.id, 'Bo'), { ok: false, why: 'joins-closed' });
  assert.equal(store.reads.attendees().length, rows, 'no row for the refused one');
  assert.deepEqual(store.workshops.join('ana', w.id, 'Ana'), { ok: true, name: 'Ana' }, 'a member comes back');
  assert.deepEqual(store.workshops.join('ana', w.id, 'Anna'), { ok: true, name: 'Anna' }, 'and may rename');
  store.workshops.setJoinsOpen(w.id, true);
  assert.deepEqual(store.workshops.join('bo', w.id, 'Bo'), { ok: true, name: 'Bo' });
  assert.equal(store.workshops.workshops()[0]?.joinsOpen, true);
  store.close();
});
