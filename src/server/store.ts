// serve --redis: the server's side of the Redis store (src/rooms/redis/). Opens it, learns the shared default room,
// and links every room of the registry to its log in Redis: created rooms from now on, closed rooms' keys deleted.
import type { MessageLog } from "../room/index.js";
import type { Rooms } from "../rooms/index.js";
import { openRedisStore, type DefaultRoomIdentity } from "../rooms/redis/index.js";

export async function attachStore(url: string, mint: Omit<DefaultRoomIdentity, "password"> & { password?: string }, log: (line: string) => void, prefix?: string) {
  const store = await openRedisStore(url, { log, prefix });
  if (!mint.password) throw new Error("a password is required");
  const identity = await store.defaultRoom(mint as DefaultRoomIdentity);
  if (identity.password !== mint.password) log("redis: this server joins the rooms already in Redis: the default room keeps its password and host token");
  return {
    identity,
    /** The log of the room with this id (appends go to Redis; the link exists once the room is followed). */
    logs: (roomId: string): MessageLog => ({
      append: (body) => store.link(roomId).append(body),
      shareToken: (h, p) => store.link(roomId).shareToken(h, p),
      findToken: (h) => store.link(roomId).findToken(h),
      dropToken: (h) => store.link(roomId).dropToken(h),
    }),
    /** Link every room, now and later; resolves once the default room's history is loaded. */
    async follow(rooms: Rooms, cap: number) {
      let first: Promise<unknown> | undefined;
      rooms.onCreate((h) => {
        const loaded = store.attach(h.id, h.room, cap);
        first ??= loaded;
        h.onClose(() => void store.drop(h.id).catch(() => {}));
      });
      await first;
    },
    close: () => store.close(),
  };
}
