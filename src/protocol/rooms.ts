// The many-rooms part of the wire contract (README "Many rooms, invite keys, private messages"), shared by the
// server (src/rooms) and the client (src/client/rooms.ts): room ids, and what GET /r/<id>/keys shows of a key.

/** A room id as it appears in `/r/<id>`: random lowercase letters and digits (the server mints 10). */
export const ROOM_ID = /^[a-z0-9]{8,32}$/;

/** What GET /r/<id>/keys shows of an invite key: everything but its secret and token hashes (the server keeps the
 * rest: src/rooms/keys.ts InviteKey). */
export interface KeyInfo {
  keyId: string;
  label: string;
  /** Fixed at mint, or pinned at first use. */
  name: string | null;
  /** Fixed at mint, or pinned at first use. */
  kind: "agent" | "human" | null;
  /** Joins (POST /join) allowed; null: unlimited. */
  uses: number | null;
  used: number;
  /** The name the key was first used under, and when. */
  claimedBy: string | null;
  claimedAt: string | null;
  createdAt: string;
  expiresAt: string | null;
  expired: boolean;
  revoked: boolean;
  /** Pinned to this agent key's fingerprint: a join must prove that key (README "Known agents"); or null. */
  fingerprint: string | null;
}
