// The instructor's messages and their dismissals.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MAX_SHOWN_MESSAGES } from '../../common/protocol.js';
import { openStore as open, type Store } from './index.js';
import { WORKSHOP_RULES } from '../workshop/states.js';

const openStore = (file: string): Store => open(file, WORKSHOP_RULES);

test('messages: to one member or all, pending until that attendee dismisses them, never another workshop\'s', () => {
  const store = openStore(':memory:');
  const w = store.workshops.createWorkshop({ labId: 'lab', title: 'A', maxAttendees: 10 });
  const other = store.workshops.createWorkshop({ labId: 'lab', title: 'B', maxAttendees: 10 });
  assert.ok(store.workshops.join('ana', w.id, 'Ana').ok && store.workshops.join('bo', w.id, 'Bo').ok && store.workshops.join('cy', other.id, 'Cy').ok);
  assert.equal(store.messages.addMessage(w.id, 'cy', 'not yours'), null, 'a member of another workshop');
  assert.equal(store.messages.addMessage(w.id, 'nobody', 'x'), null);
  const hint = store.messages.addMessage(w.id, 'ana', 'hint')!;
  const all = store.messages.addMessage(w.id, null, 'all')!;
  assert.deepEqual(store.messages.pendingMessages('ana').map((m) => [m.text, m.toAll]), [['hint', false], ['all', true]]);
  assert.deepEqual(store.messages.pendingMessages('bo').map((m) => m.text), ['all']);
  assert.deepEqual(store.messages.pendingMessages('cy'), []);
  store.messages.dismissMessage('bo', hint.id);
  store.messages.dismissMessage('ana', all.id);
  assert.deepEqual(store.messages.pendingMessages('ana').map((m) => m.id), [hint.id]);
  assert.deepEqual(store.messages.pendingMessages('bo').map((m) => m.id), [all.id], 'Bo cannot dismiss Ana\'s hint, and his own "all" stays');
  const many: number[] = [];
  for (let i = 0; i < MAX_SHOWN_MESSAGES + 5; i++) many.push(store.messages.addMessage(w.id, 'bo', `n${i}`)!.id);
  const shown = store.messages.pendingMessages('bo');
  assert.equal(shown.length, MAX_SHOWN_MESSAGES, 'bounded');
  assert.deepEqual([shown[0]!.text, shown.at(-1)!.text], ['n5', `n${MAX_SHOWN_MESSAGES + 4}`], 'the newest, oldest first');
  store.messages.dismissMessage('bo', all.id);
  for (const id of many) store.messages.dismissMessage('bo', id);
  assert.deepEqual(store.messages.pendingMessages('bo'), [], 'the one dismissed while beyond the shown ones does not come back');
  store.close();
});

