/**
 * Sandbox.follow for a sandbox whose files are on the server's own machine (the local driver): the
 * file is checked every FOLLOW_POLL_MS, as the agent does inside a container (issue 19 §1). The file is
 * the attendee's, so it is opened with O_NOFOLLOW and O_NONBLOCK and read only when it is a regular
 * file: a symlink to one of the server's files, a FIFO (whose open would block) or /dev/zero (a flood)
 * yields nothing.
 */
import { constants, type Stats } from 'node:fs';
import { lstat, open, type FileHandle } from 'node:fs/promises';
import type { Disposable, FollowListener } from './driver.js';
import { LIMIT } from './agent/frames.js';

export function followHostFile(file: string, from: number, listener: FollowListener, maxBytes: number): Disposable {
  let fh: FileHandle | null = null;
  let ident: { dev: number; ino: number } | null = null;
  let offset = from;
  let sent = 0;
  let stopped = false;
  let timer: NodeJS.Timeout | null = null;
  const buf = Buffer.alloc(LIMIT.DATA_CHUNK);

  const closeFile = async (): Promise<void> => {
    const h = fh;
    fh = null;
    ident = null;
    await h?.close().catch(() => undefined);
  };

  const tick = async (): Promise<void> => {
    // Replaced or removed (as tail -F): let go, and read the new one from its start.
    if (fh && ident) {
      const st = await lstat(file).catch(() => null);
      if (!st || st.dev !== ident.dev || st.ino !== ident.ino) {
        await closeFile();
        offset = 0;
      }
    }
    if (!fh) {
      const h = await open(file, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK).catch(() => null);
      if (!h) return;
      const st: Stats | null = await h.stat().catch(() => null);
      if (!st?.isFile()) return void (await h.close().catch(() => undefined));
      fh = h;
      ident = { dev: st.dev, ino: st.ino };
    }
    const size = (await fh.stat()).size;
    if (size < offset) offset = 0; // truncated
    while (!stopped && offset < size) {
      const want = Math.min(buf.length, size - offset, maxBytes - sent);
      const { bytesRead } = await fh.read(buf, 0, want, offset);
      if (bytesRead <= 0 || stopped) return;
      listener.data(Buffer.from(buf.subarray(0, bytesRead)), offset);
      offset += bytesRead;
      sent += bytesRead;
      if (sent >= maxBytes) {
        stopped = true;
        listener.end?.('limit');
        return;
      }
    }
  };

  const loop = (): void => {
    timer = null;
    if (stopped) return;
    void tick()
      .catch(() => closeFile())
      .finally(() => {
        if (stopped) void closeFile();
        else (timer = setTimeout(loop, LIMIT.FOLLOW_POLL_MS)).unref();
      });
  };
  loop();
  return {
    dispose() {
      stopped = true;
      if (timer) clearTimeout(timer);
      timer = null;
    },
  };
}

/** A path under the attendee's home as Sandbox.follow takes it: relative, no `..`, no empty part. */
export function homePath(file: string): string {
  if (file.startsWith('/') || file.split('/').some((p) => p === '..' || p === '' || p === '.')) throw new Error(`not a path under the home folder: ${JSON.stringify(file)}`);
  return file;
}
