// Who is online, across instances (serve --redis). Each instance says, every `beatMs`, which participants are online
// through it (an open stream, poll or socket, or a request within the presence grace) — one hash per room, one field
// per (instance, name), each entry carrying the time it stops counting (`until`, `expiryMs` after it was written).
// The same round trip reads the other instances' entries: a participant online anywhere is online everywhere (GET
// /room, `who`, the page's people list, WebSocket presence frames), and the entries of an instance that died stop
// counting `expiryMs` after its last beat. Expired entries are deleted by whoever reads them.
//
//   room:<id>:presence   hash: JSON [instance, folded name] → JSON {until, online, name, kind, vouched, host, token?, key?}
//                        (online false: a token holder idle there but still holding its name, README "Names")
import type { Redis } from "ioredis";
import type { SharedParticipant } from "../../room/participant.js";

export const presenceKey = (prefix: string, roomId: string) => `${prefix}room:${roomId}:presence`;

export interface PresenceEntry extends SharedParticipant {
  /** foldName(name) */
  folded: string;
  /** The token's SHA-256, for a token holder (so an instance that does not know the participant can adopt it). */
  token?: string;
  /** Online through that instance; false: only holding its name there (a token holder seen within the name hold). */
  online: boolean;
}

export function createPresence(cmd: Redis, o: { prefix: string; instance: string; ttlMs: number }) {
  return {
    /** Write this instance's online participants of a room (`until` = now + expiryMs); resolve with the others'
     * entries still valid. */
    async beat(roomId: string, mine: PresenceEntry[], now: number, expiryMs: number): Promise<PresenceEntry[]> {
      const key = presenceKey(o.prefix, roomId);
      const m = cmd.multi();
      if (mine.length) m.hset(key, ...mine.flatMap((e) => [JSON.stringify([o.instance, e.folded]), JSON.stringify({ ...e, until: now + expiryMs })]));
      m.hgetall(key).pexpire(key, o.ttlMs);
      const r = await m.exec();
      const all = (r?.[mine.length ? 1 : 0]?.[1] ?? {}) as Record<string, string>;
      const others: PresenceEntry[] = [];
      const stale: string[] = [];
      for (const [field, json] of Object.entries(all)) {
        const e = JSON.parse(json) as PresenceEntry & { until: number };
        if (e.until <= now) stale.push(field);
        else if ((JSON.parse(field) as [string, string])[0] !== o.instance) others.push(e);
      }
      if (stale.length) await cmd.hdel(key, ...stale);
      return others;
    },
    /** This instance stops: its entries go now rather than at their expiry. */
    async leave(roomIds: string[]) {
      const m = cmd.multi();
      for (const id of roomIds) {
        const key = presenceKey(o.prefix, id);
        const fields = Object.keys(await cmd.hgetall(key)).filter((f) => (JSON.parse(f) as [string])[0] === o.instance);
        if (fields.length) m.hdel(key, ...fields);
      }
      await m.exec();
    },
  };
}

export type Presence = ReturnType<typeof createPresence>;
