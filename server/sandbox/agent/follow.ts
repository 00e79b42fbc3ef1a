/**
 * Following a file inside the sandbox through its agent, from a byte offset, by name (as `tail -F`):
 * the exit-status report (server/classroom/exit-status.ts) without a resident `exec` per sandbox
 * (issue 19 §1). The follow survives a replaced connection: the link starts it again from the next
 * byte not yet delivered, with what is left of its byte budget.
 */
import type { Disposable, FollowListener } from '../driver.js';
import { PayloadReader, PayloadWriter, ProtocolError } from './codec.js';
import type { AgentConnection, ChannelHandler } from './connection.js';
import { FRAME } from './frames.js';

export interface FollowLink {
  current(): AgentConnection | null;
  forgetFollow(f: AgentFollow): void;
}

export class AgentFollow implements ChannelHandler, Disposable {
  private conn: AgentConnection | null = null;
  private chan = 0;
  private next: number;
  private delivered = 0;
  private done = false;

  constructor(
    private readonly link: FollowLink,
    private readonly path: string,
    from: number,
    private readonly maxBytes: number,
    private readonly listener: FollowListener,
  ) {
    this.next = from;
  }

  /** (Re)start on `conn` from the next byte not delivered yet. */
  start(conn: AgentConnection): void {
    if (this.done) return;
    this.conn = conn;
    this.chan = conn.open(this);
    conn.send(FRAME.FOLLOW_START, this.chan, new PayloadWriter().str(this.path).u64(this.next).u32(this.maxBytes - this.delivered).done());
  }

  frame(type: number, payload: Buffer): void {
    if (type === FRAME.FOLLOW_DATA) {
      const r = new PayloadReader(payload, 'FOLLOW_DATA');
      const offset = r.u64();
      const chunk = r.rest();
      this.delivered += chunk.length;
      if (this.delivered > this.maxBytes) throw new ProtocolError('a follow past its byte budget');
      this.next = offset + chunk.length;
      this.listener.data(chunk, offset);
      return;
    }
    if (type === FRAME.FOLLOW_END || type === FRAME.ERROR) {
      let reason = 'limit';
      if (type === FRAME.ERROR) {
        const r = new PayloadReader(payload, 'ERROR');
        r.u16();
        reason = r.str(1024);
      }
      this.finish();
      this.listener.end?.(reason);
      return;
    }
    throw new ProtocolError(`frame type 0x${type.toString(16)} on a follow channel`);
  }

  lost(): void {
    this.conn = null;
    this.chan = 0;
  }

  dispose(): void {
    if (this.done) return;
    if (this.conn) this.conn.send(FRAME.FOLLOW_STOP, this.chan);
    this.finish();
  }

  private finish(): void {
    this.done = true;
    if (this.conn && this.chan) this.conn.release(this.chan);
    this.conn = null;
    this.chan = 0;
    this.link.forgetFollow(this);
  }
}
