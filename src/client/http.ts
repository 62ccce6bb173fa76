// The room's HTTP contract (README "HTTP API") from the caller's side. Every request is bounded in time, and every
// failure becomes a CliError whose exit code and message say what happened and what to do.
import { httpError, notARoom, unreachable } from "./http-errors.js";
import { CliError, Exit } from "./exit.js";
import type { Kind, Message, ParticipantInfo } from "../protocol/types.js";

export interface Conn {
  /** Room URL without a trailing slash. */
  url: string;
  /** Participant token from POST /join: requests act as that name. */
  token?: string;
  /** Room password: used when there is no token, and on join (so a token from a restarted room falls back). */
  password?: string;
  /** Host token printed by `serve`: host actions only. */
  hostToken?: string;
}

export interface Slice {
  messages: Message[];
  next: number;
  /** The cursor was not in the room's history (too old, or from an earlier room): messages start at the oldest. */
  reset?: boolean;
}

export interface JoinAnswer {
  token: string;
  participant: { name: string; kind: Exclude<Kind, "system"> };
  next: number;
  room: { title: string };
}

export interface RoomInfo {
  title: string;
  startedAt: string;
  participants: ParticipantInfo[];
  messageCount: number;
  lastId: number;
  oldestId: number;
  paused: null | "host" | "loop";
  limits: Record<string, number>;
}

/** Bound for one request (AGENT_CHAT_REQUEST_TIMEOUT seconds, default 15); long-polls get poll time + this. */
export const REQUEST_TIMEOUT_MS = (Number(process.env.AGENT_CHAT_REQUEST_TIMEOUT) || 15) * 1000;

export function createClient(conn: Conn) {
  const call = <T>(method: string, path: string, body?: unknown, timeoutMs = REQUEST_TIMEOUT_MS) =>
    request<T>(conn, method, path, { body, timeoutMs });
  return {
    conn,
    join: (name: string, kind: "agent" | "human") => call<JoinAnswer>("POST", "/join", { name, kind }),
    leave: () => call<{ ok: true }>("POST", "/leave", {}),
    send: (text: string, replyTo?: number) =>
      call<{ message: Message }>("POST", "/messages", replyTo === undefined ? { text } : { text, replyTo }).then((r) => r.message),
    /** after undefined: the last `limit` messages of the room. */
    messages: (after: number | undefined, limit?: number) =>
      call<Slice>("GET", `/messages?${qs({ after, limit })}`),
    /** Long-poll: answers at once when anything is newer than `after`, else after up to `seconds` (server max 90). */
    poll: (after: number, seconds: number) =>
      call<Slice>("GET", `/messages/poll?${qs({ after, timeout: Math.round(seconds * 10) / 10 })}`, undefined, seconds * 1000 + REQUEST_TIMEOUT_MS),
    room: () => call<RoomInfo>("GET", "/room"),
    invite: () => request<string>(conn, "GET", "/invite", { text: true }),
    host: (action: "kick" | "pause" | "resume" | "title", body: Record<string, unknown> = {}) =>
      call<Record<string, unknown>>("POST", `/host/${action}`, body),
  };
}

export type Client = ReturnType<typeof createClient>;

export { httpError, unreachable };

/** `http://x:1/` or `x:1` → `http://x:1`; anything that is not an http(s) URL is a usage error. */
export function normalizeUrl(raw: string): string {
  let s = raw.trim();
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(s)) s = `http://${s}`;
  let u: URL;
  try {
    u = new URL(s);
  } catch {
    throw new CliError(Exit.USAGE, `"${raw}" is not a URL; pass the room URL from the invite, e.g. --url http://192.168.1.5:8765`);
  }
  if (u.protocol !== "http:" && u.protocol !== "https:") {
    throw new CliError(Exit.USAGE, `"${raw}" is not an http(s) URL; pass the room URL from the invite, e.g. --url http://192.168.1.5:8765`);
  }
  // The fragment of a web link (#password=…) is for browsers; the API lives at the path.
  return `${u.origin}${u.pathname}`.replace(/\/+$/, "");
}

/** Auth headers: host token, else participant token, else password. Join sends both token and password. */
export function authHeaders(conn: Conn, both = false): Record<string, string> {
  const h: Record<string, string> = {};
  const bearer = conn.hostToken ?? conn.token;
  if (bearer) h.authorization = `Bearer ${bearer}`;
  if (conn.password !== undefined && (both || !bearer)) h["x-room-password"] = conn.password;
  return h;
}

export async function request<T>(
  conn: Conn,
  method: string,
  path: string,
  opts: { body?: unknown; timeoutMs?: number; text?: boolean } = {},
): Promise<T> {
  const timeoutMs = opts.timeoutMs ?? REQUEST_TIMEOUT_MS;
  const headers: Record<string, string> = { ...authHeaders(conn, path === "/join"), accept: opts.text ? "text/plain" : "application/json" };
  if (opts.body !== undefined) headers["content-type"] = "application/json";
  let res: Response;
  let raw: string;
  try {
    res = await fetch(conn.url + path, {
      method,
      headers,
      body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
      signal: AbortSignal.timeout(timeoutMs),
    });
    raw = await res.text();
  } catch (err) {
    throw unreachable(conn.url, err, timeoutMs);
  }
  if (!res.ok) throw httpError(conn, res, raw);
  if (opts.text) return raw as T;
  try {
    return JSON.parse(raw) as T;
  } catch {
    throw notARoom(conn.url, res);
  }
}

// --- internal ---

const qs = (o: Record<string, number | undefined>) =>
  Object.entries(o)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${k}=${v}`)
    .join("&");
