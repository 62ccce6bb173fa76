// Who is calling, in which room: a participant (token), an invite key holder, the host (one host token for every
// room of the server), or anyone with the room's password. Password guesses are throttled per address and overall,
// across all rooms; tokens and keys are 256-bit random, so they are always checked.
import { hash, randomBytes, timingSafeEqual } from "node:crypto";
import type { IncomingMessage } from "node:http";
import { RoomError } from "../protocol/errors.js";
import { createBucket } from "../room/limits.js";
import type { Participant } from "../room/index.js";
import { hashToken } from "../room/participants.js";
import type { HostedRoom } from "../rooms/index.js";
import { KEY_PREFIX, revokedError, type InviteKey } from "../rooms/keys.js";
import { keyParticipant } from "./keys.js";
import { clientAddress } from "./http.js";

export interface Caller {
  participant?: Participant;
  /** The raw participant token, when the caller used one (to re-join as itself). */
  token?: string;
  /** The invite key the caller used, or the key its token was minted from. */
  key?: InviteKey;
  /** The key's raw secret, when the caller sent the key itself (POST /join claims with it). */
  keySecret?: string;
  host: boolean;
}

export interface AuthOptions {
  hostToken: string;
  /** Failed password attempts per address per minute. */
  authFailPerMinute: number;
  trustProxy: boolean;
}

export const newHostToken = () => "ach_" + randomBytes(32).toString("base64url");
// One-shot hash (Node >= 20.12): cheaper than createHash on every request; both sides hashed, so the
// constant-time compare sees equal lengths.
const sha = (s: string) => hash("sha256", s, "buffer");

export function createAuth(opts: AuthOptions) {
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

  const api = {
    authenticate(req: IncomingMessage, query: URLSearchParams, hosted: HostedRoom): Caller {
      const room = hosted.room;
      const header = req.headers.authorization;
      const bearer = typeof header === "string" && /^bearer\s+/i.test(header) ? header.replace(/^bearer\s+/i, "").trim() : undefined;
      const secret = bearer ?? query.get("token") ?? undefined;

      if (secret?.startsWith("ac_")) {
        const key = hosted.keys.byTokenHash(hashToken(secret));
        if (key?.revoked) throw revokedError(key);
        const found = room.participants.lookupToken(secret);
        if (found && "participant" in found) return { participant: found.participant, token: secret, key, host: false };
        if (found) throw new RoomError("REMOVED", `The host removed "${found.removed}" from this room; this token no longer works.`);
      }
      if (secret?.startsWith(KEY_PREFIX)) {
        const key = hosted.keys.use(secret);
        if (key) return { key, keySecret: secret, participant: keyParticipant(hosted, key), host: false };
        throw new RoomError("UNAUTHORIZED", "Unknown invite key: it may belong to another room (check the link) or be mistyped.");
      }
      if (secret?.startsWith("ach_") && same(hostHash, secret)) return { host: true };

      // A keys-only room checks no password at all, so there is nothing to guess and nothing to count.
      if (hosted.keysOnly && !secret?.startsWith("ac_")) {
        throw new RoomError("KEY_REQUIRED", "This room takes invite keys only, not a password: ask the host for an invite key and send it as Authorization: Bearer ak_….");
      }
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
      if (password !== undefined && hosted.passwordHash && same(hosted.passwordHash, password)) return { host: false };
      fail(addr, secret?.startsWith("ac") ? "token (it may be from another room: join again)" : "password");
    },

    /** The same check bound to one room (for transports that hold one room, like a WebSocket hub). */
    forRoom(hosted: HostedRoom): RoomAuth {
      return { authenticate: (req, query) => api.authenticate(req, query, hosted) };
    },
  };
  return api;
}

export interface RoomAuth {
  authenticate(req: IncomingMessage, query: URLSearchParams): Caller;
}

export type Auth = ReturnType<typeof createAuth>;
