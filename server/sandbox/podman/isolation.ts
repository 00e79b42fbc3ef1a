/**
 * Network isolation between podman sandboxes that does not depend on netavark's `isolate` option.
 *
 * Measured on this host (netavark 1.4, Debian bookworm): tearing down ANY container on an
 * `isolate=true` network deletes the `FORWARD -j NETAVARK_ISOLATION_1` jump, which silently lifts
 * isolation for every other sandbox still running (A reached B's port right after an unrelated
 * sandbox was destroyed). So labdeck keeps its own rule, in a chain netavark never touches:
 *
 *   FORWARD (rule 1) -j LABDECK_ISOLATION
 *   LABDECK_ISOLATION -s 10.213.0.0/16 -d 10.213.0.0/16 -j DROP
 *
 * Every sandbox network gets its own small subnet inside SANDBOX_SUPERNET, so any packet forwarded
 * between two sandboxes matches, whatever the workshop; traffic to the host and the outside does not.
 * The rule is re-checked before each sandbox is created (firewall reloads and reboots drop it).
 */
import { randomInt } from 'node:crypto';
import { access, mkdir, readFile, writeFile } from 'node:fs/promises';
import { runCommand } from '../exec.js';

export const SANDBOX_SUPERNET = '10.213.0.0/16';
const CHAIN = 'LABDECK_ISOLATION';
const RULE = ['-s', SANDBOX_SUPERNET, '-d', SANDBOX_SUPERNET, '-j', 'DROP'];

/** iptables, waiting up to 5 s for the xtables lock; `out` is everything it said. */
async function iptables(args: string[]): Promise<{ code: number; out: string }> {
  const r = await runCommand('iptables', ['-w', '5', ...args], { timeoutMs: 10_000 });
  return { code: r.code, out: `${r.stdout}${r.stderr}` };
}

/** A random /28 inside the supernet for one sandbox network (4,096 of them). */
export function pickSandboxSubnet(): string {
  return `10.213.${randomInt(256)}.${randomInt(16) * 16}/28`;
}

/** Make sure the chain, its rule and the jump at the top of FORWARD exist; throws with the reason if not. */
export async function ensureSandboxIsolation(): Promise<void> {
  if ((await iptables(['-n', '-L', CHAIN])).code !== 0) {
    const made = await iptables(['-N', CHAIN]);
    if (made.code !== 0 && !/exists/i.test(made.out)) throw new Error(`cannot create iptables chain ${CHAIN}: ${made.out.trim()}`);
  }
  if ((await iptables(['-C', CHAIN, ...RULE])).code !== 0) {
    const added = await iptables(['-A', CHAIN, ...RULE]);
    if (added.code !== 0) throw new Error(`cannot add the isolation rule: ${added.out.trim()}`);
  }
  // The jump must come before any ACCEPT that netavark adds to FORWARD.
  const first = await iptables(['-S', 'FORWARD', '1']);
  if (!first.out.includes(`-j ${CHAIN}`)) {
    while ((await iptables(['-D', 'FORWARD', '-j', CHAIN])).code === 0);
    const jumped = await iptables(['-I', 'FORWARD', '1', '-j', CHAIN]);
    if (jumped.code !== 0) throw new Error(`cannot insert the isolation jump into FORWARD: ${jumped.out.trim()}`);
  }
}

/** The cgroup (v1) under which isolated sandboxes run; see ensureDevicesParent. */
export const SANDBOX_CGROUP_PARENT = '/labdeck';
const DEVICES_V1 = '/sys/fs/cgroup/devices';
/**
 * The devices a sandbox may use: the OCI defaults (null, zero, full, random, urandom, tty, console,
 * ptmx, pts, tun) plus /dev/fuse for nested podman, and mknod of any node (opening it is what counts).
 */
const SANDBOX_DEVICES = ['c 1:3 rwm', 'c 1:5 rwm', 'c 1:7 rwm', 'c 1:8 rwm', 'c 1:9 rwm', 'c 5:0 rwm', 'c 5:1 rwm', 'c 5:2 rwm', 'c 136:* rwm', 'c 10:200 rwm', 'c 10:229 rwm', 'b *:* m', 'c *:* m'];

/**
 * cgroup v1 only. Measured here: root in an isolated sandbox (CAP_SYS_ADMIN, for nested podman) can
 * mount the devices controller and write "a" to its own devices.allow, granting itself every device
 * on the host, because podman's default parent allows everything. A v1 cgroup can never allow more
 * than its parent, so sandboxes run under SANDBOX_CGROUP_PARENT, whose list is exactly the devices
 * above. Returns false on hosts without a v1 devices hierarchy (cgroup v2 uses per-container eBPF
 * filters that the container cannot change).
 */
export async function ensureDevicesParent(): Promise<boolean> {
  try {
    await access(DEVICES_V1);
  } catch {
    return false;
  }
  const dir = `${DEVICES_V1}${SANDBOX_CGROUP_PARENT}`;
  await mkdir(dir, { recursive: true });
  const want = [...SANDBOX_DEVICES].sort().join('\n');
  const have = (await readFile(`${dir}/devices.list`, 'utf8')).trim().split('\n').sort().join('\n');
  if (have !== want) {
    await writeFile(`${dir}/devices.deny`, 'a');
    for (const rule of SANDBOX_DEVICES) await writeFile(`${dir}/devices.allow`, rule);
  }
  return true;
}
