// The many-rooms part of the wire contract (README "Many rooms, invite keys, private messages"), shared by the
// server (src/rooms) and the client (src/client/rooms.ts): room ids, and what GET /r/<id>/keys shows of a key.

/** A room id as it appears in `/r/<id>`: random lowercase letters and digits (the server mints 10). */
export const ROOM_ID = /^[a-z0-9]{8,32}$/;

/** What GET /r/<id>/keys shows of an invite key: everything but its secret and token hashes. */
export interface KeyInfo {
  keyId: string;
  label: string;
  name: string | null;
  kind: "agent" | "human" | null;
  uses: number | null;
  used: number;
  claimedBy: string | null;
  claimedAt: string | null;
  createdAt: string;
  expiresAt: string | null;
  expired: boolean;
  revoked: boolean;
  /** Pinned to this agent key's fingerprint (README "Known agents"), or null. */
  fingerprint: string | null;
}
