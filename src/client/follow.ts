// Follow a room's messages for as long as the caller wants: a WebSocket when the server and the path allow one
// (ws.ts), else Server-Sent Events while they stream, long-poll when something in between buffers them (Cloudflare quick tunnels, some proxies deliver SSE only when the connection
// closes). Every message is delivered once and in order: the cursor is the last id handed to onMessage, every
// reconnect resumes from it with Last-Event-ID, and anything at or below it is dropped.
import { createParser } from "eventsource-parser";
import { authHeaders, checkMessage, createClient, httpError, unreachable, type Conn } from "./http.js";
import { cleanInline } from "./clean.js";
import { CliError, Exit } from "./exit.js";
import type { Message } from "../protocol/types.js";
import { followOverWs } from "./ws.js";

export interface FollowOptions {
  conn: Conn;
  /** Deliver messages with id > after. */
  after: number;
  signal: AbortSignal;
  onMessage: (m: Message) => void;
  /** The cursor was not in the room's history: delivery continues from the oldest kept message. */
  onReset?: (info: { cursor: number; oldest: number }) => void;
  /** Human status lines: drops, reconnects, the switch to long-poll. */
  log?: (line: string) => void;
  /** Opening comment expected within this long, else the stream counts as buffered. @default 3000 */
  openTimeoutMs?: number;
  /** How often a streaming connection is cross-checked against the history. @default 10000 */
  checkEveryMs?: number;
  /** No bytes at all (not even the 15 s keepalive) for this long: the connection is dead. @default 40000 */
  idleTimeoutMs?: number;
  /** Start in long-poll mode. */
  poll?: boolean;
  /** Try a WebSocket first (falling back to SSE, then long-poll). @default true */
  ws?: boolean;
}

/** Resolves when `signal` aborts; rejects with a CliError when the room refuses us (removed, bad credentials). */
export async function follow(o: FollowOptions): Promise<"aborted"> {
  // AGENT_CHAT_OPEN_TIMEOUT_MS: how long a socket's `joined` or a stream's first bytes may take before the next
  // transport takes over. 3 s suits a person's link; a very slow room (or a test suite on a loaded machine, where the
  // room itself may be stalled for seconds) would otherwise fall back for good without anything being wrong.
  o = { ...o, openTimeoutMs: o.openTimeoutMs ?? (Number(process.env.AGENT_CHAT_OPEN_TIMEOUT_MS) || undefined) };
  const log = o.log ?? (() => {});
  const st = { cursor: o.after, connectedOnce: false, backoff: 0 };
  let polling = !!o.poll;
  let socket = !polling && o.ws !== false;
  let socketWorked = false; // once a socket worked here, every reconnect tries one first again
  const deliver = (m: Message) => {
    if (m.id <= st.cursor) return; // a replay after reconnecting
    st.cursor = m.id;
    o.onMessage(m);
  };
  while (!o.signal.aborted) {
    try {
      if (polling) await pollOnce(o, st, deliver);
      else if (socket) {
        const outcome = await followOverWs({ conn: o.conn, signal: o.signal, deliver, onReset: o.onReset, openTimeoutMs: o.openTimeoutMs, idleTimeoutMs: o.idleTimeoutMs }, st);
        if (outcome === "unavailable" || outcome === "refused") {
          // No socket here (an old server, a proxy without upgrades), or the room refused us: the event stream
          // takes over, and reports a refusal with its usual message and exit code.
          socket = false;
          continue;
        }
        socketWorked = true;
        if (outcome === "ended" && !o.signal.aborted) {
          log(`the stream ended; reconnecting (resuming after #${st.cursor})…`);
          await sleep(500, o.signal);
        }
      } else {
        const outcome = await streamOnce(o, st, deliver, log);
        if (outcome === "buffered") {
          polling = true;
          log("the stream is being held back (a proxy or tunnel buffers it): switched to long-poll; no message is lost.");
          continue;
        }
        if (outcome === "ended" && !o.signal.aborted) {
          log(`the stream ended; reconnecting (resuming after #${st.cursor})…`);
          socket = socketWorked;
          await sleep(500, o.signal);
        }
      }
      if (st.connectedOnce) st.backoff = 0;
    } catch (err) {
      if (o.signal.aborted) break;
      socket = socketWorked;
      if (err instanceof CliError && err.exitCode !== Exit.UNREACHABLE) throw err; // removed, rejected: final
      // Unreachable at the very start: say so at once (exit 2). Later drops are retried for as long as it takes.
      if (!st.connectedOnce) throw err;
      const delay = Math.min(15_000, 1000 * 2 ** st.backoff++);
      log(`${err instanceof CliError && err.detail ? err.detail : (err as Error).message}; retrying in ${Math.round(delay / 1000)} s…`);
      await sleep(delay, o.signal);
    }
  }
  return "aborted";
}

// --- internal ---

interface State {
  cursor: number;
  connectedOnce: boolean;
  backoff: number;
}

async function pollOnce(o: FollowOptions, st: State, deliver: (m: Message) => void) {
  const client = createClient(o.conn);
  const r = await raceAbort(client.poll(st.cursor, 25), o.signal);
  if (!r) return;
  st.connectedOnce = true;
  if (r.reset) {
    o.onReset?.({ cursor: st.cursor, oldest: r.messages[0]?.id ?? r.next + 1 });
    st.cursor = r.messages.length ? r.messages[0]!.id - 1 : r.next;
  }
  for (const m of r.messages) deliver(m);
  if (!r.messages.length && !r.reset) st.cursor = Math.max(st.cursor, r.next);
}

type StreamOutcome = "ended" | "buffered" | "aborted";

async function streamOnce(o: FollowOptions, st: State, deliver: (m: Message) => void, log: (l: string) => void): Promise<StreamOutcome> {
  const ac = new AbortController();
  const onAbort = () => ac.abort();
  o.signal.addEventListener("abort", onAbort, { once: true });
  let opened = false;
  let removed: CliError | undefined;
  let lastByte = Date.now();
  let verdict: StreamOutcome | undefined;
  const stop = (why: StreamOutcome) => {
    verdict ??= why;
    ac.abort();
  };

  // Nothing at all within openTimeoutMs — not the headers, not the opening comment — means a buffering proxy.
  const openTimer = setTimeout(() => !opened && stop("buffered"), o.openTimeoutMs ?? 3000);
  const idleTimer = setInterval(() => Date.now() - lastByte > (o.idleTimeoutMs ?? 40_000) && stop("ended"), 1000);
  const checker = crossCheck(o, st, () => stop("buffered"));

  const parser = createParser({
    onComment: () => {
      opened = true;
    },
    onEvent: (ev) => {
      opened = true;
      if (ev.event === "reset") {
        const info = safeJson<{ oldest: number }>(ev.data);
        if (info && typeof info.oldest === "number") {
          o.onReset?.({ cursor: st.cursor, oldest: info.oldest });
          st.cursor = info.oldest - 1; // the replay that follows starts at the oldest kept message
        }
      } else if (ev.event === "removed") {
        const info = safeJson<{ name?: string; message?: string }>(ev.data);
        removed = new CliError(Exit.REMOVED, `${o.conn.url}: ${info?.message ? cleanInline(info.message) : "The host removed you from this room."} Stop using this room.`, "REMOVED");
        stop("ended");
      } else if (ev.event === "message" || ev.event === undefined) {
        const raw = safeJson<unknown>(ev.data);
        let m: Message | undefined;
        try {
          m = checkMessage(raw, o.conn.url);
        } catch {
          /* not a message: ignore it, as the stream format says */
        }
        if (m) deliver(m);
      }
    },
  });

  try {
    let res: Response;
    try {
      res = await fetch(`${o.conn.url}/messages/stream`, {
        headers: { ...authHeaders(o.conn), accept: "text/event-stream", "last-event-id": String(st.cursor) },
        signal: ac.signal,
      });
    } catch (err) {
      if (verdict || o.signal.aborted) return verdict ?? "aborted";
      throw unreachable(o.conn.url, err, o.openTimeoutMs ?? 3000);
    }
    if (!res.ok) {
      const raw = await res.text().catch(() => "");
      throw httpError(o.conn, res, raw);
    }
    if (!res.body) return "ended";
    const reader = res.body.getReader();
    const decoder = new TextDecoder();
    // undici can leave a pending read() unsettled when the fetch is aborted after the body ended: race it.
    const aborted = new Promise<never>((_, reject) => {
      if (ac.signal.aborted) reject(new Error("aborted"));
      ac.signal.addEventListener("abort", () => reject(new Error("aborted")), { once: true });
    });
    aborted.catch(() => {});
    try {
      for (;;) {
        const { done, value } = await Promise.race([reader.read(), aborted]);
        if (done) break;
        lastByte = Date.now();
        parser.feed(decoder.decode(value, { stream: true }));
        if (opened && !st.connectedOnce) st.connectedOnce = true;
        if (opened) st.backoff = 0;
        if (verdict) break;
      }
    } catch {
      /* aborted or dropped: decided below */
    } finally {
      reader.cancel().catch(() => {});
    }
    if (removed) throw removed;
    if (o.signal.aborted) return "aborted";
    if (verdict === "buffered") return "buffered";
    if (!opened) {
      // Closed before even the opening comment: a proxy that buffered and then gave up.
      log("the stream closed before sending anything.");
      return "buffered";
    }
    return "ended";
  } finally {
    clearTimeout(openTimer);
    clearInterval(idleTimer);
    checker.stop();
    o.signal.removeEventListener("abort", onAbort);
  }
}

/**
 * A stream can also be held back after a good start (a proxy flushing only large chunks). Every checkEveryMs, ask the
 * history whether something newer than our cursor exists; if the same message is still missing one period later,
 * the stream is not delivering.
 */
function crossCheck(o: FollowOptions, st: State, onStuck: () => void) {
  let missing: number | undefined;
  const client = createClient(o.conn);
  const timer = setInterval(async () => {
    try {
      const r = await client.messages(st.cursor, 1);
      const first = r.messages[0]?.id;
      if (first !== undefined && missing !== undefined && st.cursor < missing) return onStuck();
      missing = first;
    } catch {
      /* the stream itself will notice */
    }
  }, o.checkEveryMs ?? 10_000);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}

function safeJson<T>(s: string): T | undefined {
  try {
    return JSON.parse(s) as T;
  } catch {
    return undefined;
  }
}

/** Sleep that ends early (resolving) when the signal aborts; used by every reconnect loop. */
export function sleep(ms: number, signal: AbortSignal) {
  return new Promise<void>((resolve) => {
    const t = setTimeout(done, ms);
    signal.addEventListener("abort", done, { once: true });
    function done() {
      clearTimeout(t);
      signal.removeEventListener("abort", done);
      resolve();
    }
  });
}

/** A promise that settles undefined when the signal aborts first (the request itself ends on its own timeout). */
function raceAbort<T>(p: Promise<T>, signal: AbortSignal): Promise<T | undefined> {
  if (signal.aborted) return Promise.resolve(undefined);
  return new Promise<T | undefined>((resolve, reject) => {
    const onAbort = () => resolve(undefined);
    signal.addEventListener("abort", onAbort, { once: true });
    p.then(
      (v) => (signal.removeEventListener("abort", onAbort), resolve(v)),
      (e) => (signal.removeEventListener("abort", onAbort), signal.aborted ? resolve(undefined) : reject(e)),
    );
  });
}
