// Invite keys shared between instances (serve --redis). Only what one process keeps is stored — the key's SHA-256,
// never its secret — so a key minted through one instance works through every other one:
//
//   room:<id>:keys       hash: keyId → the key's record (JSON: label, hash, name, kind, uses, expiry, revoked,
//                        claimedBy, fingerprint, and `session`: the hash of the token its latest join minted)
//   room:<id>:keyhash    hash: SHA-256 of a key's secret → keyId
//   room:<id>:keyused    hash: keyId → joins counted (HINCRBY in the claim script: atomic across instances)
//   room:<id>:keytokens  hash: SHA-256 of a participant token → the keyId it was joined with (revoking stops it)
//
// Every change (mint, claim, revoke) is published on the members channel with the record, so instances that know the
// room follow at once; an instance that meets a key or a token later reads it here first.
import type { Redis } from "ioredis";
import { RoomError } from "../../protocol/errors.js";
import type { InviteKey, StoredKey } from "../keys.js";
import { roomKeys as logKeys } from "./log.js";
import { execOrUnavailable, orUnavailable } from "./unavailable.js";
import { membersChannel } from "./members.js";

export const inviteKeyKeys = (prefix: string, roomId: string) => ({
  keys: `${prefix}room:${roomId}:keys`,
  keyhash: `${prefix}room:${roomId}:keyhash`,
  keyused: `${prefix}room:${roomId}:keyused`,
  keytokens: `${prefix}room:${roomId}:keytokens`,
});

// KEYS: keys, keyused, keytokens, tokens (the participant tokens of the room, log.ts).
// ARGV: keyId, new token hash, name, kind, now (ISO), now (ms), channel, payload prefix, lifetime (ms).
// Refuses (revoked, expired, spent, or pinned to another name a moment ago through another instance) or counts one join, pins the name and kind at first use, makes the new token the
// key's session and ends the previous one (a key holds one session), then publishes the record.
const CLAIM = `
local raw = redis.call('HGET', KEYS[1], ARGV[1])
if not raw then return {'GONE'} end
local k = cjson.decode(raw)
if k.revoked then return {'REVOKED'} end
if k.expiresAt ~= cjson.null and tonumber(ARGV[6]) >= k.expiresAt then return {'KEY_EXPIRED'} end
local used = tonumber(redis.call('HGET', KEYS[2], ARGV[1]) or '0')
if k.uses ~= cjson.null and used >= k.uses then return {'KEY_USED_UP', tostring(used)} end
if k.name ~= cjson.null and k.name ~= ARGV[3] then return {'NAME_PINNED', k.name} end
used = redis.call('HINCRBY', KEYS[2], ARGV[1], 1)
if k.name == cjson.null then k.name = ARGV[3] end
if k.kind == cjson.null then k.kind = ARGV[4] end
if k.claimedBy == cjson.null then k.claimedBy = ARGV[3]; k.claimedAt = ARGV[5] end
local prev = k.session
if prev ~= nil and prev ~= cjson.null and prev ~= ARGV[2] then redis.call('HDEL', KEYS[4], prev) end
k.session = ARGV[2]
local json = cjson.encode(k)
redis.call('HSET', KEYS[1], ARGV[1], json)
redis.call('HSET', KEYS[3], ARGV[2], ARGV[1])
for i = 1, 3 do redis.call('PEXPIRE', KEYS[i], ARGV[9]) end
redis.call('PUBLISH', ARGV[7], ARGV[8] .. '"record":' .. json .. ',"used":' .. used .. '}}')
return {'OK', json, tostring(used)}`;

// KEYS: keys. ARGV: keyId, channel, payload prefix. Marks the key revoked and publishes the record.
const REVOKE = `
local raw = redis.call('HGET', KEYS[1], ARGV[1])
if not raw then return 0 end
local k = cjson.decode(raw)
k.revoked = true
local json = cjson.encode(k)
redis.call('HSET', KEYS[1], ARGV[1], json)
redis.call('PUBLISH', ARGV[2], ARGV[3] .. '"record":' .. json .. '}}')
return 1`;

/** A stored record as the local cache keeps it (cjson writes empty objects and nulls its own way). */
function parse(json: string, used: string | number | null | undefined): StoredKey {
  const r = JSON.parse(json) as StoredKey & { session?: string | null };
  return { ...r, used: Number(used ?? r.used ?? 0), session: r.session ?? null };
}

export function createSharedKeys(cmd: Redis, o: { prefix: string; instance: string; ttlMs: number }) {
  const channel = membersChannel(o.prefix);
  const head = (roomId: string) => `{"room":${JSON.stringify(roomId)},"from":${JSON.stringify(o.instance)},"event":{"type":"key",`;

  return {
    /** A key minted here: stored (its hash, never the secret) and announced. */
    async minted(roomId: string, key: StoredKey) {
      const k = inviteKeyKeys(o.prefix, roomId);
      const json = JSON.stringify({ ...key, used: 0, session: null });
      const m = cmd.multi().hset(k.keys, key.keyId, json).hset(k.keyhash, key.hash, key.keyId);
      for (const x of [k.keys, k.keyhash]) m.pexpire(x, o.ttlMs);
      m.publish(channel, `${head(roomId)}"record":${json},"used":0}}`);
      await execOrUnavailable(m);
    },

    /** A join with the key, counted in Redis: the stored record after it, or the refusal's code. */
    async claim(roomId: string, keyId: string, tokenHash: string, name: string, kind: string, now: number): Promise<{ ok: true; record: StoredKey } | { ok: false; code: string; used?: number; name?: string }> {
      const k = inviteKeyKeys(o.prefix, roomId);
      const r = (await orUnavailable(
        cmd.eval(CLAIM, 4, k.keys, k.keyused, k.keytokens, logKeys(o.prefix, roomId).tokens, keyId, tokenHash, name, kind, new Date(now).toISOString(), now, channel, head(roomId), o.ttlMs),
      )) as string[];
      if (r[0] === "OK") return { ok: true, record: parse(r[1]!, r[2]) };
      if (r[0] === "NAME_PINNED") return { ok: false, code: r[0], name: r[1] };
      return { ok: false, code: r[0]!, used: r[1] === undefined ? undefined : Number(r[1]) };
    },

    async revoke(roomId: string, keyId: string) {
      await orUnavailable(cmd.eval(REVOKE, 1, inviteKeyKeys(o.prefix, roomId).keys, keyId, channel, head(roomId)));
    },

    /** Redis came back empty (reseed.ts): put back the keys this instance knows, where absent. */
    async putBack(roomId: string, keys: InviteKey[]) {
      if (!keys.length) return;
      const k = inviteKeyKeys(o.prefix, roomId);
      const m = cmd.multi();
      for (const key of keys) {
        const { tokens, ...record } = key;
        m.hsetnx(k.keys, key.keyId, JSON.stringify({ ...record, session: key.session ?? null })).hsetnx(k.keyhash, key.hash, key.keyId).hsetnx(k.keyused, key.keyId, key.used);
        for (const t of tokens) m.hsetnx(k.keytokens, t, key.keyId);
      }
      for (const x of Object.values(k)) m.pexpire(x, o.ttlMs);
      await orUnavailable(m.exec());
    },

    /** The key whose secret hashes to `hash`, if any instance minted it. */
    async byHash(roomId: string, hash: string): Promise<StoredKey | undefined> {
      const k = inviteKeyKeys(o.prefix, roomId);
      const keyId = await orUnavailable(cmd.hget(k.keyhash, hash));
      return keyId ? this.get(roomId, keyId) : undefined;
    },

    /** The key a participant token was joined with, if any. */
    async byToken(roomId: string, tokenHash: string): Promise<StoredKey | undefined> {
      const keyId = await orUnavailable(cmd.hget(inviteKeyKeys(o.prefix, roomId).keytokens, tokenHash));
      return keyId ? this.get(roomId, keyId) : undefined;
    },

    async get(roomId: string, keyId: string): Promise<StoredKey | undefined> {
      const k = inviteKeyKeys(o.prefix, roomId);
      const [json, used] = await orUnavailable(Promise.all([cmd.hget(k.keys, keyId), cmd.hget(k.keyused, keyId)]));
      return json ? parse(json, used) : undefined;
    },

    /** Every key of the room (GET …/keys, an instance meeting the room). */
    async all(roomId: string): Promise<StoredKey[]> {
      const k = inviteKeyKeys(o.prefix, roomId);
      const [keys, used] = await orUnavailable(Promise.all([cmd.hgetall(k.keys), cmd.hgetall(k.keyused)]));
      return Object.entries(keys).map(([id, json]) => parse(json, used[id]));
    },
  };
}

export type SharedKeys = ReturnType<typeof createSharedKeys>;

/** A refusal from the claim script, as the error one process gives. */
export function claimRefusal(code: string, key: Pick<InviteKey, "label">, used?: number, name?: string): RoomError {
  if (code === "NAME_PINNED") return new RoomError("NAME_MISMATCH", `This invite key ("${key.label}") was first used as "${name}" a moment ago; it is pinned to that name: join again (without a name, or with "${name}").`);
  if (code === "KEY_USED_UP") return new RoomError("KEY_USED_UP", `This invite key ("${key.label}") was used ${used} time${used === 1 ? "" : "s"}, its limit; ask the host for a new one.`);
  if (code === "KEY_EXPIRED") return new RoomError("KEY_EXPIRED", `This invite key ("${key.label}") has expired; ask the host for a new one.`);
  if (code === "REVOKED") return new RoomError("REVOKED", `The host revoked this invite key ("${key.label}"); it and every session joined with it no longer work.`);
  return new RoomError("UNAUTHORIZED", "Unknown invite key: it may belong to another room (check the link) or be mistyped.");
}
