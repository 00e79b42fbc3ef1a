/**
 * Bounds on the scripts labdeck runs for attendees (checks, setup, snippets): a few at once per
 * attendee, a fixed number at once on the server, a bounded queue behind them. Anything beyond is
 * refused at once (`TeachError` 429/503) rather than queued without end: an attendee's page polling a
 * check, or many tabs clicking Run, cannot pile work up on the server.
 */
import { TeachError } from './errors.js';

export interface GateLimits {
  /** Scripts of one attendee running or waiting at once. */
  perAttendee: number;
  /** Scripts running at once on the whole server. */
  running: number;
  /** Scripts waiting for a free slot; beyond, 503. */
  waiting: number;
}

export const GATE_LIMITS: GateLimits = { perAttendee: 3, running: 16, waiting: 64 };

export class ScriptGate {
  private readonly perAttendee = new Map<string, number>();
  private active = 0;
  private readonly queue: (() => void)[] = [];

  constructor(private readonly limits: GateLimits = GATE_LIMITS) {}

  async run<T>(attendee: string, fn: () => Promise<T>): Promise<T> {
    const mine = this.perAttendee.get(attendee) ?? 0;
    if (mine >= this.limits.perAttendee) throw new TeachError(429, 'a script is already running in your sandbox; try again when it is done');
    if (this.active >= this.limits.running && this.queue.length >= this.limits.waiting) {
      throw new TeachError(503, 'the server is busy running other attendees\' scripts; try again in a moment');
    }
    this.perAttendee.set(attendee, mine + 1);
    try {
      if (this.active >= this.limits.running) await new Promise<void>((r) => this.queue.push(r));
      else this.active++;
      try {
        return await fn();
      } finally {
        // The slot passes straight to the next waiter (active stays the same), or is freed.
        const next = this.queue.shift();
        if (next) next();
        else this.active--;
      }
    } finally {
      const left = (this.perAttendee.get(attendee) ?? 1) - 1;
      if (left > 0) this.perAttendee.set(attendee, left);
      else this.perAttendee.delete(attendee);
    }
  }
}
