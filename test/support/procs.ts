import { execFileSync } from 'node:child_process';

/** Pids of host processes whose command line matches `pattern` (pgrep -f); empty when none. */
export function pgrep(pattern: string): string[] {
  try {
    return execFileSync('pgrep', ['-f', pattern], { encoding: 'utf8' }).trim().split('\n').filter(Boolean);
  } catch {
    return [];
  }
}
