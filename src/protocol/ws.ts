// The WebSocket contract (README "WebSocket"): JSON text frames, one object each with a `type`, and the close codes.
// Shared by the server (src/server/ws/), the CLI's client (src/client/ws.ts) and, by copy, the page.
import type { ErrorCode } from "./errors.js";
import type { Message, ParticipantInfo } from "./types.js";

/** Client → server. `join` must be the first frame. */
export type ClientFrame =
  | { type: "join"; password?: string; key?: string; token?: string; name?: string; kind?: "agent" | "human"; after?: number }
  | { type: "send"; text: string; to?: string; replyTo?: number; ref?: string | number; signed?: Record<string, unknown> }
  | { type: "ping" }
  | { type: "pong" };

/** Server → client. */
export type ServerFrame =
  | {
      type: "joined";
      /** null when joined with the password and no name: a reader that cannot send. */
      participant: { name: string; kind: "agent" | "human" } | null;
      /** The participant token (a password join mints one, as POST /join does): reconnect with it. */
      token?: string;
      room: { title: string; startedAt: string; paused: null | "host" | "loop" };
      members: ParticipantInfo[];
      /** Id of the newest message when the socket joined; the replay (if `after` was given) ends there. */
      next: number;
      /** The server's ping interval: a client that hears nothing for a few of these may count the link as dead. */
      pingMs: number;
    }
  | { type: "message"; message: Message }
  | { type: "sent"; ref?: string | number; message: Message }
  | { type: "error"; ref?: string | number; code: ErrorCode | WsOnlyCode; message: string; retryAfter?: number }
  | { type: "reset"; oldest: number; next: number }
  | { type: "presence"; members: ParticipantInfo[] }
  | { type: "paused"; by: "host" | "loop" }
  | { type: "resumed" }
  | { type: "title"; title: string }
  | { type: "removed"; message: string }
  | { type: "closed"; message: string }
  | { type: "ping" }
  | { type: "pong" };

/** Codes only a socket can get (the rest are the HTTP table's). */
export type WsOnlyCode = "BAD_FRAME" | "JOIN_TIMEOUT" | "PING_TIMEOUT" | "SLOW_CONSUMER" | "FRAME_RATE_LIMITED";

/**
 * Close codes: 4000 + the HTTP status of the same error class, so a client maps them like HTTP answers; slow
 * consumer has no HTTP status and takes 4008. 1009 (frame too large) is the standard code, sent by the WebSocket
 * layer itself.
 */
export const WS_CLOSE = {
  /** Not JSON, an unknown type, or a first frame that is not `join`. */
  BAD_FRAME: 4400,
  /** Wrong or missing password, key or token. */
  UNAUTHORIZED: 4401,
  /** Removed by the host, or the key was revoked. */
  REMOVED: 4403,
  /** No `join` within the deadline, or two pings unanswered. */
  TIMEOUT: 4408,
  /** The name is taken or barred (the join was refused for a reason a retry under another name fixes). */
  CONFLICT: 4409,
  /** The room was closed by the host. */
  ROOM_CLOSED: 4410,
  /** Too many frames per second, or too many wrong passwords. */
  RATE_LIMITED: 4429,
  /** The server is shutting down (503 SHUTTING_DOWN). Reconnect later with `after`. */
  SHUTTING_DOWN: 4503,
  /** The client read too slowly: unsent output passed the server's bound (no HTTP status; like the standard 1008,
   * a policy close). Reconnect with `after`: nothing is lost. */
  SLOW_CONSUMER: 4008,
  /** A frame larger than the limit (standard WebSocket code). */
  TOO_LARGE: 1009,
} as const;

/** Closes after which reconnecting with the same credentials cannot help. */
export const FINAL_CLOSES: ReadonlySet<number> = new Set([WS_CLOSE.UNAUTHORIZED, WS_CLOSE.REMOVED, WS_CLOSE.ROOM_CLOSED, WS_CLOSE.CONFLICT, WS_CLOSE.BAD_FRAME]);

/** The close code that ends a socket whose join failed with this HTTP status. */
export function closeForStatus(status: number): number {
  if (status === 401) return WS_CLOSE.UNAUTHORIZED;
  if (status === 403) return WS_CLOSE.REMOVED;
  if (status === 409) return WS_CLOSE.CONFLICT;
  if (status === 410) return WS_CLOSE.ROOM_CLOSED;
  if (status === 429) return WS_CLOSE.RATE_LIMITED;
  if (status >= 500) return WS_CLOSE.SHUTTING_DOWN;
  return WS_CLOSE.BAD_FRAME;
}
