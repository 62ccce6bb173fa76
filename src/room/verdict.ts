// A message signature checked off the main thread (room/post-queue.ts, server/verify-pool.ts): what is to be
// verified, and the outcome, tied to the exact request it was made for. room/identity.ts runs every other check
// itself, before and again after; only the Ed25519 check moves.
import type { ProvenKey } from "./identity.js";

/** What a message signature covers, as the room read it from one request (values, compared field by field). */
interface Covers {
  signer: ProvenKey;
  name: string;
  text: string;
  replyTo?: number;
  to?: string;
  sig: string;
  nonce: string;
  sentAt: string;
  prev: string;
  prevId: number;
}

/** A signature to verify: the canonical payload (built once) and the base64url `sig`, under `signer`'s key. */
export interface Pending extends Covers {
  payload: string;
}

/** The outcome of verifying a Pending, handed back to the check of the same request. */
export interface CheckedVerdict extends Covers {
  ok: boolean;
}

/** "defer": check everything but the signature, then throw a Deferred. A CheckedVerdict: the signature's outcome. */
export type Verdict = "defer" | CheckedVerdict;

/** Verifies an Ed25519 signature somewhere other than the main thread; undefined when it could not (then the room
 * verifies it inline). Never rejects. */
export type SignatureVerifier = (payload: string, sig: string, signer: ProvenKey) => Promise<boolean | undefined>;

/**
 * Thrown by identity.checkMessage(…, "defer") once every other check has passed, before any side effect: the post
 * queue catches it and verifies `pending` off the main thread. Not an Error (nothing to capture a stack for), and
 * never reaches a client.
 */
export class Deferred {
  constructor(readonly pending: Pending) {}
}

/** Whether a verdict was made for exactly this request (same signer, name, text, fields, reply and recipient). */
export function verdictFits(v: CheckedVerdict, c: Covers): boolean {
  return v.signer === c.signer && v.name === c.name && v.text === c.text && v.replyTo === c.replyTo && v.to === c.to &&
    v.sig === c.sig && v.nonce === c.nonce && v.sentAt === c.sentAt && v.prev === c.prev && v.prevId === c.prevId;
}
