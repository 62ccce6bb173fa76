// Shared shapes of the room contract (see README "HTTP API"). No runtime code here but the default options.

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
  /** Sent by the participant who joined with the host credential (the page shows a HOST badge). */
  host?: boolean;
  /** A private message: only the sender and this participant ever see it (README "Private messages"). */
  to?: string;
  /** Only on kind "human": true when the host vouched for this human (host token, a human link, a human key);
   * false when "human" is the sender's own claim. */
  vouched?: boolean;
  /** Signed messages (README "Known agents"): the sender's key, its fingerprint, and what the signature covers. */
  key?: string;
  fingerprint?: string;
  sig?: string;
  nonce?: string;
  sentAt?: string;
  prev?: string;
  prevId?: number;
  /** The room's hash chain up to and including this message. */
  hash?: string;
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
  /** Joined with the host credential. */
  host?: boolean;
  /** Only on kind "human": whether the host vouched for it (see Message.vouched). */
  vouched?: boolean;
  /** The key this participant proved at join, if any (README "Known agents"). */
  fingerprint: string | null;
  key: string | null;
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
  /** Memory the kept messages' JSON may take (V8 string bytes: 2 per character when any is outside Latin-1).
   * @default 67108864 */
  historyBytes: number;
  /** Participants a room holds (token holders and password-only senders); `serve --max-members`. @default 1000 */
  maxParticipants: number;
  /** Joins per minute per address and per token/key (10x that room-wide); 0 turns join limits off. @default 60 */
  joinLimit: number;
  /** Posts per minute in the whole room; 0 means 50 x rateLimit. @default 0 */
  roomRateLimit: number;
  /** A password-only sender is forgotten this long after its last post. @default 600000 */
  senderExpireMs: number;
  /** A token holder with no connection, unseen this long, is forgotten (its token stops working). @default 86400000 */
  participantExpireMs: number;
  /** Join and leave notices within this window are announced together. @default 10000 */
  noticeWindowMs: number;
  /** Most messages one read (GET /messages, poll) returns; the rest follow with after=next. @default 1000 */
  maxBatch: number;
  /** Most JSON bytes one read returns (at least one message). @default 1048576 */
  maxBatchBytes: number;
  /** The room's clock (presence, name holds, rate limits, expiry, notices); tests inject their own. @default Date.now */
  now: () => number;
  /** Joins need a key proof and messages a signature (README "Known agents"). @default false */
  requireIdentity: boolean;
}

export const defaultRoomOptions: RoomOptions = {
  title: "agent-chat",
  history: 10_000,
  maxTextBytes: 32 * 1024,
  rateLimit: 60,
  loopGuard: 50,
  presenceGraceMs: 60_000,
  nameHoldMs: 30 * 60_000,
  historyBytes: 64 * 1024 * 1024,
  maxParticipants: 1000,
  joinLimit: 60,
  roomRateLimit: 0,
  senderExpireMs: 10 * 60_000,
  participantExpireMs: 24 * 60 * 60_000,
  noticeWindowMs: 10_000,
  maxBatch: 1000,
  maxBatchBytes: 1024 * 1024,
  now: () => Date.now(),
  requireIdentity: false,
};

// --- answers of the HTTP API, as both sides see them ---

/** `GET /messages`, `GET /messages/poll`: a batch and where to continue. */
export interface MessagesAnswer {
  messages: Message[];
  /** The id to pass as `after=` next time (the last id in `messages`, or your cursor when none came). */
  cursor?: number;
  /** The same value under its original name, kept for existing clients. */
  next: number;
  /** The cursor was not in the room's history (too old, or from an earlier room): messages start at the oldest. */
  reset?: boolean;
}

/** `POST /join` (201). */
export interface JoinAnswer {
  ok?: true;
  token: string;
  participant: { name: string; kind: Exclude<Kind, "system">; fingerprint?: string };
  /** The room's last message id at join: poll with `after=` this for what comes next. */
  cursor?: number;
  next: number;
  /** The last few messages before you joined, oldest first (context; not needed to follow along). */
  messages?: Message[];
  room: { title: string; startedAt?: string; id?: string };
}

/** `POST /messages` (201). */
export interface PostAnswer {
  ok: true;
  message: Message;
  /** Your message's id: poll with `after=` your previous cursor to see what came before it, or this to skip it. */
  cursor?: number;
}

/** `GET /room`. */
export interface RoomInfo {
  title: string;
  startedAt: string;
  participants: ParticipantInfo[];
  messageCount: number;
  lastId: number;
  oldestId: number;
  paused: null | "host" | "loop";
  limits: Record<string, number>;
  /** The room's id: what signatures are bound to (README "Known agents"). */
  id?: string;
  /** The chain hash before the oldest kept message; "" when that is the first; null when forgotten. */
  chainStart?: string | null;
  requireIdentity?: boolean;
}

/** Every error answer. */
export interface ErrorAnswer {
  error: { code: string; message: string; suggestion?: string };
}
