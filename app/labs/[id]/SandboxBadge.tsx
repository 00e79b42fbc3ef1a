/**
 * Says plainly what the attendee's shell is: a container of their own, or a shell on the host
 * (the laptop-demo driver), which deserves a warning colour because `rm -rf` there is real.
 */
import type { Sandbox } from './terminalConnection';

const HOST_ISOLATION = new Set(['none', 'host', 'local', 'process']);

export function SandboxBadge({ sandbox }: { sandbox: Pick<Sandbox, 'driver' | 'isolation'> | null }) {
  if (!sandbox) return null;
  const onHost = HOST_ISOLATION.has(sandbox.isolation.toLowerCase()) || sandbox.driver.toLowerCase() === 'local';
  const text = onHost ? 'local shell on the host' : describe(sandbox.isolation, sandbox.driver);
  return (
    <span
      className={`sandbox-badge ${onHost ? 'is-host' : 'is-isolated'}`}
      data-testid="sandbox-badge"
      title={`driver: ${sandbox.driver}, isolation: ${sandbox.isolation}`}
    >
      {text}
    </span>
  );
}

function describe(isolation: string, driver: string): string {
  const i = isolation.toLowerCase();
  if (i.includes('container') || i.includes('isolated')) return isolation.includes(' ') ? isolation : 'isolated container';
  return `isolated ${isolation || driver}`;
}
