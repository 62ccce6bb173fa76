// The WebSocket entrance on the HTTP port (README "WebSocket"): checks an upgrade before the handshake (route,
// capacity, Origin), hands it to crossws's Node adapter, and runs each socket's first minutes — the join deadline,
// frame size and rate, frame parsing — before its room's hub takes over.
import type { IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";
import nodeAdapter from "crossws/adapters/node";
import type { Peer } from "crossws";
import { RoomError } from "../../protocol/errors.js";
import { closeForStatus, WS_CLOSE } from "../../protocol/ws.js";
import { errorFrame, FrameError, parseFrame } from "./frames.js";
import type { WsHub } from "./hub.js";
import { Entry, type UpgradeInfo } from "./socket.js";

interface WsGatewayOptions {
  /** The room hub for an upgrade path (`/ws`, `/r/<id>/ws`); undefined: no such room. May throw a RoomError. */
  resolve(pathname: string): WsHub | undefined;
  /** serve --redis: learn from Redis the room a request URL names (created on another instance) before `resolve`. */
  learn?(url: string): Promise<void> | undefined;
  /** Why a new connection cannot be taken now (shutting down, too many connections), if it cannot. */
  refuse(): RoomError | undefined;
  /** Hosts (host[:port]) a browser page may connect from besides the request's own Host (the tunnel's, the LAN's). */
  allowedHosts(): string[];
  /** A socket must send `join` within this long. @default 5000 */
  joinTimeoutMs: number;
  /** Largest frame a client may send, in bytes (larger: closed with 1009). */
  maxFrameBytes: number;
  /** Frames a socket may send per second (twice that as a burst); more closes it with 4429. */
  framesPerSecond: number;
  log: (line: string) => void;
}

export function createWsGateway(o: WsGatewayOptions) {
  const entries = new Map<Peer, Entry>();
  /** Open, not yet joined: swept for the join deadline by one timer (no timer per socket: memory per idle socket). */
  const pending = new Set<Entry>();
  const burst = o.framesPerSecond * 2;
  const sweep = setInterval(() => {
    const now = Date.now();
    for (const e of pending) {
      if (now - e.openedAt < o.joinTimeoutMs) continue;
      pending.delete(e);
      if (e.joined || e.done) continue;
      e.done = true;
      e.send(Buffer.from(JSON.stringify({ type: "error", code: "JOIN_TIMEOUT", message: `No join frame within ${o.joinTimeoutMs / 1000} s; send {"type":"join",…} first.` })));
      e.close(WS_CLOSE.TIMEOUT, "no join in time");
    }
  }, Math.max(20, Math.min(1000, o.joinTimeoutMs / 5)));
  sweep.unref();

  const adapter = nodeAdapter({
    // Our own JSON ping (hub.ts) replaces crossws's protocol-level sweep: browsers cannot see protocol pings.
    idleTimeout: 0,
    // closeTimeout (ws >= 8.18, missing from the bundled types): a socket we close — a slow reader above all — is
    // destroyed 5 s later if its end never confirms, instead of holding its unsent output for 30 s.
    serverOptions: { maxPayload: o.maxFrameBytes, perMessageDeflate: false, ...{ closeTimeout: 5_000 } },
    hooks: {
      open(peer) {
        const info = peer.context as unknown as UpgradeInfo;
        const e = new Entry(peer, info.hub, info, burst);
        entries.set(peer, e);
        pending.add(e);
      },
      message(peer, message) {
        const e = entries.get(peer);
        if (!e || e.done) return;
        if (!takeFrame(e)) {
          e.done = true;
          e.hub.reply(e, { type: "error", code: "FRAME_RATE_LIMITED", message: `More than ${o.framesPerSecond} frames per second; slow down and reconnect.` });
          e.hub.closed(e);
          return void e.sock.close(WS_CLOSE.RATE_LIMITED, "too many frames");
        }
        e.missed = 0;
        const raw = message.rawData;
        let frame;
        try {
          if (typeof raw !== "string") throw new FrameError("BAD_FRAME", "Binary frames are not understood: send JSON text frames.");
          frame = parseFrame(raw);
        } catch (err) {
          if (e.joined) return void e.hub.reply(e, errorFrame(err));
          return void fail(e, err, WS_CLOSE.BAD_FRAME);
        }
        if (e.joined) {
          try {
            e.hub.handle(e, frame);
          } catch (err) {
            if (!(err instanceof RoomError) && !(err instanceof FrameError)) o.log(`internal error on a socket: ${(err as Error)?.stack ?? err}`);
            e.hub.reply(e, errorFrame(err, frame.type === "send" ? frame.ref : undefined));
          }
          return;
        }
        if (frame.type !== "join") return void fail(e, new FrameError("BAD_FRAME", `The first frame must be {"type":"join",…}, not "${frame.type}".`), WS_CLOSE.BAD_FRAME);
        pending.delete(e);
        try {
          e.joined = true;
          // serve --redis: the join completes once its "joined" line is stored (a promise); in memory, at once.
          void e.hub.join(e, frame)?.catch((err: unknown) => {
            e.joined = false;
            e.hub.closed(e);
            fail(e, err);
          });
        } catch (err) {
          e.joined = false;
          e.hub.closed(e);
          fail(e, err);
        }
      },
      drain(peer) {
        const e = entries.get(peer);
        if (e) e.hub.drained(e);
      },
      close(peer) {
        const e = entries.get(peer);
        if (!e) return;
        entries.delete(peer);
        pending.delete(e);
        e.hub.closed(e);
      },
      error() {
        /* the close hook follows; nothing to tell the client */
      },
    },
  });

  /** Answer a frame with an error and close with the code of its class. */
  function fail(e: Entry, err: unknown, code?: number) {
    e.done = true;
    const known = err instanceof RoomError || err instanceof FrameError;
    if (!known) o.log(`internal error on a socket: ${(err as Error)?.stack ?? err}`);
    e.sock.send(Buffer.from(JSON.stringify(errorFrame(err))));
    const status = err instanceof RoomError ? err.status : 400;
    // A bug closes with the standard 1011 and no detail; a known refusal repeats its message (the error frame has it
    // whole) cut to the 123 bytes a close reason may hold.
    e.sock.close(known ? (code ?? closeForStatus(status)) : 1011, known ? closeReason((err as Error).message) : "internal error");
  }

  function takeFrame(e: Entry): boolean {
    const now = Date.now();
    e.tokens = Math.min(burst, e.tokens + ((now - e.at) * o.framesPerSecond) / 1000);
    e.at = now;
    if (e.tokens < 1) return false;
    e.tokens--;
    return true;
  }

  const gateway = {
    get size() {
      return entries.size;
    },

    /** The HTTP server's `upgrade` event. Refusals are HTTP answers in the documented JSON form. */
    handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer, learnt = false) {
      // Node takes its own error handler off an upgrading socket: without one, a client that resets while being
      // answered (ECONNRESET on our write) would be an unhandled error, and take the process down.
      if (!learnt) socket.on("error", () => socket.destroy());
      // serve --redis: a room another instance created is looked up in Redis first, as the HTTP routes do.
      const learning = learnt ? undefined : o.learn?.(req.url ?? "/");
      if (learning) return void learning.then(() => gateway.handleUpgrade(req, socket, head, true), (err: unknown) => refuseUpgrade(socket, err));
      if (socket.destroyed) return; // the client went away meanwhile
      let hub: WsHub | undefined;
      let pathname = "/";
      try {
        const refusal = o.refuse();
        if (refusal) throw refusal;
        pathname = new URL(req.url ?? "/", "http://x").pathname;
        hub = o.resolve(pathname);
        if (!hub) throw new RoomError("NOT_FOUND", `No WebSocket endpoint at ${pathname}: use /ws (or /r/<id>/ws).`);
        if ((req.headers.upgrade ?? "").toLowerCase() !== "websocket") throw new RoomError("BAD_QUERY", "Only WebSocket upgrades are served here.");
        checkOrigin(req, o.allowedHosts());
      } catch (err) {
        return refuseUpgrade(socket, err);
      }
      const forwarded: Record<string, string> = {};
      for (const h of FORWARDED) {
        const v = req.headers[h];
        if (typeof v === "string") forwarded[h] = v;
      }
      const info: UpgradeInfo = { hub, remoteAddress: req.socket.remoteAddress, forwarded };
      // Our own small request object for crossws's upgrade step: it carries the context above (peer.context), so
      // the socket's room is known without parsing its URL again.
      const request = { url: pathname === "/ws" ? DEFAULT_URL : `http://localhost${pathname}`, headers: NO_HEADERS, context: info };
      // crossws keeps the request it is handed for the socket's whole life. Node's IncomingMessage (its stream state,
      // headers, raw headers) is ~1.3 KB per idle socket that nothing reads after the handshake: hand over the few
      // fields the handshake reads instead (README "WebSocket", memory per idle socket).
      const handshake: Record<string, string> = {};
      for (const h of HANDSHAKE) {
        const v = req.headers[h];
        if (typeof v === "string") handshake[h] = v;
      }
      // The fields crossws adds (declared here so the object keeps one compact shape).
      const lite = { method: req.method, url: pathname, headers: handshake, socket: req.socket, _request: undefined, _upgradeHeaders: undefined, _context: undefined, _namespace: undefined };
      adapter.handleUpgrade(lite as unknown as IncomingMessage, socket, head, request as unknown as Request).then(
        () => {
          // The handshake is done: its key and version strings are read by no one any more.
          for (const h of HANDSHAKE) if (h !== "host" && h in handshake) handshake[h] = "";
        },
        (err: unknown) => {
          // Never an unhandled rejection: the client loses this socket, the server goes on.
          o.log(`WebSocket upgrade failed: ${(err as Error)?.stack ?? err}`);
          socket.destroy();
        },
      );
    },

    /** Shutdown: every socket not yet joined is closed here (joined ones by their hub). */
    closeAll(code: number, reason: string) {
      clearInterval(sweep);
      for (const e of entries.values()) if (!e.joined) e.sock.close(code, reason);
    },
  };
  return gateway;
}

// --- internal ---

/** A browser sends Origin: it must be this server's own page (same host), or a host the server is reached by. */
function checkOrigin(req: IncomingMessage, allowed: string[]) {
  const origin = req.headers.origin;
  if (origin === undefined) return; // not a browser: the join frame's credential is what counts
  let host: string;
  try {
    host = new URL(origin).host;
  } catch {
    host = "";
  }
  const own = [req.headers.host, req.headers["x-forwarded-host"], ...allowed];
  if (host && own.some((h) => typeof h === "string" && h.toLowerCase() === host.toLowerCase())) return;
  throw new RoomError("ORIGIN_REFUSED", `A page from ${origin} may not open a socket to this room; open the room's own page instead.`);
}

function refuseUpgrade(socket: Duplex, err: unknown) {
  const e = err instanceof RoomError ? err : new RoomError("INTERNAL", "Unexpected server error.");
  const body = JSON.stringify(e.toJSON());
  const retry = e.retryAfter ? `retry-after: ${e.retryAfter}\r\n` : "";
  socket.end(
    `HTTP/1.1 ${e.status} ${e.code}\r\ncontent-type: application/json; charset=utf-8\r\ncontent-length: ${Buffer.byteLength(body)}\r\n${retry}connection: close\r\n\r\n${body}`,
  );
  setTimeout(() => socket.destroy(), 1000).unref();
}

/** A close reason is at most 123 bytes of UTF-8 (the WebSocket layer throws on more): cut on a character boundary. */
function closeReason(text: string): string {
  if (Buffer.byteLength(text) <= 123) return text;
  let out = "";
  for (const ch of text) {
    if (Buffer.byteLength(out + ch) > 120) break;
    out += ch;
  }
  return out + "…";
}

const FORWARDED = ["cf-connecting-ip", "x-forwarded-for"] as const;
/** What the WebSocket handshake (ws, inside crossws) reads of the request's headers. */
const HANDSHAKE = ["host", "upgrade", "sec-websocket-key", "sec-websocket-version", "sec-websocket-protocol", "sec-websocket-extensions"] as const;
const NO_HEADERS = new Headers();
const DEFAULT_URL = "http://localhost/ws";
