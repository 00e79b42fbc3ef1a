/**
 * Screen restore on reconnect. The hot path only appends output to a byte ring (no parsing); when a
 * client comes back, the ring is parsed by a headless xterm and serialized, so the client gets the
 * terminal's *state* (well-formed escape sequences), never a raw byte range that could start inside an
 * escape sequence. Parsing costs ~70 ms per MB and happens only on reconnect (measured: headless xterm
 * parses `yes` output at ~14 MB/s, too slow to run on every byte of a flood).
 */
import headless from '@xterm/headless';
import serialize from '@xterm/addon-serialize';
import type { TermSize } from '../sandbox/driver.js';

export class ByteRing {
  private buf: Buffer;
  private start = 0;
  private length = 0;

  constructor(readonly capacity: number) {
    this.buf = Buffer.alloc(capacity);
  }

  push(chunk: Buffer): void {
    if (chunk.length >= this.capacity) {
      chunk.copy(this.buf, 0, chunk.length - this.capacity);
      this.start = 0;
      this.length = this.capacity;
      return;
    }
    const end = (this.start + this.length) % this.capacity;
    const first = Math.min(chunk.length, this.capacity - end);
    chunk.copy(this.buf, end, 0, first);
    if (first < chunk.length) chunk.copy(this.buf, 0, first);
    const overflow = this.length + chunk.length - this.capacity;
    if (overflow > 0) {
      this.start = (this.start + overflow) % this.capacity;
      this.length = this.capacity;
    } else {
      this.length += chunk.length;
    }
  }

  /** A copy of the retained bytes, oldest first. */
  contents(): Buffer {
    const tail = Math.min(this.length, this.capacity - this.start);
    return Buffer.concat([this.buf.subarray(this.start, this.start + tail), this.buf.subarray(0, this.length - tail)]);
  }

  clear(): void {
    this.start = 0;
    this.length = 0;
  }
}

/** Replays `bytes` into a headless terminal of `size` and returns its serialized state. */
export function renderScreen(bytes: Buffer, size: TermSize, scrollback = 1000): Promise<string> {
  const term = new headless.Terminal({ cols: size.cols, rows: size.rows, scrollback, allowProposedApi: true });
  const addon = new serialize.SerializeAddon();
  term.loadAddon(addon);
  return new Promise((resolve) => {
    term.write(bytes, () => {
      const state = addon.serialize({ scrollback });
      term.dispose();
      resolve(state);
    });
  });
}
