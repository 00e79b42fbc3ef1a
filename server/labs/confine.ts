/**
 * The one rule for "this file is inside the lab" (issue 17 §1, issue 18 §8). A lab is content from
 * somewhere else (cloning a scenario repository is enough to bring its symlinks along), and the server
 * can read far more than a lab should show: its own `/proc/self/environ` (INSTRUCTOR_TOKEN), the
 * database with the cookie secret. So every file a lab names is opened here and nowhere else: the deck
 * or index.json, labdeck.yaml, step texts, scripts, assets (at load, and again when the lab setup
 * copies them), images (at load, and again when served).
 *
 * The rule:
 * - real paths on both sides: the lab's folder is realpath'd too (LABS_DIR may itself be a symlink);
 * - the file's real path lies inside the folder's. A symlink may point anywhere inside the lab (git
 *   repositories use them), never out of it, whether it is the file or a folder on the way;
 * - that real path is opened with O_NOFOLLOW, so a symlink put there since the check is refused, and
 *   the descriptor's own path (`/proc/self/fd/N`) must still be inside the folder, so a folder on the
 *   way swapped for a symlink between the check and the open is caught too; O_NONBLOCK, so a fifo is
 *   never waited on;
 * - only a regular file, read with a bound that does not trust its size (procfs files say 0).
 * Each use opens again: a check when the lab loaded says nothing about the file at setup time.
 */
import { constants } from 'node:fs';
import { open, readdir, readlink, realpath, stat, type FileHandle } from 'node:fs/promises';
import path from 'node:path';

/** Why a file was refused. */
export type Refusal = 'outside' | 'missing' | 'not-a-file' | 'too-large';

export class LabFileError extends Error {
  constructor(
    readonly refusal: Refusal,
    /** The path as the lab names it. */
    readonly file: string,
    /** What is wrong, without the file's name: "is outside the lab folder". */
    readonly reason: string,
  ) {
    super(`"${file}" ${reason}`);
  }

  /** The message with another word for the folder ("the scenario folder"). */
  describe(folder: string): string {
    return this.message.replace('the lab folder', folder);
  }
}

/** Most entries (files and folders) one folder listing walks: a lab folder is a handful of files, not a file system. */
export const MAX_LISTED = 10_000;

const OPEN_FLAGS = constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK | constants.O_NOCTTY;

/** A regular file of the lab, open for reading; the caller closes `handle`. */
export interface ConfinedFile {
  handle: FileHandle;
  /** Its real path. */
  real: string;
  size: number;
  mode: number;
}

/** Opens `file` (relative to the lab folder `labDir`) under the rule above, or throws LabFileError. */
export async function confinedFile(labDir: string, file: string): Promise<ConfinedFile> {
  const root = await realpath(labDir);
  const real = await resolveInside(root, file);
  let handle: FileHandle;
  try {
    handle = await open(real, OPEN_FLAGS);
  } catch (err) {
    // ELOOP: the real path is a symlink now, so it changed since realpath.
    throw refusal(err, file);
  }
  try {
    const opened = await readlink(`/proc/self/fd/${handle.fd}`);
    if (!inside(root, opened)) throw new LabFileError('outside', file, 'is outside the lab folder (a folder on its way was swapped for a symlink)');
    const st = await handle.stat();
    if (!st.isFile()) throw new LabFileError('not-a-file', file, 'is not a regular file');
    return { handle, real, size: st.size, mode: st.mode };
  } catch (err) {
    await handle.close().catch(() => undefined);
    throw err;
  }
}

/** The whole of a lab's file, at most `maxBytes`, with its mode (for the execute bit). */
export async function readLabFile(labDir: string, file: string, maxBytes: number): Promise<{ data: Buffer; mode: number }> {
  const { handle, mode } = await confinedFile(labDir, file);
  try {
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      const { bytesRead, buffer } = await handle.read({ buffer: Buffer.alloc(64 * 1024) });
      if (bytesRead === 0) break;
      total += bytesRead;
      if (total > maxBytes) throw new LabFileError('too-large', file, `is larger than ${maxBytes / 1024} KiB`);
      chunks.push(buffer.subarray(0, bytesRead));
    }
    return { data: Buffer.concat(chunks, total), mode };
  } finally {
    await handle.close().catch(() => undefined);
  }
}

/** A lab file's text (UTF-8). */
export async function readLabText(labDir: string, file: string, maxBytes: number): Promise<{ text: string; mode: number }> {
  const { data, mode } = await readLabFile(labDir, file, maxBytes);
  return { text: data.toString('utf8'), mode };
}

/** Whether `file` passes the rule (opened, then closed at once); the refusal when it does not. */
export async function checkLabFile(labDir: string, file: string): Promise<LabFileError | undefined> {
  try {
    const { handle } = await confinedFile(labDir, file);
    await handle.close().catch(() => undefined);
    return undefined;
  } catch (err) {
    if (err instanceof LabFileError) return err;
    throw err;
  }
}

/**
 * The files under the lab's `folder` (paths relative to it, `/`-separated, sorted): regular files,
 * and symlinks to files. A symlinked folder is not entered (as `readdir` does not), so a listing never
 * walks out of the lab; a listed symlink is judged when it is opened, like any file the lab names.
 * A missing folder lists nothing; a folder outside the lab is refused.
 */
export async function listLabFolder(labDir: string, folder: string, max = MAX_LISTED): Promise<string[]> {
  const root = await realpath(labDir);
  let start: string;
  try {
    start = await resolveInside(root, folder);
  } catch (err) {
    if (err instanceof LabFileError && err.refusal === 'missing') return [];
    throw err;
  }
  if (!(await stat(start)).isDirectory()) throw new LabFileError('not-a-file', folder, 'is not a folder');
  const found: string[] = [];
  // Every entry counts, folders too: a deep tree of empty folders is bounded as well.
  let seen = 0;
  const walk = async (dir: string, prefix: string): Promise<void> => {
    for (const entry of await readdir(dir, { withFileTypes: true })) {
      if (++seen > max) throw new LabFileError('too-large', folder, `holds more than ${max} files and folders`);
      const rel = prefix + entry.name;
      if (entry.isDirectory()) await walk(path.join(dir, entry.name), `${rel}/`);
      else if (entry.isFile()) found.push(rel);
      else if (entry.isSymbolicLink() && (await stat(path.join(dir, entry.name)).catch(() => undefined))?.isDirectory() === false) found.push(rel);
    }
  };
  await walk(start, '');
  return found.sort();
}

/** The real path of `file` under the real folder `root`, refused when it or any symlink on its way leads out. */
async function resolveInside(root: string, file: string): Promise<string> {
  if (file === '' || file.includes('\0') || path.isAbsolute(file) || !inside(root, path.resolve(root, file))) {
    throw new LabFileError('outside', file, 'is outside the lab folder');
  }
  let real: string;
  try {
    real = await realpath(path.resolve(root, file));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ELOOP') throw new LabFileError('not-a-file', file, 'is a symlink loop');
    throw refusal(err, file);
  }
  if (!inside(root, real)) throw new LabFileError('outside', file, 'is outside the lab folder (a symlink on its way leads out)');
  return real;
}

function inside(root: string, p: string): boolean {
  return p.startsWith(root.endsWith(path.sep) ? root : root + path.sep);
}

function refusal(err: unknown, file: string): LabFileError {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'ENOENT' || code === 'ENOTDIR') return new LabFileError('missing', file, 'does not exist in the lab folder');
  if (code === 'ELOOP') return new LabFileError('outside', file, 'is outside the lab folder (it became a symlink)');
  return new LabFileError('not-a-file', file, `cannot be read: ${code ?? String(err)}`);
}
