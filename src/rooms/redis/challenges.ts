// serve --redis: join challenges (POST /challenge, README "Known agents") shared by every instance. Behind a
// balancer the POST /join that spends a challenge may reach another instance than the one that issued it (the CLI's
// `join` through nginx failed with "Unknown, used or expired challenge"). So an issued challenge
// lives in Redis only — one key each, expiring with it (the last instance out deletes unspent ones: expiring-keys.ts) —
// and the instance that gets the join takes it out with GETDEL before checking the proof: one use in all.
import type { Redis } from "ioredis";
import type { RoomIdentity } from "../../room/identity.js";
import { challengeKey } from "./expiring-keys.js";
import { orUnavailable } from "./unavailable.js";

export function sharedChallenges(cmd: Redis, prefix: string) {
  return {
    /** A challenge this instance just issued: moved from its memory to Redis, for whichever instance gets the join. */
    async share(roomId: string, identity: RoomIdentity, challenge: string): Promise<void> {
      const issued = identity.takeChallenge(challenge);
      if (!issued) return;
      await orUnavailable(cmd.set(challengeKey(prefix, roomId, challenge), JSON.stringify(issued), "PX", Math.max(1, issued.expires - Date.now())));
    },
    /** The challenge a join proof names, taken out of Redis (once, whichever instance asks first) into this room's
     * memory, where the proof's check spends it. A proof without one is left to that check to refuse. */
    async take(roomId: string, identity: RoomIdentity, proof: unknown): Promise<void> {
      const challenge = (proof as { challenge?: unknown } | null | undefined)?.challenge;
      if (typeof challenge !== "string" || !/^acc_[\w-]{1,64}$/.test(challenge)) return;
      const raw = await orUnavailable(cmd.getdel(challengeKey(prefix, roomId, challenge)));
      if (raw) identity.adoptChallenge(challenge, JSON.parse(raw) as { nameKey: string; expires: number });
    },
  };
}

export type SharedChallenges = ReturnType<typeof sharedChallenges>;
