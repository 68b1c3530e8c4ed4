/**
 * A token bucket per write key: `ratePerSecond` events a second on average, bursts up to
 * `burstSeconds` worth. Answers how long to wait when the bucket is short.
 */
export function createRateLimiter(ratePerSecond: number, burstSeconds = 5) {
  const capacity = ratePerSecond * burstSeconds;
  const buckets = new Map<string, { tokens: number; at: number }>();
  return {
    /** Takes `cost` tokens, or returns the seconds to wait before the request could pass. */
    take(
      key: string,
      cost: number,
      now = Date.now(),
    ): { ok: true } | { ok: false; retryAfterSeconds: number } {
      const bucket = buckets.get(key) ?? { tokens: capacity, at: now };
      bucket.tokens = Math.min(capacity, bucket.tokens + ((now - bucket.at) / 1000) * ratePerSecond);
      bucket.at = now;
      buckets.set(key, bucket);
      if (bucket.tokens >= cost) {
        bucket.tokens -= cost;
        return { ok: true };
      }
      return { ok: false, retryAfterSeconds: Math.max(1, Math.ceil((cost - bucket.tokens) / ratePerSecond)) };
    },
  };
}
