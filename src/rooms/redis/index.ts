// The Redis store (serve --redis): what an instance shares with the others through Redis.
//
//   const store = await openRedisStore(url, opts)   throws StoreUnreachable (serve exits 1 with its one line)
//   store.defaultRoom(mint)                          the default room's id, password and host token: the first
//                                                    instance stores its own, every later one reads them
//   store.attach(roomId, room)                       the room's log (ids, history, fan-out) lives in Redis now
//   store.close()                                    leave; the last instance out deletes the rooms' keys
//
// Fan-out: ONE subscription per instance (channel <prefix>messages, "<room id> <message JSON>"), dispatched to
// the room's link (log.ts), which hands messages to the room's local listeners (SSE, long-poll, WebSocket hubs).
// So a message costs one Redis delivery per instance, whatever the number of readers.
import { randomUUID } from "node:crypto";
import type { Redis } from "ioredis";
import type { Room } from "../../room/index.js";
import { connectRedis } from "./connect.js";
import { deleteExpiring } from "./expiring-keys.js";
import { channelOf, linkRoom, pausesOf, roomKeys as logKeys, type RoomLink } from "./log.js";
import { orUnavailable, unavailable } from "./unavailable.js";
import { createMembers, memberKeys } from "./members.js";
import { createSharedKeys, inviteKeyKeys } from "./keys.js";
import { createPresence, presenceKey } from "./presence.js";

interface RedisStoreOptions {
  /** A room's keys outlive the last instance that served it by this long (a crash leaves no reaper). @default 600000 */
  roomTtlMs?: number;
  /** How often each instance says it is alive and renews its rooms' keys. @default 10000 */
  heartbeatMs?: number;
  log?: (line: string) => void;
  /** Start of every key and of the channel: deployments (or tests) sharing one Redis keep apart. @default "agent-chat:" */
  prefix?: string;
}

interface SharedRoom {
  title: string;
  password: string | null;
  keysOnly: boolean;
}

export interface DefaultRoomIdentity {
  id: string;
  password: string;
  hostToken: string;
}


export async function openRedisStore(url: string, o: RedisStoreOptions = {}) {
  const { cmd, sub } = await connectRedis(url);
  const log = o.log ?? (() => {});
  const ttlMs = o.roomTtlMs ?? 600_000;
  const heartbeatMs = o.heartbeatMs ?? 10_000;
  const me = randomUUID();
  const prefix = o.prefix ?? "agent-chat:";
  const DEFAULT_KEY = `${prefix}default`;
  const INSTANCES_KEY = `${prefix}instances`;
  /** Every room with keys, so the last instance out deletes them all, rooms other instances created included. */
  const ROOMS_KEY = `${prefix}rooms`;
  /** Every key a room has in Redis (its log's, its members'): renewed, and deleted with the room. */
  const roomKeys = (id: string) => ({ ...logKeys(prefix, id), ...memberKeys(prefix, id), ...inviteKeyKeys(prefix, id), presence: presenceKey(prefix, id) });
  const links = new Map<string, RoomLink>();
  let closed = false;
  let down = false;

  sub.on("message", (channel: string, payload: string) => {
    if (channel !== channelOf(prefix)) return;
    const space = payload.indexOf(" ");
    const link = links.get(payload.slice(0, space));
    if (!link) return;
    const json = payload.slice(space + 1);
    // The id is the first field (the Lua script writes it so): no need to parse the whole message here.
    link.offer(Number(json.slice(6, json.indexOf(","))), json);
  });
  // After a reconnect the subscription is renewed by the client; what was published meanwhile is read back.
  sub.on("ready", () => {
    if (down) log("redis: connection back; catching up");
    down = false;
    for (const l of links.values()) void l.resync();
  });
  sub.on("close", () => {
    if (!closed && !down) log("redis: connection lost; answering 503 STORE_UNAVAILABLE until it is back");
    down = true;
  });
  // Rooms created with POST /rooms, shared: id → {title, password, keysOnly}; closes announced on a second channel.
  const META_KEY = `${prefix}roommeta`;
  const CLOSES = `${prefix}closes`;
  const closeListeners = new Set<(id: string) => void>();
  sub.on("message", (channel: string, id: string) => {
    if (channel === CLOSES) for (const fn of closeListeners) fn(id);
    else if (channel === pausesOf(prefix)) {
      const [roomId, from, state] = id.split(" ");
      if (from !== me) links.get(roomId!)?.pausedElsewhere(state ?? "");
    }
  });
  const members = createMembers(cmd, sub, { prefix, instance: me, ttlMs });
  const presence = createPresence(cmd, { prefix, instance: me, ttlMs });
  await sub.subscribe(channelOf(prefix), CLOSES, pausesOf(prefix), members.channel);

  const beat = async () => {
    const now = Date.now();
    const m = cmd.multi().zadd(INSTANCES_KEY, now + 3 * heartbeatMs, me).pexpire(META_KEY, ttlMs).pexpire(INSTANCES_KEY, ttlMs).pexpire(DEFAULT_KEY, ttlMs).pexpire(ROOMS_KEY, ttlMs);
    for (const id of links.keys()) for (const k of Object.values(roomKeys(id))) m.pexpire(k, ttlMs);
    await m.exec();
  };
  await beat();
  const timer = setInterval(() => void beat().catch(() => {}), heartbeatMs);
  timer.unref();

  return {
    client: cmd as Redis,
    /** How long a key lives without a heartbeat (every key this store writes carries it). */
    ttlMs,
    /** Removals, unbans and password rotations, shared (members.ts). */
    members,
    /** Invite keys, shared (keys.ts). */
    keys: createSharedKeys(cmd, { prefix, instance: me, ttlMs }),
    /** Who is online through which instance (presence.ts). */
    presence,
    /** The host rotated a room's password: its stored record follows, and every instance. */
    sharePassword: (roomId: string, isDefault: boolean, password: string) =>
      members.password(roomId, password, isDefault ? { key: DEFAULT_KEY } : { key: META_KEY, field: roomId }),
    prefix,
    /** The default room everyone shares: `mint()`'s values when this instance is the first, else the stored ones. */
    async defaultRoom(mint: DefaultRoomIdentity): Promise<DefaultRoomIdentity> {
      await cmd.set(DEFAULT_KEY, JSON.stringify(mint), "PX", ttlMs, "NX");
      const stored = await cmd.get(DEFAULT_KEY);
      return stored ? (JSON.parse(stored) as DefaultRoomIdentity) : mint;
    },
    /** The room's messages go through Redis from now on; resolves once this instance has the stored history. */
    async attach(roomId: string, room: Room, cap: number): Promise<RoomLink> {
      const link = linkRoom(cmd, roomId, room, { prefix, instance: me, cap, ttlMs, log });
      links.set(roomId, link);
      const paused = await cmd.get(roomKeys(roomId).paused).catch(() => null);
      if (paused) link.pausedElsewhere(paused);
      await cmd.sadd(ROOMS_KEY, roomId).catch(() => {});
      await link.resync();
      return link;
    },
    /** Stop following a room (closed elsewhere: its keys are already gone). */
    detach(roomId: string) {
      links.get(roomId)?.dispose();
      links.delete(roomId);
    },
    link(roomId: string): RoomLink {
      const l = links.get(roomId);
      if (!l) throw unavailable();
      return l;
    },
    /** The room was closed: its keys go now, and every instance closes it. */
    async drop(roomId: string) {
      links.get(roomId)?.dispose();
      links.delete(roomId);
      await cmd.multi().del(...Object.values(roomKeys(roomId))).srem(ROOMS_KEY, roomId).hdel(META_KEY, roomId).publish(CLOSES, roomId).exec();
    },
    /** A room created here, for the others to find. */
    async shareRoom(roomId: string, meta: SharedRoom) {
      await cmd.multi().hset(META_KEY, roomId, JSON.stringify(meta)).pexpire(META_KEY, ttlMs).exec();
    },
    /** A room another instance created (undefined: none, or closed). */
    async findRoom(roomId: string): Promise<SharedRoom | undefined> {
      const raw = await orUnavailable(cmd.hget(META_KEY, roomId));
      return raw ? (JSON.parse(raw) as SharedRoom) : undefined;
    },
    onRemoteClose(fn: (roomId: string) => void) {
      closeListeners.add(fn);
    },
    /** Leave: the last instance out (no other heartbeat within its deadline) deletes every room's keys. */
    async close() {
      if (closed) return;
      closed = true;
      clearInterval(timer);
      try {
        await presence.leave([...links.keys()]); // who was online here stops counting now
        await cmd.zrem(INSTANCES_KEY, me);
        await cmd.zremrangebyscore(INSTANCES_KEY, "-inf", Date.now());
        if ((await cmd.zcard(INSTANCES_KEY)) === 0) {
          const ids = new Set([...links.keys(), ...(await cmd.smembers(ROOMS_KEY))]);
          const rooms = [...ids].flatMap((id) => Object.values(roomKeys(id)));
          await cmd.del(DEFAULT_KEY, INSTANCES_KEY, ROOMS_KEY, META_KEY, ...rooms);
          await deleteExpiring(cmd, prefix); // rate limits, challenges, re-seed markers (not in roomKeys)
        }
      } catch {
        /* Redis is gone: the keys expire by themselves (roomTtlMs) */
      }
      for (const l of links.values()) l.dispose();
      links.clear();
      cmd.disconnect();
      sub.disconnect();
    },
  };
}
