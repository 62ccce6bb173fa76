// One room's message log in Redis, and this instance's copy of it.
//
// Redis keeps, per room, a counter (ids) and a stream whose entry ids are the message ids (`<id>-0`), capped by
// count. One Lua script assigns the id, stores the message and publishes it, atomically: ids are strictly
// increasing by one per room whichever instance posts, and the publish order is the id order.
//
// Each instance keeps the room's history in memory as a mirror of the stream (src/room/history.ts), filled in id
// order by `offer` from three sources — its own appends, the instance's one subscription (feed.ts), and XRANGE
// when a gap shows (a lost publish, a reconnect). Ids being contiguous, a gap is simply "the next id is not the
// one expected". Readers (SSE, long-poll, WebSocket, GET /messages) then read the mirror as in the in-memory mode.
import type { Redis } from "ioredis";
import type { Message } from "../../protocol/types.js";
import type { MessageLog, Room } from "../../room/index.js";
import { AppendRefused, type AppendGuard, type AppendResult } from "../../room/log.js";
import type { BucketSpec } from "../../room/limits.js";
import { APPEND_SCRIPT } from "./script.js";
import { sharedBuckets } from "./buckets.js";
import { roomBucketsOf } from "./expiring-keys.js";
import { orUnavailable, unavailable } from "./unavailable.js";
import type { SharedParticipant } from "../../room/participants.js";

/** Every key and the channel start with the prefix ("agent-chat:"; tests give each server its own). */
export const channelOf = (prefix: string) => `${prefix}messages`;
/** Pauses and resumes: "<room id> <instance id> <state>". */
export const pausesOf = (prefix: string) => `${prefix}pauses`;
/**
 * Record chain hashes ("<id> <hash>", scored by id) with the key's expiry in the same step: a hash recorded after the
 * room was closed (or the last instance deleted everything) must not leave a key that nothing renews. The poster
 * (one hash per message) and reseed.ts (the ones Redis lost) both write them here, so the entry's form is one.
 */
export function recordChain(redis: Redis, chainKey: string, ttlMs: number, hashes: [id: number, hash: string][]) {
  const entries = hashes.flatMap(([id, hash]) => [id, `${id} ${hash}`]);
  return redis.multi().zadd(chainKey, ...entries).pexpire(chainKey, ttlMs).exec();
}

export const roomKeys = (prefix: string, roomId: string) => ({
  seq: `${prefix}room:${roomId}:seq`,
  log: `${prefix}room:${roomId}:log`,
  /** Participant tokens, by SHA-256 (never the token itself) → who they belong to. */
  tokens: `${prefix}room:${roomId}:tokens`,
  /** "host", "loop" or "" (agents may talk). */
  paused: `${prefix}room:${roomId}:paused`,
  /** The append script's state: b (the history's bytes), r (agent messages in a row), nf (the replay floor). */
  state: `${prefix}room:${roomId}:state`,
  /** Each message's chain hash as its poster computed it ("<id> <hash>", scored by id), from the one before the
   * oldest kept message on: an instance that starts after the oldest were dropped goes on from the same chain. */
  chain: `${prefix}room:${roomId}:chain`,
  /** The replay cache: fingerprint + nonce, scored by sentAt. */
  nonces: `${prefix}room:${roomId}:nonces`,
});


// KEYS: log, chain. ARGV: the first entry id wanted. The entries from there, and the chain hash recorded for the
// message before the first of them ("<id> <hash>", or false).
const READ_FROM = `
local entries = redis.call('XRANGE', KEYS[1], ARGV[1], '+')
local anchor = false
if entries[1] then
  local before = tonumber(string.match(entries[1][1], '^(%d+)')) - 1
  anchor = redis.call('ZRANGEBYSCORE', KEYS[2], before, before, 'LIMIT', 0, 1)[1] or false
end
return {entries, anchor}`;

/** How long a post waits for its own message to reach this instance's copy before answering 503. */
const INGEST_WAIT_MS = 10_000;

/** The script's refusal ({0, why, detail…}) as the room reads it. */
function refusal([why, a, b]: unknown[]): AppendRefused {
  switch (why) {
    case "UNREAD_WAITING":
      return new AppendRefused(why, { count: Number(a) });
    case "PAUSED":
      return new AppendRefused(why, { paused: a === "loop" ? "loop" : "host" });
    case "RATE_LIMITED":
      return new AppendRefused(why, { wait: Number(a), scope: b === "room" ? "room" : "sender" });
    default:
      return new AppendRefused(why as "REPLAYED" | "STALE_NONCE");
  }
}

export interface RoomLink extends MessageLog {
  takeTokens(specs: BucketSpec[], now: number, look?: boolean): Promise<number>;
  shareToken(tokenHash: string, p: SharedParticipant): void;
  findToken(tokenHash: string): Promise<SharedParticipant | undefined>;
  dropToken(tokenHash: string): void;
  /** `stored`: the append script already set it (the loop guard): only tell the other instances. */
  sharePause(state: "host" | "loop" | null, stored?: boolean): void;
  /** Another instance paused or resumed (or, at attach, the stored state). */
  pausedElsewhere(state: string): void;
  /** A stored message seen on the subscription (or anywhere): ingested in id order, a gap fetched first. */
  offer(id: number, json: string): void;
  /** Fetch whatever this instance missed (after a reconnect); also the first load. */
  resync(): Promise<void>;
  dispose(): void;
}

export function linkRoom(redis: Redis, roomId: string, room: Room, o: { prefix: string; instance: string; cap: number; ttlMs: number; log: (line: string) => void }): RoomLink {
  const keys = roomKeys(o.prefix, roomId);
  const channel = channelOf(o.prefix);
  const pending = new Map<number, string>();
  const waiters = new Set<{ id: number; done: () => void }>();
  let fetching: Promise<void> | undefined;
  let disposed = false;
  const joinBuckets = sharedBuckets(redis, roomBucketsOf(o.prefix, roomId));

  const last = () => room.history.lastId;

  function ingest(id: number, json: string, anchor?: string) {
    if (id !== last() + 1) {
      room.history.restart(id - 1); // the store no longer has the ones in between (capped)
      if (anchor !== undefined) room.identity.restartChain(id - 1, anchor);
      else if (id > 1) o.log(`redis: room ${roomId}: the chain hash before #${id} is not in Redis; this instance's chain (and its transcripts' chainStart) starts afresh there`);
    }
    room.ingest(JSON.parse(json) as Message, json);
  }

  /** The poster records its message's chain hash, for instances that start after the ones before it are dropped. */
  function recordHash(id: number) {
    const hash = room.identity.hashAt(id);
    if (hash !== undefined) recordChain(redis, keys.chain, o.ttlMs, [[id, hash]]).catch(() => {});
  }

  function drain() {
    for (let next = last() + 1, json = pending.get(next); json !== undefined; next = last() + 1, json = pending.get(next)) {
      pending.delete(next);
      ingest(next, json);
    }
    for (const [id] of pending) if (id <= last()) pending.delete(id);
    for (const w of waiters) if (w.id <= last()) (waiters.delete(w), w.done());
    if (pending.size) fetchMissing().catch(() => {});
  }

  /** XRANGE from the next expected id: fills a gap, or catches up after a reconnect. One at a time. */
  function fetchMissing(): Promise<void> {
    fetching ??= (async () => {
      try {
        const from = last() + 1;
        // The entries, and the chain hash before the first of them, read together (a trim in between would lose it).
        const [entries, anchor] = (await redis.eval(READ_FROM, 2, keys.log, keys.chain, `${from}-0`)) as [[string, string[]][], string | null];
        if (disposed) return;
        for (const [entryId, fields] of entries) {
          const id = Number(entryId.slice(0, entryId.indexOf("-")));
          if (id > last()) ingest(id, fields[1]!, anchor?.startsWith(`${id - 1} `) ? anchor.slice(anchor.indexOf(" ") + 1) : undefined);
        }
        // A hole may remain: ids another instance had taken but not yet stored when XRANGE ran. drain() reads again;
        // never skip them (only a read that returns later ids proves the earlier ones were trimmed away).
      } catch (err) {
        o.log(`redis: could not read room ${roomId}'s log (${(err as Error).message}); retrying when it is back`);
        throw unavailable();
      } finally {
        fetching = undefined;
      }
      drain();
    })();
    return fetching;
  }

  return {
    async append(body: string, guard: AppendGuard): Promise<AppendResult> {
      const maxBytes = Number.isFinite(room.options.historyBytes) ? room.options.historyBytes : -1;
      const reply = (await orUnavailable(
        redis.eval(APPEND_SCRIPT, 6, keys.seq, keys.log, keys.state, keys.paused, keys.nonces, keys.chain, body, o.cap, channel, roomId, o.ttlMs, JSON.stringify(guard), maxBytes, roomBucketsOf(o.prefix, roomId)),
      )) as [number, string, ...unknown[]];
      const id = Number(reply[0]);
      if (!id) throw refusal(reply.slice(1));
      const result: AppendResult = reply[1] ? { id, loop: reply[1] as "paused" | "lifted" } : { id };
      const json = `{"id":${id},${body.slice(1)}`;
      if (id <= last()) return recordHash(id), result; // the subscription was faster than the script's answer
      // Answer once this instance's copy has it: a reader here right after the 201 sees it.
      await new Promise<void>((resolve, reject) => {
        const w = { id, done: () => (clearTimeout(t), resolve()) };
        const t = setTimeout(() => (waiters.delete(w), reject(unavailable())), INGEST_WAIT_MS);
        waiters.add(w);
        this.offer(id, json);
      });
      recordHash(id);
      return result;
    },
    takeTokens: (specs, now, look) => joinBuckets.run(look ? "wait" : "take", specs, now),
    shareToken(tokenHash, p) {
      // Fire and forget: a token is used on this instance at once; others ask Redis when it first reaches them.
      redis
        .multi()
        .hset(keys.tokens, tokenHash, JSON.stringify(p))
        .pexpire(keys.tokens, o.ttlMs)
        .exec()
        .catch(() => o.log(`redis: could not share a token of room ${roomId}; it works on this instance only`));
    },
    dropToken(tokenHash) {
      // Sent before any later lookup on the same connection, so a lookup after a leave never finds it.
      redis.hdel(keys.tokens, tokenHash).catch(() => o.log(`redis: could not end a token of room ${roomId} in Redis`));
    },
    sharePause(state, stored) {
      const m = redis.multi();
      // A resume (the host's, or a human's message) starts the loop guard's count again, as in memory. The loop
      // guard's own pause and lift are set by the append script: setting them again here could undo a change another
      // instance made in between.
      if (!stored) {
        if (!state) m.hset(keys.state, "r", 0);
        m.set(keys.paused, state ?? "", "PX", o.ttlMs);
      }
      m.publish(pausesOf(o.prefix), `${roomId} ${o.instance} ${state ?? ""}`)
        .exec()
        .catch(() => o.log(`redis: could not share a pause of room ${roomId}; other instances did not follow`));
    },
    pausedElsewhere(state) {
      room.pausedElsewhere(state === "host" || state === "loop" ? state : null);
    },
    async findToken(tokenHash) {
      const raw = await orUnavailable(redis.hget(keys.tokens, tokenHash));
      return raw ? (JSON.parse(raw) as SharedParticipant) : undefined;
    },
    offer(id, json) {
      if (disposed || id <= last()) return;
      pending.set(id, json);
      drain();
    },
    async resync() {
      if (!disposed) await fetchMissing().catch(() => {});
    },
    dispose() {
      disposed = true;
      pending.clear();
    },
  };
}
