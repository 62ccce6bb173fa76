// The route table: every URL of the room API, its auth, validation and answer. Handlers read the body and write
// long-lived answers through the Node request/response (h3 v2's web-stream path costs about half the throughput,
// and h3's own SSE helper about 5x the CPU; see README "Design notes").
import type { IncomingMessage, ServerResponse } from "node:http";
import { H3, type H3Event } from "h3";
import { RoomError } from "../protocol/errors.js";
import { inviteText, webLink } from "../protocol/invite.js";
import { checkName, foldName } from "../protocol/names.js";
import type { Room, Sender } from "../room/index.js";
import type { Auth, Caller } from "./auth.js";
import { intParam, readJsonObject, sliceBody, sliceSize, streamSlice, STREAM_OVER } from "./http.js";
import type { Slice } from "../room/history.js";
import type { PollHub } from "./poll.js";
import type { SseHub } from "./sse.js";
import { PAGE_HEADERS, type StaticFile } from "./static.js";

export interface RouteDeps {
  room: Room;
  auth: Auth;
  sse: SseHub;
  polls: PollHub;
  files: Map<string, StaticFile>;
  maxBodyBytes: number;
  inviteUrl: () => string;
  password: string;
  log: (line: string) => void;
}

interface Ctx {
  event: H3Event;
  req: IncomingMessage;
  res: ServerResponse;
  query: URLSearchParams;
}

const JSON_TYPE = "application/json; charset=utf-8";
const HANDLED = Symbol.for("h3.handled");
const POLL_MAX_S = 90;

function reply(event: H3Event, status: number, body: string, type = JSON_TYPE, headers?: Record<string, string>) {
  event.res.status = status;
  event.res.headers.set("content-type", type);
  event.res.headers.set("access-control-allow-origin", "*");
  if (headers) for (const k in headers) event.res.headers.set(k, headers[k]!);
  return body;
}

/** Turn any failure into the documented JSON error; a bug answers INTERNAL and is logged for the host only. */
export function errorReply(event: H3Event, err: unknown, log: (line: string) => void) {
  const e = err instanceof RoomError ? err : new RoomError("INTERNAL", "Unexpected server error; the room is still running. Try again; if it repeats, tell the host.");
  if (!(err instanceof RoomError)) log(`internal error on ${event.req.method} ${event.url.pathname}: ${(err as Error)?.stack ?? err}`);
  const headers: Record<string, string> = {};
  if (e.retryAfter) headers["retry-after"] = String(e.retryAfter);
  // The unread rest of an oversized body would be parsed as the next request: close the connection instead.
  if (e.code === "BODY_TOO_LARGE") headers["connection"] = "close";
  return reply(event, e.status, JSON.stringify(e.toJSON()), JSON_TYPE, headers);
}

export function createRoutes(d: RouteDeps): H3 {
  const { room, auth } = d;
  const app = new H3({
    silent: true,
    onError: (error, event) => {
      if (error.status === 404) return errorReply(event, new RoomError("NOT_FOUND", `No such endpoint: ${event.req.method} ${event.url.pathname}. See GET /invite for the API.`), d.log);
      if (error.status === 400) return errorReply(event, new RoomError("BAD_QUERY", "Malformed URL."), d.log);
      return errorReply(event, error.cause ?? error, d.log);
    },
  });

  /** Wrap a handler: build the context, authenticate when asked, and answer errors in the documented form. */
  function route(needAuth: boolean, fn: (c: Ctx, caller: Caller) => unknown) {
    return async (event: H3Event) => {
      // We serve over node:http only (see server/index.ts), never HTTP/2.
      const node = event.runtime!.node!;
      const req = node.req as IncomingMessage;
      const c: Ctx = { event, req, res: node.res as ServerResponse, query: event.url.searchParams };
      try {
        const caller = needAuth ? auth.authenticate(req, c.query) : { host: false };
        if (caller.participant) caller.participant.lastSeen = Date.now();
        return await fn(c, caller);
      } catch (err) {
        if (c.res.headersSent) return HANDLED; // a stream had already started; nothing more to say
        return errorReply(event, err, d.log);
      }
    };
  }

  /** A `{messages, next}` answer: one piece when small (the common case), streamed when large. */
  const sendSlice = async (event: H3Event, res: ServerResponse, slice: Slice) => {
    if (sliceSize(slice) < STREAM_OVER) return reply(event, 200, sliceBody(slice));
    await streamSlice(res, slice, { "content-type": JSON_TYPE, "access-control-allow-origin": "*" });
    return HANDLED; // only once the response is over: h3 ends the response when the handler returns
  };
  const ok = (event: H3Event, status: number, obj: unknown) => reply(event, status, JSON.stringify(obj));
  const hostOnly = (caller: Caller) => {
    if (!caller.host) throw new RoomError("HOST_ONLY", "Only the host can do this: use the host link or token printed by `agent-chat serve`.");
  };
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

  app.get("/health", route(false, ({ event }) => reply(event, 200, '{"status":"ok"}')));

  app.post("/join", route(true, async ({ event, req }, caller) => {
    const body = await readJsonObject(req, d.maxBodyBytes);
    const name = checkName(body.name);
    const kind = kindOf(body.kind);
    const r = room.join(name, kind, caller.token);
    return ok(event, 201, {
      ok: true,
      token: r.token,
      participant: { name: r.participant.name, kind: r.participant.kind },
      next: room.history.lastId,
      room: { title: room.title, startedAt: room.startedAt },
    });
  }));

  app.post("/leave", route(true, ({ event }, caller) => {
    if (!caller.participant) throw new RoomError("UNAUTHORIZED", "Leaving needs your participant token (from POST /join) as Authorization: Bearer.");
    room.leave(caller.participant);
    return ok(event, 200, { ok: true });
  }));

  app.post("/messages", route(true, async ({ event, req }, caller) => {
    const body = await readJsonObject(req, d.maxBodyBytes);
    const replyTo = body.replyTo === undefined ? undefined : Number(body.replyTo);
    if (replyTo !== undefined && !Number.isSafeInteger(replyTo)) throw new RoomError("BAD_FIELD", `"replyTo" must be a message id.`);
    const participant = caller.participant;
    let sender: Sender;
    if (participant) {
      if (body.agent !== undefined && (typeof body.agent !== "string" || foldName(body.agent.trim()) !== participant.key)) {
        throw new RoomError("NAME_MISMATCH", `This token belongs to "${participant.name}"; leave out "agent" or use that name.`);
      }
      sender = { participant };
    } else {
      if (body.agent === undefined) throw new RoomError("BAD_NAME", `"agent" (your name) is required when posting with the password; or join first and post with your token.`);
      sender = { name: checkName(body.agent, "agent"), kind: kindOf(body.kind) };
    }
    const message = room.post(sender, body.text, { replyTo });
    return reply(event, 201, `{"ok":true,"message":${JSON.stringify(message)}}`);
  }));

  app.get("/messages", route(true, ({ event, res, query }) => {
    const after = intParam(query.get("after"), "after");
    const limit = intParam(query.get("limit"), "limit");
    const h = room.history;
    if (after === undefined) {
      // No cursor: the whole retained history, or its last `limit` messages.
      const slice = limit === undefined ? h.all() : h.since(Math.max(h.oldestId - 1, h.lastId - limit), limit);
      return sendSlice(event, res, slice);
    }
    return sendSlice(event, res, h.since(after, limit ?? Infinity));
  }));

  app.get("/messages/poll", route(true, async ({ event, res, query }, caller) => {
    const after = intParam(query.get("after"), "after") ?? 0;
    const slice = await d.polls.wait(res, after, pollTimeout(query), caller.participant);
    return slice ? sendSlice(event, res, slice) : HANDLED;
  }));

  app.get("/messages/stream", route(true, async ({ req, res, query }, caller) => {
    const lastEventId = req.headers["last-event-id"];
    const after = intParam(typeof lastEventId === "string" ? lastEventId : undefined, "Last-Event-ID") ?? intParam(query.get("after"), "after");
    res.setHeader("access-control-allow-origin", "*");
    await d.sse.open(req, res, after, caller.participant);
    return HANDLED;
  }));

  app.get("/room", route(true, ({ event }) => ok(event, 200, room.info({ maxBodyBytes: d.maxBodyBytes, pollMaxSeconds: POLL_MAX_S }))));

  app.get("/invite", route(true, ({ event }) =>
    reply(event, 200, inviteText({ title: room.title, url: d.inviteUrl(), password: d.password }), "text/plain; charset=utf-8"),
  ));

  // The room link with its password, as a QR code for another person's phone (the web UI has no build step,
  // so the code is drawn here). Behind auth: the picture carries the password.
  app.get("/qr.svg", route(true, async ({ event }) => {
    const { renderSVG } = await import("uqr");
    return reply(event, 200, renderSVG(webLink(d.inviteUrl(), d.password)), "image/svg+xml", { "cache-control": "no-store" });
  }));

  app.post("/host/kick", route(true, async ({ event, req }, caller) => {
    hostOnly(caller);
    const body = await readJsonObject(req, d.maxBodyBytes);
    const name = checkName(body.name);
    const removed = room.remove(name);
    return ok(event, 200, { ok: true, removed: removed?.name ?? null });
  }));
  app.post("/host/pause", route(true, ({ event }, caller) => (hostOnly(caller), room.pause(), ok(event, 200, { ok: true, paused: room.paused }))));
  app.post("/host/resume", route(true, ({ event }, caller) => (hostOnly(caller), room.resume(), ok(event, 200, { ok: true, paused: room.paused }))));
  app.post("/host/title", route(true, async ({ event, req }, caller) => {
    hostOnly(caller);
    const body = await readJsonObject(req, d.maxBodyBytes);
    if (typeof body.title !== "string" || !body.title.trim() || [...body.title].length > 80 || /\p{Cc}/u.test(body.title)) {
      throw new RoomError("BAD_FIELD", `"title" must be 1-80 characters without control characters.`);
    }
    room.setTitle(body.title.trim());
    return ok(event, 200, { ok: true, title: room.title });
  }));

  // CORS preflight: agents running in a browser elsewhere may call the API; the secret travels in a header.
  const preflight = (event: H3Event) => {
    event.res.headers.set("access-control-allow-methods", "GET, POST, OPTIONS");
    event.res.headers.set("access-control-allow-headers", "Content-Type, Authorization, X-Room-Password, Last-Event-ID");
    event.res.headers.set("access-control-max-age", "600");
    return reply(event, 204, "");
  };
  app.options("/**", route(false, ({ event }) => preflight(event)));

  // Static files last: exact names only (see static.ts).
  app.get("/**", route(false, ({ event }) => {
    const file = d.files.get(event.url.pathname);
    if (!file) throw new RoomError("NOT_FOUND", `No such page or endpoint: ${event.url.pathname}. The web UI is at /, the API is listed in GET /invite.`);
    event.res.status = 200;
    event.res.headers.set("content-type", file.type);
    for (const [k, v] of Object.entries(PAGE_HEADERS)) event.res.headers.set(k, v);
    return file.body;
  }));

  for (const path of ["/qr.svg", "/join", "/leave", "/messages", "/messages/poll", "/messages/stream", "/room", "/invite", "/health", "/host/kick", "/host/pause", "/host/resume", "/host/title"]) {
    app.all(path, route(false, ({ event }) => {
      if (event.req.method === "OPTIONS") return preflight(event);
      if (event.req.method === "HEAD" && path === "/health") return reply(event, 200, ""); // for uptime monitors
      return errorReply(event, new RoomError("METHOD_NOT_ALLOWED", `${event.req.method} is not allowed on ${path}.`), d.log);
    }));
  }
  return app;
}
