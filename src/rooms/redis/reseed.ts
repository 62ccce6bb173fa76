// serve --redis: Redis came back EMPTY (restarted without its append-only file, or replaced). The rooms' id counters
// would start again from 1: the new messages would take ids that readers already hold (every instance would drop
// them as already seen, and a reader's cursor would point past them). So after every reconnect each instance puts
// back what it still holds before it appends again:
//
//   - each room's id counter, raised to the highest id this instance holds (a Lua max: whichever instance holds
//     the most wins, and a counter that moved on is never lowered), and its copy of the messages put back in the
//     stream above what the stream has (with the fields the append script reads), so ids go on from where they
//     were, readers keep their cursors, and an instance that lags (or starts later) reads the history from Redis —
//     with the messages' chain hashes (and the one before the first), so it goes on from the same hash chain;
//   - the replay cache's floor set to now: the cache itself is gone, so no signature made before can be sent again;
//   - the default room's id, password and host token (SET NX), the created rooms' records, and — from every
//     instance, once a room is found re-seeded — the participant tokens it knows (hashed, only where absent) and
//     the pause.
//
// Also put back, through `putBack` (src/server/store.ts): removals, name holds, announced senders, invite keys.
// Not put back: what no instance keeps (tokens no running instance had seen, the loop guard's
// count, rate-limit buckets; README "Running it for an organisation"). A counter that is present makes the check a
// no-op: a network blip, or a restart with persistence, changes nothing.
import type { Redis } from "ioredis";
import type { HostedRoom } from "../index.js";
import { foldName } from "../../protocol/names.js";
import type { Message } from "../../protocol/types.js";
import { jsonCost } from "../../room/history.js";
import { recordChain, roomKeys } from "./log.js";
import { reseedMarker } from "./expiring-keys.js";
import { unavailable } from "./unavailable.js";

// KEYS: seq, log, marker, state. ARGV: key lifetime (ms), the highest id held, now (ms), then per message (oldest
// first) its id, JSON, cost, sender and recipient as the append script writes them (script.ts: fields m, c, f, t).
// Returns 1: this instance re-seeded the room; 2: another one did, lately (the marker lives a minute); 0: nothing
// was lost.
const RESEED = `
local cur = tonumber(redis.call('GET', KEYS[1]) or '0')
local top = tonumber(ARGV[2])
if cur >= top then
  if redis.call('EXISTS', KEYS[3]) == 1 then return 2 end
  return 0
end
local have = 0
local newest = redis.call('XREVRANGE', KEYS[2], '+', '-', 'COUNT', 1)
if #newest > 0 then have = tonumber(string.match(newest[1][1], '^(%d+)')) end
local bytes = 0
for i = 4, #ARGV, 5 do
  local id = tonumber(ARGV[i])
  if id > have then
    redis.call('XADD', KEYS[2], id .. '-0', 'm', ARGV[i + 1], 'c', ARGV[i + 2], 'f', ARGV[i + 3], 't', ARGV[i + 4])
    bytes = bytes + tonumber(ARGV[i + 2])
    have = id
  end
end
redis.call('HINCRBY', KEYS[4], 'b', bytes)
-- The replay cache is gone with the rest: refuse every signature made before now, so none can be sent again.
if tonumber(redis.call('HGET', KEYS[4], 'nf') or '0') < tonumber(ARGV[3]) then redis.call('HSET', KEYS[4], 'nf', ARGV[3]) end
redis.call('SET', KEYS[1], top, 'PX', ARGV[1])
redis.call('PEXPIRE', KEYS[2], ARGV[1])
redis.call('PEXPIRE', KEYS[4], ARGV[1])
redis.call('SET', KEYS[3], '1', 'PX', 60000)
return 1`;

interface ReseedSource {
  /** Every room this instance serves, the default one included. */
  rooms(): HostedRoom[];
  /** Put back the room's record where it is gone (the default room's id, password and host token; a created
   * room's title, password and keys-only flag). */
  ensureRoom(h: HostedRoom): Promise<unknown>;
  /** Put back the rest of what this instance knows of the room (removals, holds, invite keys: src/server/store.ts). */
  putBack?(h: HostedRoom): Promise<unknown>;
}

/**
 * Watch the command connection: from its reconnect until the rooms are checked (and re-seeded if Redis lost them),
 * `pending()` is a promise appends wait for, so that none takes an id from an emptied counter; otherwise undefined
 * (the hot path pays nothing). While Redis is down appends fail at once (503), as before.
 */
/** `ttlMs`: the store's key lifetime (rooms/redis/index.ts), so keys put back expire like the rest. */
export function watchRestarts(cmd: Redis, prefix: string, cap: number, src: ReseedSource, log: (line: string) => void, ttlMs: number) {
  let dropped = false;
  let gate: { promise: Promise<void>; open: () => void; fail: (e: unknown) => void } | undefined;

  /** Let the appends waiting at the gate go (or fail them), and open it. */
  const release = (err?: unknown) => {
    const g = gate;
    gate = undefined;
    if (g) err ? g.fail(err) : g.open();
  };

  cmd.on("close", () => {
    dropped = true;
    release(unavailable());
  });
  cmd.on("ready", () => {
    if (!dropped) return;
    release(unavailable());
    let open!: () => void;
    let fail!: (e: unknown) => void;
    const promise = new Promise<void>((res, rej) => ((open = res), (fail = rej)));
    promise.catch(() => {}); // nobody may be waiting
    const g = (gate = { promise, open, fail });
    reseedAll().then(
      () => gate === g && release(),
      (err: unknown) => {
        // Redis went again mid-way: the next "ready" checks again.
        log(`redis: could not check the rooms after the reconnect (${(err as Error).message}); trying again at the next one`);
        if (gate === g) release(unavailable());
      },
    );
  });

  async function reseedAll() {
    const rooms = src.rooms().filter((h) => !h.closed);
    // First every room's counter and stream (what keeps ids from repeating), then the rest: a failure in one room's
    // put-back must not leave another room's counter unchecked.
    const seeded = new Map<HostedRoom, number>();
    for (const h of rooms) await each(h, "its ids", async () => seeded.set(h, await reseedRoom(h)));
    for (const h of rooms) {
      await each(h, "its record", () => src.ensureRoom(h));
      const s = seeded.get(h);
      if (!s) continue;
      if (s === 1) log(`redis: room ${h.id} was gone from Redis after the reconnect (restarted without persistence?): its ids go on after #${h.room.history.lastId}; ${Math.min(h.room.history.size, cap)} messages put back`);
      // Every instance puts back what it knows (the one that re-seeded the counter knows only its own tokens).
      await each(h, "its tokens and pause", () => putBackState(h));
      if (src.putBack) await each(h, "its members and keys", () => src.putBack!(h));
    }
  }

  /** One step for one room: Redis gone again fails the whole check (the next reconnect runs it again); anything
   * else is logged and the other rooms go on. */
  async function each(h: HostedRoom, what: string, step: () => Promise<unknown>) {
    try {
      await step();
    } catch (err) {
      if (cmd.status !== "ready") throw err;
      log(`redis: could not put back ${what} for room ${h.id} after the reconnect: ${(err as Error)?.message ?? err}`);
    }
  }

  /** The room's counter and stream, from this instance's mirror (RESEED's answer). */
  async function reseedRoom(h: HostedRoom): Promise<number> {
    const history = h.room.history;
    if (!history.lastId) return 0;
    const keys = roomKeys(prefix, h.id);
    const marker = reseedMarker(prefix, h.id);
    // The usual case (a blip, or a restart with persistence) costs one small round trip; the messages are sent only
    // when the counter is behind (RESEED checks again, atomically).
    const [[, seq], [, seeded]] = (await cmd.multi().get(keys.seq).exists(marker).exec()) as [[unknown, string | null], [unknown, number]];
    if (Number(seq ?? 0) >= history.lastId) return seeded ? 2 : 0;
    const slice = history.since(Math.max(history.oldestId - 1, history.lastId - cap), cap);
    const args: (string | number)[] = [ttlMs, history.lastId, Date.now()];
    let id = slice.next - slice.items.length;
    for (const json of slice.items) {
      // As the append script stores it: without the chain hash (each instance links what it ingests).
      const { hash: _hash, ...m } = JSON.parse(json) as Message;
      args.push(++id, JSON.stringify(m), jsonCost(json), m.kind === "system" ? "" : foldName(m.agent), m.to === undefined ? "" : foldName(m.to));
    }
    const done = Number(await cmd.eval(RESEED, 4, keys.seq, keys.log, marker, keys.state, ...args));
    // The chain hashes too (script.ts, "the hash chain's anchor"), the one before the first message put back
    // included: an instance that starts later goes on from the same chain (test/redis/append-shared.test.ts).
    const first = slice.next - slice.items.length + 1;
    const chain: [number, string][] = [];
    for (let k = first - 1; k <= slice.next; k++) {
      const hash = h.room.identity.hashAt(k);
      if (hash !== undefined && k > 0) chain.push([k, hash]);
    }
    if (done === 1 && chain.length) await recordChain(cmd, keys.chain, ttlMs, chain);
    return done;
  }

  /** Participant tokens (hashed, only where absent) and the pause, as this instance knows them. */
  async function putBackState(h: HostedRoom) {
    const keys = roomKeys(prefix, h.id);
    const m = cmd.multi();
    for (const p of h.room.participants.all()) {
      if (!p.tokenHash) continue;
      m.hsetnx(keys.tokens, p.tokenHash, JSON.stringify({ name: p.name, kind: p.kind, vouched: p.vouched, host: !!p.host, ...(p.identity && { key: p.identity.key }) }));
    }
    m.pexpire(keys.tokens, ttlMs);
    if (h.room.paused) m.set(keys.paused, h.room.paused, "PX", ttlMs, "NX");
    await m.exec();
  }

  return {
    /** A promise while the store is being checked after a reconnect; undefined when appends may go. */
    pending(): Promise<void> | undefined {
      return gate?.promise;
    },
  };
}
