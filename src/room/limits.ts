// Token buckets: per-sender message rate, failed-auth rate per address and overall.

interface Bucket {
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

/** Who is asking, as the transport knows it: the credential it proved and the address it came from. */
export interface Origin {
  /** A stable id of the credential: "password", "host", "token:<participant key>", "key:<key id>"… */
  credential: string;
  /** The client's address (behind a trusted tunnel, the tunnel's client-address header). */
  address: string;
}

interface RoomLimitOptions {
  /** Per-sender messages per minute; 0 turns every post limit off. */
  rateLimit: number;
  /** Posts per minute in the whole room; 0: 50 × rateLimit. */
  roomRateLimit: number;
  /** Joins per minute per address and per token/key; the whole room takes 10 × that; 0 turns join limits off. */
  joinLimit: number;
}

/** One bucket a check takes a token from: which limit (`bucket`), whose (`key`), and the limit's shape. The same
 * plan is checked here in memory, or by the Redis append script (src/rooms/redis/script.ts) with serve --redis. */
export interface BucketSpec {
  /** ps, pa, pr (posts: per sender, per address, the room), jp, ja (joins), fa, fo (failed passwords, src/server/auth.ts). */
  bucket: string;
  key: string;
  perMinute: number;
  burst: number;
}

/** A post's buckets: the sender's own (a refusal says "you"), then the room's (a refusal says "the room"). */
export interface PostPlan {
  mine: BucketSpec[];
  room: BucketSpec[];
}

/**
 * The room's rate limits, keyed by what a caller proved — its token, its key, its address — never by the name it
 * claims: a password-only sender rotating names is still one address. Every check is all-or-nothing: a refused
 * action takes no token from any bucket.
 */
export function createRoomLimits(o: RoomLimitOptions, now: () => number) {
  const roomRate = o.roomRateLimit || o.rateLimit * 50;
  const shape = {
    ps: [o.rateLimit, Math.max(1, Math.min(o.rateLimit, 20))],
    // Password-only posts are counted per address: the same sustained rate as one sender, with a larger burst, since
    // several of the predecessor's clients on one machine share an address.
    pa: [o.rateLimit, Math.max(1, Math.min(o.rateLimit * 3, 60))],
    pr: [roomRate, Math.max(1, Math.min(roomRate, 200))],
    jp: [o.joinLimit, o.joinLimit],
    ja: [o.joinLimit * 10, o.joinLimit * 10],
  } satisfies Record<string, [perMinute: number, burst: number]>;
  type Name = keyof typeof shape;
  const buckets = Object.fromEntries(Object.entries(shape).map(([b, [rate, burst]]) => [b, createBucket(rate, burst)])) as Record<Name, Bucket>;
  const spec = (bucket: Name, key: string): BucketSpec => ({ bucket, key, perMinute: shape[bucket][0], burst: shape[bucket][1] });
  const on = (s: BucketSpec) => s.perMinute > 0;

  /** Take one token from each bucket, or none: the longest wait when any is empty. */
  function takeAll(specs: BucketSpec[]): number {
    const t = now();
    const wait = Math.max(0, ...specs.map((s) => buckets[s.bucket as Name].wait(s.key, t)));
    if (wait) return wait;
    for (const s of specs) buckets[s.bucket as Name].take(s.key, t);
    return 0;
  }

  return {
    /** The buckets a post takes from. `sender` is the token holder's key, if any; `name` the folded name a
     * password-only post gives. */
    postPlan(sender: string | undefined, origin: Origin | undefined, name?: string): PostPlan {
      // A token holder is limited per token; a password-only post per address (its name proves nothing) and, as
      // before, per name. A claimed name is never the only key: rotating names from one address still meets the
      // address's limit.
      const mine = [spec("ps", `p:${sender ?? name}`)];
      if (sender === undefined) mine.push(spec("pa", `a:${origin?.address ?? "unknown"}`));
      return { mine: mine.filter(on), room: [spec("pr", "all")].filter(on) };
    },

    /** Seconds to wait before this post may go through (0: taken). */
    post(sender: string | undefined, origin: Origin | undefined, name?: string): { wait: number; scope: "sender" | "room" } {
      const plan = this.postPlan(sender, origin, name);
      const t = now();
      const mine = Math.max(0, ...plan.mine.map((s) => buckets[s.bucket as Name].wait(s.key, t)));
      if (mine) return { wait: mine, scope: "sender" };
      const all = Math.max(0, ...plan.room.map((s) => buckets[s.bucket as Name].wait(s.key, t)));
      if (all) return { wait: all, scope: "room" };
      for (const s of [...plan.mine, ...plan.room]) buckets[s.bucket as Name].take(s.key, t);
      return { wait: 0, scope: "sender" };
    },

    /** The buckets a join takes from (none when join limits are off). */
    joinPlan(origin: Origin | undefined): BucketSpec[] {
      if (o.joinLimit <= 0) return [];
      const specs = [spec("ja", "all")];
      if (origin) {
        specs.push(spec("jp", `a:${origin.address}`));
        // The password and the host token are shared by many people: the address and the room-wide limit
        // cover them. A token or key is one holder.
        if (origin.credential !== "password" && origin.credential !== "host") specs.push(spec("jp", `c:${origin.credential}`));
      }
      return specs;
    },

    /** Seconds to wait before this join may go through (0: taken). */
    join(origin: Origin | undefined): number {
      return takeAll(this.joinPlan(origin));
    },
  };
}

export type RoomLimits = ReturnType<typeof createRoomLimits>;
