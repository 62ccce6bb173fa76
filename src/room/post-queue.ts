// Signed posts verified off the main thread, stored in arrival order (README "Known agents", "Speed").
//
// A signed POST is checked in two passes. The first runs every check of room.post but the Ed25519 one and stops
// there, before any side effect (identity.checkMessage(…, "defer") throws a Deferred); its signature then goes to the
// verifier (server/verify-pool.ts: worker threads) while the main thread serves other requests. The second pass, once
// the verdict is in and every post that arrived before it is stored, is room.post itself with that verdict: it checks
// everything again against the room as it is then (nonce not seen since, chain position still kept, not paused, rate
// limit), skips only the signature's recomputation, and stores. So messages are stored in the order they arrived,
// signed or not, and a replay that was in flight beside the original still gets 409 REPLAYED.
import { Deferred, type CheckedVerdict, type Pending, type SignatureVerifier, type Verdict } from "./verdict.js";

/** What POST /messages and a WebSocket send pass to room.post besides the text. */
export interface PostExtra {
  replyTo?: number;
  to?: string;
  /** The request's signature fields (sig, nonce, sentAt, prev, prevId, key). */
  signed?: Record<string, unknown>;
  /** POST ?after=N&ifCaughtUp=1 (serve --redis: decided in the append step). */
  caughtUpAfter?: number;
  /** A check of the caller's that must hold when the post is stored (ifCaughtUp in memory): room.post runs it first,
   * on each pass, so a post that waited in this queue is checked against what was stored meanwhile. */
  recheck?: () => void;
  /** Where the signature check stands; absent: checked inline. */
  verdict?: Verdict;
}

interface Waiting {
  /** The signature's verdict (undefined: nothing to verify, or the verifier could not: room.post verifies inline). */
  verdict?: Promise<boolean | undefined>;
  pending?: Pending;
  post: (verdict?: Verdict) => unknown;
  resolve: (v: unknown) => void;
  reject: (e: unknown) => void;
}

export function createPostQueue(verifier: SignatureVerifier | undefined) {
  const waiting: Waiting[] = [];
  let draining = false;

  /** Store the waiting posts in order, each once its own verdict is in. */
  async function drain() {
    draining = true;
    while (waiting.length) {
      const w = waiting[0]!;
      const ok = w.verdict && (await w.verdict);
      waiting.shift();
      const verdict: CheckedVerdict | undefined = w.pending && ok !== undefined ? { ...w.pending, ok } : undefined;
      try {
        w.resolve(w.post(verdict));
      } catch (e) {
        w.reject(e);
      }
    }
    draining = false;
  }

  return {
    /** Posts waiting for a verdict or for one before them. */
    get waiting() {
      return waiting.length;
    },

    /**
     * Post through `post` (room.post with a verdict): at once when there is no verifier, or nothing to verify and
     * nothing waiting; otherwise after every post before it, with its signature verified off the main thread. A
     * refusal the first pass finds is thrown at once; one the second pass finds rejects the promise.
     */
    submit<T>(signed: boolean, post: (verdict?: Verdict) => T): T | Promise<T> {
      if (!verifier || (!signed && waiting.length === 0)) return post();
      let pending: Pending | undefined;
      if (signed) {
        try {
          return post("defer"); // (only a post that needs no signature check returns: nothing was deferred)
        } catch (e) {
          if (!(e instanceof Deferred)) throw e;
          pending = e.pending;
        }
      }
      return new Promise<T>((resolve, reject) => {
        const verdict = pending && verifier(pending.payload, pending.sig, pending.signer);
        waiting.push({ verdict, pending, post, resolve: resolve as (v: unknown) => void, reject });
        if (!draining) void drain();
      });
    },
  };
}
