// Known agents: what an Ed25519 signature covers, in one place for the server (checks), the client (signs) and the
// offline verifier. Node's own crypto only. Every signed form is a JSON array of strings and numbers: JSON.stringify
// of such an array is byte-for-byte deterministic, and no field can bleed into the next (README "Known agents").
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify, type KeyObject } from "node:crypto";

/** Tags that start each signed form: a signature made for one purpose never passes as another. */
const JOIN_TAG = "agent-chat/join/v1";
const MESSAGE_TAG = "agent-chat/message/v1";
const CHAIN_TAG = "agent-chat/chain/v1";

/** A raw 32-byte Ed25519 public key, base64url (43 characters). */
export const KEY_RE = /^[A-Za-z0-9_-]{43}$/;
/** A raw 64-byte Ed25519 signature, base64url (86 characters). */
export const SIG_RE = /^[A-Za-z0-9_-]{86}$/;
export const NONCE_RE = /^[A-Za-z0-9_-]{16,64}$/;

/** What a signed message carries besides the usual fields (and what a client sends with POST /messages). */
export interface MessageSignature {
  /** The sender's public key (base64url). */
  key: string;
  /** Ed25519 signature over messagePayload(...), base64url. */
  sig: string;
  /** Random, unique per message from this key (replays are refused). */
  nonce: string;
  /** The client's clock when it signed (ISO 8601); the server accepts it within its window. */
  sentAt: string;
  /** Chain hash of the newest message the sender had seen ("" in an empty room): fixes the message's place. */
  prev: string;
  /** Id of that message (0 when none). */
  prevId: number;
}

// Crockford's base32, lower case: no i, l, o or u, so a fingerprint read aloud or retyped cannot be misread.
const B32 = "0123456789abcdefghjkmnpqrstvwxyz";

/** Short, readable name of a key: the first 80 bits of SHA-256(raw key), as 4 groups of 4 (e.g. "7kqm-2x9d-h3ta-8e1v"). */
export function fingerprint(key: string): string {
  const bytes = createHash("sha256").update(Buffer.from(key, "base64url")).digest();
  let bits = 0;
  let value = 0;
  let out = "";
  for (let i = 0; out.length < 16; ) {
    if (bits < 5) {
      value = (value << 8) | bytes[i++]!;
      bits += 8;
    }
    out += B32[(value >> (bits - 5)) & 31];
    bits -= 5;
  }
  return out.match(/.{4}/g)!.join("-");
}

export interface KeyPair {
  /** Public key, raw, base64url. */
  key: string;
  /** Private key seed (JWK "d"), base64url. Never leaves the machine except through `id export`. */
  secret: string;
}

export function generateKeyPair(): KeyPair {
  const { privateKey } = generateKeyPairSync("ed25519");
  const jwk = privateKey.export({ format: "jwk" });
  return { key: jwk.x!, secret: jwk.d! };
}

export const publicKeyObject = (key: string): KeyObject => createPublicKey({ key: { kty: "OKP", crv: "Ed25519", x: key }, format: "jwk" });
export const privateKeyObject = (p: KeyPair): KeyObject =>
  createPrivateKey({ key: { kty: "OKP", crv: "Ed25519", x: p.key, d: p.secret }, format: "jwk" });

/** Whether `secret` really is the private half of `key` (a pasted identity file could pair them wrongly). */
export function keyPairMatches(p: KeyPair): boolean {
  try {
    return createPublicKey(privateKeyObject(p)).export({ format: "jwk" }).x === p.key;
  } catch {
    return false;
  }
}

export const signBytes = (data: string, priv: KeyObject): string => sign(null, Buffer.from(data), priv).toString("base64url");

/** Verify a base64url signature; false (never a throw) for any malformed input. */
export function verifyBytes(data: string, sig: string, key: string | KeyObject): boolean {
  try {
    if (typeof sig !== "string" || !SIG_RE.test(sig)) return false;
    const k = typeof key === "string" ? publicKeyObject(key) : key;
    return verify(null, Buffer.from(data), k, Buffer.from(sig, "base64url"));
  } catch {
    return false;
  }
}

/** What a joining client signs: the server's single-use challenge, bound to the room, the URL it used and its name. */
export const joinPayload = (o: { room: string; url: string; name: string; challenge: string }) =>
  JSON.stringify([JOIN_TAG, o.room, o.url, o.name, o.challenge]);

/** What a sender signs for each message. `name` is the name the room registered (as the join answer gave it). */
export const messagePayload = (o: {
  room: string;
  name: string;
  text: string;
  sentAt: string;
  nonce: string;
  prev: string;
  prevId: number;
  replyTo?: number;
  to?: string;
}) => JSON.stringify([MESSAGE_TAG, o.room, o.name, o.text, o.sentAt, o.nonce, o.prevId, o.prev, o.replyTo ?? null, o.to ?? null]);

/** The fields of a stored message the room's hash chain covers. */
export interface ChainFields {
  id: number;
  agent: string;
  text: string;
  timestamp: string;
  kind: string;
  verified?: boolean;
  mentions?: string[];
  host?: boolean;
  vouched?: boolean;
  replyTo?: number;
  to?: string;
  key?: string;
  sig?: string;
}

/**
 * The room's hash chain: each message's `hash` covers the previous message's hash and this one's id, time, kind,
 * name, text, verified flag, mentions, host badge, vouched flag, reply, recipient, key and signature (the signature covers the rest). Signed messages name a `prev` hash, so a signature pins every message before it:
 * editing, dropping or reordering any of them changes the chain under that signature.
 */
export const chainHash = (prev: string, m: ChainFields): string =>
  createHash("sha256")
    .update(JSON.stringify([CHAIN_TAG, prev, m.id, m.timestamp, m.kind, m.agent, m.text, m.verified ?? null, m.mentions ?? null, m.host ?? null, m.vouched ?? null, m.replyTo ?? null, m.to ?? null, m.key ?? null, m.sig ?? null]))
    .digest("base64url");
