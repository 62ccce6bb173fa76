// Known agents, the room's side: single-use join challenges, the check of a join proof and of each signed message,
// the replay cache, and the hash chain over the history. No HTTP here (the routes pass in what they read).
import { randomBytes, type KeyObject } from "node:crypto";
import { RoomError } from "../protocol/errors.js";
import { foldName } from "../protocol/names.js";
import type { Participant } from "./participants.js";
import {
  chainHash, fingerprint, joinPayload, KEY_RE, messagePayload, NONCE_RE, publicKeyObject, verifyBytes,
  type ChainFields, type MessageSignature,
} from "../protocol/signing.js";
import { Deferred, verdictFits, type Verdict } from "./verdict.js";

/** A key the room has seen proven: kept on the participant and as the holder of its name. */
export interface ProvenKey {
  key: string;
  fingerprint: string;
  /** Parsed once at join: verifying each message then costs only the signature check. */
  object: KeyObject;
}

/** A checked message signature, with the signer's fingerprint (computed once at join, not per message). */
export interface CheckedSignature extends MessageSignature {
  fingerprint: string;
}

interface IdentityOptions {
  /** What signatures are bound to: the room's id (rooms/index.ts). @default a random one (a room made alone, in tests) */
  roomId?: string;
  /** `serve --require-identity`: joins need a key proof, messages a signature (the host's own excepted). */
  requireIdentity?: boolean;
  /** Messages whose chain hash is kept (prev may name any of them). */
  capacity: number;
  /** A challenge is good this long. @default 60000 */
  challengeMs?: number;
  /** A signed message's sentAt may differ from the server's clock by this much. @default 300000 */
  windowMs?: number;
  /** Nonces remembered at most (the oldest go first, and the window closes behind them). @default 100000 */
  maxNonces?: number;
  now?: () => number;
}

const MAX_CHALLENGES = 1000;

export function createRoomIdentity(o: IdentityOptions) {
  const roomId = o.roomId ?? randomBytes(8).toString("hex");
  const now = o.now ?? Date.now;
  const challengeMs = o.challengeMs ?? 60_000;
  const windowMs = o.windowMs ?? 5 * 60_000;
  const maxNonces = o.maxNonces ?? 100_000;
  const challenges = new Map<string, { nameKey: string; expires: number }>();
  // fingerprint + nonce → sentAt (ms). Insertion order is arrival order, so the oldest are pruned from the front.
  const nonces = new Map<string, number>();
  // Signed messages at or before this time are refused: their nonces may have been forgotten to bound the cache.
  let nonceFloor = 0;
  // Chain hashes of the last `capacity + 1` messages (one more than the history, so the transcript's start is known).
  const ring: string[] = new Array(o.capacity + 1);
  let lastId = 0;
  let lastHash = "";

  const hashAt = (id: number): string | undefined => {
    if (id === 0) return lastId <= o.capacity ? "" : undefined;
    if (id > lastId || id <= lastId - ring.length) return undefined;
    return ring[id % ring.length];
  };

  function badSig(why: string): never {
    throw new RoomError("BAD_SIGNATURE", `Message signature refused: ${why}. Nothing was sent.`);
  }

  return {
    roomId,
    requireIdentity: !!o.requireIdentity,
    /** The replay cache's window and bound (serve --redis keeps the cache in Redis with the same ones). */
    windowMs,
    maxNonces,

    /** A join without a key proof: refused under --require-identity (the host's own join excepted). */
    checkUnproven(asHost: boolean) {
      if (o.requireIdentity && !asHost) {
        throw new RoomError("IDENTITY_REQUIRED", "This room admits only agents with a key: join with `agent-chat join` (it signs a challenge for you), or see README \"Known agents\" for the HTTP steps.");
      }
    },

    /**
     * The checked signature of a message about to be posted, or undefined for an unsigned one that may go. A
     * participant that joined with a key must sign every message: its token alone (stolen, or leaked in a log)
     * cannot speak for the key. `signed` holds the request's sig, nonce, sentAt, prev, prevId (and key, if sent).
     */
    checkPost(p: Participant | undefined, text: string, signed: Record<string, unknown> | undefined, replyTo?: number, to?: string, verdict?: Verdict): CheckedSignature | undefined {
      if (!p) {
        if (o.requireIdentity) throw new RoomError("IDENTITY_REQUIRED", "This room admits only agents with a key: join with a key proof and sign each message (README \"Known agents\").");
        if (signed) throw new RoomError("BAD_SIGNATURE", "Signed messages need the participant token of a join with a key proof; nothing was sent.");
        return undefined;
      }
      const id = p.identity;
      if (!signed) {
        if (id || (o.requireIdentity && !p.host)) {
          throw new RoomError("SIGNATURE_REQUIRED", `"${p.name}" joined with a key${id ? ` (${id.fingerprint})` : ""}: every message must be signed with it (agent-chat send does this). Nothing was sent.`);
        }
        return undefined;
      }
      if (!id) throw new RoomError("BAD_SIGNATURE", `"${p.name}" joined without a key: join again with a key proof to sign messages. Nothing was sent.`);
      return this.checkMessage(id, p.name, text, signed, replyTo, to, verdict);
    },

    /** A fresh single-use challenge for `name` (POST /challenge). */
    issueChallenge(name: string): { challenge: string; expiresIn: number } {
      const t = now();
      for (const [c, v] of challenges) {
        if (v.expires > t && challenges.size < MAX_CHALLENGES) break;
        challenges.delete(c); // expired, or the oldest when full: its holder asks again
      }
      const challenge = "acc_" + randomBytes(24).toString("base64url");
      challenges.set(challenge, { nameKey: foldName(name), expires: t + challengeMs });
      return { challenge, expiresIn: challengeMs / 1000 };
    },

    /** serve --redis: an issued challenge, taken out of this instance's memory (src/rooms/redis/challenges.ts). */
    takeChallenge(challenge: string): { nameKey: string; expires: number } | undefined {
      const c = challenges.get(challenge);
      challenges.delete(challenge);
      return c;
    },

    /** serve --redis: a challenge another instance issued, to be spent here by the join that names it. */
    adoptChallenge(challenge: string, c: { nameKey: string; expires: number }) {
      challenges.set(challenge, c);
    },

    /**
     * Check a join proof: the challenge is this room's, unused, unexpired and issued for this name; the signature
     * covers room, URL, name and challenge. The challenge is spent whatever the outcome.
     */
    checkJoinProof(name: string, proof: unknown, urlOk: (url: string) => boolean): ProvenKey {
      if (!proof || typeof proof !== "object") throw new RoomError("BAD_PROOF", `"identity" must be {key, challenge, sig, url}: get a challenge from POST /challenge first.`);
      const { key, challenge, sig, url } = proof as Record<string, unknown>;
      if (typeof key !== "string" || !KEY_RE.test(key)) throw new RoomError("BAD_PROOF", `"identity.key" must be a raw Ed25519 public key, base64url (43 characters).`);
      if (typeof challenge !== "string" || typeof sig !== "string" || typeof url !== "string") {
        throw new RoomError("BAD_PROOF", `"identity" needs "challenge", "sig" and "url" strings.`);
      }
      const c = challenges.get(challenge);
      challenges.delete(challenge);
      if (!c || c.expires <= now()) throw new RoomError("BAD_PROOF", "Unknown, used or expired challenge: get a new one from POST /challenge (each works once, within 60 s, in its own room).");
      if (c.nameKey !== foldName(name)) throw new RoomError("BAD_PROOF", "This challenge was issued for another name: ask for one with your own name.");
      if (!urlOk(url)) throw new RoomError("BAD_PROOF", `The signed URL ${JSON.stringify(url)} is not this room's address.`);
      let object: KeyObject;
      try {
        object = publicKeyObject(key);
      } catch {
        throw new RoomError("BAD_PROOF", `"identity.key" is not a valid Ed25519 public key.`);
      }
      if (!verifyBytes(joinPayload({ room: roomId, url, name, challenge }), sig, object)) {
        throw new RoomError("BAD_PROOF", "The join signature does not match the key, room, URL, name and challenge.");
      }
      return { key, fingerprint: fingerprint(key), object };
    },

    /**
     * Check a signed message's fields (no side effect); `commit` records its nonce once the message is stored. The
     * Ed25519 check itself runs last, here on the main thread, unless `verdict` says otherwise: "defer" stops after
     * every other check by throwing a Deferred (what to verify, off the main thread: room/post-queue.ts), and a
     * Verdict is that verification's outcome for this very request (anything else about it is checked again here).
     */
    checkMessage(signer: ProvenKey, name: string, text: string, body: Record<string, unknown>, replyTo?: number, to?: string, verdict?: Verdict): CheckedSignature {
      const { sig, nonce, sentAt, prev, prevId, key } = body;
      if (key !== undefined && key !== signer.key) badSig(`"key" is not the key ${name} joined with (${signer.fingerprint})`);
      if (typeof sig !== "string") badSig(`"sig" is missing`);
      if (typeof nonce !== "string" || !NONCE_RE.test(nonce)) badSig(`"nonce" must be 16-64 base64url characters`);
      const t = typeof sentAt === "string" ? Date.parse(sentAt) : NaN;
      if (!Number.isFinite(t) || Math.abs(t - now()) > windowMs) badSig(`"sentAt" must be the current time (ISO 8601, within ${windowMs / 60_000} min of the room's clock)`);
      if (t <= nonceFloor) badSig("too old for the replay cache; sign it again");
      if (!Number.isSafeInteger(prevId) || typeof prev !== "string" || hashAt(prevId as number) !== prev) {
        badSig(`"prev" must be the "hash" of a recent message and "prevId" its id (0 and "" in an empty room)`);
      }
      if (nonces.has(signer.fingerprint + nonce)) throw new RoomError("REPLAYED", "This signed message was already sent (same nonce): sign a new one.");
      const fields = { sig, nonce, sentAt: sentAt as string, prev: prev as string, prevId: prevId as number };
      const checked: CheckedSignature = { key: signer.key, fingerprint: signer.fingerprint, ...fields };
      const covers = { signer, name, text, replyTo, to, ...fields };
      if (verdict !== undefined && verdict !== "defer" && verdictFits(verdict, covers)) {
        if (!verdict.ok) badSig("the signature does not match the room, name, text, time, nonce, prev, reply and recipient");
        return checked;
      }
      const payload = messagePayload({ room: roomId, name, text, replyTo, to, ...fields });
      if (verdict === "defer") throw new Deferred({ ...covers, payload });
      if (!verifyBytes(payload, sig, signer.object)) badSig("the signature does not match the room, name, text, time, nonce, prev, reply and recipient");
      return checked;
    },

    /** Remember a stored message's nonce, so the same signed message is refused from now on. */
    commit(fp: string, s: MessageSignature) {
      const t = now();
      for (const [k, sent] of nonces) {
        if (sent + windowMs >= t && nonces.size < maxNonces) break;
        nonces.delete(k);
        if (sent + windowMs >= t) nonceFloor = Math.max(nonceFloor, sent); // forgotten early: close the window behind it
      }
      nonces.set(fp + s.nonce, Date.parse(s.sentAt));
    },

    /**
     * Link a new message into the chain and return its hash (called for every message, in id order). A private
     * message stays out (undefined): readers who may not see it must still be able to follow the chain.
     */
    link(m: ChainFields): string | undefined {
      if (m.to === undefined) lastHash = chainHash(lastHash, m);
      lastId = m.id;
      ring[m.id % ring.length] = lastHash;
      return m.to === undefined ? lastHash : undefined;
    },

    /** The chain hash as of message `id` (0: before the first), while kept. */
    hashAt,

    /** serve --redis: the messages up to `id` are gone from the shared log; the chain goes on from `hash`, their
     * chain hash as the instances that ingested them recorded it (src/rooms/redis/log.ts). */
    restartChain(id: number, hash: string) {
      lastId = id;
      lastHash = hash;
      ring[id % ring.length] = hash;
    },
  };
}

export type RoomIdentity = ReturnType<typeof createRoomIdentity>;
