// serve --redis: what the shared store refused, as the room's own refusals. The store (src/rooms/redis/script.ts)
// checks in one atomic step what the in-memory room checks in one synchronous `post` — the pause, ifCaughtUp, the
// replay cache and the rate limits — so that every instance together keeps to one room's rules; its answers then
// read exactly as the in-memory room's (same status, code, message and Retry-After).
import { RoomError } from "../protocol/errors.js";
import { foldName } from "../protocol/names.js";
import type { CheckedSignature, RoomIdentity } from "./identity.js";
import type { PostPlan } from "./limits.js";
import { AppendRefused, type AppendGuard, type AppendResult } from "./log.js";
import { checkText, joinLimitedError, pausedError, postLimitedError, unreadWaitingError } from "./refusals.js";
import type { Origin, RoomLimits } from "./limits.js";
import type { MessageLog } from "./log.js";
import type { RoomOptions } from "../protocol/types.js";

interface RefusalContext {
  loopGuard: number;
  rateLimit: number;
  /** The poster joined as "human" with the password (a claim): the pause's message says why it still applies. */
  claimedHuman: boolean;
  /** Another instance paused agents and this one had not heard yet: it follows now. */
  pausedHere(state: "host" | "loop"): void;
}

/** The error to answer for a refused append (anything else, e.g. STORE_UNAVAILABLE, passes through). */
function sharedRefusal(err: unknown, c: RefusalContext & { after?: number }): unknown {
  if (!(err instanceof AppendRefused)) return err;
  const d = err.detail;
  switch (err.why) {
    case "UNREAD_WAITING":
      return unreadWaitingError(d.count ?? 1, c.after ?? 0);
    case "PAUSED":
      c.pausedHere(d.paused ?? "host");
      return pausedError(d.paused ?? "host", c.loopGuard, c.claimedHuman);
    case "REPLAYED":
      return new RoomError("REPLAYED", "This signed message was already sent (same nonce): sign a new one.");
    case "STALE_NONCE":
      return new RoomError("BAD_SIGNATURE", "Message signature refused: too old for the replay cache; sign it again. Nothing was sent.");
    case "RATE_LIMITED":
      return postLimitedError(d.wait ?? 1, d.scope, c.rateLimit);
  }
}

/**
 * A post's outcome in the store: stored (then its effects here: the nonce, and the loop guard's line if this message
 * paused agents or let them go on — stored before the poster hears back), or refused with the in-memory answer.
 */
export function settle(
  outcome: Promise<AppendResult>,
  c: RefusalContext & { after?: number; stored(): void; loop(what: "paused" | "lifted"): void; flush(): Promise<unknown> },
): Promise<unknown> {
  const done = outcome.then(
    (r) => {
      c.stored();
      if (r.loop) c.loop(r.loop);
      return c.flush();
    },
    (err: unknown) => {
      throw sharedRefusal(err, c);
    },
  );
  void done.catch(() => {}); // the route awaits it through room.flush(msg); nothing is left unhandled meanwhile
  return done;
}

/** What the store checks for a post (src/room/log.ts, AppendGuard): names as they compare, the plan of buckets, the nonce. */
export function postGuard(o: {
  name: string;
  to: string | undefined;
  human: boolean;
  loopGuard: number;
  caughtUpAfter: number | undefined;
  limits: PostPlan;
  signature: CheckedSignature | undefined;
  identity: Pick<RoomIdentity, "windowMs" | "maxNonces">;
}): Omit<AppendGuard, "now" | "cost"> {
  const s = o.signature;
  return {
    from: foldName(o.name),
    ...(o.to !== undefined && { to: foldName(o.to) }),
    speaker: o.human ? "human" : "agent",
    loopGuard: o.loopGuard,
    ...(o.caughtUpAfter !== undefined && { caughtUpAfter: o.caughtUpAfter }),
    limits: o.limits,
    ...(s && { nonce: { id: s.fingerprint + s.nonce, sentAt: Date.parse(s.sentAt), windowMs: o.identity.windowMs, max: o.identity.maxNonces } }),
  };
}

/**
 * serve --redis: the limits taken in Redis before the room acts (a join; a password-only post under a new name), for
 * every instance together. Without a shared store both do nothing (the room's own limits apply in join() and post()).
 */
export function sharedAdmission(o: {
  log: MessageLog | undefined;
  limits: RoomLimits;
  participants: { find(name: string): unknown; checkAvailable(name: string): void };
  options: RoomOptions;
  now: () => number;
  paused: () => "host" | "loop" | null;
}) {
  /** Origins whose join took its tokens in Redis (admitJoin), once. */
  const admitted = new WeakSet<Origin>();
  return {
    /** A password-only post under a name this instance does not know yet writes its "joined" line before the store
     * decides on the post: when the post limits would refuse it, refuse it here first, so that a name-rotating flood
     * leaves no lines behind (as in memory, where the limits come before any side effect). */
    async precheckPost(sender: { participant: unknown } | { name: string }, rawText: unknown, origin: Origin | undefined): Promise<void> {
      const log = o.log;
      if (!log?.takeTokens || "participant" in sender || o.participants.find(sender.name)) return;
      // What post() refuses before the limits is refused first, as post() would.
      checkText(rawText, o.options.maxTextBytes);
      const paused = o.paused();
      if (paused) throw pausedError(paused, o.options.loopGuard, false);
      o.participants.checkAvailable(sender.name);
      const plan = o.limits.postPlan(undefined, origin, foldName(sender.name));
      const mine = await log.takeTokens(plan.mine, o.now(), true);
      const all = mine ? 0 : await log.takeTokens(plan.room, o.now(), true);
      if (mine || all) throw postLimitedError(mine || all, mine ? "sender" : "room", o.options.rateLimit);
    },
    /** Take this join's tokens from the buckets every instance shares (429 when one is empty); the join with this
     * `origin` then takes none in the room (taken()). */
    async admitJoin(origin: Origin | undefined): Promise<void> {
      if (!o.log?.takeTokens || !origin) return;
      const wait = await o.log.takeTokens(o.limits.joinPlan(origin), o.now());
      if (wait) throw joinLimitedError(wait, o.options.joinLimit);
      admitted.add(origin);
    },
    /** Whether this origin's join tokens were taken in Redis already (once). */
    taken: (origin: Origin | undefined): boolean => !!origin && admitted.delete(origin),
  };
}
