// Who is in the room: names, tokens, presence, removals. Names are compared folded (see names.ts), tokens by
// their SHA-256, so a lookup reveals nothing about a secret through timing.
import { createHash, randomBytes } from "node:crypto";
import { RoomError } from "../protocol/errors.js";
import { foldName } from "../protocol/names.js";
import type { Kind, ParticipantInfo, Via } from "../protocol/types.js";

export interface Participant {
  name: string;
  /** foldName(name) */
  key: string;
  kind: Exclude<Kind, "system">;
  /** SHA-256 of the participant token; absent for password-only posters. */
  tokenHash?: string;
  lastSeen: number;
  via: Via | null;
  /** Open streams and pending long-polls. */
  connections: number;
  /** Joined with the host credential: shown with a HOST badge, and the host may continue under it on another device. */
  host?: boolean;
}

export type TokenLookup = { participant: Participant } | { removed: string } | undefined;

export const hashToken = (token: string) => createHash("sha256").update(token).digest("hex");
const newToken = () => "ac_" + randomBytes(32).toString("base64url");

export function createParticipants(opts: { presenceGraceMs: number; nameHoldMs: number }) {
  const byKey = new Map<string, Participant>();
  const byToken = new Map<string, Participant>();
  /** Token hashes the host revoked, with the name they belonged to, so their holder is told it was removed. */
  const revoked = new Map<string, string>();
  /** Barred names by folded key, with the name as the host removed it (for the host's "let back in" list). */
  const barred = new Map<string, string>();

  const online = (p: Participant, now = Date.now()) => p.connections > 0 || now - p.lastSeen < opts.presenceGraceMs;
  // A name is held while its token holder is around; after a long silence someone else may take it.
  const held = (p: Participant, now = Date.now()) => !!p.tokenHash && (p.connections > 0 || now - p.lastSeen < opts.nameHoldMs);

  function suggest(name: string): string {
    const base = [...name].slice(0, 36).join("");
    for (let n = 2; ; n++) {
      const candidate = `${base}-${n}`;
      const p = byKey.get(foldName(candidate));
      if (!barred.has(foldName(candidate)) && (!p || !held(p))) return candidate;
    }
  }

  function refuseIfUnavailable(name: string, key: string, how: string) {
    if (barred.has(key)) throw new RoomError("NAME_BARRED", `The host removed "${name}" from this room; it cannot be used again here.`);
    const p = byKey.get(key);
    if (p && held(p)) {
      const suggestion = suggest(name);
      throw new RoomError("NAME_TAKEN", `"${p.name}" is taken by a joined participant; ${how || "pick another name"}, e.g. "${suggestion}".`, {
        extra: { suggestion },
      });
    }
    return p;
  }

  return {
    online,
    lookupToken(token: string): TokenLookup {
      const h = hashToken(token);
      const participant = byToken.get(h);
      if (participant) return { participant };
      const name = revoked.get(h);
      return name === undefined ? undefined : { removed: name };
    },

    /** Register `name` with a fresh token (or return the caller's own participant when it sends its token). */
    join(name: string, kind: Participant["kind"], ownToken?: string, asHost = false): { participant: Participant; token: string; isNew: boolean } {
      const key = foldName(name);
      const held_ = byKey.get(key);
      if (asHost && held_?.host && held_.tokenHash && !barred.has(key)) {
        // The host on a second device continues as the same participant: one more token for it, the first kept.
        const token = newToken();
        byToken.set(hashToken(token), held_);
        held_.lastSeen = Date.now();
        return { participant: held_, token, isNew: false };
      }
      if (ownToken) {
        const mine = byToken.get(hashToken(ownToken));
        if (mine && mine.key === key) {
          mine.lastSeen = Date.now();
          mine.kind = kind;
          return { participant: mine, token: ownToken, isNew: false };
        }
      }
      const existing = refuseIfUnavailable(name, key, "");
      if (existing?.tokenHash) byToken.delete(existing.tokenHash);
      const token = newToken();
      const participant: Participant = { name, key, kind, tokenHash: hashToken(token), lastSeen: Date.now(), via: "http", connections: 0 };
      if (asHost) participant.host = true;
      byKey.set(key, participant);
      byToken.set(participant.tokenHash!, participant);
      return { participant, token, isNew: true };
    },

    /** Throws NAME_BARRED / NAME_TAKEN when a password-only post may not use `name`. */
    checkAvailable(name: string) {
      refuseIfUnavailable(name, foldName(name), "post with its token, or under another name");
    },

    /** The participant behind a password-only post (the predecessor's clients), created on first use. */
    passwordSender(name: string, kind: Participant["kind"]): { participant: Participant; isNew: boolean } {
      const key = foldName(name);
      const existing = refuseIfUnavailable(name, key, "post with its token, or under another name");
      if (existing) {
        // The token that once held this name expired its hold: it no longer speaks for the name.
        if (existing.tokenHash) byToken.delete(existing.tokenHash), delete existing.tokenHash;
        return { participant: existing, isNew: false };
      }
      const participant: Participant = { name, key, kind, lastSeen: Date.now(), via: "http", connections: 0 };
      byKey.set(key, participant);
      return { participant, isNew: true };
    },

    leave(p: Participant) {
      if (p.tokenHash) byToken.delete(p.tokenHash);
      if (p.host) for (const [h, q] of byToken) if (q === p) byToken.delete(h); // the host's other devices
      if (byKey.get(p.key) === p) byKey.delete(p.key);
    },

    /** Host removal: revoke the token, bar the name for the room's life. Returns the removed participant, if any. */
    remove(name: string): Participant | undefined {
      const key = foldName(name);
      barred.set(key, byKey.get(key)?.name ?? name);
      const p = byKey.get(key);
      if (!p) return undefined;
      if (p.tokenHash) {
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

    all(): Participant[] {
      return [...byKey.values()];
    },

    info(p: Participant, now = Date.now()): ParticipantInfo {
      return {
        name: p.name,
        kind: p.kind,
        online: online(p, now),
        lastSeen: new Date(p.lastSeen).toISOString(),
        via: p.via,
        verified: !!p.tokenHash,
        connections: p.connections,
        ...(p.host ? { host: true } : {}),
      };
    },
  };
}

export type Participants = ReturnType<typeof createParticipants>;
