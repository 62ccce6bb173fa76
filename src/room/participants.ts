// Who is in the room: names, tokens, presence, removals, the cap and expiry. Names are compared folded (see
// names.ts), tokens by their SHA-256, so a lookup reveals nothing about a secret through timing. Time comes from
// the room's clock (`now`), never from Date.now directly.
import { createHash, randomBytes } from "node:crypto";
import { RoomError } from "../protocol/errors.js";
import { checkScript, foldName } from "../protocol/names.js";
import type { ParticipantInfo } from "../protocol/types.js";
import type { ProvenKey } from "./identity.js";
import type { JoinAs, Participant, ParticipantOptions, SharedParticipant, TokenLookup } from "./participant.js";
import { fingerprint, publicKeyObject } from "../protocol/signing.js";
import { sharedMembership, type MembershipState } from "./elsewhere.js";

export type { JoinAs, Participant, ParticipantOptions, SharedParticipant, TokenLookup } from "./participant.js";

export const hashToken = (token: string) => createHash("sha256").update(token).digest("hex");
const newToken = () => "ac_" + randomBytes(32).toString("base64url");

export function createParticipants(opts: ParticipantOptions) {
  const byKey = new Map<string, Participant>();
  const byToken = new Map<string, Participant>();
  /** Token hashes the host revoked, with the name they belonged to, so their holder is told it was removed. */
  const revoked = new Map<string, string>();
  /** Barred names by folded key, with the name as the host removed it (for the host's "let back in" list). */
  const barred = new Map<string, string>();
  const { now } = opts;
  /** Names first claimed with a key: held by that key for the room's life, whoever is online. */
  const keyHolds = new Map<string, ProvenKey>();

  /** serve --redis: who is online or holds a name through other instances, senders announced there (elsewhere.ts). */
  const presence: MembershipState["presence"] = { online: new Set(), held: new Set() };
  const announced = new Set<string>();
  const onlineHere = (p: Participant, t = now()) => p.connections > 0 || t - p.lastSeen < opts.presenceGraceMs;
  const online = (p: Participant, t = now()) => onlineHere(p, t) || presence.online.has(p.key);
  // A name is held while its token holder is around; after a long silence someone else may take it.
  const heldHere = (p: Participant, t = now()) => !!p.tokenHash && (p.connections > 0 || t - p.lastSeen < opts.nameHoldMs);
  const held = (p: Participant, t = now()) => heldHere(p, t) || (!!p.tokenHash && presence.held.has(p.key));
  // Gone for good: a password-only sender silent past senderExpireMs, a token holder with nothing open, unseen
  // past participantExpireMs.
  const expired = (p: Participant, t: number) =>
    p.connections === 0 && t - p.lastSeen >= (p.tokenHash ? opts.participantExpireMs : opts.senderExpireMs) && !presence.online.has(p.key) && !presence.held.has(p.key);

  /** `everywhere`: the token ends on every instance (serve --redis), not only here — a leave, a name taken over;
   * expiry and eviction are each instance's own business (it last saw the participant, others may have since). */
  function forget(p: Participant, everywhere = true) {
    const drop = (h: string) => (byToken.delete(h), everywhere && opts.onTokenGone?.(h));
    if (p.tokenHash) drop(p.tokenHash);
    if (p.host) for (const [h, q] of byToken) if (q === p) drop(h); // the host's other devices
    if (byKey.get(p.key) === p) byKey.delete(p.key);
  }

  /** Drop the expired; if the room is still full, the longest-unseen token holder whose name is no longer held. */
  function makeRoom(): void {
    const t = now();
    for (const p of byKey.values()) if (expired(p, t)) forget(p, false);
    if (byKey.size < opts.maxParticipants) return;
    let oldest: Participant | undefined;
    for (const p of byKey.values()) if (p.tokenHash && !held(p, t) && (!oldest || p.lastSeen < oldest.lastSeen)) oldest = p;
    if (oldest) forget(oldest, false);
    if (byKey.size >= opts.maxParticipants) {
      throw new RoomError(
        "ROOM_FULL",
        `This room has ${byKey.size} participants (the limit, --max-members ${opts.maxParticipants}); a place frees up when someone leaves or goes quiet (password-only senders after ${Math.round(opts.senderExpireMs / 60_000)} min). Ask the host.`,
      );
    }
  }

  function suggest(name: string): string {
    const base = [...name].slice(0, 36).join("");
    for (let n = 2; ; n++) {
      const candidate = `${base}-${n}`;
      const p = byKey.get(foldName(candidate));
      if (!barred.has(foldName(candidate)) && !keyHolds.has(foldName(candidate)) && (!p || !held(p))) return candidate;
    }
  }

  function refuseIfUnavailable(name: string, key: string, how: string, proven?: ProvenKey) {
    if (barred.has(key)) throw new RoomError("NAME_BARRED", `The host removed "${name}" from this room; it cannot be used again here.`);
    const hold = keyHolds.get(key);
    const holder = !!hold && hold.key === proven?.key; // the key that holds the name may always come back
    const p = byKey.get(key);
    if (p && held(p) && !holder) {
      const suggestion = suggest(name);
      throw new RoomError("NAME_TAKEN", `"${p.name}" is taken by a joined participant; ${how || "pick another name"}, e.g. "${suggestion}".`, {
        extra: { suggestion },
      });
    }
    if (hold && !holder) {
      const suggestion = suggest(name);
      throw new RoomError("NAME_HELD", `"${name}" is held in this room by the key ${hold.fingerprint}; only that key can use it. Pick another name, e.g. "${suggestion}".`, {
        extra: { suggestion },
      });
    }
    return p;
  }

  return {
    online,
    /** Online through this instance (what it tells the others, serve --redis). */
    onlineHere,
    /** Holds its name through this instance (what it tells the others, serve --redis). */
    heldHere,
    ...sharedMembership({ byKey, byToken, revoked, barred, keyHolds, announced, presence }, forget, opts),
    get size() {
      return byKey.size;
    },

    lookupToken(token: string): TokenLookup {
      const h = hashToken(token);
      const participant = byToken.get(h);
      if (participant) return { participant };
      const name = revoked.get(h);
      return name === undefined ? undefined : { removed: name };
    },

    /** Register `name` with a fresh token (or return the caller's own participant when it sends its token). */
    join(name: string, as: JoinAs, ownToken?: string, proven?: ProvenKey): { participant: Participant; token: string; isNew: boolean } {
      const key = foldName(name);
      const heldByHost = byKey.get(key);
      if (as.host && heldByHost?.host && heldByHost.tokenHash && !barred.has(key) && (!proven || !heldByHost.identity || heldByHost.identity.key === proven.key)) {
        // The host on a second device continues as the same participant: one more token for it, the first kept.
        const token = newToken();
        byToken.set(hashToken(token), heldByHost);
        opts.onToken?.(hashToken(token), heldByHost);
        heldByHost.lastSeen = now();
        return { participant: heldByHost, token, isNew: false };
      }
      if (ownToken) {
        const mine = byToken.get(hashToken(ownToken));
        // A key shown now must be the one this participant already holds, or its first (then it holds the name).
        const keyOk = !proven || (mine?.identity ? mine.identity.key === proven.key : !keyHolds.has(key));
        if (mine && mine.key === key && keyOk) {
          if (proven && !mine.identity) keyHolds.set(key, (mine.identity = proven));
          mine.lastSeen = now();
          mine.kind = as.kind;
          // A vouched human stays vouched; re-joining cannot make a claim into a vouch.
          mine.vouched = as.kind === "human" && (mine.vouched || !!as.vouched);
          return { participant: mine, token: ownToken, isNew: false };
        }
      }
      const existing = refuseIfUnavailable(name, key, "", proven);
      checkScript(name);
      if (existing) forget(existing);
      else if (byKey.size >= opts.maxParticipants) makeRoom();
      const token = newToken();
      const participant: Participant = {
        name,
        key,
        kind: as.kind,
        vouched: as.kind === "human" && !!as.vouched,
        tokenHash: hashToken(token),
        lastSeen: now(),
        via: "http",
        connections: 0,
      };
      if (as.host) participant.host = true;
      if (proven) keyHolds.set(key, (participant.identity = proven));
      byKey.set(key, participant);
      byToken.set(participant.tokenHash!, participant);
      opts.onToken?.(participant.tokenHash!, participant);
      return { participant, token, isNew: true };
    },

    /** A token another instance issued (serve --redis): its participant is known here from now on. No-op for a
     * barred name. */
    adopt(tokenHash: string, shared: SharedParticipant, lastSeen = now()): Participant | undefined {
      const known = byToken.get(tokenHash);
      if (known) return known;
      const key = foldName(shared.name);
      if (barred.has(key) || revoked.has(tokenHash)) return undefined;
      let p = byKey.get(key);
      if (p) p.tokenHash ??= tokenHash;
      else {
        if (byKey.size >= opts.maxParticipants) makeRoom();
        p = { name: shared.name, key, kind: shared.kind, vouched: shared.vouched, tokenHash, lastSeen, via: "http", connections: 0 };
        if (shared.host) p.host = true;
        byKey.set(key, p);
      }
      if (shared.key && !p.identity) {
        try {
          keyHolds.set(key, (p.identity = { key: shared.key, fingerprint: fingerprint(shared.key), object: publicKeyObject(shared.key) }));
        } catch {
          /* not a key: the instance that stored it checked it, so this is a damaged record; the participant stays keyless */
        }
      }
      byToken.set(tokenHash, p);
      return p;
    },

    /** The cap: throws ROOM_FULL when `name` would be a new participant of a full room, after letting the
     * expired and the long-gone go. */
    admit(name: string) {
      if (!byKey.has(foldName(name)) && byKey.size >= opts.maxParticipants) makeRoom();
    },

    /** Throws NAME_BARRED / NAME_TAKEN when a password-only post may not use `name`. */
    checkAvailable(name: string) {
      refuseIfUnavailable(name, foldName(name), "post with its token, or under another name");
      checkScript(name, "agent");
      if (!byKey.has(foldName(name)) && byKey.size >= opts.maxParticipants) makeRoom();
    },

    /** The participant behind a password-only post (the predecessor's clients), created on first use. Always an
     * agent: a password-only post proves nothing about who sends it. */
    passwordSender(name: string): { participant: Participant; isNew: boolean } {
      const key = foldName(name);
      const existing = refuseIfUnavailable(name, key, "post with its token, or under another name");
      if (existing) {
        // The token that once held this name expired its hold: it no longer speaks for the name.
        if (existing.tokenHash) byToken.delete(existing.tokenHash), opts.onTokenGone?.(existing.tokenHash), delete existing.tokenHash;
        existing.kind = "agent";
        existing.vouched = false;
        return { participant: existing, isNew: false };
      }
      if (byKey.size >= opts.maxParticipants) makeRoom();
      const participant: Participant = { name, key, kind: "agent", vouched: false, lastSeen: now(), via: "http", connections: 0 };
      byKey.set(key, participant);
      // serve --redis: a sender announced through any instance (or here before it expired) is announced once per room.
      if (announced.has(key)) return { participant, isNew: false };
      if (opts.onSender) (announced.add(key), opts.onSender(participant));
      return { participant, isNew: true };
    },

    leave(p: Participant) {
      forget(p);
    },

    /** Host removal: revoke the token, bar the name for the room's life. Returns the removed participant, if any. */
    remove(name: string): Participant | undefined {
      const key = foldName(name);
      barred.set(key, byKey.get(key)?.name ?? name);
      const p = byKey.get(key);
      if (!p) return undefined;
      if (p.tokenHash) {
        // (serve --redis: the room's shareRemoval ends the token in Redis and tells the other instances, as a removal
        // — not as a leave, which would let them forget who to end streams for.)
        byToken.delete(p.tokenHash);
        revoked.set(p.tokenHash, p.name);
      }
      byKey.delete(key);
      return p;
    },





    /** The host lets a removed name back in (its old token stays revoked: the holder joins afresh). */
    unban(name: string): string | undefined {
      const key = foldName(name);
      const was = barred.get(key);
      barred.delete(key);
      return was;
    },

    barredNames: () => [...barred.values()],

    find(name: string) {
      return byKey.get(foldName(name));
    },
    /** By folded name (mention matching folds once and looks up many times). */
    byKey(key: string) {
      return byKey.get(key);
    },

    all(): Participant[] {
      return [...byKey.values()];
    },

    /** Forget who expired (called as the room goes about its business; cheap when nobody did). */
    sweep() {
      const t = now();
      for (const p of byKey.values()) if (expired(p, t)) forget(p, false);
    },

    info(p: Participant, t = now()): ParticipantInfo {
      const info: ParticipantInfo = {
        name: p.name,
        kind: p.kind,
        online: online(p, t),
        lastSeen: new Date(p.lastSeen).toISOString(),
        via: p.via,
        verified: !!p.tokenHash,
        connections: p.connections,
        fingerprint: p.identity?.fingerprint ?? null,
        key: p.identity?.key ?? null,
      };
      if (p.kind === "human") info.vouched = p.vouched;
      if (p.host) info.host = true;
      return info;
    },
  };
}

export type Participants = ReturnType<typeof createParticipants>;
