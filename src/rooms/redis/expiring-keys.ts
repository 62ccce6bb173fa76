// The Redis keys that expire by themselves, so they are in no room's key set (index.ts's roomKeys, renewed by the
// heartbeat and deleted with the room): the last instance out sweeps them by pattern (deleteExpiring, below).
// Each family has one builder here, used by its writer and — with "*" for the parts it does not know — by the sweep,
// so the two cannot drift apart.
//
//   auth:<bucket>:<key>                    failed-password buckets, per server (src/server/store.ts, auth.ts)
//   room:<id>:rl:<bucket>:<key>            a room's rate-limit buckets (joins here, posts in the append script)
//   room:<id>:challenge:<challenge>        an unspent join challenge (challenges.ts)
//   room:<id>:reseeded                     "this room was re-seeded a moment ago" (reseed.ts, lives a minute)
import type { Redis } from "ioredis";

/** Prefix of the failed-password buckets (the bucket script appends "<bucket>:<key>", script.ts). */
export const authBucketsOf = (prefix: string) => `${prefix}auth:`;
/** Prefix of a room's rate-limit buckets (the bucket and append scripts append "<bucket>:<key>"). */
export const roomBucketsOf = (prefix: string, roomId: string) => `${prefix}room:${roomId}:rl:`;
export const challengeKey = (prefix: string, roomId: string, challenge: string) => `${prefix}room:${roomId}:challenge:${challenge}`;
export const reseedMarker = (prefix: string, roomId: string) => `${prefix}room:${roomId}:reseeded`;

/** SCAN patterns matching every key above, whatever the room. */
const expiringPatterns = (prefix: string) => [`${authBucketsOf(prefix)}*`, `${roomBucketsOf(prefix, "*")}*`, challengeKey(prefix, "*", "*"), reseedMarker(prefix, "*")];

/** The last instance out: every key above goes too (they would expire within a minute or so by themselves). */
export async function deleteExpiring(redis: Redis, prefix: string): Promise<void> {
  for (const match of expiringPatterns(prefix)) {
    let cursor = "0";
    do {
      const [next, keys] = await redis.scan(cursor, "MATCH", match, "COUNT", 500);
      if (keys.length) await redis.unlink(...keys);
      cursor = next;
    } while (cursor !== "0");
  }
}
