/**
 * Finds and kills host processes of a local sandbox, including ones that left the shell's session
 * (`setsid`, `nohup … &`, double forks). Processes carry inherited marker variables: LABDECK_SANDBOX=<id>
 * (everything run in the sandbox) and LABDECK_SHELL=<id> (one shell and what it started). A process
 * matches when its environment carries the marker, its session id is the given one, or it runs as the
 * given uid. The uid is what a sandbox cannot shed: `env -u LABDECK_SANDBOX setsid …` escapes the other
 * two, but not its own user (when the server runs as root, each sandbox has one: local.ts). Ending one
 * shell sweeps by its shell marker and session only, so a new shell in the same sandbox is never caught
 * by the sweep of the old one. Linux only (/proc).
 */
import { readdir, readFile } from 'node:fs/promises';
import { TEXT } from './agent/frames.js';

export const SANDBOX_MARKER = 'LABDECK_SANDBOX';
/** One spelling for the shell marker, the agent's too (issue 18 bug 1): agent/frames.ts owns it. */
export const SHELL_MARKER = TEXT.MARKER;

/** Which processes to sweep: any one of these matches. */
export interface SweepTarget {
  /** `[name, value]`: processes whose environment holds the entry `name=value`. */
  marker?: readonly [string, string];
  /** Processes in this session (a shell's own session id is its pid). */
  sid?: number;
  /** Processes with this real, effective, saved or filesystem uid. Never the server's own uid, nor root. */
  uid?: number;
}

/** True when the whole NUL-separated entry `marker` is in `env`. */
function hasEntry(env: Buffer, marker: Buffer): boolean {
  let from = 0;
  for (;;) {
    const at = env.indexOf(marker, from);
    if (at < 0) return false;
    const end = at + marker.length;
    if ((at === 0 || env[at - 1] === 0) && (end === env.length || env[end] === 0)) return true;
    from = at + 1;
  }
}

async function processMatches(pid: number, marker: Buffer | null, sid: number | undefined, uid: number | undefined): Promise<boolean> {
  try {
    if (sid !== undefined) {
      const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
      // Fields after the parenthesised command name: state ppid pgrp session ...
      const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(rest[3]) === sid) return true;
    }
    if (uid !== undefined) {
      const status = await readFile(`/proc/${pid}/status`, 'utf8');
      // "Uid:\treal\teffective\tsaved\tfilesystem". A zombie keeps its uid until its parent reaps it,
      // but is already dead: counting it would keep a sweep waiting on someone else's wait().
      const ids = /^Uid:\s+(.*)$/m.exec(status)?.[1]?.split(/\s+/).map(Number) ?? [];
      if (ids.includes(uid) && !/^State:\s+Z/m.test(status)) return true;
    }
    return marker !== null && hasEntry(await readFile(`/proc/${pid}/environ`), marker);
  } catch {
    return false; // gone, or a kernel thread
  }
}

/** Pids of the processes `target` names (never this process, never pid 1). */
export async function findProcesses(target: SweepTarget): Promise<number[]> {
  const marker = target.marker ? Buffer.from(`${target.marker[0]}=${target.marker[1]}`) : null;
  const uid = target.uid !== undefined && target.uid !== 0 && target.uid !== process.getuid?.() ? target.uid : undefined;
  if (marker === null && target.sid === undefined && uid === undefined) return [];
  const entries = await readdir('/proc');
  const self = process.pid;
  const found: number[] = [];
  await Promise.all(
    entries.map(async (name) => {
      const pid = Number(name);
      if (!Number.isInteger(pid) || pid <= 1 || pid === self) return;
      if (await processMatches(pid, marker, target.sid, uid)) found.push(pid);
    }),
  );
  return found;
}

export function findSandboxProcesses(id: string, uid?: number): Promise<number[]> {
  return findProcesses({ marker: [SANDBOX_MARKER, id], uid });
}

/**
 * SIGKILL every matching process until none is left or the deadline passes; returns how many it killed.
 * Repeats because a process may fork while we sweep.
 */
export async function killProcesses(target: SweepTarget, deadlineMs = 3000): Promise<number> {
  const until = Date.now() + deadlineMs;
  let killed = 0;
  for (;;) {
    const pids = await findProcesses(target);
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

/** Everything a sandbox started: its marker, and its own uid when it has one. */
export function killSandboxProcesses(id: string, uid?: number, deadlineMs = 3000): Promise<number> {
  return killProcesses({ marker: [SANDBOX_MARKER, id], uid }, deadlineMs);
}
