/** Chooses the sandbox driver named by the configuration. The one place that knows every driver. */
import path from 'node:path';
import type { Config } from '../config.js';
import type { SandboxDriver } from './driver.js';
import { LocalDriver, workspaceRootFor } from './local.js';

export async function createDriver(config: Config): Promise<SandboxDriver> {
  if (config.sandbox === 'podman') {
    // Loaded only when chosen: the local default never touches podman.
    const { PodmanDriver } = await import('./podman.js');
    return new PodmanDriver({ workshop: config.workshop, isolation: config.isolation, stateDir: path.join(config.dataDir, 'sandbox'), ...config.podman });
  }
  // Workspaces live outside the 0700 data folder (local.ts says why); `workspaces/` inside it is where
  // versions before issue 8 kept them.
  return new LocalDriver({ root: workspaceRootFor(config.dataDir), legacyRoot: path.join(config.dataDir, 'workspaces') });
}
