/**
 * Reading and writing the agent's frames (frames.ts has the layout). Everything an agent sends is
 * untrusted (root in the sandbox can replace the agent, issue 19 §1): the decoder refuses a frame over
 * its bound before buffering it, and every payload read is bounds-checked; a violation is a
 * ProtocolError, which ends that one connection and nothing else.
 */
import { NO_OFFSET, PROTOCOL } from './frames.js';

export class ProtocolError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ProtocolError';
  }
}

export interface Frame {
  type: number;
  chan: number;
  payload: Buffer;
}

const HEADER = PROTOCOL.HEADER_BYTES;

/** Splits a byte stream into frames; holds at most one frame's worth of bytes. */
export class FrameDecoder {
  private buf: Buffer = Buffer.alloc(0);

  constructor(private readonly maxPayload: number) {}

  /** Bytes held for a frame not yet complete. */
  get buffered(): number {
    return this.buf.length;
  }

  /** The whole frames `chunk` completes, in order. Throws ProtocolError on a frame over the bound. */
  push(chunk: Buffer): Frame[] {
    this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
    const frames: Frame[] = [];
    let off = 0;
    while (this.buf.length - off >= HEADER) {
      const len = this.buf.readUInt32LE(off);
      if (len > this.maxPayload) throw new ProtocolError(`frame of ${len} bytes (at most ${this.maxPayload})`);
      if (this.buf.length - off < HEADER + len) break;
      frames.push({ type: this.buf[off + 4]!, chan: this.buf.readUInt32LE(off + 5), payload: this.buf.subarray(off + HEADER, off + HEADER + len) });
      off += HEADER + len;
    }
    this.buf = off === this.buf.length ? Buffer.alloc(0) : this.buf.subarray(off);
    return frames;
  }
}

/** One frame: header and payload, as one buffer. */
export function encodeFrame(type: number, chan: number, payload: Buffer = Buffer.alloc(0)): Buffer {
  const out = Buffer.allocUnsafe(HEADER + payload.length);
  out.writeUInt32LE(payload.length, 0);
  out.writeUInt8(type, 4);
  out.writeUInt32LE(chan, 5);
  payload.copy(out, HEADER);
  return out;
}

/** Builds a payload: integers little-endian, strings as u32 length + UTF-8 bytes. */
export class PayloadWriter {
  private parts: Buffer[] = [];

  private num(bytes: number, write: (b: Buffer) => void): this {
    const b = Buffer.allocUnsafe(bytes);
    write(b);
    this.parts.push(b);
    return this;
  }

  u8(v: number): this {
    return this.num(1, (b) => b.writeUInt8(v));
  }
  u16(v: number): this {
    return this.num(2, (b) => b.writeUInt16LE(v));
  }
  u32(v: number): this {
    return this.num(4, (b) => b.writeUInt32LE(v));
  }
  /** A byte offset (a safe integer), or NO_OFFSET. */
  u64(v: number | bigint): this {
    return this.num(8, (b) => b.writeBigUInt64LE(typeof v === 'bigint' ? v : BigInt(v)));
  }
  str(s: string): this {
    if (s.includes('\0')) throw new Error(`a string for the agent holds a NUL byte: ${JSON.stringify(s.slice(0, 40))}`);
    const b = Buffer.from(s, 'utf8');
    this.u32(b.length);
    this.parts.push(b);
    return this;
  }
  strs(list: readonly string[]): this {
    this.u32(list.length);
    for (const s of list) this.str(s);
    return this;
  }
  bytes(b: Buffer): this {
    this.parts.push(b);
    return this;
  }
  done(): Buffer {
    return Buffer.concat(this.parts);
  }
}

/** Reads a payload; any read past its end is a ProtocolError naming what was read. */
export class PayloadReader {
  private off = 0;

  constructor(
    private readonly buf: Buffer,
    private readonly what: string,
  ) {}

  private need(n: number): void {
    if (this.buf.length - this.off < n) throw new ProtocolError(`${this.what}: payload too short`);
  }

  u8(): number {
    this.need(1);
    return this.buf.readUInt8(this.off++);
  }
  u16(): number {
    this.need(2);
    const v = this.buf.readUInt16LE(this.off);
    this.off += 2;
    return v;
  }
  u32(): number {
    this.need(4);
    const v = this.buf.readUInt32LE(this.off);
    this.off += 4;
    return v;
  }
  i32(): number {
    this.need(4);
    const v = this.buf.readInt32LE(this.off);
    this.off += 4;
    return v;
  }
  /** A u64 that must be a safe integer (byte counts); NO_OFFSET is refused here. */
  u64(): number {
    this.need(8);
    const v = this.buf.readBigUInt64LE(this.off);
    this.off += 8;
    if (v === NO_OFFSET || v > BigInt(Number.MAX_SAFE_INTEGER)) throw new ProtocolError(`${this.what}: a count beyond 2^53`);
    return Number(v);
  }
  /** A string of at most `max` bytes. */
  str(max: number): string {
    const len = this.u32();
    if (len > max) throw new ProtocolError(`${this.what}: a string of ${len} bytes (at most ${max})`);
    this.need(len);
    const s = this.buf.toString('utf8', this.off, this.off + len);
    this.off += len;
    return s;
  }
  /** Whatever is left. */
  rest(): Buffer {
    const b = this.buf.subarray(this.off);
    this.off = this.buf.length;
    return b;
  }
  /** Nothing may follow what was read. */
  end(): void {
    if (this.off !== this.buf.length) throw new ProtocolError(`${this.what}: ${this.buf.length - this.off} unexpected trailing bytes`);
  }
}
