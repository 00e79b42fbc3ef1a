/**
 * The `podman run` flags that make a sandbox: its limits and its isolation, i.e. the whole security
 * posture of the podman driver, in one pure function so that a unit test can pin every flag
 * (run-flags.test.ts) and docs/sandbox-podman.md#run-flags can list them. Each flag's reason is next to it.
 */
import { SANDBOX_CGROUP_PARENT } from './isolation.js';

export type PodmanIsolation = 'isolated' | 'privileged';

/** First host uid/gid of the sandboxes' user namespace: far above the usual /etc/subuid ranges. */
export const SANDBOX_ID_BASE = 2_000_000_000;
/**
 * The host's podman volume that holds the Kubernetes node image for `kind create cluster`, as a
 * read-only image store (kube/build.sh fills it; sandbox/inner/storage.conf lists it).
 */
export const KIND_IMAGES_VOLUME = 'labdeck-kind-images';
/** Where privileged sandboxes see KIND_IMAGES_VOLUME (sandbox/inner/storage.conf names this path). */
export const KIND_IMAGES_PATH = '/var/lib/labdeck/kind-images';

/** Ids mapped into each sandbox (0..65535 inside). */
export const SANDBOX_ID_COUNT = 65_536;

export interface RunFlagOptions {
  isolation: PodmanIsolation;
  /** cgroup pids.max: stops fork bombs. */
  pidsLimit: number;
  /** `--memory` (and `--memory-swap`, so no swap on top), e.g. `1g`. */
  memory: string;
  cpus: number;
  /**
   * Isolated only: the host has a cgroup v1 devices hierarchy and ensureDevicesParent() prepared
   * SANDBOX_CGROUP_PARENT, so sandboxes run under it.
   */
  devicesParent: boolean;
}

export function runFlags(opts: RunFlagOptions): string[] {
  const { pidsLimit, memory, cpus, isolation } = opts;
  const flags = ['--pids-limit', String(pidsLimit), '--memory', memory, '--memory-swap', memory, '--cpus', String(cpus)];
  if (isolation === 'privileged') {
    flags.push('--privileged');
    // The sandbox's own podman on a real filesystem: a kind node's containerd mounts overlayfs, which
    // the kernel refuses on top of the sandbox's overlay root ("invalid argument"). An anonymous
    // volume, so it goes with the sandbox (the driver removes sandboxes with `rm -v`).
    flags.push('--volume', '/var/lib/containers');
    // The node image (568 MB) shared by every sandbox instead of a copy each. Read-only: an attendee
    // cannot change what other sandboxes run (though privileged root could remount it; see
    // docs/sandbox-podman.md, privileged is not isolation). Podman creates the volume if it is
    // missing, filled from the image's empty store, so sandboxes start before any kube build.
    flags.push('--mount', `type=volume,src=${KIND_IMAGES_VOLUME},dst=${KIND_IMAGES_PATH},ro=true`);
    return flags;
  }
  // Root in the sandbox is an unprivileged uid on the host (user namespace), so its CAP_SYS_ADMIN
  // reaches nothing global. Measured without it: a fresh /proc mount let the sandbox write the
  // host's kernel.core_pattern (a known route to host root). One fixed mapping for every sandbox,
  // so podman remaps the image once, not per sandbox (create stays ~0.2 s).
  const map = `0:${SANDBOX_ID_BASE}:${SANDBOX_ID_COUNT}`;
  flags.push('--uidmap', map, '--gidmap', map);
  // Nested podman without --privileged: fuse-overlayfs needs /dev/fuse and mount (SYS_ADMIN); MKNOD
  // for device nodes in nested rootfs (docs/host-facts.md#nested-podman).
  // SYS_ADMIN lets root in the sandbox mount cgroup v1 hierarchies; podman's default on cgroup v1 is
  // the HOST cgroup namespace, so that mount showed every container's cgroup and the root's
  // release_agent (a known escape). A private cgroup namespace roots any such mount at the sandbox's
  // own cgroup: no release_agent, no other sandbox (tested in podman-driver.test.ts).
  flags.push('--cap-add', 'SYS_ADMIN,MKNOD', '--device', '/dev/fuse', '--cgroupns', 'private');
  // A parent whose devices list the sandbox cannot exceed (isolation.ts), on cgroup v1.
  if (opts.devicesParent) flags.push('--cgroup-parent', SANDBOX_CGROUP_PARENT);
  return flags;
}
