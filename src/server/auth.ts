// Who is calling: a participant (token), the host (host token), or anyone with the room password.
// Password guesses are throttled per address and overall; tokens are 256-bit random, so they are always checked.
import { hash, randomBytes, timingSafeEqual } from "node:crypto";
import type { IncomingMessage } from "node:http";
import { RoomError } from "../protocol/errors.js";
import { createBucket } from "../room/limits.js";
import type { Participant, Room } from "../room/index.js";
import { clientAddress } from "./http.js";

export interface Caller {
  participant?: Participant;
  /** The raw participant token, when the caller used one (to re-join as itself). */
  token?: string;
  host: boolean;
}

export interface AuthOptions {
  password: string;
  hostToken: string;
  /** Failed password attempts per address per minute. */
  authFailPerMinute: number;
  trustProxy: boolean;
}

export const newHostToken = () => "ach_" + randomBytes(32).toString("base64url");
// One-shot hash (Node >= 20.12): cheaper than createHash on every request; both sides hashed, so the
// constant-time compare sees equal lengths.
const sha = (s: string) => hash("sha256", s, "buffer");

export function createAuth(room: Room, opts: AuthOptions) {
  const passwordHash = sha(opts.password);
  const hostHash = sha(opts.hostToken);
  const perAddress = createBucket(opts.authFailPerMinute, opts.authFailPerMinute);
  // Overall ceiling, so rotating addresses does not multiply the guessing rate (see README, "Password guessing").
  const overall = createBucket(opts.authFailPerMinute * 10, opts.authFailPerMinute * 10);
  const same = (a: Buffer, b: string) => timingSafeEqual(a, sha(b));

  function fail(addr: string, what: string): never {
    perAddress.take(addr);
    overall.take("all");
    throw new RoomError("UNAUTHORIZED", `Wrong or missing ${what}. Send the room password as X-Room-Password (or Authorization: Bearer), as given in the invite.`);
  }

  return {
    authenticate(req: IncomingMessage, query: URLSearchParams): Caller {
      const header = req.headers.authorization;
      const bearer = typeof header === "string" && /^bearer\s+/i.test(header) ? header.replace(/^bearer\s+/i, "").trim() : undefined;
      const secret = bearer ?? query.get("token") ?? undefined;

      if (secret?.startsWith("ac_")) {
        const found = room.participants.lookupToken(secret);
        if (found && "participant" in found) return { participant: found.participant, token: secret, host: false };
        if (found) throw new RoomError("REMOVED", `The host removed "${found.removed}" from this room; this token no longer works.`);
      }
      if (secret?.startsWith("ach_") && same(hostHash, secret)) return { host: true };

      const xpw = req.headers["x-room-password"];
      const password = (typeof xpw === "string" ? xpw : undefined) ?? bearer ?? query.get("password") ?? undefined;
      const addr = clientAddress(req, opts.trustProxy);
      const wait = Math.max(perAddress.wait(addr), overall.wait("all"));
      if (password === undefined && secret === undefined) {
        // Not a guess: no attempt is counted.
        throw new RoomError("UNAUTHORIZED", "This room needs its password: send X-Room-Password (or Authorization: Bearer), as given in the invite.");
      }
      if (wait) {
        throw new RoomError("AUTH_RATE_LIMITED", `Too many wrong passwords; retry in ${wait} s. Check the password in the invite.`, { retryAfter: wait });
      }
      if (password !== undefined && same(passwordHash, password)) return { host: false };
      fail(addr, secret?.startsWith("ac") ? "token (it may be from another room: join again)" : "password");
    },
  };
}

export type Auth = ReturnType<typeof createAuth>;
