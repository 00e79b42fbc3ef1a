/**
 * Keystrokes into a pty through a queue this module owns, so its size can be seen and bounded.
 *
 * Why not node-pty's own `write()` (node-pty 1.1): it queues in user space without a bound, and when the
 * pty's input buffer is full (a program in raw mode that does not read, e.g. `stty raw; sleep 600`) it
 * retries `fs.write` with `setImmediate` on every event-loop turn. Measured: 2 MB typed into such a shell
 * stayed queued and the server burnt ~1 s of CPU per second until the program exited (issue 8, item 5).
 * Here a full pty is retried with a backing-off timer (1 → 64 ms), and the session reads `backlog` to
 * refuse input past its bound; `discard()` lets Ctrl-C jump the queue, as the tty's own INTR flushes its
 * input queue.
 */
import fs from 'node:fs';

/** First and longest wait before retrying a write the pty refused (EAGAIN). */
const RETRY_MIN_MS = 1;
const RETRY_MAX_MS = 64;

export class PtyInput {
  private queue: Buffer[] = [];
  private queued = 0;
  /** The buffer an `fs.write` is working on; `dropRest` set by discard() while it is in flight. */
  private current: { buf: Buffer; offset: number; dropRest: boolean } | null = null;
  private retryMs = 0;
  private retryTimer: NodeJS.Timeout | null = null;
  private closed = false;

  constructor(private readonly fd: number) {}

  /** Bytes accepted by write() that the pty has not taken yet. */
  get backlog(): number {
    return this.queued;
  }

  write(data: string): void {
    if (this.closed || data.length === 0) return;
    const buf = Buffer.from(data, 'utf8');
    this.queue.push(buf);
    this.queued += buf.length;
    if (!this.current && !this.retryTimer) this.next();
  }

  /** Drop every byte not yet taken by the pty; returns how many were dropped. */
  discard(): number {
    const dropped = this.queued;
    this.queue = [];
    this.queued = 0;
    if (this.current) this.current.dropRest = true;
    return dropped;
  }

  close(): void {
    this.closed = true;
    this.discard();
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = null;
  }

  private next(): void {
    this.retryTimer = null;
    if (this.closed) return;
    const head = this.current ?? this.takeHead();
    if (!head) return;
    this.current = head;
    fs.write(this.fd, head.buf, head.offset, head.buf.length - head.offset, null, (err, written) => {
      if (this.closed) return;
      if (err) {
        if (err.code === 'EAGAIN') {
          // The program is not reading: wait, longer each time, instead of spinning the event loop.
          this.retryMs = Math.min(RETRY_MAX_MS, Math.max(RETRY_MIN_MS, this.retryMs * 2));
          if (head.dropRest) this.current = null;
          this.retryTimer = setTimeout(() => this.next(), this.retryMs);
          return;
        }
        // EIO and the like: the pty is gone; the shell's exit is reported by node-pty.
        this.close();
        return;
      }
      this.retryMs = 0;
      head.offset += written;
      this.queued -= head.dropRest ? 0 : written;
      if (head.offset >= head.buf.length || head.dropRest) this.current = null;
      this.next();
    });
  }

  private takeHead(): { buf: Buffer; offset: number; dropRest: boolean } | null {
    const buf = this.queue.shift();
    return buf ? { buf, offset: 0, dropRest: false } : null;
  }
}
