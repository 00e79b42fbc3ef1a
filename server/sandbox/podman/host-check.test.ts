/**
 * The host checks against real files (the tests run as root, so modes are checked from stat, as the
 * module does; a real file stands in for /dev/fuse and for catatonit). The checks with real containers
 * are in test/integration/host-check.test.ts.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { checkFuseDevice, checkInitBinary, checkKeyQuota, diagnose, findCommand, formatCheck, staticHostChecks } from './host-check.js';

const dir = mkdtempSync(path.join(tmpdir(), 'labdeck-host-check-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, mode: number): string {
  const p = path.join(dir, name);
  writeFileSync(p, '#!/bin/sh\n');
  chmodSync(p, mode);
  return p;
}

test('catatonit: a missing init binary is named with its path and the package that installs it', async () => {
  const missing = path.join(dir, 'no-catatonit');
  const c = await checkInitBinary(missing);
  assert.equal(c.ok, false);
  assert.match(c.detail, new RegExp(`${missing} is missing`));
  assert.match(c.fix ?? '', /apt-get install --no-install-recommends catatonit/);
  const line = formatCheck(c);
  assert.equal(line.split('\n').length, 1, 'one line');
  assert.match(line, /^✗ catatonit: .* — fix: apt-get install/);
});

test('catatonit: a file without an execute bit fails, an executable one passes', async () => {
  assert.equal((await checkInitBinary(file('init-0644', 0o644))).ok, false);
  const ok = await checkInitBinary(file('init-0755', 0o755));
  assert.equal(ok.ok, true);
  assert.match(formatCheck(ok), /^✓ catatonit: .*init-0755$/);
});

test('fuse: mode 0600 (a host without udev) fails with the chmod that fixes it; 0666 passes', async () => {
  const closed = await checkFuseDevice(file('fuse-0600', 0o600));
  assert.equal(closed.ok, false);
  assert.match(closed.detail, /mode 0600: root in an isolated sandbox \(a user namespace\) cannot open it/);
  assert.match(closed.fix ?? '', /^chmod 0666 .*fuse-0600/);
  // Owner and group rw are not enough: the sandbox's root is neither.
  assert.equal((await checkFuseDevice(file('fuse-0660', 0o660))).ok, false);
  assert.equal((await checkFuseDevice(file('fuse-0666', 0o666))).ok, true);
});

test('fuse: a missing device is named, with the module to load', async () => {
  const c = await checkFuseDevice(path.join(dir, 'no-fuse'));
  assert.equal(c.ok, false);
  assert.match(c.detail, /no-fuse does not exist/);
  assert.match(c.fix ?? '', /modprobe fuse/);
});

test('findCommand searches the PATH it is given, executables only', async () => {
  const bin = path.join(dir, 'bin');
  mkdirSync(bin);
  const tool = path.join(bin, 'labdeck-tool');
  writeFileSync(tool, '#!/bin/sh\n');
  chmodSync(tool, 0o644);
  assert.equal(await findCommand('labdeck-tool', `/nonexistent${path.delimiter}${bin}`), null);
  chmodSync(tool, 0o755);
  assert.equal(await findCommand('labdeck-tool', `/nonexistent${path.delimiter}${bin}`), tool);
});

test('staticHostChecks names both fresh-machine problems at once, and skips /dev/fuse for privileged', async () => {
  const opts = { initPath: path.join(dir, 'no-catatonit'), fuseDevice: file('fuse-closed', 0o600) };
  const failed = (await staticHostChecks({ isolation: 'isolated', ...opts })).filter((c) => !c.ok).map((c) => c.name);
  assert.ok(failed.includes('catatonit') && failed.includes('fuse'), `failed: ${failed.join(', ')}`);
  const privileged = await staticHostChecks({ isolation: 'privileged', ...opts });
  assert.equal(privileged.some((c) => c.name === 'fuse'), false, 'a privileged sandbox is root on the host: any mode works');
});

test("key quota: the kernel's default 200 keys per user fails with the sysctl that fixes it; raised passes", async () => {
  const keys = (name: string, maxkeys: number, maxbytes: number) => {
    const d = path.join(dir, name);
    mkdirSync(d);
    writeFileSync(path.join(d, 'maxkeys'), `${maxkeys}\n`);
    writeFileSync(path.join(d, 'maxbytes'), `${maxbytes}\n`);
    return d;
  };
  const low = await checkKeyQuota(keys('keys-default', 200, 20000));
  assert.equal(low.ok, false);
  assert.match(low.detail, /maxkeys 200, maxbytes 20000/);
  assert.match(low.fix ?? '', /sysctl -w kernel\.keys\.maxkeys=20000 kernel\.keys\.maxbytes=2000000/);
  assert.equal((await checkKeyQuota(keys('keys-bytes-low', 20000, 20000))).ok, false, 'both bounds count');
  assert.equal((await checkKeyQuota(keys('keys-raised', 20000, 2000000))).ok, true);
  assert.equal((await checkKeyQuota(path.join(dir, 'no-such-dir'))).ok, false);
});

test('diagnose maps the errors podman printed on the fresh machine to their fix', () => {
  const cases: [string, RegExp, RegExp][] = [
    ['Error: container-init binary not found on the host: stat /usr/libexec/podman/catatonit: no such file or directory', /catatonit/, /apt-get install --no-install-recommends catatonit/],
    [
      // Nested podman's stderr in an isolated sandbox with /dev/fuse at 0600 (shortened).
      'time="…" level=error msg="Unmounting /var/lib/containers/storage/overlay/22e6…/merged: invalid argument"\n' +
        'Error: mounting storage for container d938…: creating overlay mount to /var/lib/containers/storage/overlay/22e6…/merged, ' +
        'mount_data="lowerdir=…,nodev,volatile": using mount program /usr/bin/fuse-overlayfs: unknown argument ignored: lazytime\n' +
        'fuse: failed to open /dev/fuse: Permission denied\nfuse-overlayfs: cannot mount: Permission denied\n: exit status 1\n',
      /^nested podman's fuse-overlayfs: fuse: failed to open \/dev\/fuse: Permission denied$/,
      /chmod 0666 \/dev\/fuse/,
    ],
    ['Error: localhost/nope:latest: image not known', /image is not built/, /npm run sandbox:build/],
    [
      'Error: OCI runtime error: runc: exec failed: unable to start container process: unable to join session keyring: unable to create session key: disk quota exceeded',
      /key quota/,
      /sysctl -w kernel\.keys\.maxkeys=20000/,
    ],
    ['cannot create iptables chain LABDECK_ISOLATION: iptables: command not found', /isolation rule/, /iptables/],
    ['Error: OCI runtime error: error setting rlimit type 7: operation not permitted', /rlimit/, /CONTAINERS_CONF/],
  ];
  for (const [error, detail, fix] of cases) {
    const d = diagnose(error);
    assert.match(d.detail, detail, error);
    assert.match(d.fix ?? '', fix, error);
  }
  const other = diagnose('\nError: something new\nmore');
  assert.equal(other.detail, 'Error: something new', 'an unknown error keeps its first line, without a made-up fix');
  assert.equal(other.fix, undefined);
  assert.equal(diagnose('Trying to pull x...\nError: boom\n').detail, 'Error: boom', 'podman\'s Error: line, not its progress');
});
