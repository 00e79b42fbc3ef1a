/**
 * Says plainly what the attendee's shell is: a container of their own, or a shell on the host
 * (the laptop-demo `local` driver), which gets a warning colour because `rm -rf` there is real.
 * The server's isolation strings: "host shell (no isolation)", "isolated container", "privileged container".
 */
import type { Sandbox } from './terminalConnection';

export function SandboxBadge({ sandbox }: { sandbox: Pick<Sandbox, 'driver' | 'isolation'> | null }) {
  if (!sandbox) return null;
  const isolation = sandbox.isolation.toLowerCase();
  const onHost = sandbox.driver === 'local' || isolation.includes('no isolation');
  const weak = onHost || isolation.includes('privileged');
  return (
    <span
      className={`sandbox-badge ${weak ? 'is-host' : 'is-isolated'}`}
      data-testid="sandbox-badge"
      title={`driver: ${sandbox.driver} · ${sandbox.isolation}`}
    >
      {onHost ? 'local shell on the host' : sandbox.isolation}
    </span>
  );
}
