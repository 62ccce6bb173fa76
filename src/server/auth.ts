// Who is calling, in which room: a participant (token), an invite key holder, the host (one host token for every
// room of the server), a human session (from a human link the host handed out), or anyone with the room's password.
// Password guesses are throttled per address and overall, across all rooms; tokens and keys are 256-bit random, so
// they are always checked. Every caller carries its origin (credential + address) for the rate limits.
import { hash, randomBytes, timingSafeEqual } from "node:crypto";
import type { IncomingMessage } from "node:http";
import { RoomError } from "../protocol/errors.js";
import { createBucket, type BucketSpec, type Origin } from "../room/limits.js";
import type { SharedBuckets } from "../rooms/redis/buckets.js";
import type { Participant } from "../room/index.js";
import { hashToken } from "../room/participants.js";
import type { HostedRoom } from "../rooms/index.js";
import { KEY_PREFIX, revokedError, type InviteKey } from "../rooms/keys.js";
import { keyParticipant } from "./keys.js";
import { clientAddress } from "./http.js";
import { createLinks, type LinkKind } from "./links.js";

/** The shape of a participant token (`ac_` + 32 random bytes, base64url): see room/participants.ts. */
const PARTICIPANT_TOKEN = /^ac_[A-Za-z0-9_-]{43}$/;

export interface Caller {
  participant?: Participant;
  /** The raw participant token, when the caller used one (to re-join as itself). */
  token?: string;
  /** The invite key the caller used, or the key its token was minted from. */
  key?: InviteKey;
  /** The key's raw secret, when the caller sent the key itself (POST /join claims with it). */
  keySecret?: string;
  host: boolean;
  /** A human session (from a human link the host handed out): its joins as "human" are vouched for. */
  humanSession?: boolean;
  /** The credential and address, for the rate limits (never the name a body claims). Absent on unauthenticated routes. */
  origin?: Origin;
}

interface AuthOptions {
  hostToken: string;
  /** Failed password attempts per address per minute. */
  authFailPerMinute: number;
  trustProxy: boolean;
  /** The clock of link codes and the password throttle. @default Date.now */
  now?: () => number;
  /** serve --redis: the failed-password buckets in Redis, shared by every instance (src/server/store.ts). */
  shared?: SharedBuckets;
}

export const newHostToken = () => "ach_" + randomBytes(32).toString("base64url");
// One-shot hash (Node >= 20.12): cheaper than createHash on every request; both sides hashed, so the
// constant-time compare sees equal lengths.
const sha = (s: string) => hash("sha256", s, "buffer");
const shaHex = (s: string) => hash("sha256", s, "hex");
const newSessionToken = () => "acs_" + randomBytes(32).toString("base64url");

/** Human sessions kept at most (oldest forgotten first: its page then needs a new link). */
const MAX_SESSIONS = 10_000;

export function createAuth(opts: AuthOptions) {
  const now = opts.now ?? (() => Date.now());
  const hostHash = sha(opts.hostToken);
  const links = createLinks(now);
  /** SHA-256 hex of each human session token → the id of the room it opens. */
  const sessions = new Map<string, string>();
  const perAddress = createBucket(opts.authFailPerMinute, opts.authFailPerMinute);
  // Overall ceiling, so rotating addresses does not multiply the guessing rate (see README, "Password guessing").
  const overall = createBucket(opts.authFailPerMinute * 10, opts.authFailPerMinute * 10);
  const same = (a: Buffer, b: string) => timingSafeEqual(a, sha(b));
  const shared = opts.shared;
  /** Failures that count (fail()): guarded() counts them once the check is over. */
  const counted = new WeakSet<object>();

  function fail(what: string): never {
    const e = new RoomError("UNAUTHORIZED", `Wrong or missing ${what}. Send the room password as X-Room-Password (or Authorization: Bearer), as given in the invite.`);
    counted.add(e);
    throw e;
  }

  const limited = (wait: number) => new RoomError("AUTH_RATE_LIMITED", `Too many wrong passwords; retry in ${wait} s. Check the password in the invite.`, { retryAfter: wait });

  function throttled(addr: string) {
    const t = now();
    const wait = Math.max(perAddress.wait(addr, t), overall.wait("all", t));
    if (wait) throw limited(wait);
  }

  /** The buckets of memory's perAddress and overall, for Redis. */
  const failSpecs = (addr: string): BucketSpec[] =>
    opts.authFailPerMinute > 0
      ? [
          { bucket: "fa", key: addr, perMinute: opts.authFailPerMinute, burst: opts.authFailPerMinute },
          { bucket: "fo", key: "all", perMinute: opts.authFailPerMinute * 10, burst: opts.authFailPerMinute * 10 },
        ]
      : [];

  /**
   * A guess (`check` passes, or throws; fail() marks the failures that count): refused first while the address (or
   * everyone) is over the limit — even a right one — and counted after when wrong. serve --redis: both in the buckets
   * every instance shares (one Redis round trip, two for a wrong guess), so the answer is a promise.
   */
  function guarded<T>(addr: string, check: () => T): T | Promise<T> {
    if (!shared) return locally(addr, check);
    const specs = failSpecs(addr);
    return shared.run("wait", specs, now()).then(
      async (wait) => {
        if (wait) throw limited(wait);
        try {
          return check();
        } catch (e) {
          if (counted.has(e as object)) await shared.run("each", specs, now()).catch(() => countHere(addr));
          throw e;
        }
      },
      // Redis is not answering: this instance's own buckets meanwhile (reading what it holds still works).
      () => locally(addr, check),
    );
  }

  function locally<T>(addr: string, check: () => T): T {
    throttled(addr);
    try {
      return check();
    } catch (e) {
      if (counted.has(e as object)) countHere(addr);
      throw e;
    }
  }

  function countHere(addr: string) {
    perAddress.take(addr, now());
    overall.take("all", now());
  }

  const api = {
    authenticate(req: IncomingMessage, query: URLSearchParams, hosted: HostedRoom): Caller | Promise<Caller> {
      const room = hosted.room;
      const header = req.headers.authorization;
      const bearer = typeof header === "string" && /^bearer\s+/i.test(header) ? header.replace(/^bearer\s+/i, "").trim() : undefined;
      const secret = bearer ?? query.get("token") ?? undefined;
      const addr = clientAddress(req, opts.trustProxy);
      const origin = (credential: string): Origin => ({ credential, address: addr });

      if (secret?.startsWith("ac_")) {
        const key = hosted.keys.byTokenHash(hashToken(secret));
        if (key?.revoked) throw revokedError(key);
        const found = room.participants.lookupToken(secret);
        if (found && "participant" in found) {
          return { participant: found.participant, token: secret, key, host: false, origin: origin(key ? `key:${key.keyId}` : `token:${found.participant.key}`) };
        }
        if (found) throw new RoomError("REMOVED", `The host removed "${found.removed}" from this room; this token no longer works.`);
      }
      if (secret?.startsWith(KEY_PREFIX)) {
        const key = hosted.keys.use(secret);
        if (key) return { key, keySecret: secret, participant: keyParticipant(hosted, key), host: false, origin: origin(`key:${key.keyId}`) };
        throw new RoomError("UNAUTHORIZED", "Unknown invite key: it may belong to another room (check the link) or be mistyped.");
      }
      if (secret?.startsWith("ach_") && same(hostHash, secret)) return { host: true, origin: origin("host") };
      if (secret?.startsWith("acs_")) {
        const h = shaHex(secret);
        if (sessions.get(h) === hosted.id) return { host: false, humanSession: true, origin: origin(`session:${h.slice(0, 16)}`) };
      }

      // A keys-only room checks no password at all, so there is nothing to guess and nothing to count.
      if (hosted.keysOnly && !secret?.startsWith("ac_")) {
        throw new RoomError("KEY_REQUIRED", "This room takes invite keys only, not a password: ask the host for an invite key and send it as Authorization: Bearer ak_….");
      }
      const xpw = req.headers["x-room-password"];
      const password = (typeof xpw === "string" ? xpw : undefined) ?? bearer ?? query.get("password") ?? undefined;
      if (password === undefined && secret === undefined) {
        // Not a guess: no attempt is counted.
        throw new RoomError("UNAUTHORIZED", "This room needs its password: send X-Room-Password (or Authorization: Bearer), as given in the invite.");
      }
      return guarded(addr, (): Caller => {
        if (password !== undefined && hosted.passwordHash && same(hosted.passwordHash, password)) return { host: false, origin: origin("password") };
        // A well-formed participant token the room does not know (its holder left, or the room restarted) is no password
        // guess: 256 random bits cannot be guessed. Counting it let a client's own late request (a stream opened just
        // before its /leave) lock its whole address out of password checks for a minute.
        if (secret !== undefined && PARTICIPANT_TOKEN.test(secret)) {
          throw new RoomError("UNAUTHORIZED", "Unknown participant token: it may be from another room, or you left, or the room restarted. Join again (POST /join with the password).");
        }
        fail(secret?.startsWith("ac") ? "token (it may be from another room: join again)" : "password");
      });
    },

    /** Host: a one-time code for a link to `hosted` (see links.ts). */
    mintLink(hosted: HostedRoom, kind: LinkKind, ttlMs: number, uses = 1) {
      return links.mint(kind, ttlMs, uses, hosted.id);
    },

    /** POST /session: spend a link code. A host link gives the host token; a human link a session for its room.
     * Wrong codes count as failed passwords (per address and overall). */
    redeem(req: IncomingMessage, code: unknown): Redeemed | Promise<Redeemed> {
      const addr = clientAddress(req, opts.trustProxy);
      if (typeof code !== "string" || !code.startsWith("acl_")) throw new RoomError("BAD_FIELD", `"code" must be the code from a link (acl_…).`);
      return guarded(addr, (): Redeemed => {
        const r = links.redeem(code);
        if (r === "spent") throw new RoomError("LINK_USED", "This link was already used (or has expired): it opens once. Ask the host for a new link.");
        if (r === undefined) fail("link code");
        if (r.kind === "host") return { kind: "host", hostToken: opts.hostToken };
        const token = newSessionToken();
        sessions.set(shaHex(token), r.room);
        if (sessions.size > MAX_SESSIONS) sessions.delete(sessions.keys().next().value as string);
        return { kind: "human", token, room: r.room };
      });
    },

    /** The same check bound to one room (for transports that hold one room, like a WebSocket hub). */
    forRoom(hosted: HostedRoom): RoomAuth {
      return { authenticate: (req, query) => api.authenticate(req, query, hosted) };
    },
  };
  return api;
}

export interface RoomAuth {
  /** A promise only with serve --redis, when a password is checked against the shared failed-password limits. */
  authenticate(req: IncomingMessage, query: URLSearchParams): Caller | Promise<Caller>;
}

type Redeemed = { kind: "host"; hostToken: string } | { kind: "human"; token: string; room: string };

export type Auth = ReturnType<typeof createAuth>;
