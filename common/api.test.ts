// The HTTP schemas accept what the server really sends: every lab in labs/ as the catalogue serves it,
// and they refuse a reply that drifted (the browser then says so instead of rendering half a page).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { InstructorAttendeeSchema, LabFailuresSchema, LabSchema, LabSummariesSchema, MeSchema, StepNotesListSchema } from './api.js';
import { LabCatalog } from '../server/labs/catalog.js';

const repo = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');

for (const dir of ['labs', 'server/labs/fixtures', 'server/labs/fixtures/killercoda']) {
  test(`every lab in ${dir}/ parses with the schemas, as served`, () => servedLabsParse(path.join(repo, dir)));
}

async function servedLabsParse(labsDir: string): Promise<void> {
  const catalog = new LabCatalog(labsDir);
  await catalog.load();
  const summaries = catalog.summaries();
  assert.ok(summaries.length > 0, 'labs/ has labs');
  assert.deepEqual(LabSummariesSchema.parse(JSON.parse(JSON.stringify(summaries))), summaries);
  LabFailuresSchema.parse(JSON.parse(JSON.stringify(catalog.failures)));
  for (const { id } of summaries) {
    const wire: unknown = JSON.parse(JSON.stringify(catalog.lab(id)));
    assert.deepEqual(LabSchema.parse(wire), wire, `${id}: nothing lost in parsing`);
    StepNotesListSchema.parse(JSON.parse(JSON.stringify(catalog.notes(id))));
  }
}

test('a drifted reply is refused, with the field named', () => {
  const me = { attendee: 'a1', name: null, driver: 'local', isolation: 'host shell (no isolation)', warnings: [] };
  assert.deepEqual(MeSchema.parse(me), me);
  const r = MeSchema.safeParse({ ...me, warnings: undefined });
  assert.equal(r.success, false);
  assert.deepEqual(r.error?.issues[0]?.path, ['warnings']);
  const row = { attendee: 'a1', name: 'Ada', labId: null, step: null, runs: 0, connected: false, sandbox: null, lastSeen: 1 };
  assert.equal(InstructorAttendeeSchema.safeParse(row).success, true);
  assert.equal(InstructorAttendeeSchema.safeParse({ ...row, lastSeen: '2026-01-01' }).success, false);
});
