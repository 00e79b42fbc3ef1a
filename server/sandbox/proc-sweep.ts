/**
 * Finds and kills host processes of a local sandbox, including ones that left the shell's session
 * (`setsid`, `nohup … &`, double forks). Processes carry inherited marker variables: LABDECK_SANDBOX=<id>
 * (everything run in the sandbox) and LABDECK_SHELL=<id> (one shell and what it started). A process
 * matches when its environment carries the marker or its session id is the given one. Ending one shell
 * sweeps by its shell marker only, so a new shell in the same sandbox is never caught by the sweep of
 * the old one. Linux only (/proc).
 */
import { readdir, readFile } from 'node:fs/promises';

export const SANDBOX_MARKER = 'LABDECK_SANDBOX';
export const SHELL_MARKER = 'LABDECK_SHELL';

async function processMatches(pid: number, marker: Buffer, sid: number | undefined): Promise<boolean> {
  try {
    if (sid !== undefined) {
      const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
      // Fields after the parenthesised command name: state ppid pgrp session ...
      const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(rest[3]) === sid) return true;
    }
    const env = await readFile(`/proc/${pid}/environ`);
    // Match a whole NUL-separated entry.
    let from = 0;
    for (;;) {
      const at = env.indexOf(marker, from);
      if (at < 0) return false;
      const end = at + marker.length;
      if ((at === 0 || env[at - 1] === 0) && (end === env.length || env[end] === 0)) return true;
      from = at + 1;
    }
  } catch {
    return false; // gone, or a kernel thread
  }
}

/** Pids of processes carrying `<name>=<value>` in their environment, or in session `sid`. */
export async function findMarkedProcesses(name: string, value: string, sid?: number): Promise<number[]> {
  const marker = Buffer.from(`${name}=${value}`);
  const entries = await readdir('/proc');
  const self = process.pid;
  const found: number[] = [];
  await Promise.all(
    entries.map(async (name) => {
      const pid = Number(name);
      if (!Number.isInteger(pid) || pid <= 1 || pid === self) return;
      if (await processMatches(pid, marker, sid)) found.push(pid);
    }),
  );
  return found;
}

export function findSandboxProcesses(id: string, sid?: number): Promise<number[]> {
  return findMarkedProcesses(SANDBOX_MARKER, id, sid);
}

/**
 * SIGKILL every matching process until none is left or the deadline passes; returns how many it killed.
 * Repeats because a process may fork while we sweep.
 */
export async function killMarkedProcesses(name: string, value: string, sid?: number, deadlineMs = 3000): Promise<number> {
  const until = Date.now() + deadlineMs;
  let killed = 0;
  for (;;) {
    const pids = await findMarkedProcesses(name, value, sid);
    if (pids.length === 0) return killed;
    for (const pid of pids) {
      try {
        process.kill(pid, 'SIGKILL');
        killed++;
      } catch {
        /* already gone */
      }
    }
    if (Date.now() > until) return killed;
    await new Promise((r) => setTimeout(r, 20));
  }
}

export function killSandboxProcesses(id: string, sid?: number, deadlineMs = 3000): Promise<number> {
  return killMarkedProcesses(SANDBOX_MARKER, id, sid, deadlineMs);
}
