// serve --redis: the server's side of the Redis store (src/rooms/redis/). Opens it, learns the shared default room,
// and links every room of the registry to its log in Redis: created rooms from now on, closed rooms' keys deleted.
import type { MessageLog } from "../room/index.js";
import { adoptHash } from "../room/log.js";
import type { HostedRoom, Rooms } from "../rooms/index.js";
import { sharedChallenges } from "../rooms/redis/challenges.js";
import { openRedisStore, type DefaultRoomIdentity } from "../rooms/redis/index.js";
import { watchRestarts } from "../rooms/redis/reseed.js";
import { adoptKey, adoptTokenKey, applyKey, keySharing } from "./store-keys.js";
import { sharedBuckets } from "../rooms/redis/buckets.js";
import { authBucketsOf } from "../rooms/redis/expiring-keys.js";

interface StoreOptions {
  /** How often each instance tells the others who is online through it; an entry stops counting after 3 times that
   * (an instance that died). @default AGENT_CHAT_PRESENCE_MS, else 5000 */
  presenceMs?: number;
  /** The host rotated the default room's password through another instance (serve saves it for this machine). */
  onDefaultPassword?: (password: string) => void;
}

export async function attachStore(url: string, mint: Omit<DefaultRoomIdentity, "password"> & { password?: string }, log: (line: string) => void, prefix?: string, so: StoreOptions = {}) {
  const store = await openRedisStore(url, { log, prefix });
  if (!mint.password) throw new Error("a password is required");
  const identity = await store.defaultRoom(mint as DefaultRoomIdentity);
  if (identity.password !== mint.password) log("redis: this server joins the rooms already in Redis: the default room keeps its password and host token");
  const learning = new Set<string>(); // rooms being adopted from Redis: not shared back
  const learnt = new Map<string, Promise<unknown>>();
  let registry: Rooms | undefined;
  // (A bad AGENT_CHAT_PRESENCE_MS falls back to the default; never below 50 ms.)
  const presenceMs = Math.max(50, so.presenceMs ?? (Number(process.env.AGENT_CHAT_PRESENCE_MS) || 5_000));
  let beating = false;
  /** Say who is online here, learn who is online elsewhere (src/rooms/redis/presence.ts). */
  async function presenceBeat() {
    if (!registry || beating) return;
    beating = true;
    try {
      const t = Date.now(); // the wall clock: entries are compared across processes
      for (const h of registry.list()) {
        const ps = h.room.participants;
        const mine = ps.all().filter((p) => ps.onlineHere(p) || ps.heldHere(p)).map((p) => ({
          name: p.name, folded: p.key, kind: p.kind, vouched: p.vouched, host: !!p.host, online: ps.onlineHere(p),
          ...(p.tokenHash && { token: p.tokenHash }), ...(p.identity && { key: p.identity.key }),
        }));
        const others = await store.presence.beat(h.id, mine, t, 3 * presenceMs);
        // Someone online only elsewhere is listed here too (a token holder adopted, a password-only sender learnt).
        for (const e of others) {
          try {
            if (!ps.byKey(e.folded)) e.token ? ps.adopt(e.token, e, 0) : ps.learnSender(e.name, 0);
          } catch {
            /* full here (ROOM_FULL): listed where it is online */
          }
        }
        const online = new Set(others.filter((e) => e.online).map((e) => e.folded));
        if (ps.setOnlineElsewhere(online, new Set(others.filter((e) => e.token).map((e) => e.folded)))) h.room.presenceChanged();
      }
    } catch {
      /* Redis away: presence elsewhere stays as last read until it is back */
    } finally {
      beating = false;
    }
  }
  const presenceTimer = setInterval(() => void presenceBeat(), presenceMs);
  presenceTimer.unref();
  let restarts: ReturnType<typeof watchRestarts> | undefined;
  const hostedOf = (id: string): HostedRoom | undefined => (registry?.has(id) ? registry.resolve(id) : undefined);
  return {
    identity,
    /** The failed-password limits, per address and overall, for every instance together (src/server/auth.ts). */
    authBuckets: sharedBuckets(store.client, authBucketsOf(store.prefix)),
    /** The log of the room with this id (appends go to Redis; the link exists once the room is followed). */
    logs: (roomId: string): MessageLog => {
      const l: MessageLog = {
      takeTokens: (specs, now, look) => store.link(roomId).takeTokens(specs, now, look),
      append: (body, guard) => {
        const reseeding = restarts?.pending(); // Redis just came back: its rooms are checked (re-seeded) first
        return reseeding ? reseeding.then(() => store.link(roomId).append(body, guard)) : store.link(roomId).append(body, guard);
      },
      shareToken: (h, p) => {
        store.link(roomId).shareToken(h, p);
        store.members.announce(roomId, { type: "joined", token: h, p }); // every instance knows the name is in use
      },
      findToken: async (h) => {
        const hosted = hostedOf(roomId);
        if (hosted) await adoptTokenKey(store.keys, hosted, h); // joined with an invite key? (revoked: 403 REVOKED)
        const shared = await store.link(roomId).findToken(h);
        if (shared) return shared;
        const removed = await store.members.revokedToken(roomId, h);
        return removed === undefined ? undefined : { removed };
      },
      shareRemoval: (name, folded, tokens) => store.members.remove(roomId, name, folded, tokens),
      shareUnban: (name, folded) => store.members.unban(roomId, name, folded),
      sharePassword: (password) => store.sharePassword(roomId, roomId === identity.id, password),
      dropToken: (h) => {
        store.link(roomId).dropToken(h);
        store.members.announce(roomId, { type: "gone", token: h });
      },
      shareSender: (name, folded) => store.members.sender(roomId, name, folded),
      claimHold: (name, folded, key) => store.members.claimHold(roomId, folded, name, key),
      sharePause: (state, stored) => store.link(roomId).sharePause(state, stored),
      adoptKey: async (secret) => {
        const hosted = hostedOf(roomId);
        if (hosted) await adoptKey(store.keys, hosted, secret, (h) => adoptHash(l, hosted.room.participants, h));
      },
      };
      return l;
    },
    /** Link every room, now and later; resolves once the default room's history is loaded. */
    async follow(rooms: Rooms, cap: number) {
      let first: Promise<unknown> | undefined;
      const closedElsewhere = new Set<string>();
      registry = rooms;
      rooms.onCreate((h) => {
        h.keys.shared = keySharing(store.keys, h, () => (rooms.options.now ?? Date.now)()); // the rooms' clock (tests inject one)
        // The room's log, then who the host removed (members.ts) and its invite keys, before any request for it is
        // answered.
        const loaded = store.attach(h.id, h.room, cap).then(async () => {
          const known = await store.members.load(h.id);
          for (const [, name] of known.barred) h.room.removedElsewhere(name, []);
          for (const { name, key, folded } of known.holds) h.room.participants.learnHold(name, key, false, folded);
          // Who holds a token now, as not seen lately (here): named, listed, online only as presence says.
          for (const [token, p] of known.tokens) {
            try {
              h.room.participants.adopt(token, p, 0);
            } catch {
              /* full here: learnt on its first request, as before */
            }
          }
          for (const folded of known.senders) h.room.participants.announcedElsewhere(folded); // no second "joined" line
          await h.keys.shared?.refresh();
        });
        first ??= loaded;
        if (learning.has(h.id)) learnt.set(h.id, loaded.finally(() => learnt.delete(h.id)));
        if (!h.isDefault && !learning.has(h.id)) void store.shareRoom(h.id, { title: h.room.title, password: h.password, keysOnly: h.keysOnly }).catch(() => {});
        h.onClose(() => {
          if (closedElsewhere.delete(h.id)) store.detach(h.id);
          else void store.drop(h.id).catch(() => {});
        });
      });
      // The host removed (or let back in) someone through another instance: this one follows at once.
      store.members.onEvent((id, e) => {
        if (!rooms.has(id)) return;
        const h = rooms.resolve(id);
        if (e.type === "remove") h.room.removedElsewhere(e.name, e.tokens);
        else if (e.type === "unban") h.room.unbannedElsewhere(e.name);
        else if (e.type === "key") applyKey(h, e.record, e.used);
        else if (e.type === "joined") h.room.participants.adopt(e.token, e.p);
        else if (e.type === "gone") h.room.participants.endToken(e.token);
        else if (e.type === "sender") h.room.participants.announcedElsewhere(e.folded);
        else if (e.type === "password" && !h.keysOnly) {
          h.setPassword(e.password);
          if (h.isDefault) so.onDefaultPassword?.(e.password);
        }
      });
      // The host closed a room on another instance: it ends here too (streams get their "closed" signal).
      store.onRemoteClose((id) => {
        if (!rooms.has(id)) return;
        closedElsewhere.add(id);
        rooms.close(id);
      });
      // Redis restarted empty: put back what this instance holds before appending again (reseed.ts).
      restarts = watchRestarts(store.client, store.prefix, cap, {
        rooms: () => rooms.list(),
        ensureRoom: async (h) => {
          if (h.isDefault) return store.defaultRoom({ ...identity, password: h.password ?? identity.password });
          if (!(await store.findRoom(h.id))) await store.shareRoom(h.id, { title: h.room.title, password: h.password, keysOnly: h.keysOnly });
        },
        // Removals, holds, announced senders and invite keys (members.ts, keys.ts), where Redis lost them.
        putBack: (h) => Promise.all([store.members.putBack(h.id, h.room.participants.sharedState()), store.keys.putBack(h.id, h.keys.all())]),
      }, log, store.ttlMs);
      await first;
    },
    /** serve --redis: a room id this instance does not know may be one another instance created; learn it first. */
    async learn(rooms: Rooms, id: string | undefined): Promise<void> {
      if (!id || rooms.has(id)) return void (await learnt.get(id ?? "")); // (still loading, for a request that came at once)
      const meta = await store.findRoom(id);
      if (!meta || rooms.has(id)) return void (await learnt.get(id));
      learning.add(id);
      try {
        rooms.adopt(id, { title: meta.title, password: meta.password ?? undefined, keysOnly: meta.keysOnly });
      } finally {
        learning.delete(id);
      }
      // Its history is read from Redis before the request that brought it here is answered.
      await learnt.get(id);
    },
    /** Join challenges, shared (any instance may get the join that spends one). */
    challenges: sharedChallenges(store.client, store.prefix),
    close: () => (clearInterval(presenceTimer), store.close()),
  };
}
