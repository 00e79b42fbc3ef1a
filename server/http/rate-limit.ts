/**
 * Budgets of failures: wrong join codes (issue 17 §2) and wrong instructor tokens (issue 17 §8). A
 * failure spends one token of a bucket that refills at a steady rate up to its burst; with the bucket
 * empty the next attempt is refused before anything is checked (429 with Retry-After), so a guesser
 * learns nothing while waiting. Successes cost nothing: a room that types its code right never meets
 * the budget. docs/operations.md "Joining" gives the arithmetic behind the numbers.
 *
 * The per-address table is bounded: past `maxKeys` addresses the least recently used entry is dropped.
 * That gives its address a fresh bucket, which is exactly what a new address would get, so an attacker
 * who can cycle through more addresses than the table holds gains nothing he did not already have; the
 * overall bucket, where there is one, caps them all together.
 */
import type { IncomingMessage } from 'node:http';
import { isIP } from 'node:net';

export interface BucketRule {
  /** Failures allowed at once, on a fresh bucket. */
  burst: number;
  /** Failures allowed per second once the burst is spent. */
  perSecond: number;
}

interface Bucket {
  tokens: number;
  at: number;
}

/** Token buckets by key, at most `maxKeys` of them. */
export class Buckets {
  private readonly table = new Map<string, Bucket>();

  constructor(
    private readonly rule: BucketRule,
    private readonly maxKeys: number,
    private readonly now: () => number = Date.now,
  ) {
    if (!(rule.burst >= 1 && rule.perSecond > 0 && maxKeys >= 1)) throw new Error(`bad bucket rule ${JSON.stringify(rule)} × ${maxKeys}`);
  }

  /** Whole seconds until `key` may fail once more; 0 when it may now. */
  wait(key: string): number {
    const tokens = this.tokens(key);
    return tokens >= 1 ? 0 : Math.max(1, Math.ceil((1 - tokens) / this.rule.perSecond));
  }

  /** One failure of `key` (callers ask wait() first; the bucket never goes below empty). */
  spend(key: string): void {
    const tokens = Math.max(0, this.tokens(key) - 1);
    this.table.delete(key);
    this.table.set(key, { tokens, at: this.now() });
    if (this.table.size > this.maxKeys) this.table.delete(this.table.keys().next().value!);
  }

  /** Entries held (for tests and the bound). */
  get size(): number {
    return this.table.size;
  }

  private tokens(key: string): number {
    const b = this.table.get(key);
    if (!b) return this.rule.burst;
    const tokens = Math.min(this.rule.burst, b.tokens + ((this.now() - b.at) / 1000) * this.rule.perSecond);
    // A full bucket says nothing a missing entry would not: drop it, the table stays small.
    if (tokens >= this.rule.burst) this.table.delete(key);
    return tokens;
  }
}

/** Why an attempt is refused: the caller's own budget, or everyone's. */
export interface Refusal {
  scope: 'address' | 'overall';
  retryAfterS: number;
}

/** A per-address budget, and optionally an overall one that every address spends from too. */
export class FailureBudget {
  private readonly perAddress: Buckets;
  private readonly overall: Buckets | null;

  constructor(rules: { perAddress: BucketRule; overall?: BucketRule; maxAddresses: number }, now: () => number = Date.now) {
    this.perAddress = new Buckets(rules.perAddress, rules.maxAddresses, now);
    this.overall = rules.overall ? new Buckets(rules.overall, 1, now) : null;
  }

  /** Null when `address` may try (and perhaps fail) now; else which budget is spent and for how long. */
  check(address: string): Refusal | null {
    const own = this.perAddress.wait(address);
    if (own > 0) return { scope: 'address', retryAfterS: own };
    const all = this.overall?.wait('') ?? 0;
    return all > 0 ? { scope: 'overall', retryAfterS: all } : null;
  }

  /** The attempt failed. */
  fail(address: string): void {
    this.perAddress.spend(address);
    this.overall?.spend('');
  }
}

/**
 * The client a budget is kept for: the peer's address; an IPv6 client by its /64, which one subscriber
 * usually holds whole. Behind a reverse proxy on the same machine (the peer is loopback) the address
 * the proxy saw, the last entry of X-Forwarded-For; a proxy elsewhere (an Ingress) is one address for
 * everyone behind it (docs/operations.md "Behind a reverse proxy").
 */
export function clientAddress(req: IncomingMessage): string {
  let peer = req.socket.remoteAddress ?? '';
  if (isLoopbackAddress(peer)) {
    const forwarded = req.headers['x-forwarded-for'];
    const last = (Array.isArray(forwarded) ? forwarded.join(',') : (forwarded ?? '')).split(',').pop()?.trim() ?? '';
    if (isIP(last)) peer = last;
  }
  return addressKey(peer);
}

/** `::ffff:1.2.3.4` is 1.2.3.4; an IPv6 address is its /64; anything else is kept as it is. */
export function addressKey(address: string): string {
  const a = address.replace(/%.*$/, '').toLowerCase();
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(a);
  if (mapped) return mapped[1]!;
  if (isIP(a) !== 6) return a;
  const [head = '', tail] = a.split('::');
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const groups = tail === undefined ? left : [...left, ...Array<string>(Math.max(0, 8 - left.length - right.length)).fill('0'), ...right];
  return `${groups
    .slice(0, 4)
    .map((g) => parseInt(g, 16).toString(16))
    .join(':')}::/64`;
}

function isLoopbackAddress(a: string): boolean {
  return a === '::1' || a.startsWith('127.') || a.startsWith('::ffff:127.');
}
