// The routes of one room (README "HTTP API"): join, leave, messages, poll, stream, room, invite, QR (the host's
// controls: room-host-routes.ts). Each is served for the default room at the root and for every room under /r/<id>
// (see routes.ts).
import type { ServerResponse } from "node:http";
import { RoomError } from "../protocol/errors.js";
import { inviteText, keyInviteText, keyLink, webLink } from "../protocol/invite.js";
import { checkName, foldName } from "../protocol/names.js";
import type { Slice } from "../room/history.js";
import type { Participant, Sender } from "../room/index.js";
import type { Caller } from "./auth.js";
import { intParam, readJsonObject, sliceBody, sliceSize, streamSlice, STREAM_OVER } from "./http.js";
import { JSON_TYPE, send } from "./reply.js";
import { type Ctx, type RouteDef, type RouteDeps } from "./routes.js";
import { roomHostRoutes, type RoomRoute } from "./room-host-routes.js";
import { claimKey } from "./keys.js";
import { cutSlice, filterSlice, pollFilter, recentJson, unreadBefore, unreadWordsAfter } from "./cursor.js";
import { joinProof, signedFields } from "./identity.js";
import { unreadWaitingError } from "../room/refusals.js";

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
  const route: RoomRoute = (method, path, handler, extra = {}) => ({
    method,
    path,
    where: "room",
    auth: true,
    handler,
    ...extra,
  });
  /** Routes whose answer may be long-lived or large (SSE, held polls, big slices): written on the Node response. */
  const stream = (method: RouteDef["method"], path: string, handler: RouteDef["handler"]) => route(method, path, handler, { stream: true });
  /** The room's own public URL: the server's, plus /r/<id> when addressed under it. */
  const roomUrl = (c: Ctx) => d.inviteUrl() + c.base;

  /** Who posts: the token's (or key's) participant, or a name given with the password (the predecessor's clients).
   * A promise only for an invite key's first use; the usual post gets its sender with no extra turn. */
  function senderOf(c: Ctx, body: Record<string, unknown>): Sender | Promise<Sender> {
    if (!c.caller.participant && c.caller.key) {
      const claimed = claimKey(d, c.hosted, c.caller.key, body.agent, body.kind, c.caller.origin);
      // serve --redis: the join is counted in Redis before anything is posted with it
      if (claimed.stored) return claimed.stored.then(() => senderFor(c, body, claimed.participant));
      return senderFor(c, body, claimed.participant);
    }
    return senderFor(c, body, c.caller.participant);
  }

  function senderFor(c: Ctx, body: Record<string, unknown>, participant: Participant | undefined): Sender {
    if (participant) {
      if (body.agent !== undefined && (typeof body.agent !== "string" || foldName(body.agent.trim()) !== participant.key)) {
        throw new RoomError("NAME_MISMATCH", `This credential belongs to "${participant.name}"; leave out "agent" or use that name.`);
      }
      return { participant };
    }
    if (body.agent === undefined) throw new RoomError("BAD_NAME", `"agent" (your name) is required when posting with the password; or join first and post with your token.`);
    const name = checkName(body.agent, "agent");
    kindOf(body.kind); // still validated, but ignored: a password-only post is an agent's, whatever it claims
    d.rooms.checkRoomFor(c.hosted, name);
    return { name };
  }

  return [
    route("GET", "/health", ({ send }) => send(200, '{"status":"ok"}'), { auth: false, head: true }),

    // A single-use challenge for a join with a key proof (README "Known agents").
    route("POST", "/challenge", async (c) => {
      const body = await readJsonObject(c.req, d.maxBodyBytes);
      const room = c.hosted.room;
      const issued = room.identity.issueChallenge(checkName(body.name));
      await d.challenges?.share(c.hosted.id, room.identity, issued.challenge); // serve --redis: any instance may get the join
      c.json(201, { ...issued, room: room.identity.roomId });
    }),

    route("POST", "/join", async (c) => {
      const { hosted, caller } = c;
      const room = hosted.room;
      const body = await readJsonObject(c.req, d.maxBodyBytes);
      const proof = (name: string) => joinProof(room, c.req, name, body, d.inviteUrl(), c.base);
      await d.challenges?.take(hosted.id, room.identity, body.identity); // serve --redis: issued by any instance
      let r: { token: string; participant: Participant };
      // serve --redis: the join limits are taken in Redis first, for all instances at once (admitJoin).
      if (caller.key && caller.keySecret) {
        if (room.logged) await room.admitJoin(caller.origin);
        r = claimKey(d, hosted, caller.key, body.name, body.kind, caller.origin, proof);
      } else {
        const name = checkName(body.name);
        const kind = kindOf(body.kind);
        d.rooms.checkRoomFor(hosted, name);
        if (room.logged) await room.admitJoin(caller.origin);
        // "human" is a claim unless the host stands behind it: its own token, or a human link's session.
        r = room.join(name, { kind, vouched: caller.host || !!caller.humanSession, host: caller.host }, caller.token, caller.origin, proof(name));
      }
      await room.flush(); // serve --redis: the "joined" line is stored (and in this instance's history) first
      // `cursor` is where the first poll starts; the last few messages come along as context (the curl path).
      const fp = r.participant.identity?.fingerprint;
      const head = JSON.stringify({
        ok: true,
        token: r.token,
        participant: { name: r.participant.name, kind: r.participant.kind, ...(fp && { fingerprint: fp }) },
        cursor: room.history.lastId,
        next: room.history.lastId,
        room: { id: hosted.id, title: room.title, startedAt: room.startedAt },
      });
      const visible = (sl: Slice) => room.privates.filter(sl, r.participant.name);
      c.send(201, `${head.slice(0, -1)},"messages":${recentJson(room.history, visible)}}`);
    }),

    route("POST", "/leave", ({ json, hosted, caller }) => {
      if (!caller.participant) throw new RoomError("UNAUTHORIZED", "Leaving needs your participant token (from POST /join) as Authorization: Bearer.");
      hosted.room.leave(caller.participant);
      json(200, { ok: true });
    }),

    route("POST", "/messages", async (c) => {
      const body = await readJsonObject(c.req, d.maxBodyBytes);
      const replyTo = body.replyTo === undefined ? undefined : Number(body.replyTo);
      if (replyTo !== undefined && !Number.isSafeInteger(replyTo)) throw new RoomError("BAD_FIELD", `"replyTo" must be a message id.`);
      const to = body.to === undefined || body.to === null ? undefined : checkName(body.to, "to");
      const after = intParam(c.query.get("after"), "after");
      const found = senderOf(c, body);
      const sender = found instanceof Promise ? await found : found;
      const who = "participant" in sender ? sender.participant.name : sender.name;
      const visible = (sl: Slice) => c.hosted.room.privates.filter(sl, who);
      const ifCaughtUp = after !== undefined && ["1", "true"].includes(c.query.get("ifCaughtUp") ?? "");
      // Checked when the message is stored: at once, or (a signed post waiting for its check in a verify thread, or
      // behind one) again then, so nothing stored meanwhile slips between the check and the post.
      const caughtUp = () => {
        const waiting = unreadWordsAfter(c.hosted.room.history, after!, foldName(who), visible);
        if (waiting) throw unreadWaitingError(waiting, after!);
      };
      if (ifCaughtUp) caughtUp();
      // serve --redis: the store checks ifCaughtUp again in the same step as the append (another instance's message
      // may be stored and not yet here). In arrival order; a signature is checked off the main thread with a verify pool.
      if (c.hosted.room.logged) await c.hosted.room.precheckPost(sender, body.text, c.caller.origin); // serve --redis: a new name's refusal leaves no trace
      const posted = c.hosted.room.postInOrder(sender, body.text, { replyTo, to, signed: signedFields(body), ...(ifCaughtUp && { caughtUpAfter: after, recheck: caughtUp }) }, c.caller.origin);
      const message = posted instanceof Promise ? await posted : posted; // (no extra turn for a post stored at once)
      if (c.hosted.room.logged) await c.hosted.room.flush(message); // serve --redis: 201 only once Redis stored it (and gave it its id), or its refusal
      // `cursor` to poll from next; with the poster's own cursor (?after=N), also what others wrote before this
      // message that it had not seen — the curl form of `agent-chat send` (no crossed messages).
      c.send(201, `{"ok":true,"message":${c.hosted.room.jsonOf(message)},${unreadBefore(c.hosted.room.history, message.id, after, foldName(who), visible)}}`);
    }),

    stream("GET", "/messages", ({ res, query, hosted, caller }) => {
      const after = intParam(query.get("after"), "after");
      const limit = intParam(query.get("limit"), "limit");
      const h = hosted.room.history;
      const visible = (s: Slice) => hosted.room.privates.filter(s, viewerOf(caller));
      // Every answer is a bounded batch: at most maxBatch messages and maxBatchBytes of JSON; "more": true says the
      // rest follows with after=next.
      const { maxBatch, maxBatchBytes } = hosted.room.options;
      const n = Math.min(limit ?? maxBatch, maxBatch);
      // No cursor: the retained history from its oldest message (in batches), or its last `limit` messages.
      if (after === undefined) return sendSlice(res, visible(h.since(limit === undefined ? h.oldestId - 1 : Math.max(h.oldestId - 1, h.lastId - n), n, maxBatchBytes)));
      return sendSlice(res, visible(h.since(after, n, maxBatchBytes)));
    }),

    stream("GET", "/messages/poll", async ({ res, query, hosted, caller }) => {
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

    stream("GET", "/messages/stream", async ({ req, res, query, hosted, caller }) => {
      const lastEventId = req.headers["last-event-id"];
      const after = intParam(typeof lastEventId === "string" ? lastEventId : undefined, "Last-Event-ID") ?? intParam(query.get("after"), "after");
      res.setHeader("access-control-allow-origin", "*");
      await d.hubs(hosted).sse.open(req, res, after, caller.participant, caller.key);
    }),

    route("GET", "/room", ({ json, hosted, query, caller }) => {
      // The participant list is paged (at most 200 a page): ?offset=N&limit=L.
      const page = { offset: intParam(query.get("offset"), "offset"), limit: intParam(query.get("limit"), "limit") };
      json(200, { id: hosted.id, keysOnly: hosted.keysOnly, ...hosted.room.info({ maxBodyBytes: d.maxBodyBytes, pollMaxSeconds: POLL_MAX_S }, page, viewerOf(caller)) });
    }),

    route("GET", "/invite", (c) => c.send(200, inviteFor(c, roomUrl(c)), "text/plain; charset=utf-8")),

    // The room link with its secret, as a QR code for another person's phone (the web UI has no build step,
    // so the code is drawn here). Behind auth: the picture carries the password (or the caller's key).
    route("GET", "/qr.svg", async (c) => {
      const { renderSVG } = await import("uqr");
      c.send(200, renderSVG(linkFor(c.caller, c.hosted.password, c.hosted.keysOnly, roomUrl(c))), "image/svg+xml", { "cache-control": "no-store" });
    }),

    // The host's controls (room-host-routes.ts).
    ...roomHostRoutes(d, route),
  ];
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
