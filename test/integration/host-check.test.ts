/**
 * The host checks with real podman and the real sandbox image (what `npm test`'s smoke test and
 * `npm run doctor` run). On a host that setup-system.sh has prepared every check passes; a missing init
 * binary is made real by pointing podman at one that does not exist (`--init-path`), so podman's own
 * error is what gets diagnosed. LABDECK_SKIP_PODMAN=1 skips.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, describe, test } from 'node:test';
import { podman } from '../../server/sandbox/podman/cli.js';
import { PODMAN_DEFAULTS, PodmanDriver } from '../../server/sandbox/podman/driver.js';
import { checkInitContainer, checkNestedContainer, formatCheck, hostChecks } from '../../server/sandbox/podman/host-check.js';

const skip = process.env.LABDECK_SKIP_PODMAN === '1' ? 'LABDECK_SKIP_PODMAN=1: podman host checks skipped' : false;
const workshop = `hc${process.pid}${randomBytes(3).toString('hex')}`;

describe('host checks (real podman)', { skip }, () => {
  const driver = new PodmanDriver({ workshop, isolation: 'isolated' });

  after(async () => {
    await driver.close();
    const left = await podman(['ps', '-aq', '--filter', `label=labdeck.workshop=${workshop}`]);
    assert.equal(left.stdout.trim(), '', 'the nested check destroyed its sandbox');
    const nets = await podman(['network', 'ls', '-q', '--filter', `label=labdeck.workshop=${workshop}`]);
    assert.equal(nets.stdout.trim(), '', 'and its network');
  });

  test('every check passes on this (set-up) host, one line each', async () => {
    const checks = await hostChecks(driver, { image: PODMAN_DEFAULTS.image, isolation: 'isolated' });
    const names = checks.map((c) => c.name);
    assert.ok(names.includes('container with --init') && names.some((n) => n.startsWith('nested container')), names.join(', '));
    for (const c of checks) assert.equal(c.ok, true, formatCheck(c));
  });

  test('a missing init binary: podman\'s own error is named as catatonit, with its package', async () => {
    const c = await checkInitContainer(PODMAN_DEFAULTS.image, { initPath: `/nonexistent/catatonit-${randomBytes(3).toString('hex')}` });
    assert.equal(c.ok, false);
    assert.match(formatCheck(c), /^✗ container with --init: podman cannot find its init binary \(catatonit\) — fix: apt-get install --no-install-recommends catatonit/);
  });

  test('a missing image is named, with the build command', async () => {
    const c = await checkInitContainer(`localhost/labdeck-no-such-image-${randomBytes(3).toString('hex')}:latest`);
    assert.equal(c.ok, false);
    assert.match(formatCheck(c), /the sandbox image is not built — fix: npm run sandbox:build/);
  });

  test('the nested check runs a container inside a sandbox made by the driver', async () => {
    const c = await checkNestedContainer(driver);
    assert.equal(c.ok, true, formatCheck(c));
    assert.match(c.name, /isolated container/);
  });
});
