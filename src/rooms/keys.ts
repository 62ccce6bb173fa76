// Invite keys of one room: a credential per agent slot. The secret (`ak_` + 256 random bits) is shown once, at
// mint; only its SHA-256 is kept. A key carries a label, an optional fixed name and kind, a number of joins
// (`uses`), an expiry, and the hashes of the participant tokens minted from it, so revoking it stops them too.
import { hash, randomBytes } from "node:crypto";
import { RoomError } from "../protocol/errors.js";
import type { KeyInfo } from "../protocol/rooms.js";

/** A key as the room keeps it: the fields GET …/keys shows (KeyInfo, where each is described) with the expiry in ms,
 * plus what is never shown — the secret's hash, the tokens minted from it. */
export interface InviteKey extends Omit<KeyInfo, "expiresAt" | "expired"> {
  /** SHA-256 (hex) of the secret. */
  hash: string;
  /** ms since the epoch; null: never. */
  expiresAt: number | null;
  /** SHA-256 (hex) of every participant token minted from this key. */
  tokens: Set<string>;
  /** SHA-256 (hex) of the token its latest join minted (a key holds one session). */
  session?: string | null;
}

/**
 * serve --redis: the keys of a room shared with the other instances (src/server/store-keys.ts). The local set stays
 * the one every route reads; these store each change in Redis, where a join is also counted atomically.
 */
export interface KeySharing {
  minted(k: InviteKey): Promise<void>;
  /** A join with `k` minted `tokenHash`: counted in Redis, or refused there (spent, revoked, expired elsewhere). */
  claimed(k: InviteKey, tokenHash: string, name: string, kind: "agent" | "human"): Promise<void>;
  revoked(k: InviteKey): Promise<void>;
  /** Read every key of the room from Redis (GET …/keys, a revoke of a key minted elsewhere a moment ago). */
  refresh(): Promise<void>;
}

/** A key as stored in Redis (src/rooms/redis/keys.ts): everything but the token set. */
export type StoredKey = Omit<InviteKey, "tokens">;


export interface MintSpec {
  label: string;
  name?: string;
  kind?: "agent" | "human";
  uses?: number;
  /** Seconds from now. */
  expiresIn?: number;
  /** Only the agent with this key fingerprint may join with it. */
  fingerprint?: string;
}

export const KEY_PREFIX = "ak_";
export const hashSecret = (s: string) => hash("sha256", s, "hex");

export function createKeys(o: { max: number; now: () => number }) {
  const byId = new Map<string, InviteKey>();
  const byHash = new Map<string, InviteKey>();
  const byToken = new Map<string, InviteKey>();

  const expired = (k: InviteKey) => k.expiresAt !== null && o.now() >= k.expiresAt;
  const revokedElsewhere = new Set<(k: InviteKey) => void>();

  return {
    /** serve --redis: set by the store; none in memory. */
    shared: undefined as KeySharing | undefined,
    get size() {
      return byId.size;
    },

    mint(spec: MintSpec): { secret: string; key: InviteKey } {
      if (byId.size >= o.max) {
        throw new RoomError("TOO_MANY_KEYS", `This room already has ${byId.size} keys (the limit, --max-keys ${o.max}); revoked keys count too.`);
      }
      const secret = KEY_PREFIX + randomBytes(32).toString("base64url");
      let keyId = "k_" + randomBytes(6).toString("hex");
      while (byId.has(keyId)) keyId = "k_" + randomBytes(6).toString("hex");
      const now = o.now();
      const key: InviteKey = {
        keyId,
        hash: hashSecret(secret),
        label: spec.label,
        name: spec.name ?? null,
        kind: spec.kind ?? null,
        uses: spec.uses ?? null,
        used: 0,
        claimedBy: null,
        claimedAt: null,
        createdAt: new Date(now).toISOString(),
        expiresAt: spec.expiresIn === undefined ? null : now + spec.expiresIn * 1000,
        revoked: false,
        fingerprint: spec.fingerprint ?? null,
        tokens: new Set(),
      };
      byId.set(keyId, key);
      byHash.set(key.hash, key);
      return { secret, key };
    },

    /** The key behind a secret, valid for use now; throws REVOKED / KEY_EXPIRED, undefined when unknown. */
    use(secret: string): InviteKey | undefined {
      const k = byHash.get(hashSecret(secret));
      if (!k) return undefined;
      if (k.revoked) throw revokedError(k);
      if (expired(k)) throw new RoomError("KEY_EXPIRED", `This invite key ("${k.label}") has expired; ask the host for a new one.`);
      return k;
    },

    /** The key a participant token was minted from, if any (by the token's SHA-256 hex). */
    byTokenHash(tokenHash: string): InviteKey | undefined {
      return byToken.get(tokenHash);
    },

    /** A join with this key is about to mint a token: count it, or refuse when its uses are spent. */
    checkJoin(k: InviteKey) {
      if (k.uses !== null && k.used >= k.uses) {
        throw new RoomError("KEY_USED_UP", `This invite key ("${k.label}") was used ${k.used} time${k.used === 1 ? "" : "s"}, its limit; ask the host for a new one.`);
      }
    },

    /** Record a participant token minted from `k` under `name` (pins the name at first use). */
    recordJoin(k: InviteKey, name: string, kind: "agent" | "human", tokenHash: string) {
      k.used++;
      if (k.name === null) k.name = name;
      if (k.kind === null) k.kind = kind;
      if (k.claimedBy === null) (k.claimedBy = name), (k.claimedAt = new Date(o.now()).toISOString());
      k.tokens.add(tokenHash);
      k.session = tokenHash;
      byToken.set(tokenHash, k);
    },

    /** Undo recordJoin (serve --redis: Redis refused the join, so its token is never handed out). */
    unrecordJoin(k: InviteKey, tokenHash: string) {
      k.used = Math.max(0, k.used - 1);
      k.tokens.delete(tokenHash);
      byToken.delete(tokenHash);
    },

    /** serve --redis: a key as another instance stored it (minted, joined, revoked there): added, or updated in place
     * (streams hold the object). Returns what changed that the caller acts on. */
    learn(r: StoredKey): { key: InviteKey; revokedNow: boolean; endedSession?: string } {
      let k = byId.get(r.keyId);
      const was = k && { revoked: k.revoked, session: k.session };
      if (!k) {
        k = { ...r, tokens: new Set() };
        byId.set(k.keyId, k);
        byHash.set(k.hash, k);
      } else if (r.used < k.used || !r.session) {
        // A record read before a join here counted (a refresh racing a join): only its revocation is news. Each join
        // counts one and moves the session in the same step, so the count tells which record is newer.
        k.revoked ||= r.revoked;
      } else {
        Object.assign(k, { ...r, revoked: k.revoked || r.revoked });
      }
      if (r.session) (k.tokens.add(r.session), byToken.set(r.session, k));
      const endedSession = was?.session && was.session !== k.session ? was.session : undefined;
      return { key: k, revokedNow: !!was && !was.revoked && k.revoked, endedSession };
    },

    /** serve --redis: a participant token joined with key `k` on another instance. */
    learnToken(tokenHash: string, k: InviteKey) {
      k.tokens.add(tokenHash);
      byToken.set(tokenHash, k);
    },

    /** The key whose secret hashes to `hash`, if known here. */
    byHash(hash: string): InviteKey | undefined {
      return byHash.get(hash);
    },

    /** serve --redis: the host revoked a key through another instance; transports end its sessions here. */
    onRevokedElsewhere(fn: (k: InviteKey) => void) {
      revokedElsewhere.add(fn);
    },
    revokedElsewhere(k: InviteKey) {
      for (const fn of revokedElsewhere) fn(k);
    },

    /** Every key of the room (serve --redis: put back after Redis lost them). */
    all(): InviteKey[] {
      return [...byId.values()];
    },

    get(keyId: string): InviteKey | undefined {
      return byId.get(keyId);
    },

    /** Mark revoked (idempotent); the caller ends the sessions. */
    revoke(keyId: string): InviteKey {
      const k = byId.get(keyId);
      if (!k) throw new RoomError("NOT_FOUND", `No key "${keyId.slice(0, 40)}" in this room: GET …/keys lists them.`);
      k.revoked = true;
      return k;
    },

    list(): KeyInfo[] {
      return [...byId.values()].map((k) => ({
        keyId: k.keyId,
        label: k.label,
        name: k.name,
        kind: k.kind,
        uses: k.uses,
        used: k.used,
        claimedBy: k.claimedBy,
        claimedAt: k.claimedAt,
        createdAt: k.createdAt,
        expiresAt: k.expiresAt === null ? null : new Date(k.expiresAt).toISOString(),
        expired: expired(k),
        revoked: k.revoked,
        fingerprint: k.fingerprint,
      }));
    },
  };
}

export const revokedError = (k: Pick<InviteKey, "label">) =>
  new RoomError("REVOKED", `The host revoked this invite key ("${k.label}"); it and every session joined with it no longer work.`);

export type Keys = ReturnType<typeof createKeys>;
