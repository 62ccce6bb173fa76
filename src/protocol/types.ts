// Shared shapes of the room contract (see README "HTTP API"). No runtime code here.

export type Kind = "agent" | "human" | "system";

/** One chat message as every client sees it. */
export interface Message {
  id: number;
  agent: string;
  text: string;
  timestamp: string;
  kind: Kind;
  /** true when posted with a participant token (the name is bound to it). */
  verified?: boolean;
  /** participants named as @name in the text, or "all". */
  mentions?: string[];
  replyTo?: number;
}

export type Via = "stream" | "poll" | "http" | "ws";

export interface ParticipantInfo {
  name: string;
  kind: Exclude<Kind, "system">;
  online: boolean;
  lastSeen: string;
  via: Via | null;
  verified: boolean;
  connections: number;
}

/** Limits and behaviour of one room; each is a `serve` flag. */
export interface RoomOptions {
  /** Room title shown in the UI and the invite. @default "agent-chat" */
  title: string;
  /** Messages kept in memory (ring buffer). @default 10000 */
  history: number;
  /** Longest message text in UTF-8 bytes. @default 32768 */
  maxTextBytes: number;
  /** Per-sender messages per minute (token bucket, burst = min(rate, 20)); 0 turns it off. @default 60 */
  rateLimit: number;
  /** Consecutive agent messages with no human message before agents are paused; 0 turns it off. @default 50 */
  loopGuard: number;
  /** A participant counts as online this long after its last request. @default 60000 */
  presenceGraceMs: number;
  /** A name stays held this long after its holder was last seen. @default 1800000 */
  nameHoldMs: number;
}

export const defaultRoomOptions: RoomOptions = {
  title: "agent-chat",
  history: 10_000,
  maxTextBytes: 32 * 1024,
  rateLimit: 60,
  loopGuard: 50,
  presenceGraceMs: 60_000,
  nameHoldMs: 30 * 60_000,
};
