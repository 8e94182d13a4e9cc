import { Redis } from 'ioredis';
import { verdict, windowsOf, type RateLimiter, type RateLimits, type RateVerdict } from './rate-limit.js';

/**
 * Checks both limits and counts the request in one round trip, atomically, so processes sharing
 * the counters can never let more through than the limit between them.
 */
const HIT = `
local b = tonumber(redis.call('GET', KEYS[1]) or '0')
local d = tonumber(redis.call('GET', KEYS[2]) or '0')
local bm = tonumber(ARGV[1])
local dm = tonumber(ARGV[3])
if (bm > 0 and b >= bm) or (dm > 0 and d >= dm) then return {0, b, d} end
b = redis.call('INCR', KEYS[1])
if b == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
d = redis.call('INCR', KEYS[2])
if d == 1 then redis.call('PEXPIRE', KEYS[2], ARGV[4]) end
return {1, b, d}
`;

/** How long after its window a counter is kept: covers clock skew between processes. */
const EXPIRY_MARGIN_MS = 60_000;

/** Counters in Redis, shared by every process that points at the same Redis. */
export class RedisRateLimiter implements RateLimiter {
  private readonly redis: Redis;

  constructor(
    readonly limits: RateLimits,
    url: string,
  ) {
    // Bounded: a Redis that does not answer fails the request's check instead of holding it.
    this.redis = new Redis(url, { lazyConnect: false, maxRetriesPerRequest: 1, connectTimeout: 2_000, commandTimeout: 2_000, enableOfflineQueue: true });
    this.redis.defineCommand('ghlRateHit', { numberOfKeys: 2, lua: HIT });
    // Connection errors surface through the commands that fail; without a listener they would crash the process.
    this.redis.on('error', () => undefined);
  }

  async hit(key: string, now: number): Promise<RateVerdict> {
    const w = windowsOf(this.limits, now);
    const run = (this.redis as unknown as { ghlRateHit(...args: Array<string | number>): Promise<[number, number, number]> }).ghlRateHit;
    const [allowed, burst, daily] = await run.call(
      this.redis,
      `ghl-objects:rl:${key}:b:${w.burstIndex}`,
      `ghl-objects:rl:${key}:d:${w.day}`,
      this.limits.burstMax,
      Math.max(1, w.burstEnd - now) + EXPIRY_MARGIN_MS,
      this.limits.dailyMax,
      Math.max(1, w.dayEnd - now) + EXPIRY_MARGIN_MS,
    );
    return verdict(this.limits, now, burst, daily, allowed === 1);
  }

  async close(): Promise<void> {
    this.redis.disconnect();
  }
}
