// The room's HTTP contract (README "HTTP API") from the caller's side. Every request is bounded in time, and every
// failure becomes a CliError whose exit code and message say what happened and what to do.
import { httpError, notARoom, unreachable } from "./http-errors.js";
import { CliError, Exit } from "./exit.js";
import type { JoinAnswer, Message, MessagesAnswer, PostAnswer, RoomInfo } from "../protocol/types.js";
import type { Signer } from "./signer.js";

export interface Conn {
  /** Room URL without a trailing slash. */
  url: string;
  /** Participant token from POST /join: requests act as that name. */
  token?: string;
  /** Invite key (ak_…): joins with it (POST /join), and is the credential when there is no token. */
  key?: string;
  /** Room password: used when there is no token, and on join (so a token from a restarted room falls back). */
  password?: string;
  /** Host token printed by `serve`: host actions only. */
  hostToken?: string;
  /** Signs each sent message with this participant's key (README "Known agents"). */
  signer?: Signer;
}

/** A batch of messages and where to continue (the wire's MessagesAnswer, messages checked). */
export type Slice = MessagesAnswer;
export type { JoinAnswer, RoomInfo };

/** Bound for one request (AGENT_CHAT_REQUEST_TIMEOUT seconds, default 15); long-polls get poll time + this. */
const REQUEST_TIMEOUT_MS = (Number(process.env.AGENT_CHAT_REQUEST_TIMEOUT) || 15) * 1000;

export function createClient(conn: Conn) {
  const call = <T>(method: string, path: string, body?: unknown, timeoutMs = REQUEST_TIMEOUT_MS, signal?: AbortSignal) =>
    request<T>(conn, method, path, { body, timeoutMs, signal });
  return {
    conn,
    /** `name` may be left out when joining with an invite key that carries one; `extra`: e.g. a key proof. */
    join: (name: string | undefined, kind: "agent" | "human", extra: Record<string, unknown> = {}) => call<JoinAnswer>("POST", "/join", { name, kind, ...extra }),
    leave: () => call<{ ok: true }>("POST", "/leave", {}),
    /** `to`: a private message to that participant. Signed when the connection has a signer (README "Known agents").
     *  `ifCaughtUpAfter`: post only if nobody else wrote after that id (409 UNREAD_WAITING otherwise). */
    send: async (text: string, replyTo?: number, to?: string, ifCaughtUpAfter?: number) => {
      const body = { text, ...(replyTo !== undefined && { replyTo }), ...(to !== undefined && { to }) };
      const path = ifCaughtUpAfter === undefined ? "/messages" : `/messages?after=${ifCaughtUpAfter}&ifCaughtUp=1`;
      const r = await call<PostAnswer>("POST", path, conn.signer ? await conn.signer(body) : body);
      return checkMessage(r?.message, conn.url);
    },
    /** after undefined: the last `limit` messages of the room. */
    messages: (after: number | undefined, limit?: number) =>
      call<Slice>("GET", `/messages?${qs({ after, limit })}`).then((r) => checkSlice(r, conn.url)),
    /**
     * Long-poll: answers at once when anything is newer than `after`, else after up to `seconds` (server max 90).
     * `limit` bounds the batch (servers that predate it send everything; the caller cuts).
     */
    poll: (after: number, seconds: number, limit?: number, signal?: AbortSignal) =>
      call<Slice>("GET", `/messages/poll?${qs({ after, timeout: Math.round(seconds * 10) / 10, limit })}`, undefined, seconds * 1000 + REQUEST_TIMEOUT_MS, signal).then(
        (r) => checkSlice(r, conn.url),
      ),
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
  // A join with an invite key sends the key (it mints the token); other calls the token, else the key.
  const bearer = conn.hostToken ?? (both && conn.key ? conn.key : (conn.token ?? conn.key));
  if (bearer) h.authorization = `Bearer ${bearer}`;
  if (conn.password !== undefined && (both || !bearer)) h["x-room-password"] = conn.password;
  return h;
}

export async function request<T>(
  conn: Conn,
  method: string,
  path: string,
  /** signal: the caller gave up (a cancelled tool call): the request is aborted, so no long-poll stays open. */
  opts: { body?: unknown; timeoutMs?: number; text?: boolean; signal?: AbortSignal } = {},
): Promise<T> {
  const timeoutMs = opts.timeoutMs ?? REQUEST_TIMEOUT_MS;
  const headers: Record<string, string> = { ...authHeaders(conn, path === "/join" || path === "/challenge"), accept: opts.text ? "text/plain" : "application/json" };
  if (opts.body !== undefined) headers["content-type"] = "application/json";
  let res: Response;
  let raw: string;
  try {
    res = await fetch(conn.url + path, {
      method,
      headers,
      body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
      signal: opts.signal ? AbortSignal.any([AbortSignal.timeout(timeoutMs), opts.signal]) : AbortSignal.timeout(timeoutMs),
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

/**
 * The answer's shape, checked before anything uses it: a hostile or broken server must not crash a command or smuggle
 * a non-number into an id that gets printed. Strings are cleaned where they are shown (clean.ts), not here.
 */
export function checkMessage(m: unknown, url: string): Message {
  const x = m as Partial<Message> | null;
  if (!x || typeof x !== "object" || !Number.isSafeInteger(x.id) || typeof x.agent !== "string" || typeof x.text !== "string") {
    throw new CliError(Exit.UNREACHABLE, `${url} sent a message that is not in the room's format: check the URL in the invite.`, "NOT_A_ROOM");
  }
  const kind = x.kind === "human" || x.kind === "system" ? x.kind : "agent";
  const out: Message = { id: x.id!, agent: x.agent, text: x.text, timestamp: typeof x.timestamp === "string" ? x.timestamp : "", kind };
  if (typeof x.verified === "boolean") out.verified = x.verified;
  if (Array.isArray(x.mentions)) out.mentions = x.mentions.filter((n): n is string => typeof n === "string");
  if (Number.isSafeInteger(x.replyTo)) out.replyTo = x.replyTo;
  for (const k of Object.keys(x) as (keyof Message)[]) if (!(k in out) && typeof x[k] !== "object") (out as unknown as Record<string, unknown>)[k] = x[k];
  return out;
}

function checkSlice(r: Slice, url: string): Slice {
  const next = Number.isSafeInteger(r?.cursor) ? r.cursor! : Number.isSafeInteger(r?.next) ? r.next : undefined;
  if (!r || !Array.isArray(r.messages) || next === undefined) {
    throw new CliError(Exit.UNREACHABLE, `${url} answered a message request not like an agent-chat room: check the URL in the invite.`, "NOT_A_ROOM");
  }
  const messages = r.messages.map((m) => checkMessage(m, url));
  return { messages, next, cursor: next, ...(r.reset ? { reset: true } : {}) };
}

const qs = (o: Record<string, number | undefined>) =>
  Object.entries(o)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${k}=${v}`)
    .join("&");
