/**
 * Rate limits as the real service applies them (CONTRACT.md, "Rate limits"): per (OAuth client or
 * Private Integration, location), a burst window and a daily quota, each 0 = off. Fixed windows:
 * the burst window is aligned to multiples of its length, the day to UTC midnight.
 */

export interface RateLimits {
  /** Requests per burst window; 0 turns the burst limit off. */
  burstMax: number;
  burstWindowMs: number;
  /** Requests per UTC day; 0 turns the daily limit off. */
  dailyMax: number;
}

/** Both limits off: what a server without a limiter applies. */
export const NO_LIMITS: RateLimits = { burstMax: 0, burstWindowMs: 0, dailyMax: 0 };

export interface RateVerdict {
  allowed: boolean;
  burstRemaining: number;
  dailyRemaining: number;
  /** Seconds until the limit that refused the request resets (0 when allowed). */
  retryAfterS: number;
}

export interface RateLimiter {
  readonly limits: RateLimits;
  /** Counts one request of `key` (when allowed) and says whether it may go on. */
  hit(key: string, now: number): RateVerdict | Promise<RateVerdict>;
  close(): Promise<void>;
}

export const DAY_MS = 86_400_000;

/** Where the current windows of `now` start and end. */
export function windowsOf(limits: RateLimits, now: number): { burstIndex: number; burstEnd: number; day: number; dayEnd: number } {
  const burstIndex = limits.burstWindowMs > 0 ? Math.floor(now / limits.burstWindowMs) : 0;
  const day = Math.floor(now / DAY_MS);
  return { burstIndex, burstEnd: (burstIndex + 1) * limits.burstWindowMs, day, dayEnd: (day + 1) * DAY_MS };
}

/** The verdict for counts seen before this request; `allowed` means it was counted. */
export function verdict(limits: RateLimits, now: number, burstUsed: number, dayUsed: number, allowed: boolean): RateVerdict {
  const w = windowsOf(limits, now);
  const burstFull = limits.burstMax > 0 && burstUsed >= limits.burstMax;
  const dayFull = limits.dailyMax > 0 && dayUsed >= limits.dailyMax;
  const retryAt = allowed ? now : Math.max(dayFull ? w.dayEnd : 0, burstFull ? w.burstEnd : 0);
  return {
    allowed,
    burstRemaining: Math.max(0, limits.burstMax - burstUsed),
    dailyRemaining: Math.max(0, limits.dailyMax - dayUsed),
    retryAfterS: Math.ceil((retryAt - now) / 1000),
  };
}

/**
 * Counters in this process: right for one process (the SQLite default). Several processes on one
 * database share theirs through Redis instead (redis-rate-limit.ts).
 */
export class MemoryRateLimiter implements RateLimiter {
  private readonly counters = new Map<string, { burstIndex: number; burst: number; day: number; daily: number }>();

  constructor(readonly limits: RateLimits) {}

  hit(key: string, now: number): RateVerdict {
    const w = windowsOf(this.limits, now);
    let c = this.counters.get(key);
    if (!c) {
      c = { burstIndex: w.burstIndex, burst: 0, day: w.day, daily: 0 };
      this.counters.set(key, c);
    }
    if (c.burstIndex !== w.burstIndex) {
      c.burstIndex = w.burstIndex;
      c.burst = 0;
    }
    if (c.day !== w.day) {
      // A new day: counters of keys that went quiet are dropped, so the map cannot grow without end.
      for (const [k, other] of this.counters) if (other.day !== w.day && k !== key) this.counters.delete(k);
      c.day = w.day;
      c.daily = 0;
    }
    const refused = (this.limits.burstMax > 0 && c.burst >= this.limits.burstMax) || (this.limits.dailyMax > 0 && c.daily >= this.limits.dailyMax);
    if (refused) return verdict(this.limits, now, c.burst, c.daily, false);
    c.burst++;
    c.daily++;
    return verdict(this.limits, now, c.burst, c.daily, true);
  }

  async close(): Promise<void> {
    this.counters.clear();
  }
}
