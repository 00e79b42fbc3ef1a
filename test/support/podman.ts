/**
 * Test clean-up for podman sandboxes. A stopped labdeck server leaves its workshop's containers for the
 * next start to re-adopt (by design), so every test that runs the podman driver removes its own
 * workshop's containers and networks when it ends: left behind, each holds memory, a /28 of the sandbox
 * range and kernel keyrings charged to the sandboxes' one shared host uid.
 */
import { podman } from '../../server/sandbox/podman/cli.js';

/** Remove every container and network labelled with this workshop; returns how many containers went. */
export async function removeWorkshop(workshop: string): Promise<number> {
  const ps = await podman(['ps', '-aq', '--filter', `label=labdeck.workshop=${workshop}`]);
  const ids = ps.stdout.split('\n').filter(Boolean);
  if (ids.length) await podman(['rm', '-f', '-v', '-t', '0', ...ids], { timeoutMs: 120_000 });
  const nets = await podman(['network', 'ls', '-q', '--filter', `label=labdeck.workshop=${workshop}`]);
  for (const n of nets.stdout.split('\n').filter(Boolean)) await podman(['network', 'rm', '-f', n]);
  return ids.length;
}
