/**
 * Host checks for the podman driver (PodmanDriver.checks()): what a host must have before a sandbox can start, each failure
 * named with the command that fixes it. Shared by `npm run doctor` (a workshop host) and the smoke test
 * that `npm test` runs before any test (scripts/smoke-system.ts), so both print the same lines.
 *
 * Why these: a fresh Debian machine of the CI kind, set up with `--no-install-recommends` and without
 * udev, lacked catatonit (podman's `--init`) and had `/dev/fuse` at 0600, so 13 podman tests failed
 * (issue 8, item 1). `staticHostChecks` looks at files only (milliseconds; cheap enough for the driver
 * to call at start); `liveHostChecks` proves the host with real containers started by the driver itself.
 */
import { constants } from 'node:fs';
import { access, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import type { DriverCheck, SandboxDriver } from '../driver.js';
import { podman } from './cli.js';

export { formatCheck } from '../driver.js';
export type HostCheck = DriverCheck;

/**
 * podman's default `init_path`: the binary that `--init` runs as PID 1 (catatonit, from Debian's
 * `catatonit` package, a Recommends of podman). sandbox/containers.conf does not change it.
 */
export const PODMAN_INIT_PATH = '/usr/libexec/podman/catatonit';
export const FUSE_DEVICE = '/dev/fuse';

const SETUP = 'bash scripts/setup-system.sh';

/** Host commands the podman driver runs, with the Debian package of each. */
const HOST_COMMANDS: { name: string; pkg: string; why: string }[] = [
  { name: 'podman', pkg: 'podman', why: 'the container engine' },
  { name: 'runc', pkg: 'runc', why: 'the runtime sandbox/containers.conf selects' },
  { name: 'conmon', pkg: 'conmon', why: 'podman\'s container monitor' },
  { name: 'iptables', pkg: 'iptables', why: 'labdeck\'s isolation rule between sandboxes' },
];

async function isExecutable(file: string): Promise<boolean> {
  try {
    await access(file, constants.X_OK);
    return (await stat(file)).isFile();
  } catch {
    return false;
  }
}

/** Where `name` resolves on this PATH (the one the server's child processes get), or null. */
export async function findCommand(name: string, searchPath = process.env.PATH ?? ''): Promise<string | null> {
  for (const dir of searchPath.split(path.delimiter).filter(Boolean)) {
    const file = path.join(dir, name);
    if (await isExecutable(file)) return file;
  }
  return null;
}

/** `podman run --init` needs an init binary on the host; without it every sandbox fails to start. */
export async function checkInitBinary(file = PODMAN_INIT_PATH): Promise<HostCheck> {
  if (await isExecutable(file)) return { name: 'catatonit', ok: true, detail: file };
  return {
    name: 'catatonit',
    ok: false,
    detail: `${file} is missing or not executable (podman run --init needs it)`,
    fix: `apt-get install --no-install-recommends catatonit (or ${SETUP})`,
  };
}

/**
 * Nested podman in an isolated sandbox mounts fuse-overlayfs, so it opens /dev/fuse as the sandbox's
 * root, which is host uid 2,000,000,000 (user namespace): neither the device's owner nor its group.
 * Only the "other" bits count, so the device must be rw for others (0666, what udev sets on a normal
 * Debian host). Checked by mode, not by opening: as root here, open() would succeed whatever the mode.
 */
export async function checkFuseDevice(file = FUSE_DEVICE): Promise<HostCheck> {
  let mode: number;
  try {
    mode = (await stat(file)).mode & 0o777;
  } catch {
    return {
      name: 'fuse',
      ok: false,
      detail: `${file} does not exist (nested podman in isolated sandboxes needs it)`,
      fix: 'load the fuse kernel module: modprobe fuse',
    };
  }
  const octal = mode.toString(8).padStart(4, '0');
  if ((mode & 0o006) === 0o006) return { name: 'fuse', ok: true, detail: `${file} mode ${octal}` };
  return {
    name: 'fuse',
    ok: false,
    detail: `${file} is mode ${octal}: root in an isolated sandbox (a user namespace) cannot open it, so nested podman fails`,
    fix: `chmod 0666 ${file} (udev's default; ${SETUP} does it)`,
  };
}

/** Per-user kernel key quota that every isolated sandbox together needs (see checkKeyQuota). */
export const KEY_QUOTA = { maxkeys: 20_000, maxbytes: 2_000_000 };
const KEYS_SYSCTL_DIR = '/proc/sys/kernel/keys';

/**
 * runc gives every container, and every `podman exec`, a new session keyring, charged to the host uid
 * that owns it. All isolated sandboxes share one user-namespace mapping (host uid 2,000,000,000), so
 * they share that uid's quota: the kernel's default of 200 keys per user (kernel.keys.maxkeys) ran out
 * here with a few dozen sandboxes and their checks ("unable to join session keyring: unable to create
 * session key: disk quota exceeded"), and released keyrings linger for kernel.keys.gc_delay (300 s).
 * Raising the quota keeps each container's own keyring (what Docker also advises for user namespaces),
 * rather than turning keyrings off, which would hand the server's session keyring to the sandboxes.
 */
export async function checkKeyQuota(dir = KEYS_SYSCTL_DIR): Promise<HostCheck> {
  const read = async (name: string) => Number((await readFile(path.join(dir, name), 'utf8')).trim());
  let keys: number;
  let bytes: number;
  try {
    [keys, bytes] = await Promise.all([read('maxkeys'), read('maxbytes')]);
  } catch (err) {
    return { name: 'key quota', ok: false, detail: `cannot read ${dir}: ${String(err)}`, fix: 'a Linux host with /proc/sys/kernel/keys' };
  }
  if (keys >= KEY_QUOTA.maxkeys && bytes >= KEY_QUOTA.maxbytes) return { name: 'key quota', ok: true, detail: `kernel.keys.maxkeys ${keys}, maxbytes ${bytes}` };
  return {
    name: 'key quota',
    ok: false,
    detail: `kernel.keys.maxkeys ${keys}, maxbytes ${bytes}: every isolated sandbox shares one uid's quota of kernel keyrings, so a class of sandboxes runs out ("disk quota exceeded")`,
    fix: `sysctl -w kernel.keys.maxkeys=${KEY_QUOTA.maxkeys} kernel.keys.maxbytes=${KEY_QUOTA.maxbytes} (${SETUP} does it)`,
  };
}

/** File-only checks (no container started): root, the host commands, catatonit, and /dev/fuse if isolated. */
export async function staticHostChecks(opts: { isolation: 'isolated' | 'privileged'; initPath?: string; fuseDevice?: string; keysDir?: string }): Promise<HostCheck[]> {
  const checks: HostCheck[] = [];
  const uid = process.getuid?.() ?? 0;
  checks.push(
    uid === 0
      ? { name: 'root', ok: true, detail: 'running as root' }
      : { name: 'root', ok: false, detail: `running as uid ${uid}: the podman driver runs rootful podman and sets an iptables rule`, fix: 'run as root' },
  );
  for (const c of HOST_COMMANDS) {
    const found = await findCommand(c.name);
    checks.push(
      found
        ? { name: c.name, ok: true, detail: found }
        : { name: c.name, ok: false, detail: `not on PATH (${c.why})`, fix: `apt-get install --no-install-recommends ${c.pkg} (or ${SETUP})` },
    );
  }
  checks.push(await checkInitBinary(opts.initPath));
  if (opts.isolation === 'isolated') checks.push(await checkFuseDevice(opts.fuseDevice), await checkKeyQuota(opts.keysDir));
  return checks;
}

/** Known podman failures on hosts of this kind, mapped to their fix; else the error's first line. */
export function diagnose(error: string): { detail: string; fix?: string } {
  const text = error.trim();
  // podman prints progress ("Trying to pull …") before its error; the `Error:` line says what failed.
  const lines = text.split('\n').filter((l) => l.trim());
  const first = lines.find((l) => l.startsWith('Error:')) ?? lines[0] ?? 'no output';
  if (/container-init binary not found|catatonit/i.test(text)) {
    return { detail: 'podman cannot find its init binary (catatonit)', fix: `apt-get install --no-install-recommends catatonit (or ${SETUP})` };
  }
  const fuse = lines.find((l) => l.includes('/dev/fuse'));
  if (fuse) {
    return { detail: `nested podman's fuse-overlayfs: ${fuse.trim().slice(0, 160)}`, fix: `chmod 0666 /dev/fuse (or ${SETUP})` };
  }
  if (/session keyring|create session key/i.test(text)) {
    return {
      detail: 'the kernel key quota of the sandboxes\' shared uid is used up (every container and exec takes a keyring)',
      fix: `sysctl -w kernel.keys.maxkeys=${KEY_QUOTA.maxkeys} kernel.keys.maxbytes=${KEY_QUOTA.maxbytes} (or ${SETUP})`,
    };
  }
  if (/image not known|no such image|unable to find image/i.test(text)) {
    return { detail: 'the sandbox image is not built', fix: 'npm run sandbox:build' };
  }
  if (/iptables/i.test(text)) {
    return { detail: `labdeck's isolation rule could not be set: ${first.slice(0, 160)}`, fix: `apt-get install --no-install-recommends iptables, run as root (or ${SETUP})` };
  }
  if (/rlimit|hybrid mode|crun/.test(text)) {
    return { detail: first.slice(0, 200), fix: 'use labdeck\'s podman settings: export CONTAINERS_CONF=<labdeck>/sandbox/containers.conf' };
  }
  return { detail: first.slice(0, 300) };
}

function failed(name: string, error: string): HostCheck {
  return { name, ok: false, ...diagnose(error) };
}

/** A container from the sandbox image with `--init`, as every sandbox is started. */
export async function checkInitContainer(image: string, opts: { initPath?: string } = {}): Promise<HostCheck> {
  const name = 'container with --init';
  const args = ['run', '--rm', '--init', ...(opts.initPath ? ['--init-path', opts.initPath] : []), '--network', 'none', '--pull', 'never', image, 'true'];
  const r = await podman(args, { timeoutMs: 60_000 });
  if (r.code === 0) return { name, ok: true, detail: `podman run --init ${image} (${Math.round(r.ms)} ms)` };
  return failed(name, r.timedOut ? 'podman run timed out after 60 s' : r.stderr || `exit ${r.code}`);
}

/**
 * A sandbox made by the driver itself (its run flags, firewall rule and cgroup parent), and inside it
 * a nested container from an image imported from the sandbox's own files (no registry), which makes
 * nested podman mount fuse-overlayfs. The sandbox is destroyed on every path.
 */
export async function checkNestedContainer(driver: SandboxDriver): Promise<HostCheck> {
  const name = `nested container in an ${driver.info.isolation}`;
  const started = performance.now();
  let sandbox;
  try {
    sandbox = await driver.create();
  } catch (err) {
    return failed(name, err instanceof Error ? err.message : String(err));
  }
  try {
    const script =
      'set -e; r=$(mktemp -d); cp --parents /usr/bin/true $(ldd /usr/bin/true | grep -o "/[^ ]*") "$r"; ' +
      'tar -C "$r" -c . | podman import -q - localhost/labdeck-host-check >/dev/null; ' +
      'podman run --rm localhost/labdeck-host-check /usr/bin/true';
    const r = await sandbox.exec(['bash', '-c', script], { timeoutMs: 60_000 });
    if (r.code !== 0) return failed(name, r.timedOut ? 'nested podman run timed out after 60 s' : r.stderr || `exit ${r.code}`);
    return { name, ok: true, detail: `podman run inside a sandbox (${Math.round(performance.now() - started)} ms with create)` };
  } finally {
    await driver.destroy(sandbox).catch(() => undefined);
  }
}

/**
 * Every check, cheapest first. The live ones run only when the static ones pass: with catatonit or
 * /dev/fuse missing they can only fail for the reason already printed, so each problem is named once.
 */
export async function hostChecks(driver: SandboxDriver, opts: { image: string; isolation: 'isolated' | 'privileged' }): Promise<HostCheck[]> {
  const checks = await staticHostChecks({ isolation: opts.isolation });
  if (checks.some((c) => !c.ok)) return checks;
  const init = await checkInitContainer(opts.image);
  checks.push(init);
  if (init.ok) checks.push(await checkNestedContainer(driver));
  return checks;
}
