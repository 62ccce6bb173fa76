// Many rooms on one server, from the caller's side (README "Many rooms, invite keys, private messages"): room URLs
// (`<server>/r/<id>`), invite links (`<url>/r/<id>#key=ak_…`), and the host's calls for rooms and keys.
import { CliError, Exit, usageError } from "./exit.js";
import { normalizeUrl, request, type Conn } from "./http.js";

import { ROOM_ID, type KeyInfo } from "../protocol/rooms.js";

export { ROOM_ID } from "../protocol/rooms.js";
const ROOM_PATH = /\/r\/([^/]+)$/;

/** The room's base URL: the server's plus /r/<id> (a /r/<x> already on `url` is replaced). No id: `url` as is. */
export function roomUrl(url: string, id: string | undefined): string {
  if (id === undefined) return url;
  if (!ROOM_ID.test(id)) throw usageError(`--room must be a room id (8-32 lowercase letters and digits, as in …/r/<id>), got "${id.slice(0, 40)}".`);
  return `${serverOf(url)}/r/${id}`;
}

/** `http://h:1/r/abc` → `http://h:1`: the server a room URL belongs to. */
export const serverOf = (url: string) => url.replace(ROOM_PATH, "");

/** The room id in a room URL, if it has one. */
export const roomIdOf = (url: string) => ROOM_PATH.exec(url)?.[1];

interface InviteLink {
  /** The room URL (no fragment). */
  url: string;
  key?: string;
  password?: string;
}

/** An invite link as printed or pasted: `<url>/r/<id>#key=ak_…` or `<url>/#password=…`; a bare URL too. */
export function parseLink(raw: string): InviteLink {
  const hash = raw.indexOf("#");
  const url = normalizeUrl(hash === -1 ? raw : raw.slice(0, hash));
  const frag = new URLSearchParams(hash === -1 ? "" : raw.slice(hash + 1));
  const key = frag.get("key") ?? undefined;
  if (key !== undefined && !/^ak_[A-Za-z0-9_-]{20,}$/.test(key)) throw usageError(`the link's key does not look like an invite key (ak_…): copy the whole link from the invite.`);
  const password = frag.get("password") ?? undefined;
  return { url, ...(key && { key }), ...(password !== undefined && { password }) };
}

// --- the host's calls (host token) ---

interface RoomSummary {
  id: string;
  title: string;
  url: string;
  default: boolean;
  participants: number;
  online: number;
  messages: number;
  createdAt: string;
  keysOnly: boolean;
  keys: number;
  paused: null | "host" | "loop";
}


interface MintedKey {
  key: string;
  keyId: string;
  link: string;
  invite: string;
}

/** `conn.url` is the server; a room's calls go to its /r/<id> (the default room's at the root when `id` is undefined). */
export function hostApi(conn: Conn) {
  if (!conn.hostToken) throw new CliError(Exit.USAGE, "these commands need the host token (--host-token, printed by `agent-chat serve`).");
  const server = serverOf(conn.url);
  const at = (id?: string): Conn => ({ ...conn, url: id === undefined ? server : `${server}/r/${id}` });
  return {
    listRooms: () => request<{ rooms: RoomSummary[] }>(at(), "GET", "/rooms").then((r) => r.rooms),
    createRoom: (spec: { title: string; password?: string; keysOnly?: boolean }) =>
      request<{ room: { id: string; title: string; url: string; password: string | null; keysOnly: boolean }; invite: string | null }>(at(), "POST", "/rooms", { body: spec }),
    closeRoom: (id: string) => request<{ ok: true; closed: string }>(at(id), "DELETE", ""),
    mintKey: (id: string | undefined, spec: { label: string; name?: string; kind?: string; uses?: number; expiresIn?: number }) =>
      request<MintedKey>(at(id), "POST", "/keys", { body: spec }),
    listKeys: (id: string | undefined) => request<{ keys: KeyInfo[] }>(at(id), "GET", "/keys").then((r) => r.keys),
    revokeKey: (id: string | undefined, keyId: string) => request<{ ok: true; revoked: string }>(at(id), "DELETE", `/keys/${encodeURIComponent(keyId)}`),
  };
}

/** "90", "90s", "15m", "2h", "7d" → seconds. */
export function parseDuration(raw: string, flag: string): number {
  const m = /^(\d+)\s*(s|m|h|d)?$/i.exec(raw.trim());
  if (!m || Number(m[1]) <= 0) throw usageError(`--${flag} must be a duration like 90s, 15m, 2h or 7d (got "${raw}").`);
  return Number(m[1]) * { s: 1, m: 60, h: 3600, d: 86400 }[(m[2] ?? "s").toLowerCase() as "s"];
}
