// The route table: every URL of the API, once. Each room route answers for the default room at its root path and
// for every room at /r/<id><path>; 405 answers and CORS preflights are derived from the same table. Handlers read
// the body straight off the Node request (h3 v2's web-stream path costs about half the throughput; see README
// "Design notes") and answer through `send`: ordinary answers become h3's response (the cheap path), while routes
// marked `stream` (SSE, held polls, large slices) are h3 Node handlers (fromNodeHandler) that write the Node
// response themselves — h3's own SSE helper costs about 5x the CPU, and fromNodeHandler on every route costs h3 a
// needless second end() (an error object) per request.
import type { IncomingMessage, ServerResponse } from "node:http";
import { H3, appendCorsPreflightHeaders, fromNodeHandler, getRouterParam, type H3Event, type NodeHandler } from "h3";
import { RoomError } from "../protocol/errors.js";
import type { HostedRoom, Rooms } from "../rooms/index.js";
import type { Auth, Caller } from "./auth.js";
import { hostRoutes } from "./host-routes.js";
import { JSON_TYPE, nodeSend, sendError, type Send } from "./reply.js";
import { roomRoutes } from "./room-routes.js";
import type { PollHub } from "./poll.js";
import type { SseHub } from "./sse.js";
import { PAGE_HEADERS, type StaticFile } from "./static.js";

export interface RouteDeps {
  rooms: Rooms;
  /** serve --redis: learn a room another instance created before resolving its id. */
  learnRoom?: (id: string | undefined) => Promise<void>;
  /** serve --redis: join challenges kept in Redis, so the join may reach another instance than the challenge. */
  challenges?: import("../rooms/redis/challenges.js").SharedChallenges;
  auth: Auth;
  /** The transports attached to a room (server/index.ts attaches them to every room at creation). */
  hubs(hosted: HostedRoom): { sse: SseHub; polls: PollHub };
  files: Map<string, StaticFile>;
  maxBodyBytes: number;
  /** The server's public base URL (a tunnel's, a LAN one…), without a trailing slash. */
  inviteUrl: () => string;
  log: (line: string) => void;
  /** The host rotated a room's password (serve keeps the default room's for this machine's commands). */
  onPasswordChange?: (hosted: HostedRoom, password: string) => void;
  /** Ends every session joined with a revoked key (server/index.ts: streams, polls). */
  endKeySessions(hosted: HostedRoom, key: import("../rooms/keys.js").InviteKey): void;
}

type Method = "GET" | "POST" | "DELETE";

export interface Ctx {
  req: IncomingMessage;
  res: ServerResponse;
  query: URLSearchParams;
  hosted: HostedRoom;
  caller: Caller;
  /** "" at the root paths, "/r/<id>" under a room: what the room's own URLs start with. */
  base: string;
  /** The request's path as routed. */
  pathname: string;
  /** Path parameters other than the room id (e.g. keyId). */
  params: Record<string, string>;
  /** Answer (once). Stream routes may also write `res` themselves. */
  send: Send;
  json(status: number, obj: unknown): void;
}

export interface RouteDef {
  method: Method;
  /** Relative to the room's base for room routes, e.g. "/messages"; "" is the room's base itself. */
  path: string;
  /** room: at `path` for the default room and at /r/<id><path> for every room; r: only under /r/<id>; server: at `path` only. */
  where: "room" | "r" | "server";
  /** Ask for the room's credentials (password, token, key or host token); the handler checks what it needs beyond. */
  auth: boolean;
  /** Also answer HEAD (for uptime monitors). */
  head?: boolean;
  /** Writes the Node response itself (long-lived or large answers). */
  stream?: boolean;
  handler(c: Ctx): void | Promise<void>;
}

/** The host token is server-wide: it opens every room and every host route. */
export const hostOnly = (caller: Caller) => {
  if (!caller.host) throw new RoomError("HOST_ONLY", "Only the host can do this: use the host link or token printed by `agent-chat serve`.");
};

/** h3's fromNodeHandler, typed for node:http: we serve over node:http only (server/index.ts), never HTTP/2. */
const nodeHandler = (fn: (req: IncomingMessage, res: ServerResponse) => unknown) => fromNodeHandler(fn as NodeHandler);

const NO_QUERY: URLSearchParams = new URLSearchParams();

const CORS_HEADERS = ["Content-Type", "Authorization", "X-Room-Password", "Last-Event-ID"];

export function createRoutes(d: RouteDeps): H3 {
  const app = new H3({
    silent: true,
    // Requests no route took (unknown paths, malformed URLs): answered the h3 way, since no handler wrote anything.
    onError: (error, event) => {
      const where = `${event.req.method} ${event.url.pathname}`;
      const e =
        error.status === 404
          ? new RoomError("NOT_FOUND", `No such endpoint: ${where}. See GET /invite for the API.`)
          : error.status === 400
            ? new RoomError("BAD_QUERY", "Malformed URL.")
            : error.cause instanceof RoomError
              ? error.cause
              : new RoomError("INTERNAL", "Unexpected server error; the room is still running. Try again; if it repeats, tell the host.");
      if (e.code === "INTERNAL") d.log(`internal error on ${where}: ${(error.cause as Error)?.stack ?? error.stack}`);
      event.res.status = e.status;
      event.res.headers.set("content-type", JSON_TYPE);
      event.res.headers.set("access-control-allow-origin", "*");
      return JSON.stringify(e.toJSON());
    },
  });

  /** One request through a route: resolve the room, authenticate, run, answer errors in the documented form. */
  async function run(def: RouteDef, underRoom: boolean, event: H3Event, req: IncomingMessage, res: ServerResponse, send: Send) {
    try {
      // Most requests carry no query: skip building a full URL object for one (measurable on the POST path).
      const query = req.url?.includes("?") ? event.url.searchParams : NO_QUERY;
      if (underRoom && d.learnRoom) await d.learnRoom(getRouterParam(event, "id")); // serve --redis
      const hosted = d.rooms.resolve(underRoom ? getRouterParam(event, "id") : undefined);
      if (def.auth && hosted.room.logged) await hosted.room.adoptToken(bearerOf(req) ?? query.get("token") ?? undefined); // serve --redis
      const authed = def.auth ? d.auth.authenticate(req, query, hosted) : { host: false };
      const caller: Caller = authed instanceof Promise ? await authed : authed; // a promise only with serve --redis
      if (caller.participant) hosted.room.touch(caller.participant);
      const params = { ...(event.context.params as Record<string, string> | undefined) };
      delete params.id;
      const json = (status: number, obj: unknown) => send(status, JSON.stringify(obj));
      const base = underRoom ? `/r/${hosted.id}` : "";
      await def.handler({ req, res, query, hosted, caller, base, pathname: event.url.pathname, params, send, json });
    } catch (err) {
      if (!res.headersSent) sendError(send, err, `${req.method} ${event.url.pathname}`, d.log);
      else if (!res.writableEnded) res.end(); // a stream had already started: nothing more can be said on it
    }
  }

  /** An h3 handler for a route: the answer as h3's response, or (stream routes) written on the Node response. */
  const handle = (def: RouteDef, underRoom: boolean) => {
    if (def.stream) {
      return (event: H3Event) =>
        nodeHandler(async (req: IncomingMessage, res: ServerResponse) => {
          // Answer after Node's parser has finished the bytes that came with this request: when a client sent garbage
          // after it, Node's 400 (server/index.ts, clientError) is then the one answer it gets, not a second one.
          await undefined;
          await run(def, underRoom, event, req, res, nodeSend(res));
        })(event);
    }
    return async (event: H3Event) => {
      const node = event.runtime!.node!; // we serve over node:http only (server/index.ts), never HTTP/2
      let out: string | Buffer = "";
      await run(def, underRoom, event, node.req as IncomingMessage, node.res as ServerResponse, (status, body, type = JSON_TYPE, headers) => {
        event.res.status = status;
        event.res.headers.set("content-type", type);
        event.res.headers.set("access-control-allow-origin", "*");
        if (headers) for (const k in headers) event.res.headers.set(k, headers[k]!);
        out = body;
      });
      return out;
    };
  };

  const preflight = (event: H3Event, methods: string[]) => {
    appendCorsPreflightHeaders(event, { origin: "*", methods: [...methods, "OPTIONS"], allowHeaders: CORS_HEADERS, maxAge: "600" });
    event.res.status = 204;
    return "";
  };

  const defs = [...roomRoutes(d), ...hostRoutes(d)];
  const methodsAt = new Map<string, { methods: Set<string>; head?: RouteDef }>();
  for (const def of defs) {
    const paths: [string, boolean][] = def.where === "server" ? [[def.path, false]] : [];
    if (def.where === "room") paths.push([def.path || "/", false]);
    if (def.where !== "server") paths.push([`/r/:id${def.path}`, true]);
    for (const [path, underRoom] of paths) {
      app.on(def.method, path, handle(def, underRoom));
      const entry = methodsAt.get(path) ?? { methods: new Set<string>() };
      entry.methods.add(def.method);
      if (def.head) entry.head = def;
      methodsAt.set(path, entry);
    }
  }

  // Any other method on a known path: HEAD where the route allows it, CORS preflight, else 405 naming the allowed ones.
  for (const [path, { methods, head }] of methodsAt) {
    const allowed = [...methods];
    if (head) app.on("HEAD", path, handle({ ...head, stream: false, handler: ({ send }) => send(200, "") }, path.startsWith("/r/")));
    const shown = path.replace(":id", "<id>").replace(":keyId", "<keyId>");
    const refuse = handle({ method: "GET", path, where: "server", auth: false, handler: ({ req }) => {
      throw new RoomError("METHOD_NOT_ALLOWED", `${req.method} is not allowed on ${shown}; use ${allowed.join(" or ")}.`);
    } }, false);
    app.all(path, (event) => (event.req.method === "OPTIONS" ? preflight(event, allowed) : refuse(event)));
  }
  // CORS: agents running in a browser elsewhere may call the API; the secret travels in a header.
  app.options("/**", (event) => preflight(event, ["GET", "POST", "DELETE"]));

  // Static files last, by exact name only (see static.ts): the page at the root, and at /r/<id>/ for a room (its
  // relative URLs then reach that room's API). /r/<id> redirects there; the #key=… fragment stays in the browser.
  const serveFile = (send: Send, name: string, shown: string) => {
    const file = d.files.get(name);
    if (!file) throw new RoomError("NOT_FOUND", `No such page or endpoint: ${shown}. The web UI is at /, the API is listed in GET /invite.`);
    send(200, file.body, file.type, PAGE_HEADERS);
  };
  app.get("/r/:id", handle({ method: "GET", path: "", where: "r", auth: false, handler: ({ send, base, pathname }) =>
    // h3 routes /r/<id>/ here too (trailing slashes are not significant to it): that one is the page itself.
    pathname.endsWith("/") ? serveFile(send, "/", pathname) : send(308, "", "text/plain", { location: `${base}/` }) }, true));
  app.get("/r/:id/**", handle({
    method: "GET",
    path: "/**",
    where: "r",
    auth: false,
    handler: ({ send, base, pathname }) => serveFile(send, pathname.slice(base.length), pathname),
  }, true));
  app.get("/**", handle({ method: "GET", path: "/**", where: "server", auth: false, handler: ({ send, pathname }) => serveFile(send, pathname, pathname) }, false));
  return app;
}

/** The Authorization: Bearer credential, if any. */
function bearerOf(req: IncomingMessage): string | undefined {
  const h = req.headers.authorization;
  return typeof h === "string" && /^bearer\s+/i.test(h) ? h.replace(/^bearer\s+/i, "").trim() : undefined;
}
