// 503 STORE_UNAVAILABLE: what a request answers when Redis does not (down, reconnecting, or a command in a MULTI
// refused). The one error, and the two wrappers every plain "a Redis call failed → 503" site uses. Places that do
// more on a failure (log it, fall back, fire and forget) keep their own catch.
import type { ChainableCommander } from "ioredis";
import { RoomError } from "../../protocol/errors.js";

export const unavailable = () => new RoomError("STORE_UNAVAILABLE", "The room's store (Redis) is not answering; retry in a few seconds.", { retryAfter: 2 });

/** `p`'s value, or 503 STORE_UNAVAILABLE when it fails (whatever the reason: the client's error never reaches a user). */
export async function orUnavailable<T>(p: Promise<T>): Promise<T> {
  try {
    return await p;
  } catch {
    throw unavailable();
  }
}

/** Run a MULTI: its replies, or 503 STORE_UNAVAILABLE when the exec fails or any one command in it does (exec
 * resolves with each command's error rather than rejecting). */
export async function execOrUnavailable(m: ChainableCommander): Promise<[Error | null, unknown][]> {
  const r = await orUnavailable(m.exec());
  if (r?.some(([e]) => e)) throw unavailable();
  return r ?? [];
}
