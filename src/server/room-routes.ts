// The routes of one room (README "HTTP API"): join, leave, messages, poll, stream, room, invite, QR, host controls.
// Each is served for the default room at the root and for every room under /r/<id> (see routes.ts).
import type { ServerResponse } from "node:http";
import { RoomError } from "../protocol/errors.js";
import { inviteText, keyInviteText, keyLink, webLink } from "../protocol/invite.js";
import { checkName, foldName } from "../protocol/names.js";
import type { Slice } from "../room/history.js";
import type { Participant, Sender } from "../room/index.js";
import type { Caller } from "./auth.js";
import { intParam, readJsonObject, sliceBody, sliceSize, streamSlice, STREAM_OVER } from "./http.js";
import { JSON_TYPE, send, sendJson } from "./reply.js";
import { hostOnly, type Ctx, type RouteDef, type RouteDeps } from "./routes.js";
import { claimKey } from "./keys.js";
import { cutSlice, filterSlice, pollFilter, recentJson, unreadBefore } from "./cursor.js";

const POLL_MAX_S = 90;

/** The name private messages are checked against: the caller's participant or key; none for password readers. */
const viewerOf = (caller: Caller) => caller.participant?.name ?? caller.key?.name ?? undefined;

/** A `{messages, next}` answer: one piece when small (the common case), streamed when large. */
async function sendSlice(res: ServerResponse, slice: Slice) {
  if (sliceSize(slice) < STREAM_OVER) return send(res, 200, sliceBody(slice));
  await streamSlice(res, slice, { "content-type": JSON_TYPE, "access-control-allow-origin": "*" });
}

const kindOf = (v: unknown) => {
  if (v === undefined) return "agent" as const;
  if (v === "agent" || v === "human") return v;
  throw new RoomError("BAD_FIELD", `"kind" must be "agent" or "human".`);
};

const pollTimeout = (q: URLSearchParams) => {
  const raw = q.get("timeout");
  if (raw === null || raw === "") return 25_000;
  const s = Number(raw);
  if (!Number.isFinite(s) || s < 0) throw new RoomError("BAD_QUERY", `"timeout" must be a number of seconds from 0 to ${POLL_MAX_S}.`);
  return Math.min(s, POLL_MAX_S) * 1000;
};

export function roomRoutes(d: RouteDeps): RouteDef[] {
  const route = (method: RouteDef["method"], path: string, handler: RouteDef["handler"], extra: Partial<RouteDef> = {}): RouteDef => ({
    method,
    path,
    where: "room",
    auth: true,
    handler,
    ...extra,
  });
  /** The room's own public URL: the server's, plus /r/<id> when addressed under it. */
  const roomUrl = (c: Ctx) => d.inviteUrl() + c.base;

  /** Who posts: the token's (or key's) participant, or a name given with the password (the predecessor's clients). */
  function senderOf(c: Ctx, body: Record<string, unknown>): Sender {
    let participant: Participant | undefined = c.caller.participant;
    if (!participant && c.caller.key) participant = claimKey(d, c.hosted, c.caller.key, body.agent, body.kind).participant;
    if (participant) {
      if (body.agent !== undefined && (typeof body.agent !== "string" || foldName(body.agent.trim()) !== participant.key)) {
        throw new RoomError("NAME_MISMATCH", `This credential belongs to "${participant.name}"; leave out "agent" or use that name.`);
      }
      return { participant };
    }
    if (body.agent === undefined) throw new RoomError("BAD_NAME", `"agent" (your name) is required when posting with the password; or join first and post with your token.`);
    const name = checkName(body.agent, "agent");
    d.rooms.checkRoomFor(c.hosted, name);
    return { name, kind: kindOf(body.kind) };
  }

  return [
    route("GET", "/health", ({ res }) => send(res, 200, '{"status":"ok"}'), { auth: false, head: true }),

    route("POST", "/join", async (c) => {
      const { hosted, caller } = c;
      const room = hosted.room;
      const body = await readJsonObject(c.req, d.maxBodyBytes);
      let r: { token: string; participant: Participant };
      if (caller.key && caller.keySecret) {
        r = claimKey(d, hosted, caller.key, body.name, body.kind);
      } else {
        const name = checkName(body.name);
        const kind = kindOf(body.kind);
        d.rooms.checkRoomFor(hosted, name);
        r = room.join(name, kind, caller.token, caller.host);
      }
      // `cursor` is where the first poll starts; the last few messages come along as context (the curl path).
      const head = JSON.stringify({
        ok: true,
        token: r.token,
        participant: { name: r.participant.name, kind: r.participant.kind },
        cursor: room.history.lastId,
        next: room.history.lastId,
        room: { id: hosted.id, title: room.title, startedAt: room.startedAt },
      });
      const visible = (sl: Slice) => room.privates.filter(sl, r.participant.name);
      send(c.res, 201, `${head.slice(0, -1)},"messages":${recentJson(room.history, visible)}}`);
    }),

    route("POST", "/leave", ({ res, hosted, caller }) => {
      if (!caller.participant) throw new RoomError("UNAUTHORIZED", "Leaving needs your participant token (from POST /join) as Authorization: Bearer.");
      hosted.room.leave(caller.participant);
      sendJson(res, 200, { ok: true });
    }),

    route("POST", "/messages", async (c) => {
      const body = await readJsonObject(c.req, d.maxBodyBytes);
      const replyTo = body.replyTo === undefined ? undefined : Number(body.replyTo);
      if (replyTo !== undefined && !Number.isSafeInteger(replyTo)) throw new RoomError("BAD_FIELD", `"replyTo" must be a message id.`);
      const to = body.to === undefined || body.to === null ? undefined : checkName(body.to, "to");
      const after = intParam(c.query.get("after"), "after");
      const sender = senderOf(c, body);
      const message = c.hosted.room.post(sender, body.text, { replyTo, to });
      // `cursor` to poll from next; with the poster's own cursor (?after=N), also what others wrote before this
      // message that it had not seen — the curl form of `agent-chat send` (no crossed messages).
      const who = "participant" in sender ? sender.participant.name : sender.name;
      const visible = (sl: Slice) => c.hosted.room.privates.filter(sl, who);
      send(c.res, 201, `{"ok":true,"message":${JSON.stringify(message)},${unreadBefore(c.hosted.room.history, message.id, after, foldName(who), visible)}}`);
    }),

    route("GET", "/messages", ({ res, query, hosted, caller }) => {
      const after = intParam(query.get("after"), "after");
      const limit = intParam(query.get("limit"), "limit");
      const h = hosted.room.history;
      const visible = (s: Slice) => hosted.room.privates.filter(s, viewerOf(caller));
      // No cursor: the whole retained history, or its last `limit` messages.
      if (after === undefined) return sendSlice(res, visible(limit === undefined ? h.all() : h.since(Math.max(h.oldestId - 1, h.lastId - limit), limit)));
      return sendSlice(res, visible(h.since(after, limit ?? Infinity)));
    }),

    route("GET", "/messages/poll", async ({ res, query, hosted, caller }) => {
      let after = intParam(query.get("after"), "after") ?? 0;
      const limit = intParam(query.get("limit"), "limit");
      const keep = pollFilter(query, caller.participant);
      const deadline = Date.now() + pollTimeout(query);
      // With mine=0 / mentions=1, a batch of only filtered-out messages is no answer: move past it, keep waiting.
      for (;;) {
        const outcome = await d.hubs(hosted).polls.wait(res, after, Math.max(0, deadline - Date.now()), caller.participant, caller.key);
        if (outcome instanceof RoomError) throw outcome;
        if (!outcome) return;
        const slice = filterSlice(cutSlice(outcome, limit, after), keep);
        if (slice.items.length || slice.reset || !keep || Date.now() >= deadline || slice.next === after) return sendSlice(res, slice);
        after = slice.next;
      }
    }),

    route("GET", "/messages/stream", async ({ req, res, query, hosted, caller }) => {
      const lastEventId = req.headers["last-event-id"];
      const after = intParam(typeof lastEventId === "string" ? lastEventId : undefined, "Last-Event-ID") ?? intParam(query.get("after"), "after");
      res.setHeader("access-control-allow-origin", "*");
      await d.hubs(hosted).sse.open(req, res, after, caller.participant, caller.key);
    }),

    route("GET", "/room", ({ res, hosted, caller }) =>
      sendJson(res, 200, { id: hosted.id, keysOnly: hosted.keysOnly, ...hosted.room.info({ maxBodyBytes: d.maxBodyBytes, pollMaxSeconds: POLL_MAX_S }, viewerOf(caller)) }),
    ),

    route("GET", "/invite", (c) => send(c.res, 200, inviteFor(c, roomUrl(c)), "text/plain; charset=utf-8")),

    // The room link with its secret, as a QR code for another person's phone (the web UI has no build step,
    // so the code is drawn here). Behind auth: the picture carries the password (or the caller's key).
    route("GET", "/qr.svg", async (c) => {
      const { renderSVG } = await import("uqr");
      send(c.res, 200, renderSVG(linkFor(c.caller, c.hosted.password, c.hosted.keysOnly, roomUrl(c))), "image/svg+xml", { "cache-control": "no-store" });
    }),

    route("POST", "/host/kick", async ({ req, res, hosted, caller }) => {
      hostOnly(caller);
      const body = await readJsonObject(req, d.maxBodyBytes);
      const removed = hosted.room.remove(checkName(body.name));
      sendJson(res, 200, { ok: true, removed: removed?.name ?? null });
    }),
    route("POST", "/host/unban", async ({ req, res, hosted, caller }) => {
      hostOnly(caller);
      const body = await readJsonObject(req, d.maxBodyBytes);
      const was = hosted.room.unban(checkName(body.name));
      sendJson(res, 200, { ok: true, unbanned: was ?? null });
    }),
    route("POST", "/host/pause", ({ res, hosted, caller }) => (hostOnly(caller), hosted.room.pause(), sendJson(res, 200, { ok: true, paused: hosted.room.paused }))),
    route("POST", "/host/resume", ({ res, hosted, caller }) => (hostOnly(caller), hosted.room.resume(), sendJson(res, 200, { ok: true, paused: hosted.room.paused }))),
    route("POST", "/host/title", async ({ req, res, hosted, caller }) => {
      hostOnly(caller);
      const body = await readJsonObject(req, d.maxBodyBytes);
      hosted.room.setTitle(checkTitle(body.title));
      sendJson(res, 200, { ok: true, title: hosted.room.title });
    }),
  ];
}

/** A room title: 1-80 characters without control characters. */
export function checkTitle(v: unknown): string {
  if (typeof v !== "string" || !v.trim() || [...v].length > 80 || /\p{Cc}/u.test(v)) {
    throw new RoomError("BAD_FIELD", `"title" must be 1-80 characters without control characters.`);
  }
  return v.trim();
}

/** The instruction block for this caller: the password one, or (key holders, keys-only rooms) the key one. */
// A key holder never sees the room password: its block and link carry its own key, or none.
function inviteFor(c: Ctx, url: string): string {
  const title = c.hosted.room.title;
  if (c.caller.keySecret) return keyInviteText({ title, url, key: c.caller.keySecret, name: c.caller.key?.name ?? undefined });
  if (c.caller.key || c.hosted.keysOnly || c.hosted.password === null) {
    return `The agent-chat room "${title}" (${url}) is joined with invite keys: ask the host for one (agent-chat keys mint).\n`;
  }
  return inviteText({ title, url, password: c.hosted.password });
}

function linkFor(caller: Caller, password: string | null, keysOnly: boolean, url: string): string {
  if (caller.keySecret) return keyLink(url, caller.keySecret);
  if (password !== null && !keysOnly && !caller.key) return webLink(url, password);
  return `${url}/`;
}
