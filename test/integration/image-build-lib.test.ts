/**
 * The image builds' shared bash (scripts/lib/, issue 18 §10 and §12), run as the builds run it: the
 * Debian mirror comes from this host's apt configuration or LABDECK_DEBIAN_MIRROR and from nothing
 * else (no host name is guessed; with neither, each of the three builds stops in its first phase and
 * says so), and the cached root filesystem step reuses, rebuilds and fails as the builds rely on.
 * Apt is pointed at a sources list of the test's own through APT_CONFIG; nothing is downloaded.
 *   node --import tsx --test test/integration/image-build-lib.test.ts
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';

const repo = fileURLToPath(new URL('../..', import.meta.url));
const dir = mkdtempSync(path.join(tmpdir(), 'labdeck-image-lib-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** An apt configuration whose only sources are `lines` (a one-line-style sources.list). */
function aptConfig(name: string, lines: string[]): string {
  const d = path.join(dir, name);
  mkdirSync(path.join(d, 'parts'), { recursive: true });
  writeFileSync(path.join(d, 'sources.list'), lines.map((l) => `${l}\n`).join(''));
  const conf = path.join(d, 'apt.conf');
  writeFileSync(conf, `Dir::Etc::sourcelist "${d}/sources.list";\nDir::Etc::sourceparts "${d}/parts";\n`);
  return conf;
}

function bash(script: string, env: Record<string, string> = {}): { code: number; stdout: string; stderr: string } {
  const base = { ...process.env };
  delete base.LABDECK_DEBIAN_MIRROR;
  const r = spawnSync('bash', ['-c', script], { cwd: repo, encoding: 'utf8', env: { ...base, ...env }, timeout: 60_000 });
  return { code: r.status ?? 1, stdout: r.stdout, stderr: r.stderr };
}

const mirrorOf = (env: Record<string, string>) => bash('source scripts/lib/debian-mirror.sh && debian_mirror', env);

test('debian_mirror: the mirror apt is configured with, read by apt; LABDECK_DEBIAN_MIRROR first', () => {
  const conf = aptConfig('one', [
    'deb http://security.mirror.test/debian-security bookworm-security main',
    'deb http://mirror.test/debian/ bookworm main',
  ]);
  assert.deepEqual(mirrorOf({ APT_CONFIG: conf }), { code: 0, stdout: 'http://mirror.test/debian\n', stderr: '' });
  assert.equal(mirrorOf({ APT_CONFIG: conf, LABDECK_DEBIAN_MIRROR: 'http://other.test/debian/' }).stdout, 'http://other.test/debian\n');
});

test('debian_mirror: with no mirror configured and none set, it says so and fails; it names no host of its own', () => {
  const conf = aptConfig('none', []);
  const r = mirrorOf({ APT_CONFIG: conf });
  // Before issue 18 §12 it printed a built-in public mirror and succeeded.
  assert.equal(r.code, 1, `printed ${JSON.stringify(r.stdout)}`);
  assert.equal(r.stdout, '');
  assert.match(r.stderr, /no Debian mirror: this host's apt sources name none .*LABDECK_DEBIAN_MIRROR is not set/);
  // Only security sources (no main archive) are not a mirror to build from either.
  assert.equal(mirrorOf({ APT_CONFIG: aptConfig('security-only', ['deb http://s.test/debian-security bookworm-security main']) }).code, 1);
});

for (const [build, name] of [['sandbox/build.sh', 'sandbox build'], ['kube/build.sh', 'kube build'], ['deploy/image/build.sh', 'server image build']] as const) {
  test(`${build} stops in its first phase when there is no mirror, before building anything`, { skip: process.getuid?.() !== 0 && 'the builds run as root' }, () => {
    const cache = path.join(dir, `cache-${name.replace(/ /g, '-')}`);
    const r = bash(`bash ${build}`, {
      APT_CONFIG: aptConfig(`none-${name.replace(/ /g, '-')}`, []),
      // Never the shared tags, should the script go further than it must.
      LABDECK_SANDBOX_IMAGE: 'localhost/labdeck-mirror-test:none', LABDECK_KUBE_IMAGE: 'localhost/labdeck-mirror-test:none',
      LABDECK_SERVER_IMAGE: 'localhost/labdeck-mirror-test:none', LABDECK_CACHE: cache, LABDECK_KUBE_CACHE: cache,
    });
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert.match(r.stdout, /^\[1\/\d+ +0%\]/m);
    assert.doesNotMatch(r.stdout, /^\[2\//m, 'went past the first phase');
    assert.match(r.stderr, new RegExp(`${name}: no Debian mirror to build from`));
    assert.match(r.stderr, /LABDECK_DEBIAN_MIRROR is not set/);
  });
}

test('cached_rootfs: built once, reused while the stamp holds, rebuilt when it changes; a failed build keeps neither stamp nor tarball', () => {
  const out = path.join(dir, 'rootfs.tar');
  const calls = path.join(dir, 'calls');
  const run = (stamp: string, builder = 'good') => bash(`
    BUILD_NAME="lib test" BUILD_STEPS=3
    source scripts/lib/image-build.sh
    good() { echo "$2" >> ${calls}; echo "content $2" > "$1"; }
    bad() { echo "mmdebstrap: E: something broke"; return 3; }
    cached_rootfs 2 ${out} ${stamp} ${dir}/rootfs.log ${builder} arg-${stamp}`);
  const first = run('s1');
  assert.equal(first.code, 0, first.stderr);
  assert.match(first.stdout, /^\[2\/3 +33%\] building the root filesystem/m);
  assert.equal(readFileSync(out, 'utf8'), 'content arg-s1\n');
  assert.match(run('s1').stdout, /root filesystem up to date/);
  assert.equal(run('s2').code, 0);
  assert.deepEqual(readFileSync(calls, 'utf8').split('\n').filter(Boolean), ['arg-s1', 'arg-s2'], 'the second s1 run built again');
  const failed = run('s3', 'bad');
  assert.equal(failed.code, 1);
  assert.match(failed.stderr, /mmdebstrap: E: something broke\nlib test: root filesystem build failed \(full log: /);
  assert.throws(() => readFileSync(path.join(dir, 'rootfs.stamp'), 'utf8'), /ENOENT/, 'the stamp of a failed build');
  // The next run builds again rather than trusting what the failed one left.
  assert.match(run('s3').stdout, /building the root filesystem/);
});
