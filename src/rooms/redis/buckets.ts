// Rate-limit buckets in Redis (serve --redis) for what is not a message: joins (per room) and failed passwords (per
// server). The same token buckets as memory's (src/room/limits.ts), in one script run, on the calling instance's
// clock: every instance together keeps to one limit. Posts take theirs in the append script.
import type { Redis } from "ioredis";
import type { BucketSpec } from "../../room/limits.js";
import { BUCKETS_SCRIPT } from "./script.js";
import { orUnavailable } from "./unavailable.js";

export interface SharedBuckets {
  /** The longest wait in seconds among `specs` (0: each has a token). "take": one token from each, or none when any
   * must wait; "wait": only look; "each": one from each that has one. 503 STORE_UNAVAILABLE without Redis. */
  run(mode: "take" | "wait" | "each", specs: BucketSpec[], now: number): Promise<number>;
}

/** Buckets whose keys start with `keyPrefix` (expiring-keys.ts: roomBucketsOf, authBucketsOf; the last instance out
 * deletes them there). */
export function sharedBuckets(redis: Redis, keyPrefix: string): SharedBuckets {
  return {
    async run(mode, specs, now) {
      if (!specs.length) return 0;
      return Number(await orUnavailable(redis.eval(BUCKETS_SCRIPT, 0, keyPrefix, now, JSON.stringify(specs), mode)));
    },
  };
}
