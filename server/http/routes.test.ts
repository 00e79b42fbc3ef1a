// The route table and the one body reader (issue 18 §7): every write has a schema, no route is listed
// twice, the Origin rule as a table of what browsers and CLIs send, and the body rules.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import { Readable } from 'node:stream';
import { z } from 'zod';
import { MAX_PREPARE, MAX_RESET_NAMES } from '../../common/api.js';
import { PREPARE_MAX } from '../sandbox/pool.js';
import { MAX_RESET_SELECTION } from '../workshop/control.js';
import { ROUTES } from './api.js';
import { fromThisSite, MAX_BODY, readJsonBody } from './json-body.js';

test('the request bounds in common/api.ts are the server\'s own', () => {
  assert.equal(MAX_PREPARE, PREPARE_MAX);
  assert.equal(MAX_RESET_NAMES, MAX_RESET_SELECTION);
});

test('the table: every POST and PUT has a body schema, no route twice, instructor routes where the paths say', () => {
  const seen = new Set<string>();
  for (const r of ROUTES) {
    const key = `${r.method} ${r.path}`;
    assert.ok(!seen.has(key), `${key} twice`);
    seen.add(key);
    assert.equal(r.body !== null, r.method !== 'GET', key);
    if (/^\/api\/(workshops|instructor|sandboxes|stats)/.test(r.path)) assert.equal(r.who, 'instructor', key);
  }
  assert.ok(ROUTES.some((r) => r.path === '/api/workshops/:workshop/joins' && r.method === 'PUT'));
});

test('a route pattern matches one segment per name, %-decoded', () => {
  const notes = ROUTES.find((r) => r.path === '/api/instructor/labs/:lab/notes')!;
  assert.deepEqual(notes.match('/api/instructor/labs/a%20b/notes'), { lab: 'a b' });
  assert.equal(notes.match('/api/instructor/labs/a/b/notes'), null);
  assert.equal(notes.match('/api/instructor/labs//notes'), null);
  assert.equal(notes.match('/api/instructor/labs/%E0%A4%A/notes'), null);
});

const req = (headers: Record<string, string>, body = '') => Object.assign(Readable.from(body ? [Buffer.from(body)] : []), { headers }) as unknown as IncomingMessage;
const ours = (r: IncomingMessage) => r.headers.origin === 'http://127.0.0.1:3000';

test('from this site: what browsers send passes, what another page can make a browser send does not', () => {
  const CASES: Array<[string, Record<string, string>, boolean, boolean]> = [
    ['a page of ours (every browser sends Origin on a POST)', { origin: 'http://127.0.0.1:3000' }, false, true],
    ['another site', { origin: 'http://evil.example' }, false, false],
    ['another port of the same host', { origin: 'http://127.0.0.1:3001' }, false, false],
    ['an opaque origin', { origin: 'null' }, false, false],
    ['no Origin, Sec-Fetch-Site: same-origin', { 'sec-fetch-site': 'same-origin' }, false, true],
    ['no Origin, a sibling subdomain', { 'sec-fetch-site': 'same-site' }, false, false],
    ['no Origin, cross-site', { 'sec-fetch-site': 'cross-site' }, false, false],
    ['no Origin, no Sec-Fetch-Site, a cookie', {}, false, false],
    ['no Origin, the bearer token (the CLIs, curl)', {}, true, true],
    ['the bearer token from another site', { origin: 'http://evil.example' }, true, false],
  ];
  for (const [what, headers, bearer, ok] of CASES) assert.equal(fromThisSite(req(headers), bearer, ours).ok, ok, what);
});

test('the body: application/json only, small, valid, and what the schema says', async () => {
  const schema = z.object({ n: z.number() }).strict();
  const json = { 'content-type': 'application/json' };
  assert.deepEqual(await readJsonBody(req(json, '{"n":1}'), schema), { ok: true, body: { n: 1 } });
  assert.deepEqual(await readJsonBody(req({ 'content-type': 'Application/JSON; charset=utf-8' }, '{"n":2}'), schema), { ok: true, body: { n: 2 } });
  for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/json-patch+json', '']) {
    const r = await readJsonBody(req(type ? { 'content-type': type } : {}, '{"n":1}'), schema);
    assert.equal(r.ok ? 200 : r.status, 415, type);
  }
  const empty = await readJsonBody(req(json), z.object({}).strict());
  assert.deepEqual(empty, { ok: true, body: {} }, 'an empty JSON body is {}');
  const status = async (body: string) => {
    const r = await readJsonBody(req(json, body), schema);
    return r.ok ? 200 : r.status;
  };
  assert.equal(await status('{'), 400);
  assert.equal(await status('{"n":"1"}'), 400);
  assert.equal(await status('{"n":1,"extra":2}'), 400);
  assert.equal(await status(`{"n":1,"pad":"${'x'.repeat(MAX_BODY)}"}`), 413);
  const declared = await readJsonBody(req({ ...json, 'content-length': String(MAX_BODY + 1) }), schema);
  assert.equal(declared.ok ? 200 : declared.status, 413);
});
