// One-time link codes: what a host or human link carries instead of a secret, so that the copy a browser keeps in
// its history, favicons and session files is dead once the page has used it. The page posts the code to
// POST /session and gets the credential back (the host token, or a human session token); the code is then spent.
// Codes are 256-bit random and stored as their SHA-256 only.
import { createHash, randomBytes } from "node:crypto";

export type LinkKind = "host" | "human";

interface Link {
  kind: LinkKind;
  /** The room a human link opens (a host link opens every room: the host token is server-wide). */
  room: string;
  usesLeft: number;
  expiresAt: number;
}

/** Spent or expired codes are remembered (hashed) this long, to tell "already used" from "wrong". */
const REMEMBER_SPENT = 10_000;
/** Live codes kept at most. */
const MAX_LIVE = 10_000;

const sha = (s: string) => createHash("sha256").update(s).digest("hex");

export function createLinks(now: () => number) {
  const live = new Map<string, Link>();
  const spent = new Set<string>();

  function sweep(t: number) {
    for (const [h, l] of live) if (l.expiresAt <= t) live.delete(h), remember(h);
  }
  function remember(h: string) {
    spent.add(h);
    if (spent.size > REMEMBER_SPENT) spent.delete(spent.values().next().value as string);
  }

  return {
    /** A fresh code, good for `uses` exchanges within `ttlMs`. */
    mint(kind: LinkKind, ttlMs: number, uses: number, room: string): { code: string; expiresAt: number } {
      const t = now();
      sweep(t);
      // Only the host mints, but a loop in a script should not grow this without bound: the oldest goes first.
      if (live.size >= MAX_LIVE) live.delete(live.keys().next().value as string);
      const code = "acl_" + randomBytes(32).toString("base64url");
      const link: Link = { kind, room, usesLeft: Math.max(1, uses), expiresAt: t + ttlMs };
      live.set(sha(code), link);
      return { code, expiresAt: link.expiresAt };
    },

    /** Spend one use of `code`: its link, "spent" (used up or expired), or undefined (never a code of ours). */
    redeem(code: string): { kind: LinkKind; room: string } | "spent" | undefined {
      const h = sha(code);
      const l = live.get(h);
      if (!l) return spent.has(h) ? "spent" : undefined;
      if (l.expiresAt <= now()) {
        live.delete(h);
        remember(h);
        return "spent";
      }
      if (--l.usesLeft <= 0) live.delete(h), remember(h);
      return { kind: l.kind, room: l.room };
    },

    get size() {
      return live.size;
    },
  };
}

export type Links = ReturnType<typeof createLinks>;
