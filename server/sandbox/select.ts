/** Chooses the sandbox driver named by the configuration. The one place that knows every driver. */
import path from 'node:path';
import type { Config } from '../config.js';
import type { SandboxDriver } from './driver.js';
import { LocalDriver, workspaceRootFor } from './local.js';

export async function createDriver(config: Config): Promise<SandboxDriver> {
  const { kind, image, memory, cpus } = config.sandbox;
  if (kind === 'kubernetes') {
    // Loaded only when chosen, like podman: the client library is large.
    const { kubernetesDriverFor } = await import('./kubernetes/driver.js');
    return kubernetesDriverFor(config);
  }
  if (kind === 'podman') {
    // Loaded only when chosen: the local default never touches podman.
    const { PodmanDriver } = await import('./podman/driver.js');
    // A host without catatonit or with a root-only /dev/fuse would fail every sandbox later with podman's
    // own words; say what is missing, and the fix, before the server starts (milliseconds: file checks).
    const { staticHostChecks, formatCheck } = await import('./podman/host-check.js');
    const bad = (await staticHostChecks({ isolation: config.podman.isolation })).filter((c) => !c.ok);
    if (bad.length > 0) throw new Error(`the podman sandbox host is not ready:\n${bad.map(formatCheck).join('\n')}`);
    return new PodmanDriver({ workshop: config.workshop, ...config.podman, image, memory, cpus, agentsDir: path.join(config.dataDir, 'agents') });
  }
  // Workspaces live outside the 0700 data folder (local.ts says why); `workspaces/` inside it is where
  // versions before issue 8 kept them.
  return new LocalDriver({ root: workspaceRootFor(config.dataDir), legacyRoot: path.join(config.dataDir, 'workspaces') });
}
