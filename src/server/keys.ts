// Using an invite key in a room: claiming it (its first join pins the name), and finding the participant it holds.
import { RoomError } from "../protocol/errors.js";
import { checkName } from "../protocol/names.js";
import type { Origin, Participant } from "../room/index.js";
import type { HostedRoom } from "../rooms/index.js";
import type { InviteKey } from "../rooms/keys.js";
import type { RouteDeps } from "./routes.js";
import type { ProvenKey } from "../room/identity.js";

/** The participant a key was last joined as, while one of the key's tokens still holds that name. */
export function keyParticipant(hosted: HostedRoom, key: InviteKey): Participant | undefined {
  if (key.claimedBy === null) return undefined;
  const p = hosted.room.participants.find(key.claimedBy);
  return p?.tokenHash && key.tokens.has(p.tokenHash) ? p : undefined;
}

/**
 * Join with a key: under its name (fixed at mint, or `rawName` at first use, then pinned), counting one use.
 * A key holds one session: joining with it again starts a new one, and the previous token stops working.
 */
export function claimKey(
  d: Pick<RouteDeps, "rooms">,
  hosted: HostedRoom,
  key: InviteKey,
  rawName: unknown,
  rawKind: unknown,
  origin?: Origin,
  /** The key a join proof in the same request shows, for the name (README "Known agents"). */
  proof: (name: string) => ProvenKey | undefined = () => undefined,
): { token: string; participant: Participant; stored?: Promise<void> } {
  hosted.keys.checkJoin(key);
  if (key.name === null && rawName === undefined) {
    throw new RoomError("BAD_NAME", `This invite key has no name yet: give one ("name" to POST /join, "agent" with a message); it is then pinned to the key.`);
  }
  const name = key.name ?? checkName(rawName);
  const kind = key.kind ?? (rawKind === "human" ? "human" : rawKind === undefined || rawKind === "agent" ? "agent" : badKind());
  const proven = proof(name);
  if (key.fingerprint && proven?.fingerprint !== key.fingerprint) {
    throw new RoomError("BAD_PROOF", `This invite key is pinned to the agent key ${key.fingerprint}: join with that key's proof (agent-chat join does it).`);
  }
  const current = keyParticipant(hosted, key);
  if (current) hosted.room.participants.leave(current);
  else d.rooms.checkRoomFor(hosted, name);
  // A key the host minted as "human" vouches for its holder; a kind the holder picks is only a claim.
  const r = hosted.room.join(name, { kind, vouched: key.kind === "human" }, undefined, origin, proven);
  const tokenHash = r.participant.tokenHash!;
  hosted.keys.recordJoin(key, r.participant.name, kind, tokenHash);
  if (!hosted.keys.shared) return r;
  // serve --redis: the join is counted in Redis, atomically across instances; if Redis refuses it (the last use went
  // through another instance a moment ago, or the key was revoked there), this join is undone before anyone sees the
  // token. Whoever answers awaits room.flush() (or `stored`) first.
  const stored = hosted.keys.shared.claimed(key, tokenHash, r.participant.name, kind).catch((err: unknown) => {
    hosted.keys.unrecordJoin(key, tokenHash);
    hosted.room.leave(r.participant); // (its "joined" line may be out already: the room hears it left)
    throw err;
  });
  hosted.room.track(stored);
  return { ...r, stored };
}

const badKind = (): never => {
  throw new RoomError("BAD_FIELD", `"kind" must be "agent" or "human".`);
};
