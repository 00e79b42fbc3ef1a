/**
 * Copying a Killercoda asset into a sandbox (docs/lab-format.md "Killercoda and Katacoda scenarios").
 * `Sandbox.exec` takes argv and no stdin, so the file travels as base64 arguments: in chunks, each well
 * under Linux's 128 KiB per argument, a few per exec to stay under the 2 MiB that one command's
 * arguments and environment share. The size is bounded when the lab is loaded (killercoda.ts
 * `MAX_ASSET_BYTES`, `MAX_ASSETS_TOTAL`), so a copy is a bounded number of execs.
 *
 * The chunks go to a hidden part file beside the target, renamed into place at the end: a copy cut
 * short never leaves a half file under the asset's name.
 *
 * The asset is read at the moment of the copy through the labs' one confinement rule
 * (server/labs/confine.ts, issue 17 §1): it was checked when the lab loaded, but it may have been
 * swapped for a symlink since, and a file the server can read (labdeck.db) must never reach a sandbox.
 *
 * A target the sandbox's user may not write (Killercoda scenarios run as root and like
 * `/usr/local/bin`; a local sandbox runs as an unprivileged user) is not an error that stops the lab:
 * the asset is skipped, and the attendee is told which and why.
 */
import path from 'node:path';
import { LabFileError, readLabFile } from '../labs/confine.js';
import { MAX_ASSET_BYTES } from '../labs/killercoda/assets.js';
import type { Sandbox } from '../sandbox/driver.js';
import { runScript, type ScriptOutcome } from './run-script.js';

/** Raw bytes per argument: a multiple of 3, so each chunk's base64 has no padding and the chunks concatenate; 96 KiB of base64. */
export const CHUNK_BYTES = 72 * 1024;
/** Chunks per exec: 768 KiB of arguments. */
const CHUNKS_PER_EXEC = 8;
/** Seconds each exec of a copy may take. */
const STEP_TIMEOUT = 30;
/** The prepare script's status for "this user cannot write the target". */
const NOT_WRITABLE = 77;

const PREPARE = [
  'mkdir -p -- "$1" 2>/dev/null',
  `if ! [ -d "$1" ] || ! [ -w "$1" ]; then echo "$1 is not writable by $(id -un)"; exit ${NOT_WRITABLE}; fi`,
  ': > "$1/.$2.labdeck-part"',
].join('\n');
const APPEND = 'f="$1/.$2.labdeck-part"; shift 2; for c in "$@"; do printf %s "$c"; done | base64 -d >> "$f"';
const FINISH = 'mv -f -- "$1/.$2.labdeck-part" "$1/$2" && if [ -n "$3" ]; then chmod "$3" -- "$1/$2"; fi';
const ABANDON = 'rm -f -- "$1/.$2.labdeck-part"';

export type AssetCopy =
  | { kind: 'copied' }
  /** The sandbox's user cannot write the target; nothing was written. */
  | { kind: 'skipped'; reason: string }
  | { kind: 'failed'; outcome: ScriptOutcome };

/** Asset `file` of the lab folder `labDir`, read now; a string says why it may not be copied. */
export async function readAsset(labDir: string, file: string): Promise<Buffer | string> {
  try {
    return (await readLabFile(labDir, file, MAX_ASSET_BYTES)).data;
  } catch (err) {
    if (err instanceof LabFileError) return `refused: it ${err.reason}`;
    return String(err);
  }
}

/** Copy `data` to `target/basename(file)` in the sandbox, then `chmod mode` it when given. */
export async function copyAsset(sandbox: Sandbox, data: Buffer, file: string, target: string, mode?: string): Promise<AssetCopy> {
  const name = path.posix.basename(file);
  const prepared = await runScript(sandbox, PREPARE, STEP_TIMEOUT, [target, name]);
  if (prepared.code === NOT_WRITABLE) return { kind: 'skipped', reason: prepared.output };
  if (!prepared.ok) return { kind: 'failed', outcome: prepared };
  const perExec = CHUNK_BYTES * CHUNKS_PER_EXEC;
  for (let at = 0; at < data.length; at += perExec) {
    const chunks: string[] = [];
    for (let c = at; c < Math.min(at + perExec, data.length); c += CHUNK_BYTES) {
      chunks.push(data.subarray(c, Math.min(c + CHUNK_BYTES, data.length)).toString('base64'));
    }
    const appended = await runScript(sandbox, APPEND, STEP_TIMEOUT, [target, name, ...chunks]);
    if (!appended.ok) {
      await runScript(sandbox, ABANDON, STEP_TIMEOUT, [target, name]);
      return { kind: 'failed', outcome: appended };
    }
  }
  const finished = await runScript(sandbox, FINISH, STEP_TIMEOUT, [target, name, mode ?? '']);
  return finished.ok ? { kind: 'copied' } : { kind: 'failed', outcome: finished };
}
