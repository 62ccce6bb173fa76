// Following a room over one WebSocket (README "WebSocket"): join with the connection's credential and the cursor,
// deliver the replay and live messages, answer pings, and say how it ended. Anything the socket cannot explain —
// a refused upgrade, a refused join — is left to the HTTP transports (follow.ts), which report it with the usual
// messages and exit codes, so the CLI behaves the same whichever transport carried the messages.
// Node 20 has no WebSocket without a flag: crossws/websocket is the `ws` client it bundles (the global one on
// Node 22+).
import WebSocket from "crossws/websocket";
import type { Message } from "../protocol/types.js";
import { FINAL_CLOSES } from "../protocol/ws.js";
import { CliError, Exit } from "./exit.js";
import type { Conn } from "./http.js";

interface WsState {
  /** Last id delivered; the join asks for what comes after it. */
  cursor: number;
  connectedOnce: boolean;
  backoff: number;
}

interface WsFollowOptions {
  conn: Conn;
  signal: AbortSignal;
  deliver: (m: Message) => void;
  onReset?: (info: { cursor: number; oldest: number }) => void;
  /** `joined` expected within this long, else the socket counts as unavailable. @default 3000 */
  openTimeoutMs?: number;
  /** No frame at all for this long: the connection is dead. The client pings at half of it. @default 40000 */
  idleTimeoutMs?: number;
}

/**
 * - "unavailable": no socket here (an old server, a proxy that refuses upgrades, nothing listening): use HTTP.
 * - "refused": the room refused us (credential, removal, closed room): HTTP will say why with its exit code.
 * - "ended": the socket closed after working (a network cut, slow consumer, shutdown): reconnect with the cursor.
 */
type WsOutcome = "unavailable" | "refused" | "ended" | "aborted";

export function wsUrl(httpUrl: string): string {
  return httpUrl.replace(/^http/i, "ws") + "/ws";
}

/** The join frame for a connection, with the credential its HTTP requests send (http.ts authHeaders): the host
 * token, else the participant token, else the invite key, else the password (a reader without a name). */
function joinFrame(conn: Conn, after: number) {
  const bearer = conn.hostToken ?? conn.token ?? conn.key;
  if (bearer) return { type: "join", [bearer.startsWith("ak_") ? "key" : "token"]: bearer, after };
  return { type: "join", password: conn.password ?? "", after };
}

/** Rejects with a CliError (exit 5) when the host removes us while the socket is open, as the event stream does. */
export function followOverWs(o: WsFollowOptions, st: WsState): Promise<WsOutcome> {
  if (o.signal.aborted) return Promise.resolve("aborted");
  const idleMs = o.idleTimeoutMs ?? 40_000;
  return new Promise<WsOutcome>((resolve, reject) => {
    let ws: InstanceType<typeof WebSocket>;
    try {
      ws = new WebSocket(wsUrl(o.conn.url));
    } catch {
      return resolve("unavailable");
    }
    let opened = false;
    let joined = false;
    let settled = false;
    let lastFrame = Date.now();
    const finish = (why: WsOutcome, err?: CliError) => {
      if (settled) return;
      settled = true;
      clearTimeout(openTimer);
      clearInterval(idleTimer);
      o.signal.removeEventListener("abort", onAbort);
      if (ws.readyState === ws.CONNECTING || ws.readyState === ws.OPEN) ws.close(1000);
      if (err) reject(err);
      else resolve(why);
    };
    const onAbort = () => finish("aborted");
    o.signal.addEventListener("abort", onAbort, { once: true });
    const openTimer = setTimeout(() => !joined && finish("unavailable"), o.openTimeoutMs ?? 3000);
    const idleTimer = setInterval(() => {
      if (Date.now() - lastFrame > idleMs) return finish("ended");
      if (joined) ws.send('{"type":"ping"}'); // keeps proxies from timing the socket out, and proves the path
    }, idleMs / 2);

    ws.onopen = () => {
      opened = true;
      ws.send(JSON.stringify(joinFrame(o.conn, st.cursor)));
    };
    ws.onmessage = (ev) => {
      lastFrame = Date.now();
      let f: { type?: string; message?: Message; oldest?: number };
      try {
        f = JSON.parse(String(ev.data));
      } catch {
        return;
      }
      switch (f.type) {
        case "joined":
          joined = true;
          clearTimeout(openTimer);
          st.connectedOnce = true;
          st.backoff = 0;
          return;
        case "message":
          if (f.message && typeof f.message.id === "number") o.deliver(f.message);
          return;
        case "reset":
          if (typeof f.oldest === "number") {
            o.onReset?.({ cursor: st.cursor, oldest: f.oldest });
            st.cursor = f.oldest - 1; // the replay that follows starts at the oldest kept message
          }
          return;
        case "ping":
          return void ws.send('{"type":"pong"}');
        case "removed": {
          const text = (f as { message?: string }).message ?? "The host removed you from this room.";
          return finish("refused", new CliError(Exit.REMOVED, `${o.conn.url}: ${text} Stop using this room.`));
        }
        case "closed":
          return finish("refused");
        case "error":
          if (!joined) finish("refused"); // the join was refused: HTTP will explain
          return;
      }
    };
    ws.onclose = (ev) => {
      if (!joined) return finish(opened ? "refused" : "unavailable");
      finish(FINAL_CLOSES.has(ev.code) ? "refused" : "ended");
    };
    ws.onerror = () => {
      /* the close event follows */
    };
  });
}
