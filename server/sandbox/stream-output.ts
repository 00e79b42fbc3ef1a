import type { ChildProcess } from 'node:child_process';

/**
 * Hand a child's stdout and stderr to `listener` as they arrive, beside execFile's own buffering
 * (which still gives the whole output at the end). Shared by the drivers' `exec()`.
 */
export function streamOutput(child: ChildProcess, listener: ((chunk: string) => void) | undefined): void {
  if (!listener) return;
  for (const stream of [child.stdout, child.stderr]) stream?.on('data', (c: Buffer | string) => listener(String(c)));
}
