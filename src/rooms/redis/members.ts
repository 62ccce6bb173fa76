// Who may speak, shared between instances (serve --redis): the host's removals (barred names, revoked tokens) and
// unbans. The state lives in Redis, so an instance that meets a room (or a token) later reads it there; every change
// is also published on one channel (<prefix>members), so instances that already know the room act at once — end the
// removed participant's streams, polls and sockets, refuse its token and its name.
//
//   room:<id>:barred    hash: folded name → the name as the host removed it
//   room:<id>:revoked   hash: SHA-256 of a removed participant's token → its name (answers 403 REMOVED, not 401)
//   room:<id>:senders   hash: folded name → name of every password-only sender announced ("joined") in the room
//   room:<id>:holds     hash: folded name → {name, key}: the agent key that first joined under the name holds it
//                       for the room's life (README "Known agents"), whichever instance it joined through
//
// Joins and leaves are published too (the token's hash and who it belongs to, as room:<id>:tokens keeps them), so
// every instance knows who is in the room — names in use, holders, the people list — not only those that reached it.
import type { Redis } from "ioredis";
import type { StoredKey } from "../keys.js";
import type { SharedParticipant } from "../../room/participant.js";
import { roomKeys as logKeys } from "./log.js";
import { foldName } from "../../protocol/names.js";
import { execOrUnavailable, orUnavailable, unavailable } from "./unavailable.js";

export const memberKeys = (prefix: string, roomId: string) => ({
  barred: `${prefix}room:${roomId}:barred`,
  revoked: `${prefix}room:${roomId}:revoked`,
  holds: `${prefix}room:${roomId}:holds`,
  senders: `${prefix}room:${roomId}:senders`,
});

// The room's record (the default room's JSON, or a created room's field of roommeta) with its password replaced, so
// an instance that starts or meets the room later shows and checks the current one. KEYS: record; ARGV: password,
// field ("" for the default room's own key).
const SET_PASSWORD = `
local raw
if ARGV[2] == '' then raw = redis.call('GET', KEYS[1]) else raw = redis.call('HGET', KEYS[1], ARGV[2]) end
if not raw then return 0 end
local t = cjson.decode(raw)
t.password = ARGV[1]
if ARGV[2] == '' then redis.call('SET', KEYS[1], cjson.encode(t), 'KEEPTTL') else redis.call('HSET', KEYS[1], ARGV[2], cjson.encode(t)) end
return 1`;

/** Is this stored participant (room:<id>:tokens' JSON) the folded name? */
function sameName(json: string, folded: string): boolean {
  try {
    return foldName((JSON.parse(json) as SharedParticipant).name) === folded;
  } catch {
    return false;
  }
}

export const membersChannel = (prefix: string) => `${prefix}members`;

/** What one instance tells the others about a room's members. */
type MemberEvent =
  | { type: "remove"; name: string; folded: string; tokens: string[] }
  | { type: "unban"; name: string; folded: string }
  | { type: "password"; password: string }
  /** A participant token issued (a join) or ended (a leave, a key's new session) through another instance. */
  | { type: "joined"; token: string; p: SharedParticipant }
  | { type: "gone"; token: string }
  /** A password-only sender's first post (its "joined" line is written): the others know it is no newcomer. */
  | { type: "sender"; name: string; folded: string }
  /** An invite key minted, joined or revoked (keys.ts): its record as stored, and its joins counted. */
  | { type: "key"; record: StoredKey; used?: number };

export interface MemberState {
  /** [folded, name as removed] */
  barred: [string, string][];
  /** Names held by an agent key (`folded` when put back after a Redis restart, which knows no more). */
  holds: { name: string; key: string; folded?: string }[];
  /** [token hash, its participant]: who holds a token now. */
  tokens: [string, SharedParticipant][];
  /** Password-only senders already announced (folded names). */
  senders: string[];
}

export function createMembers(cmd: Redis, sub: Redis, o: { prefix: string; instance: string; ttlMs: number }) {
  const channel = membersChannel(o.prefix);
  const listeners = new Set<(roomId: string, e: MemberEvent) => void>();
  sub.on("message", (ch: string, payload: string) => {
    if (ch !== channel) return;
    let m: { room: string; from: string; event: MemberEvent };
    try {
      m = JSON.parse(payload) as typeof m;
    } catch {
      return;
    }
    if (m.from === o.instance) return; // this instance acted already
    for (const fn of listeners) {
      try {
        fn(m.room, m.event);
      } catch {
        // (A join another instance took that this one cannot list — its room is full here: the participant is
        // learnt, or refused, on its first request here, as before.)
      }
    }
  });
  const publish = (roomId: string, event: MemberEvent) => JSON.stringify({ room: roomId, from: o.instance, event });

  return {
    channel,
    onEvent(fn: (roomId: string, e: MemberEvent) => void) {
      listeners.add(fn);
    },
    /** The host removed `name`: barred, its tokens refused with REMOVED, on every instance. */
    async remove(roomId: string, name: string, folded: string, known: string[]) {
      const k = memberKeys(o.prefix, roomId);
      // Tokens of that name issued through other instances that this one never met: found in the room's tokens.
      const all = await orUnavailable(cmd.hgetall(logKeys(o.prefix, roomId).tokens));
      const tokens = [...new Set([...known, ...Object.entries(all).filter(([, j]) => sameName(j, folded)).map(([h]) => h)])];
      const m = cmd.multi().hset(k.barred, folded, name).pexpire(k.barred, o.ttlMs);
      for (const t of tokens) m.hset(k.revoked, t, name).hdel(logKeys(o.prefix, roomId).tokens, t);
      if (tokens.length) m.pexpire(k.revoked, o.ttlMs);
      m.publish(channel, publish(roomId, { type: "remove", name, folded, tokens }));
      await execOrUnavailable(m);
    },
    async unban(roomId: string, name: string, folded: string) {
      const k = memberKeys(o.prefix, roomId);
      await execOrUnavailable(cmd.multi().hdel(k.barred, folded).publish(channel, publish(roomId, { type: "unban", name, folded })));
    },
    /** The host rotated the room's password: stored in the room's record (`where`), and every instance follows. */
    async password(roomId: string, password: string, where: { key: string; field?: string }) {
      await execOrUnavailable(cmd.multi().eval(SET_PASSWORD, 1, where.key, password, where.field ?? "").publish(channel, publish(roomId, { type: "password", password })));
    },
    /** A token unknown here and not among the live ones: removed by the host? (its name) */
    async revokedToken(roomId: string, tokenHash: string): Promise<string | undefined> {
      return (await orUnavailable(cmd.hget(memberKeys(o.prefix, roomId).revoked, tokenHash))) ?? undefined;
    },
    /** What an instance meeting the room reads first. */
    async load(roomId: string): Promise<MemberState> {
      const k = memberKeys(o.prefix, roomId);
      const [barred, holds, tokens, senders] = await Promise.all([cmd.hgetall(k.barred), cmd.hgetall(k.holds), cmd.hgetall(logKeys(o.prefix, roomId).tokens), cmd.hgetall(k.senders)]);
      return {
        barred: Object.entries(barred),
        holds: Object.values(holds).map((j) => JSON.parse(j) as { name: string; key: string }),
        tokens: Object.entries(tokens).map(([h, j]) => [h, JSON.parse(j) as SharedParticipant]),
        senders: Object.keys(senders),
      };
    },
    /** A password-only sender's first post here: stored and announced (fire and forget, as its post follows). */
    sender(roomId: string, name: string, folded: string) {
      const k = memberKeys(o.prefix, roomId).senders;
      cmd.multi().hset(k, folded, name).pexpire(k, o.ttlMs).publish(channel, publish(roomId, { type: "sender", name, folded })).exec().catch(() => {});
    },
    /** Redis came back empty (reseed.ts): put back what this instance knows, where absent. */
    async putBack(roomId: string, s: { barred: [string, string][]; revoked: [string, string][]; holds: [string, string][]; announced: string[] }) {
      const k = memberKeys(o.prefix, roomId);
      const m = cmd.multi();
      for (const [folded, name] of s.barred) m.hsetnx(k.barred, folded, name);
      for (const [token, name] of s.revoked) m.hsetnx(k.revoked, token, name);
      for (const [folded, key] of s.holds) m.hsetnx(k.holds, folded, JSON.stringify({ name: folded, folded, key }));
      for (const folded of s.announced) m.hsetnx(k.senders, folded, folded);
      for (const key of Object.values(k)) m.pexpire(key, o.ttlMs);
      await execOrUnavailable(m);
    },
    /** Tell the others about a token issued or ended here (fire and forget: the token itself is in Redis already). */
    announce(roomId: string, event: Extract<MemberEvent, { type: "joined" | "gone" }>) {
      cmd.publish(channel, publish(roomId, event)).catch(() => {});
    },
    /** A name first joined with agent key `key`: held by it (the first key wins, across instances). Resolves with the
     * holder's key when another key got there first. */
    async claimHold(roomId: string, folded: string, name: string, key: string): Promise<string | undefined> {
      const k = memberKeys(o.prefix, roomId).holds;
      // Not execOrUnavailable: a failed PEXPIRE alone (the third reply) does not fail the claim.
      const [[e1, set], [e2, held]] = ((await orUnavailable(cmd.multi().hsetnx(k, folded, JSON.stringify({ name, key })).hget(k, folded).pexpire(k, o.ttlMs).exec())) ?? []) as [Error | null, unknown][];
      if (e1 || e2) throw unavailable();
      if (set === 1) return undefined;
      const holder = (JSON.parse(String(held)) as { key: string }).key;
      return holder === key ? undefined : holder;
    },
  };
}
