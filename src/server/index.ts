// Start a server of rooms: the rooms registry (with the default room), each room's transports, the route table, and
// a Node HTTP server with the limits that protect it (connections, slow clients). Returns a plain handle.
import { createServer, STATUS_CODES, type Server } from "node:http";
import type { Socket } from "node:net";
import { fileURLToPath } from "node:url";
import { toNodeHandler } from "h3";
import { generatePassword } from "../host/password.js";
import { RoomError } from "../protocol/errors.js";
import type { Room } from "../room/index.js";
import { defaultRoomOptions, type RoomOptions } from "../protocol/types.js";
import { createRooms, defaultRoomsLimits, newRoomId, type Rooms } from "../rooms/index.js";
import { createAuth, newHostToken } from "./auth.js";
import { createRoutes } from "./routes.js";
import { loadPublic } from "./static.js";
import { attachTransports } from "./transports.js";
import { WS_CLOSE } from "../protocol/ws.js";
import { createWsGateway } from "./ws/gateway.js";
import { createVerifyPool, defaultVerifyThreads } from "./verify-pool.js";

export interface ServerOptions extends RoomOptions {
  /** Rooms on this server, the default room included. @default 100 */
  maxRooms: number;
  /** Participants per room. @default 1000 */
  maxMembers: number;
  /** Invite keys per room. @default 200 */
  maxKeys: number;
  /** 0 picks a free port. @default 8765 */
  port: number;
  /** @default "0.0.0.0" */
  host: string;
  password: string;
  /** @default a fresh random token */
  hostToken?: string;
  /** @default 65536 */
  maxBodyBytes: number;
  /** Open connections (streams, polls, keep-alive sockets) before new ones get 503. @default 10000 */
  maxConnections: number;
  /** Unread SSE output per subscriber before it is dropped (it resumes losslessly). @default 1048576 */
  maxBufferBytes: number;
  /** Failed password attempts per address per minute (10x that overall). @default 10 */
  authFailPerMinute: number;
  /** @default 15000 */
  keepaliveMs: number;
  /** A request's headers and body must arrive within this time (slow-drip clients are cut off). @default 30000 */
  requestTimeoutMs: number;
  /** Server ping interval on WebSockets; two unanswered pings close the socket. @default 30000 */
  wsPingMs: number;
  /** A WebSocket must send its `join` frame within this long. @default 5000 */
  wsJoinTimeoutMs: number;
  /** Frames per second one WebSocket may send (twice that as a burst). @default 20 */
  wsFramesPerSecond: number;
  /** Trust the tunnel's client-address header from loopback connections. @default false */
  trustProxy: boolean;
  /** Where the web UI's files are. @default the package's public/ */
  publicDir?: string;
  /** Human log lines (stderr in the CLI). */
  log?: (line: string) => void;
  /** The host rotated the default room's password (POST /host/password, or a kick with rotatePassword). */
  onPasswordChange?: (password: string) => void;
  /** redis://… : rooms' messages live in Redis, shared by every instance with the same URL (README "Running it for
   * an organisation"). Unreachable: startRoomServer rejects with StoreUnreachable. @default in memory */
  redis?: string;
  /** Start of every Redis key (servers sharing one Redis but not their rooms; the tests). @default "agent-chat:" */
  redisPrefix?: string;
  /** With redis: how often this instance tells the others who is online through it (entries expire after 3x).
   * @default AGENT_CHAT_PRESENCE_MS, else 5000 */
  redisPresenceMs?: number;
  /** Worker threads that check message signatures (README "Known agents"); 0: on the main thread. @default cores - 1 */
  verifyThreads?: number;
}

const defaultServerOptions: Omit<ServerOptions, "password"> = {
  ...defaultRoomOptions,
  ...defaultRoomsLimits,
  port: 8765,
  host: "0.0.0.0",
  maxBodyBytes: 64 * 1024,
  maxConnections: 10_000,
  maxBufferBytes: 1024 * 1024,
  authFailPerMinute: 10,
  keepaliveMs: 15_000,
  requestTimeoutMs: 30_000,
  wsPingMs: 30_000,
  wsJoinTimeoutMs: 5_000,
  wsFramesPerSecond: 20,
  trustProxy: false,
};

export interface RoomServer {
  /** The default room (the one at the root paths). */
  room: Room;
  /** Every room of this server (see src/rooms/index.ts). */
  rooms: Rooms;
  port: number;
  /** http://127.0.0.1:PORT (or the bound host) */
  url: string;
  hostToken: string;
  /** The default room's password (with --redis: the one the first instance stored, maybe not the one given). */
  password: string;
  /** The URL the invite names (a tunnel's public URL, a LAN URL…). */
  setInviteUrl(url: string): void;
  inviteUrl(): string;
  /** Open SSE streams, pending long-polls and sockets: for tests, load runs and the host's status line. */
  stats(): { streams: number; polls: number; sockets: number; websockets: number };
  close(): Promise<void>;
}

const PUBLIC_DIR = fileURLToPath(new URL("../../public", import.meta.url));

export async function startRoomServer(partial: Partial<ServerOptions> & { password: string }): Promise<RoomServer> {
  const o: ServerOptions = { ...defaultServerOptions, ...partial };
  const log = o.log ?? (() => {});
  // Loaded only with --redis: the in-memory server never loads the Redis client.
  const store = o.redis ? await (await import("./store.js")).attachStore(o.redis, { id: newRoomId(), password: o.password, hostToken: o.hostToken ?? newHostToken() }, log, o.redisPrefix, { presenceMs: o.redisPresenceMs, onDefaultPassword: o.onPasswordChange }) : undefined;
  const shared = store?.identity;
  // Signature checks in worker threads (started on the first signed message); 0 threads: inline, as before.
  const pool = createVerifyPool(o.verifyThreads ?? defaultVerifyThreads(), log);
  const verifier = pool.threads > 0 ? pool.verify : undefined;
  const rooms = createRooms({ ...o, verifier, password: shared?.password ?? o.password, defaultId: shared?.id, logs: store?.logs, newPassword: () => generatePassword() });
  await store?.follow(rooms, o.history);
  const room = rooms.default.room;
  const hostToken = shared?.hostToken ?? o.hostToken ?? newHostToken();
  let inviteUrl = "";
  const auth = createAuth({ hostToken, authFailPerMinute: o.authFailPerMinute, trustProxy: o.trustProxy, now: o.now, shared: store?.authBuckets });
  const transports = attachTransports(rooms, auth, o);
  const app = createRoutes({
    rooms,
    learnRoom: store && ((id) => store.learn(rooms, id)),
    challenges: store?.challenges,
    hubs: transports.of,
    auth,
    files: loadPublic(o.publicDir ?? PUBLIC_DIR),
    maxBodyBytes: o.maxBodyBytes,
    inviteUrl: () => inviteUrl,
    log,
    endKeySessions: transports.endKeySessions,
    onPasswordChange: (h, pw) => (h.isDefault ? o.onPasswordChange?.(pw) : undefined),
  });
  const handler = toNodeHandler(app);
  const sockets = new Set<Socket>();
  let closing = false;

  // Node checks request timeouts only every connectionsCheckingInterval (30 s by default): check more often.
  // requireHostHeader off: a request without Host gets our documented answer, not Node's bare 400.
  const server: Server = createServer({ connectionsCheckingInterval: Math.min(2_000, o.requestTimeoutMs / 2), requireHostHeader: false }, (req, res) => {
    if (closing || sockets.size > o.maxConnections) {
      const e = closing
        ? new RoomError("SHUTTING_DOWN", "The room is shutting down.")
        : new RoomError("TOO_MANY_CONNECTIONS", `The room has ${o.maxConnections} connections open; retry shortly.`, { retryAfter: 5 });
      const body = JSON.stringify(e.toJSON());
      res.writeHead(e.status, { "content-type": "application/json; charset=utf-8", "retry-after": "5", connection: "close" });
      res.end(body);
      return;
    }
    handler(req, res);
  });
  // Slow clients (one byte a second) may not hold a socket forever: headers within 10 s, the whole request in 30 s.
  server.headersTimeout = Math.min(10_000, o.requestTimeoutMs);
  server.requestTimeout = o.requestTimeoutMs;
  // A socket with no traffic either way (a client that connects and says nothing, or stops reading our answer) is
  // let go a little after the request deadline — after, so a slow request still gets its 408 first — and such
  // clients cannot hold the room's connection slots. Streams and held polls turn this off for themselves.
  server.timeout = o.requestTimeoutMs + Math.min(o.requestTimeoutMs, 5_000);
  const gateway = createWsGateway({
    // /ws: the default room; /r/<id>/ws: any room (rooms.resolve throws 404 ROOM_NOT_FOUND / 410 ROOM_CLOSED).
    resolve: (pathname) => {
      if (pathname === "/ws") return transports.of(rooms.default).ws;
      const m = /^\/r\/([^/]+)\/ws$/.exec(pathname);
      return m ? transports.of(rooms.resolve(m[1])).ws : undefined;
    },
    // serve --redis: a room created on another instance is learnt from Redis before its socket is resolved.
    learn: (url) => {
      const id = store && /^\/r\/([^/?#]+)\/ws(?:[?#]|$)/.exec(url)?.[1];
      return id ? store.learn(rooms, id) : undefined;
    },
    refuse: () =>
      closing
        ? new RoomError("SHUTTING_DOWN", "The room is shutting down.")
        : sockets.size > o.maxConnections
          ? new RoomError("TOO_MANY_CONNECTIONS", `The room has ${o.maxConnections} connections open; retry shortly.`, { retryAfter: 5 })
          : undefined,
    allowedHosts: () => hostsOf(inviteUrl),
    joinTimeoutMs: o.wsJoinTimeoutMs,
    maxFrameBytes: o.maxBodyBytes,
    framesPerSecond: o.wsFramesPerSecond,
    log,
  });
  server.on("upgrade", gateway.handleUpgrade);
  server.on("connection", (s: Socket) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  });
  // Errors Node finds before a request reaches us (malformed HTTP, a request too slow to arrive): answer in the
  // documented JSON shape rather than Node's bare status line.
  server.on("clientError", (err: NodeJS.ErrnoException, socket) => {
    if (!socket.writable) return void socket.destroy();
    const e =
      err.code === "ERR_HTTP_REQUEST_TIMEOUT"
        ? new RoomError("REQUEST_TIMEOUT", `The request did not arrive within ${o.requestTimeoutMs / 1000} s; send it again in one go.`)
        : new RoomError("BAD_REQUEST", "Malformed HTTP request.");
    const body = JSON.stringify(e.toJSON());
    socket.end(`HTTP/1.1 ${e.status} ${STATUS_CODES[e.status]}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`);
    // A client that never reads the answer nor closes would keep the socket half-open for ever.
    setTimeout(() => socket.destroy(), 1000).unref();
  });

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(o.port, o.host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const port = (server.address() as { port: number }).port;
  const shownHost = o.host === "0.0.0.0" || o.host === "::" ? "127.0.0.1" : o.host.includes(":") ? `[${o.host}]` : o.host;
  const url = `http://${shownHost}:${port}`;
  inviteUrl = url;

  let closed: Promise<void> | undefined;
  return {
    room,
    rooms,
    port,
    url,
    hostToken,
    password: rooms.default.password!,
    setInviteUrl: (u) => void (inviteUrl = u),
    inviteUrl: () => inviteUrl,
    stats: () => ({ ...transports.stats(), sockets: sockets.size }),
    close() {
      closed ??= new Promise<void>((resolve) => {
        closing = true;
        // Streams end and pending polls answer first, so clients see a clean end rather than a reset.
        transports.closeAll();
        gateway.closeAll(WS_CLOSE.SHUTTING_DOWN, "server shutting down");
        server.close(() => void Promise.all([store?.close(), pool.close()]).then(() => resolve(), () => resolve()));
        server.closeIdleConnections();
        // Whatever is still open after the answers went out (a client that never reads) is cut.
        setTimeout(() => server.closeAllConnections(), 500).unref();
      });
      return closed;
    },
  };
}

/** The host[:port] a page served through the invite URL (a tunnel, a LAN address) sends as its Origin. */
function hostsOf(url: string): string[] {
  try {
    return url ? [new URL(url).host] : [];
  } catch {
    return [];
  }
}
