// Token buckets: per-sender message rate, failed-auth rate per address and overall.

export interface Bucket {
  /** Take one token; returns 0 when allowed, else the seconds to wait (for Retry-After). */
  take(key: string, now?: number): number;
  /** Seconds until `key` may act again without taking a token (0 when it may now). */
  wait(key: string, now?: number): number;
}

/**
 * `perMinute` tokens refill evenly over a minute; up to `burst` can be spent at once.
 * Idle keys are forgotten once full again, so the map cannot grow without bound from one-off addresses.
 */
export function createBucket(perMinute: number, burst: number, maxKeys = 100_000): Bucket {
  const ratePerMs = perMinute / 60_000;
  const state = new Map<string, { tokens: number; at: number }>();

  function refill(key: string, now: number) {
    let s = state.get(key);
    if (!s) {
      if (state.size >= maxKeys) sweep(now);
      s = { tokens: burst, at: now };
      state.set(key, s);
    } else {
      s.tokens = Math.min(burst, s.tokens + (now - s.at) * ratePerMs);
      s.at = now;
    }
    return s;
  }

  function sweep(now: number) {
    for (const [k, s] of state) if (s.tokens + (now - s.at) * ratePerMs >= burst) state.delete(k);
    // Still full of active keys: forget the oldest rather than grow (an attacker rotating keys gains a refill).
    if (state.size >= maxKeys) state.delete(state.keys().next().value as string);
  }

  const secondsFor = (missing: number) => Math.max(1, Math.ceil(missing / ratePerMs / 1000));

  return {
    take(key, now = Date.now()) {
      if (perMinute <= 0) return 0;
      const s = refill(key, now);
      if (s.tokens >= 1) {
        s.tokens -= 1;
        return 0;
      }
      return secondsFor(1 - s.tokens);
    },
    wait(key, now = Date.now()) {
      if (perMinute <= 0) return 0;
      const s = state.get(key);
      if (!s) return 0;
      const tokens = Math.min(burst, s.tokens + (now - s.at) * ratePerMs);
      return tokens >= 1 ? 0 : secondsFor(1 - tokens);
    },
  };
}
