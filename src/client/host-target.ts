// Which served room a host command (kick, pause, resume, title, stop) acts on, and with which host token: flags and
// environment first, else what `serve` saved on this machine.
import { normalizeUrl, type Conn } from "./http.js";
import { usageError } from "./exit.js";
import { listHosts, type HostRecord } from "./state.js";
import { roomIdOf, roomUrl, serverOf } from "./rooms.js";

/** `room` (--room, AGENT_CHAT_ROOM, or a URL ending in /r/<id>): the call goes to that room of the server. */
export function hostConn(args: { url?: string; room?: string; "host-token"?: string }): Conn {
  const c = serverConn(args);
  const room = (args.room || process.env.AGENT_CHAT_ROOM || "").trim() || roomIdOf(normalizeUrl(args.url || process.env.AGENT_CHAT_URL || c.url));
  return { ...c, url: roomUrl(c.url, room) };
}

function serverConn(args: { url?: string; "host-token"?: string }): Conn {
  const rawUrl = args.url || process.env.AGENT_CHAT_URL;
  const url = rawUrl ? serverOf(normalizeUrl(rawUrl)) : undefined;
  const token = args["host-token"] || process.env.AGENT_CHAT_HOST_TOKEN;
  const hosts = listHosts();
  const rec = url ? hosts.find((h) => h.localUrl === url || h.urls.includes(url)) : hosts.length === 1 ? hosts[0] : undefined;
  if (url && token) return { url: rec?.localUrl ?? url, hostToken: token };
  if (rec) return { url: rec.localUrl, hostToken: token ?? rec.hostToken };
  if (!hosts.length) {
    throw usageError("no room is served from this machine: pass --url URL --host-token TOKEN (both printed by `agent-chat serve` on the host).");
  }
  throw usageError(`${hosts.length} rooms are served from this machine: pick one with --url (${hosts.map((h) => h.localUrl).join(", ")}).`);
}

export const describeHost = (h: HostRecord) => `"${h.title}" on port ${h.port} (pid ${h.pid})`;
