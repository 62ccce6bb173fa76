// serve --redis: a room's invite keys shared with the other instances (README "Running it for an organisation").
// The room's own key set (src/rooms/keys.ts) stays what every route reads; this file keeps it in step with Redis
// (src/rooms/redis/keys.ts): every change made here is stored there, every change made elsewhere is applied here
// (from the members channel, or read when a key or a token shows up here first).
import type { HostedRoom } from "../rooms/index.js";
import { hashSecret, type InviteKey, type KeySharing, type StoredKey } from "../rooms/keys.js";
import { claimRefusal, type SharedKeys } from "../rooms/redis/keys.js";

/** Apply a key record stored by another instance: its session moved (the previous token stops here too), or it was
 * revoked (its sessions end here, without a second system line). */
export function applyKey(h: HostedRoom, record: StoredKey, used?: number): InviteKey {
  const { key, revokedNow, endedSession } = h.keys.learn(used === undefined ? record : { ...record, used });
  if (endedSession) h.room.participants.endToken(endedSession);
  if (revokedNow) h.keys.revokedElsewhere(key);
  return key;
}

export function keySharing(shared: SharedKeys, h: HostedRoom, now: () => number): KeySharing {
  const stored = (k: InviteKey): StoredKey => {
    const { tokens: _t, ...r } = k;
    return r;
  };
  return {
    minted: (k) => shared.minted(h.id, stored(k)),
    async claimed(k, tokenHash, name, kind) {
      const r = await shared.claim(h.id, k.keyId, tokenHash, name, kind, now());
      if (r.ok) return void applyKey(h, r.record);
      if (r.code === "NAME_PINNED") k.name ??= r.name ?? null; // the next join here uses it
      throw claimRefusal(r.code, k, r.used, r.name);
    },
    revoked: (k) => shared.revoke(h.id, k.keyId),
    async refresh() {
      for (const r of await shared.all(h.id)) applyKey(h, r);
    },
  };
}

/** The key behind a secret (`ak_…`) shown here first: read from Redis, with the participant of its current session. */
export async function adoptKey(shared: SharedKeys, h: HostedRoom, secret: string, adoptHash: (tokenHash: string) => Promise<void>) {
  const hash = hashSecret(secret);
  let k = h.keys.byHash(hash);
  if (!k) {
    const r = await shared.byHash(h.id, hash);
    if (!r) return;
    k = applyKey(h, r);
  }
  if (k.session && !h.room.participants.hasToken(k.session)) await adoptHash(k.session);
}

/** A participant token shown here first: the key it was joined with, if any (so a revoked key's token is 403 REVOKED). */
export async function adoptTokenKey(shared: SharedKeys, h: HostedRoom, tokenHash: string) {
  if (h.keys.byTokenHash(tokenHash)) return;
  const r = await shared.byToken(h.id, tokenHash);
  if (r) h.keys.learnToken(tokenHash, applyKey(h, r));
}
