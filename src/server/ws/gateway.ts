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
import type { WsConn, WsHub, WsSocket } from "./hub.js";

export interface WsGatewayOptions {
  /** The room hub for an upgrade path (`/ws`, `/r/<id>/ws`); undefined: no such room. May throw a RoomError. */
  resolve(pathname: string): WsHub | undefined;
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

interface Entry extends WsConn {
  hub?: WsHub;
  joined: boolean;
  /** We closed it (or are closing it): later frames are ignored. */
  done: boolean;
  joinTimer?: NodeJS.Timeout;
  tokens: number;
  at: number;
}

export function createWsGateway(o: WsGatewayOptions) {
  const entries = new Map<Peer, Entry>();
  const burst = o.framesPerSecond * 2;

  const adapter = nodeAdapter({
    // Our own JSON ping (hub.ts) replaces crossws's protocol-level sweep: browsers cannot see protocol pings.
    idleTimeout: 0,
    // closeTimeout (ws >= 8.18, missing from the bundled types): a socket we close — a slow reader above all — is
    // destroyed 5 s later if its end never confirms, instead of holding its unsent output for 30 s.
    serverOptions: { maxPayload: o.maxFrameBytes, perMessageDeflate: false, ...{ closeTimeout: 5_000 } },
    hooks: {
      open(peer) {
        const e: Entry = { sock: socketOf(peer), cursor: 0, live: false, waiting: false, missed: 0, joined: false, done: false, tokens: burst, at: Date.now() };
        entries.set(peer, e);
        try {
          e.hub = o.resolve(new URL(peer.request.url).pathname);
        } catch (err) {
          return void fail(e, err);
        }
        if (!e.hub) return void fail(e, new RoomError("NOT_FOUND", "No room at this address."));
        e.joinTimer = setTimeout(() => {
          if (e.joined || e.done) return;
          e.done = true;
          e.sock.send(Buffer.from(JSON.stringify({ type: "error", code: "JOIN_TIMEOUT", message: `No join frame within ${o.joinTimeoutMs / 1000} s; send {"type":"join",…} first.` })));
          e.sock.close(WS_CLOSE.TIMEOUT, "no join in time");
        }, o.joinTimeoutMs);
      },
      message(peer, message) {
        const e = entries.get(peer);
        if (!e?.hub || e.done) return;
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
        clearTimeout(e.joinTimer);
        try {
          e.joined = true;
          e.hub.join(e, frame);
        } catch (err) {
          e.joined = false;
          e.hub.closed(e);
          fail(e, err);
        }
      },
      drain(peer) {
        const e = entries.get(peer);
        if (e?.hub) e.hub.drained(e);
      },
      close(peer) {
        const e = entries.get(peer);
        if (!e) return;
        entries.delete(peer);
        clearTimeout(e.joinTimer);
        e.hub?.closed(e);
      },
      error() {
        /* the close hook follows; nothing to tell the client */
      },
    },
  });

  /** Answer a frame with an error and close with the code of its class. */
  function fail(e: Entry, err: unknown, code?: number) {
    e.done = true;
    e.sock.send(Buffer.from(JSON.stringify(errorFrame(err))));
    const status = err instanceof RoomError ? err.status : 400;
    e.sock.close(code ?? closeForStatus(status), err instanceof Error ? err.message.slice(0, 120) : "error");
  }

  function takeFrame(e: Entry): boolean {
    const now = Date.now();
    e.tokens = Math.min(burst, e.tokens + ((now - e.at) * o.framesPerSecond) / 1000);
    e.at = now;
    if (e.tokens < 1) return false;
    e.tokens--;
    return true;
  }

  return {
    get size() {
      return entries.size;
    },

    /** The HTTP server's `upgrade` event. Refusals are HTTP answers in the documented JSON form. */
    handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer) {
      let hub: WsHub | undefined;
      try {
        const refusal = o.refuse();
        if (refusal) throw refusal;
        const pathname = new URL(req.url ?? "/", "http://x").pathname;
        hub = o.resolve(pathname);
        if (!hub) throw new RoomError("NOT_FOUND", `No WebSocket endpoint at ${pathname}: use /ws (or /r/<id>/ws).`);
        if ((req.headers.upgrade ?? "").toLowerCase() !== "websocket") throw new RoomError("BAD_QUERY", "Only WebSocket upgrades are served here.");
        checkOrigin(req, o.allowedHosts());
      } catch (err) {
        return refuseUpgrade(socket, err);
      }
      void adapter.handleUpgrade(req, socket, head);
    },

    /** Shutdown: every socket not yet joined is closed here (joined ones by their hub). */
    closeAll(code: number, reason: string) {
      for (const e of entries.values()) if (!e.joined) e.sock.close(code, reason);
    },
  };
}

export type WsGateway = ReturnType<typeof createWsGateway>;

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

function socketOf(peer: Peer): WsSocket {
  return {
    // A Buffer would go out as a binary frame unless told otherwise: our frames are JSON text.
    send: (data) => peer.send(data, { binary: false } as { compress?: boolean }) ?? 0,
    close: (code, reason) => peer.close(code, reason),
    get bufferedAmount() {
      return peer.bufferedAmount;
    },
    get remoteAddress() {
      return peer.remoteAddress;
    },
    header: (name) => peer.request.headers.get(name) ?? undefined,
  };
}
