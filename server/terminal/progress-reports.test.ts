import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ProgressReports } from './progress-reports.js';

function setup(rate = { perSecond: 2, burst: 3 }) {
  let clock = 0;
  const stored: Array<[string, number]> = [];
  const refused: string[] = [];
  const reports = new ProgressReports({
    stepCount: (lab) => (lab === 'lab' ? 4 : null),
    record: (lab, step) => stored.push([lab, step]),
    rate,
    now: () => clock,
  });
  const report = (lab: string, step: number) => reports.report(lab, step, (m) => refused.push(m));
  return { reports, stored, refused, report, tick: (ms: number) => (clock += ms) };
}

test('a known lab and a step it has is stored; an unknown lab or step is refused and stores nothing', () => {
  const s = setup();
  s.report('lab', 3);
  s.report('no-such-lab', 0);
  s.report('lab', 4);
  assert.deepEqual(s.stored, [['lab', 3]]);
  assert.equal(s.refused.length, 2);
  assert.match(s.refused[0]!, /no lab "no-such-lab"/);
  assert.match(s.refused[1]!, /lab lab has 4 steps \(0 to 3\): step 4 is not one of them/);
  assert.deepEqual(s.reports.counts, { stored: 1, dropped: 0, refused: 2 });
  s.reports.dispose();
});

test('beyond the rate the last report waits for a token and newer ones replace it: the step landed on is stored', async () => {
  const s = setup({ perSecond: 1000, burst: 3 });
  for (const step of [0, 1, 2, 3, 0, 1, 2]) s.report('lab', step);
  assert.deepEqual(s.stored.map(([, step]) => step), [0, 1, 2], 'the burst');
  s.tick(5);
  // The timer waits for the bucket's clock, which the test moves; let it fire.
  await new Promise((r) => setTimeout(r, 20));
  assert.deepEqual(s.stored.map(([, step]) => step), [0, 1, 2, 2], 'only the last of those that waited');
  assert.deepEqual(s.reports.counts, { stored: 4, dropped: 3, refused: 0 });
  s.reports.dispose();
});

test('a waiting report goes with the session; nothing fires after dispose', async () => {
  const s = setup({ perSecond: 1000, burst: 1 });
  s.report('lab', 0);
  s.report('lab', 1);
  s.reports.dispose();
  s.tick(100);
  await new Promise((r) => setTimeout(r, 20));
  assert.deepEqual(s.stored, [['lab', 0]]);
  assert.equal(s.reports.counts.dropped, 1);
});

test('2000 reports at once store at most the burst and one more, whatever they name', async () => {
  const s = setup({ perSecond: 2, burst: 20 });
  for (let i = 0; i < 2000; i++) s.report(i % 2 ? 'lab' : `made-up-${i}`, i % 4);
  assert.ok(s.stored.length + s.refused.length <= 20, `${s.stored.length} stored, ${s.refused.length} refused`);
  assert.equal(s.reports.counts.dropped, 2000 - 20 - 1);
  s.reports.dispose();
});
