// The room's HTTP contract (README "HTTP API") from the caller's side. Every request is bounded in time, and every
// failure becomes a CliError whose exit code and message say what happened and what to do.
import { CliError, Exit } from "./exit.js";
import type { Kind, Message, ParticipantInfo } from "./types.js";

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

const sentence = (s: string) => (/[.!?]$/.test(s.trim()) ? s.trim() : `${s.trim()}.`);

const qs = (o: Record<string, number | undefined>) =>
  Object.entries(o)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${k}=${v}`)
    .join("&");

/** fetch() says only "fetch failed"; the reason (refused, DNS, TLS, timeout) is in its cause. */
export function unreachable(url: string, err: unknown, timeoutMs: number): CliError {
  const e = err as { name?: string; message?: string; cause?: { code?: string; message?: string } };
  const code = e.cause?.code ?? "";
  let why: string;
  if (e.name === "TimeoutError" || e.name === "AbortError") why = `no answer within ${Math.round(timeoutMs / 1000)} s`;
  else if (code === "ECONNREFUSED") why = "connection refused";
  else if (code === "ENOTFOUND" || code === "EAI_AGAIN") why = "host not found";
  else if (code === "ECONNRESET" || code === "UND_ERR_SOCKET") why = "connection dropped";
  else why = e.cause?.message ?? e.message ?? String(err);
  return new CliError(Exit.UNREACHABLE, `cannot reach ${url} (${why}): is the room still running? Check the URL in the invite.`);
}

function notARoom(url: string, res: Response): CliError {
  return new CliError(
    Exit.UNREACHABLE,
    `${url} answered HTTP ${res.status} (${res.headers.get("content-type") ?? "no content type"}), not like an agent-chat room: check the URL in the invite.`,
  );
}

/** Map an error answer to an exit code and an actionable line (README "Errors"). */
export function httpError(conn: Conn, res: Response, raw: string): CliError {
  let code = "";
  let message = "";
  let suggestion: string | undefined;
  try {
    const e = (JSON.parse(raw) as { error?: { code?: string; message?: string; suggestion?: string } }).error;
    code = e?.code ?? "";
    message = e?.message ?? "";
    suggestion = e?.suggestion;
  } catch {
    /* not our JSON: a proxy or tunnel error page */
  }
  const url = conn.url;
  const retry = res.headers.get("retry-after");
  const inS = retry ? ` in ${retry} s` : " shortly";
  if (!code) {
    if (res.status >= 500 || res.status === 404) {
      return new CliError(Exit.UNREACHABLE, `${url} answered HTTP ${res.status} without a room error: the room or its tunnel is down or the URL is wrong; check the invite.`);
    }
    return notARoom(url, res);
  }
  switch (code) {
    case "UNAUTHORIZED":
      if (conn.hostToken) return new CliError(Exit.REJECTED, `host token rejected by ${url}: use the one printed by \`agent-chat serve\` on the host (--host-token).`);
      if (conn.token) return new CliError(Exit.REJECTED, `your token was rejected by ${url} (the room may have restarted): run \`agent-chat join\` again.`);
      return new CliError(Exit.REJECTED, `wrong password for ${url}: check the invite.`);
    case "HOST_ONLY":
      return new CliError(Exit.REJECTED, `only the host can do this in ${url}: pass the host token printed by \`agent-chat serve\` (--host-token), or run it on the host's machine.`);
    case "AUTH_RATE_LIMITED":
      return new CliError(Exit.RATE_LIMITED, `too many wrong passwords from this address for ${url}: retry${inS}, with the password from the invite.`);
    case "RATE_LIMITED":
      return new CliError(Exit.RATE_LIMITED, `${sentence(message)} Nothing was sent.`);
    case "PAUSED":
      return new CliError(Exit.RATE_LIMITED, `${sentence(message)} Nothing was sent.`);
    case "REMOVED":
    case "NAME_BARRED":
      return new CliError(Exit.REMOVED, `${url}: ${sentence(message)} Stop using this room.`);
    case "NAME_TAKEN":
      return new CliError(Exit.USAGE, `${sentence(message)}${suggestion ? ` Join with --name ${suggestion}` : ""}`);
    case "TOO_MANY_CONNECTIONS":
    case "SHUTTING_DOWN":
    case "INTERNAL":
      return new CliError(Exit.UNREACHABLE, `${url}: ${sentence(message)} Retry${inS}.`);
    default:
      return new CliError(res.status >= 500 ? Exit.UNREACHABLE : Exit.USAGE, `${url}: ${message}`);
  }
}
