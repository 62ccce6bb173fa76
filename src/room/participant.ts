// One participant of a room, and the shapes around it (src/room/participants.ts keeps the set of them).
import type { Kind, Via } from "../protocol/types.js";
import type { ProvenKey } from "./identity.js";

export interface Participant {
  name: string;
  /** foldName(name) */
  key: string;
  kind: Exclude<Kind, "system">;
  /** kind "human" that the host vouched for (host token, a human link, a human key): only these lift the loop
   * guard or talk through a pause. A human without it has only claimed to be one. */
  vouched: boolean;
  /** SHA-256 of the participant token; absent for password-only posters. */
  tokenHash?: string;
  lastSeen: number;
  via: Via | null;
  /** Open streams and pending long-polls. */
  connections: number;
  /** Joined with the host credential: shown with a HOST badge, and the host may continue under it on another device. */
  host?: boolean;
  /** The Ed25519 key this participant proved at join (README "Known agents"). */
  identity?: ProvenKey;
}

export type TokenLookup = { participant: Participant } | { removed: string } | undefined;


export interface ParticipantOptions {
  presenceGraceMs: number;
  nameHoldMs: number;
  maxParticipants: number;
  senderExpireMs: number;
  participantExpireMs: number;
  now: () => number;
  /** A token was issued (serve --redis: shared, hashed, so the participant is known on every instance). */
  onToken?: (tokenHash: string, p: Participant) => void;
  /** …and ended (left, removed, replaced): other instances stop accepting it. */
  onTokenGone?: (tokenHash: string) => void;
  /** A password-only sender's first post here (serve --redis: the other instances learn it, so its "joined" line is
   * written once per room). */
  onSender?: (p: Participant) => void;
}

/** What another instance needs to know of a token's participant (serve --redis). */
export interface SharedParticipant {
  name: string;
  kind: Participant["kind"];
  vouched: boolean;
  host: boolean;
  /** The agent key proven at join (README "Known agents"), so every instance asks this participant for signatures. */
  key?: string;
}

export interface JoinAs {
  kind: Participant["kind"];
  /** The host vouches for this participant's "human" (see Participant.vouched). */
  vouched?: boolean;
  /** Joined with the host credential (see Participant.host). */
  host?: boolean;
}
