// Pins every isolation flag of a podman sandbox: a change here changes the security posture, and
// must change docs/sandbox-podman.md#run-flags with it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runFlags, type RunFlagOptions } from './run-flags.js';

const limits = { pidsLimit: 512, memory: '1g', cpus: 1 };

/** `flag → value` for flags that take one; `flag → true` for bare ones. */
function parse(flags: string[]): Map<string, string | true> {
  const out = new Map<string, string | true>();
  for (let i = 0; i < flags.length; i++) {
    const f = flags[i]!;
    assert.ok(f.startsWith('--'), `${f} is a flag`);
    assert.ok(!out.has(f), `${f} given once`);
    const next = flags[i + 1];
    if (next !== undefined && !next.startsWith('--')) {
      out.set(f, next);
      i++;
    } else out.set(f, true);
  }
  return out;
}

test('isolated: user namespace, the capabilities nested podman needs, /dev/fuse, a private cgroupns, the limits', () => {
  const opts: RunFlagOptions = { isolation: 'isolated', ...limits, devicesParent: true };
  assert.deepEqual(
    parse(runFlags(opts)),
    new Map<string, string | true>([
      ['--pids-limit', '512'],
      ['--memory', '1g'],
      ['--memory-swap', '1g'],
      ['--cpus', '1'],
      ['--uidmap', '0:2000000000:65536'],
      ['--gidmap', '0:2000000000:65536'],
      ['--cap-add', 'SYS_ADMIN,MKNOD'],
      ['--device', '/dev/fuse'],
      ['--cgroupns', 'private'],
      ['--cgroup-parent', '/labdeck'],
    ]),
  );
});

test('isolated without a cgroup v1 devices hierarchy: the same, without the cgroup parent', () => {
  const flags = parse(runFlags({ isolation: 'isolated', ...limits, devicesParent: false }));
  assert.equal(flags.has('--cgroup-parent'), false);
  assert.equal(flags.get('--cgroupns'), 'private');
  assert.equal(flags.get('--uidmap'), '0:2000000000:65536');
  assert.equal(flags.has('--privileged'), false);
});

test('privileged: --privileged, the limits, a volume for nested podman, the kind node image read-only; nothing of the isolated set', () => {
  assert.deepEqual(
    parse(runFlags({ isolation: 'privileged', ...limits, devicesParent: true })),
    new Map<string, string | true>([
      ['--pids-limit', '512'],
      ['--memory', '1g'],
      ['--memory-swap', '1g'],
      ['--cpus', '1'],
      ['--privileged', true],
      ['--volume', '/var/lib/containers'],
      ['--mount', 'type=volume,src=labdeck-kind-images,dst=/var/lib/labdeck/kind-images,ro=true'],
    ]),
  );
});

test('limits are passed through as given', () => {
  const flags = parse(runFlags({ isolation: 'isolated', pidsLimit: 64, memory: '512m', cpus: 0.5, devicesParent: false }));
  assert.equal(flags.get('--pids-limit'), '64');
  assert.equal(flags.get('--memory'), '512m');
  assert.equal(flags.get('--memory-swap'), '512m', 'no swap beyond the memory limit');
  assert.equal(flags.get('--cpus'), '0.5');
});
