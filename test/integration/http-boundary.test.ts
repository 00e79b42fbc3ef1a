// The HTTP boundary as an attacker sees it (issue 8, items 2, 3, 4 and 6), against the real server:
// DNS rebinding (a forged Host with a matching Origin), hostile cookies and request targets, lab assets
// that try to script labdeck's origin or leave their folder, and cookies on cacheable responses.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ROOT, readyTerminal, startServer, type RunningServer } from '../support/server.js';
import { rawRequest, upgradeRequest } from '../support/raw-http.js';
import { TERMINAL_PATH } from '../../common/protocol.js';
import { WATCH_PATH } from '../../common/watch-protocol.js';
import { CLASS_PATH } from '../../common/class-protocol.js';
import { instructorProtocols } from '../../common/instructor-socket.js';

const tmp = mkdtempSync(path.join(tmpdir(), 'labdeck-boundary-'));
const labsDir = path.join(tmp, 'labs');
let server: RunningServer;
let port: number;

const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==', 'base64');
const SVG = '<svg xmlns="http://www.w3.org/2000/svg"><script>fetch("/api/me",{method:"POST",body:"{\\"name\\":\\"pwned\\"}"})</script></svg>';

before(async () => {
  cpSync(path.join(ROOT, 'labs', 'kubernetes-meets-rust'), path.join(labsDir, 'kubernetes-meets-rust'), { recursive: true });
  mkdirSync(path.join(labsDir, 'pics', 'img'), { recursive: true });
  writeFileSync(path.join(labsDir, 'pics', 'img', 'dot.png'), PNG);
  writeFileSync(path.join(labsDir, 'pics', 'img', 'unshown.png'), PNG);
  writeFileSync(path.join(labsDir, 'pics', 'img', 'evil.svg'), SVG);
  // A file outside LABS_DIR, and a lab image that is a symlink to it.
  writeFileSync(path.join(tmp, 'outside.png'), PNG);
  writeFileSync(path.join(labsDir, 'pics', 'pics.md'), '---\ntitle: Pics\n---\n\n# One\n\n![dot](img/dot.png) ![svg](img/evil.svg)\n');
  // A lab that shows an image linked out of its folder does not load at all (server/labs/confine.ts).
  mkdirSync(path.join(labsDir, 'linked', 'img'), { recursive: true });
  symlinkSync(path.join(tmp, 'outside.png'), path.join(labsDir, 'linked', 'img', 'link.png'));
  writeFileSync(path.join(labsDir, 'linked', 'linked.md'), '---\ntitle: Linked\n---\n\n# One\n\n![link](img/link.png)\n');
  // A top-level deck: its folder is all of LABS_DIR, yet it may serve only what it shows.
  mkdirSync(path.join(labsDir, 'top-img'));
  writeFileSync(path.join(labsDir, 'top-img', 'a.png'), PNG);
  writeFileSync(path.join(labsDir, 'top.md'), '---\ntitle: Top\n---\n\n# One\n\n![a](top-img/a.png)\n');
  server = await startServer({ LABS_DIR: labsDir });
  port = Number(new URL(server.url).port);
});
after(async () => {
  await server?.stop();
  rmSync(tmp, { recursive: true, force: true });
});

const get = (p: string, headers: Record<string, string> = {}) =>
  rawRequest(port, [`GET ${p} HTTP/1.1`, ...Object.entries({ Host: `127.0.0.1:${port}`, Connection: 'close', ...headers }).map(([k, v]) => `${k}: ${v}`), '', ''].join('\r\n'));

async function gatewayStats(): Promise<{ connections: number; rejectedUpgrades: number }> {
  const stats = (await (await server.instructor('/api/stats')).json()) as { gateway: { connections: number; rejectedUpgrades: number } };
  return stats.gateway;
}

describe('DNS rebinding: a foreign Host is refused before anything runs', () => {
  test('POST /api/me with Host: evil.example gets 421 and no cookie', async () => {
    const body = '{"name":"rebound"}';
    const r = await rawRequest(
      port,
      `POST /api/me HTTP/1.1\r\nHost: evil.example:${port}\r\nOrigin: http://evil.example:${port}\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`,
    );
    assert.equal(r.status, 421);
    assert.equal(r.headers['set-cookie'], undefined);
  });

  test('a page GET with a foreign Host gets 421; the server names still work', async () => {
    for (const host of [`evil.example:${port}`, `127.0.0.1.evil.example:${port}`, `localhost:${port + 1}`, 'localhost']) {
      const r = await get('/', { Host: host });
      assert.equal(r.status, 421, host);
      assert.equal(r.headers['set-cookie'], undefined);
    }
    for (const host of [`localhost:${port}`, `127.0.0.1:${port}`]) assert.equal((await rawRequest(port, `GET /healthz HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`)).status, 200, host);
  });

  test('an HTTP/1.0 request with no Host gets 400', async () => {
    const r = await rawRequest(port, 'GET /api/me HTTP/1.0\r\n\r\n');
    assert.equal(r.status, 400);
    assert.equal(r.headers['set-cookie'], undefined);
  });

  test('an upgrade with a foreign Host and a matching Origin is refused and opens no shell', async () => {
    const cookie = await server.newAttendee();
    const before = await gatewayStats();
    const r = await rawRequest(port, upgradeRequest(TERMINAL_PATH, { Host: `evil.example:${port}`, Origin: `http://evil.example:${port}`, Cookie: cookie }));
    assert.equal(r.status, 421);
    assert.ok(r.closed);
    const afterStats = await gatewayStats();
    assert.equal(afterStats.connections, before.connections, 'no terminal connection was opened');
  });

  test('an upgrade with our Host but a foreign Origin is refused', async () => {
    const cookie = await server.newAttendee();
    const r = await rawRequest(port, upgradeRequest(TERMINAL_PATH, { Host: `127.0.0.1:${port}`, Origin: `http://evil.example:${port}`, Cookie: cookie }));
    assert.equal(r.status, 403);
  });
});

describe('every input is answered', () => {
  test('Cookie: labdeck_session=% on 100 upgrades: each gets 401, none hangs', async () => {
    const answers = await Promise.all(
      Array.from({ length: 100 }, () =>
        rawRequest(port, upgradeRequest(TERMINAL_PATH, { Host: `127.0.0.1:${port}`, Origin: `http://127.0.0.1:${port}`, Cookie: 'labdeck_session=%' }), 10_000),
      ),
    );
    assert.equal(answers.filter((a) => a.hung).length, 0, 'hung sockets');
    assert.deepEqual([...new Set(answers.map((a) => a.status))], [401]);
    assert.doesNotMatch(server.log(), /URIError/);
  });

  test('Cookie: labdeck_session=% on HTTP is no session: /api/me answers with a fresh one', async () => {
    const r = await get('/api/me', { Cookie: 'labdeck_session=%' });
    assert.equal(r.status, 200);
    assert.match(r.headers['set-cookie'] ?? '', /^labdeck_session=a-/);
  });

  test('malformed targets get 400 or 404, never a 500 or a hang', async () => {
    const CASES: Array<[string, number]> = [
      ['/labs/%/assets/x.png', 400],
      ['/labs/pics/assets/%E0%A4%A.png', 400],
      ['/api/labs/%', 400],
      ['/labs/%E0%A4%A', 400],
      ['/api/labs/%2E%2E', 404],
      ['//evil.example/', 400],
      ['http://evil.example/', 400],
      ['*', 400],
    ];
    for (const [target, status] of CASES) {
      const r = await rawRequest(port, `GET ${target} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nConnection: close\r\n\r\n`);
      assert.equal(r.status, status, target);
    }
    const reset = await rawRequest(port, `POST /api/sandboxes/%/reset HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nAuthorization: Bearer test-instructor-token\r\nContent-Length: 0\r\nConnection: close\r\n\r\n`);
    assert.equal(reset.status, 400);
  });
});

describe('pages and cookies', () => {
  test('pages carry a CSP that forbids framing, and X-Frame-Options: DENY', async () => {
    for (const p of ['/', '/labs/pics', '/instructor']) {
      const r = await get(p);
      assert.equal(r.status, 200, p);
      assert.match(r.headers['content-security-policy'] ?? '', /frame-ancestors 'none'/, p);
      assert.match(r.headers['content-security-policy'] ?? '', /object-src 'none'/, p);
      assert.equal(r.headers['x-frame-options'], 'DENY', p);
    }
  });

  test('no Set-Cookie on cacheable responses; where one is minted, the response is no-store', async () => {
    const home = await get('/');
    assert.equal(home.headers['set-cookie'], undefined, `/ is cacheable (${home.headers['cache-control']}) and must set no cookie`);
    const script = /\/_next\/static\/[^"]+\.js/.exec(home.body)?.[0];
    assert.ok(script, 'the page links a static script');
    const asset = await get(script);
    assert.equal(asset.status, 200);
    assert.equal(asset.headers['set-cookie'], undefined, script);
    const img = await get('/labs/pics/assets/img/dot.png');
    assert.equal(img.status, 200);
    assert.equal(img.headers['set-cookie'], undefined);
    for (const p of ['/labs/pics', '/api/me']) {
      const r = await get(p);
      assert.match(r.headers['set-cookie'] ?? '', /^labdeck_session=/, p);
      assert.match(r.headers['cache-control'] ?? '', /no-store/, p);
      assert.doesNotMatch(r.headers['cache-control'] ?? '', /public|s-maxage/, p);
    }
  });

  test('the lab page still opens a real shell with the cookie it minted', async () => {
    const page = await get('/labs/pics');
    const cookie = (page.headers['set-cookie'] ?? '').split(';')[0]!;
    const { term } = await readyTerminal(server, cookie);
    term.type('echo boun$((2*3))dary\r');
    await term.waitForOutput(/boun6dary/);
    term.close();
  });
});

describe('lab assets', () => {
  test("an SVG is served sandboxed: its scripts cannot run on labdeck's origin", async () => {
    const r = await get('/labs/pics/assets/img/evil.svg');
    assert.equal(r.status, 200);
    assert.equal(r.headers['content-type'], 'image/svg+xml');
    const csp = r.headers['content-security-policy'] ?? '';
    assert.match(csp, /(^|; )sandbox($|;)/);
    assert.match(csp, /default-src 'none'/);
    assert.doesNotMatch(csp, /script-src/);
  });

  test('a lab showing a symlink out of its folder does not load: its image and the lab are 404', async () => {
    assert.equal((await get('/labs/linked/assets/img/link.png')).status, 404);
    assert.equal((await get('/api/labs/linked')).status, 404);
  });

  test('only the images the deck shows are served', async () => {
    assert.equal((await get('/labs/pics/assets/img/unshown.png')).status, 404);
    assert.equal((await get('/labs/top/assets/top-img/a.png')).status, 200);
    // The top-level deck's folder is LABS_DIR: another lab's files are still not its assets.
    assert.equal((await get('/labs/top/assets/pics/img/dot.png')).status, 404);
  });
});

/** The start's error output; a server that starts anyway is stopped at once (never left listening). */
async function refusedAtStart(env: Record<string, string>): Promise<string> {
  let started: RunningServer;
  try {
    started = await startServer(env);
  } catch (err) {
    return String(err);
  }
  await started.stop('SIGKILL');
  return assert.fail(`the server started with ${JSON.stringify(env)}`);
}

describe('settings at start', () => {
  test('SANDBOX_CPUS=abc stops the start naming the variable and the value', async () => {
    assert.match(await refusedAtStart({ SANDBOX_CPUS: 'abc' }), /exited with 2[\s\S]*SANDBOX_CPUS=abc/);
  });

  // (Accepted with ALLOW_LOCAL_ON_NETWORK=1: server/config.test.ts. Not started here: the test would
  // hand a root shell to the machine's network for its duration.)
  test('a network HOST with the local sandbox is refused at start', async () => {
    assert.match(await refusedAtStart({ HOST: '0.0.0.0' }), /exited with 2[\s\S]*HOST=0\.0\.0\.0 with SANDBOX=local[\s\S]*ALLOW_LOCAL_ON_NETWORK=1/);
  });

  test('ALLOWED_HOSTS names are served', async () => {
    const open = await startServer({ ALLOWED_HOSTS: 'lab.example.org' });
    try {
      const p = Number(new URL(open.url).port);
      const r = await rawRequest(p, `GET /healthz HTTP/1.1\r\nHost: lab.example.org\r\nConnection: close\r\n\r\n`);
      assert.equal(r.status, 200);
    } finally {
      await open.stop();
    }
  });
});

/**
 * A raw request with exactly these headers (Host and Connection added), from `from` (a 127/8 address);
 * the answer's body de-chunked.
 */
async function send(p: number, method: string, target: string, headers: Record<string, string>, body = '', from?: string) {
  const all = { Host: `127.0.0.1:${p}`, Connection: 'close', ...headers };
  const lines = [`${method} ${target} HTTP/1.1`, ...Object.entries(all).map(([k, v]) => `${k}: ${v}`)];
  if (body || method !== 'GET') lines.push(`Content-Length: ${Buffer.byteLength(body)}`);
  const r = await rawRequest(p, `${lines.join('\r\n')}\r\n\r\n${body}`, 10_000, from);
  return r.headers['transfer-encoding'] === 'chunked' ? { ...r, body: dechunk(r.body) } : r;
}

function dechunk(raw: string): string {
  let out = '';
  for (let at = 0; ; ) {
    const eol = raw.indexOf('\r\n', at);
    const size = eol < 0 ? 0 : parseInt(raw.slice(at, eol), 16);
    if (!size) return Buffer.from(out, 'latin1').toString('utf8');
    out += raw.slice(eol + 2, eol + 2 + size);
    at = eol + 2 + size + 2;
  }
}

const json = { 'Content-Type': 'application/json' };
const bearer = { Authorization: 'Bearer test-instructor-token' };

describe('state-changing requests must come from this site (issue 17 §3, issue 18 §7)', () => {
  const ours = () => ({ Origin: `http://127.0.0.1:${port}` });
  const nameOf = async (cookie: string) => (JSON.parse((await send(port, 'GET', '/api/me', { Cookie: cookie })).body) as { name: string | null }).name;

  test('a cross-site rename (another Origin, text/plain) is refused and changes nothing', async () => {
    const cookie = await server.newAttendee();
    assert.equal((await send(port, 'POST', '/api/me', { Cookie: cookie, ...ours(), ...json }, '{"name":"Ada"}')).status, 200);
    const cross = await send(port, 'POST', '/api/me', { Cookie: cookie, Origin: 'http://evil.example', 'Content-Type': 'text/plain' }, '{"name":"pwned"}');
    assert.equal(cross.status, 403, cross.body);
    assert.equal((await send(port, 'POST', '/api/me', { Cookie: cookie, Origin: `http://127.0.0.1:${port + 1}`, ...json }, '{"name":"pwned"}')).status, 403, 'another port is another origin');
    assert.equal((await send(port, 'POST', '/api/me', { Cookie: cookie, ...ours(), 'Content-Type': 'text/plain' }, '{"name":"pwned"}')).status, 415);
    assert.equal(await nameOf(cookie), 'Ada');
  });

  test('without Origin a cookie write needs Sec-Fetch-Site: same-origin; the bearer token needs neither (the CLIs)', async () => {
    const cookie = await server.newAttendee();
    const rename = (headers: Record<string, string>, name: string) => send(port, 'POST', '/api/me', { Cookie: cookie, ...json, ...headers }, JSON.stringify({ name }));
    assert.equal((await rename({}, 'none')).status, 403, 'no Origin, no Sec-Fetch-Site');
    for (const site of ['same-site', 'cross-site', 'none']) assert.equal((await rename({ 'Sec-Fetch-Site': site }, site)).status, 403, site);
    assert.equal((await rename({ 'Sec-Fetch-Site': 'same-origin' }, 'Bea')).status, 200);
    assert.equal((await rename({ Origin: 'null' }, 'null')).status, 403, 'an opaque origin');
    assert.equal(await nameOf(cookie), 'Bea');

    const made = await send(port, 'POST', '/api/workshops', { ...bearer, ...json }, '{"lab":"pics"}');
    assert.equal(made.status, 201, made.body);
    const { id } = JSON.parse(made.body) as { id: string };
    assert.equal((await send(port, 'POST', `/api/workshops/${id}/pause`, bearer)).status, 415, 'no body and no content type is not JSON either');
    assert.equal((await send(port, 'POST', `/api/workshops/${id}/pause`, { ...bearer, ...json })).status, 200, 'an empty JSON body reads as {}');
  });

  test('every state-changing route refuses another Origin (403) and a body that is not JSON (415)', async () => {
    const cookie = await server.newAttendee();
    const made = JSON.parse((await send(port, 'POST', '/api/workshops', { ...bearer, ...json }, '{"lab":"pics"}')).body) as { id: string };
    const w = `/api/workshops/${made.id}`;
    const me = (JSON.parse((await send(port, 'GET', '/api/me', { Cookie: cookie })).body) as { attendee: string }).attendee;
    const routes: Array<[string, string, Record<string, string>, unknown]> = [
      ['POST', '/api/me', { Cookie: cookie }, { name: 'X' }],
      ['POST', '/api/join', {}, { code: 'ABCDEFGH', name: 'X' }],
      ['POST', '/api/check', { Cookie: cookie }, { lab: 'pics', step: 0 }],
      ['POST', '/api/setup', { Cookie: cookie }, { lab: 'pics' }],
      ['POST', '/api/type', { Cookie: cookie }, { lab: 'pics', step: 0, what: 'solution' }],
      ['POST', '/api/snippet', { Cookie: cookie }, { lab: 'pics', block: 'b' }],
      ['POST', '/api/workshops', bearer, { lab: 'pics' }],
      ['POST', `${w}/messages`, bearer, { text: 'hi' }],
      ['PUT', `${w}/stuck`, bearer, { failStreak: 5 }],
      ['PUT', `${w}/joins`, bearer, { open: false }],
      ['POST', `${w}/presenter`, bearer, { step: 0 }],
      ['POST', `${w}/prepare`, bearer, { count: 1 }],
      ['POST', `${w}/close`, bearer, { warnSeconds: 0 }],
      ['POST', `${w}/pause`, bearer, {}],
      ['POST', `${w}/resume`, bearer, {}],
      ['POST', `${w}/reset`, bearer, {}],
      ['POST', `/api/sandboxes/${me}/reset`, bearer, {}],
    ];
    for (const [method, route, auth, body] of routes) {
      const cross = await send(port, method, route, { ...auth, Origin: 'http://evil.example', ...json }, JSON.stringify(body));
      assert.equal(cross.status, 403, `${method} ${route} from another origin: ${cross.body}`);
      const form = await send(port, method, route, { ...auth, ...ours(), 'Content-Type': 'application/x-www-form-urlencoded' }, 'a=1');
      assert.equal(form.status, 415, `${method} ${route} as a form: ${form.body}`);
    }
    const still = JSON.parse((await send(port, 'GET', w, bearer)).body) as { state: string };
    assert.equal(still.state, 'open', 'nothing refused above took effect');
  });

  test('a cookie-less POST /api/me mints no cookie and makes no attendee (issue 17 §4)', async () => {
    const r = await send(port, 'POST', '/api/me', { ...ours(), ...json }, '{"name":"Nobody"}');
    assert.equal(r.status, 401, r.body);
    assert.equal(r.headers['set-cookie'], undefined);
  });
});

describe('the session cookie is Secure whenever PUBLIC_URL is https (issue 17 §8)', () => {
  test('on a minted cookie and on a join, with no X-Forwarded-Proto', async () => {
    // A fixed port from this suite's range: PUBLIC_URL names it, and the server announces PUBLIC_URL.
    const p = 3403;
    const tls = await startServer({ PORT: String(p), PUBLIC_URL: `https://lab.example.org:${p}`, LABS_DIR: labsDir });
    try {
      const host = { Host: `lab.example.org:${p}` };
      const minted = await send(p, 'GET', '/api/me', host);
      assert.equal(minted.status, 200);
      assert.match(minted.headers['set-cookie'] ?? '', /; Secure/);
      const made = await send(p, 'POST', '/api/workshops', { ...host, ...bearer, ...json }, '{"lab":"pics"}');
      assert.equal(made.status, 201, made.body);
      const { code } = JSON.parse(made.body) as { code: string };
      const joined = await send(p, 'POST', '/api/join', { ...host, Origin: `https://lab.example.org:${p}`, ...json }, JSON.stringify({ code, name: 'Ada' }));
      assert.equal(joined.status, 201, joined.body);
      assert.match(joined.headers['set-cookie'] ?? '', /; Secure/);
    } finally {
      await tls.stop();
    }
  });
});

describe('wrong instructor tokens are rate-limited per address (issue 17 §8)', () => {
  let limited: RunningServer;
  let p: number;
  before(async () => {
    limited = await startServer({ LABS_DIR: labsDir });
    p = Number(new URL(limited.url).port);
  });
  after(() => limited?.stop());

  const upgrade = (path: string, token: string, from: string) =>
    rawRequest(p, upgradeRequest(path, { Host: `127.0.0.1:${p}`, Origin: `http://127.0.0.1:${p}`, 'Sec-WebSocket-Protocol': instructorProtocols(token).join(', ') }), 10_000, from);

  test('over HTTP: 10 wrong tokens are 401, then 429 with Retry-After, the right token included; other addresses are not affected', async () => {
    const from = '127.0.2.1';
    for (let i = 0; i < 20; i++) assert.equal((await send(p, 'GET', '/api/workshops', {}, '', from)).status, 401, 'no token is not a guess');
    for (let i = 0; i < 10; i++) assert.equal((await send(p, 'GET', '/api/workshops', { Authorization: `Bearer wrong-token-${i}` }, '', from)).status, 401);
    const refused = await send(p, 'GET', '/api/workshops', { Authorization: 'Bearer wrong-token-x' }, '', from);
    assert.equal(refused.status, 429, refused.body);
    assert.ok(Number(refused.headers['retry-after']) >= 1, `Retry-After: ${refused.headers['retry-after']}`);
    assert.match(refused.body, /wrong instructor tokens.*\d+ seconds?/i);
    assert.equal((await send(p, 'GET', '/api/workshops', bearer, '', from)).status, 429, 'while limited, no token is checked');
    assert.equal((await upgrade(WATCH_PATH + '?attendee=a-abcdefgh', 'test-instructor-token', from)).status, 429, 'nor on the watch socket');
    assert.equal((await send(p, 'GET', '/api/workshops', bearer, '', '127.0.2.2')).status, 200, 'another address');
  });

  test('on the watch and class upgrades: wrong tokens count there too, and limit the HTTP routes', async () => {
    const from = '127.0.2.3';
    const made = JSON.parse((await send(p, 'POST', '/api/workshops', { ...bearer, ...json }, '{"lab":"pics"}', '127.0.2.4')).body) as { id: string };
    for (let i = 0; i < 5; i++) assert.equal((await upgrade(WATCH_PATH + '?attendee=a-abcdefgh', `wrong-token-${i}`, from)).status, 401);
    for (let i = 0; i < 5; i++) assert.equal((await upgrade(`${CLASS_PATH}?workshop=${made.id}`, `wrong-token-${i}`, from)).status, 401);
    const refused = await upgrade(`${CLASS_PATH}?workshop=${made.id}`, 'wrong-token-x', from);
    assert.equal(refused.status, 429);
    assert.ok(Number(refused.headers['retry-after']) >= 1, `Retry-After: ${refused.headers['retry-after']}`);
    assert.equal((await send(p, 'GET', '/api/workshops', bearer, '', from)).status, 429);
  });
});
