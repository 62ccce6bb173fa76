// Live messages for the page: one state machine, strategies plugged in by name.
//
// A strategy is `async (link) => outcome`. It delivers what arrives through `link` and returns when it cannot go
// on: "failed" (the connection broke), "reset" (the room no longer has our cursor) or "fallback" (it works but is
// held back: try the next strategy). It must stop at once when `link.signal` aborts. In order: "ws" (one WebSocket,
// README "WebSocket"), "sse" (EventSource, proven to flow by replaying the last message seen), "poll" (long-poll).
//
// Cancellation is an AbortController per start() and one per attempt, never a counter: stop() aborts everything,
// so no timer, EventSource or open long-poll outlives it.
import { ApiError } from "./api.js";

export const PROBE_MS = 4000;
const SLOW_RETRY_MS = 15_000;
const FAILS_BEFORE_CLOSED = 3;
const POLL_GUARD_MS = 40_000; // a proxy that never answers a long-poll

/** Resolve after `ms`, or when `wake` aborts; reject when `signal` aborts. */
function sleep(ms, signal, wake) {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const done = () => (clearTimeout(t), signal.removeEventListener("abort", stop), wake?.removeEventListener("abort", done), resolve());
    const stop = () => (clearTimeout(t), wake?.removeEventListener("abort", done), reject(signal.reason));
    const t = setTimeout(done, ms);
    signal.addEventListener("abort", stop, { once: true });
    wake?.addEventListener("abort", done, { once: true });
  });
}

/**
 * WebSocket: one socket joins with the page's token and cursor, then carries the replay and live messages. No
 * socket within PROBE_MS (a proxy or tunnel that refuses upgrades, an older server): "fallback" to the event stream.
 * A socket that opened and then broke, went silent for 2.5 server pings, or whose join was refused: "failed", and the
 * usual diagnosis (/room) says why.
 */
export async function ws(link) {
  if (typeof WebSocket !== "function") return "fallback";
  const url = new URL(`${link.base}ws`, location.href);
  url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
  let sock;
  try {
    sock = new WebSocket(url);
  } catch {
    return "fallback";
  }
  let probe = 0;
  let watchdog = 0;
  let heard = Date.now();
  try {
    return await new Promise((resolve) => {
      let opened = false;
      let joined = false;
      link.signal.addEventListener("abort", () => resolve("aborted"), { once: true });
      probe = setTimeout(() => !joined && resolve(opened ? "failed" : "fallback"), PROBE_MS);
      sock.onopen = () => {
        opened = true;
        sock.send(JSON.stringify({ type: "join", token: link.token(), after: link.cursor }));
      };
      sock.onmessage = (e) => {
        heard = Date.now();
        let f;
        try { f = JSON.parse(e.data); } catch { return; }
        if (f.type === "joined") {
          joined = true;
          clearTimeout(probe);
          // The server pings every pingMs: hearing nothing for 2.5 of them, the link is dead even if the browser
          // has not noticed (a phone changing networks, a tunnel that stopped forwarding).
          const silence = 2.5 * (f.pingMs > 0 ? f.pingMs : 30_000);
          watchdog = setInterval(() => Date.now() - heard > silence && resolve("failed"), Math.min(5000, silence / 4));
          link.live("live");
        } else if (f.type === "message") {
          link.live("live"); // e.g. after an "offline" the socket itself survived
          link.deliver([f.message]);
        } else if (f.type === "reset") resolve("reset");
        else if (f.type === "ping") sock.send('{"type":"pong"}');
        else if (f.type === "removed") {
          link.fatal(new ApiError(403, "REMOVED", f.message || "Removed from the room."));
          resolve("aborted");
        } else if (f.type === "closed") resolve("failed"); // the diagnosis finds the room gone (410)
      };
      sock.onclose = () => resolve(opened ? "failed" : "fallback");
    });
  } finally {
    clearTimeout(probe);
    clearInterval(watchdog);
    sock.onclose = sock.onmessage = sock.onopen = null;
    if (sock.readyState <= 1) sock.close(1000);
  }
}

/** Server-Sent Events, from one message before the last one seen: its replay within PROBE_MS proves the stream flows. */
export async function sse(link) {
  const after = Math.max(0, link.cursor - 1);
  const es = new EventSource(`${link.base}messages/stream?token=${encodeURIComponent(link.token())}&after=${after}`);
  try {
    return await new Promise((resolve) => {
      let flowing = false;
      let probe = 0;
      const flows = () => {
        if (flowing) return;
        flowing = true;
        clearTimeout(probe);
        link.live("live");
      };
      link.signal.addEventListener("abort", () => (clearTimeout(probe), resolve("aborted")), { once: true });
      if (after < link.cursor) probe = setTimeout(() => !flowing && resolve("fallback"), PROBE_MS);
      else es.onopen = flows; // nothing to replay (an empty room): the stream counts as open with its headers
      es.addEventListener("message", (e) => {
        flows();
        link.live("live"); // e.g. after an "offline" the stream itself survived
        let m;
        try { m = JSON.parse(e.data); } catch { return; }
        link.deliver([m]);
      });
      es.addEventListener("reset", () => (flows(), resolve("reset")));
      es.addEventListener("removed", (e) => {
        let text = "";
        try { text = JSON.parse(e.data).message; } catch { /* the default words */ }
        link.fatal(new ApiError(403, "REMOVED", text || "Removed from the room."));
        resolve("aborted");
      });
      es.addEventListener("closed", () => resolve("failed"));
      es.onerror = () => resolve("failed");
    });
  } finally {
    es.close();
  }
}

/** Long-poll: works through every proxy and tunnel. */
export async function poll(link) {
  link.live("polling");
  for (;;) {
    const signal = AbortSignal.any([link.signal, AbortSignal.timeout(POLL_GUARD_MS)]);
    let data;
    try {
      data = await link.api(`messages/poll?after=${link.cursor}&timeout=25`, { signal });
    } catch (e) {
      if (link.signal.aborted) return "aborted";
      if (e && (e.name === "AbortError" || e.name === "TimeoutError")) continue; // the guard fired: ask again
      if (link.isFatal(e)) return link.fatal(e), "aborted";
      return "failed";
    }
    link.live("polling");
    if (data.reset) return "reset";
    link.deliver(data.messages);
    if (typeof data.next === "number") link.advance(data.next);
  }
}

/**
 * The page's live connection. Callbacks: `deliver(list)` new messages in id order, `reset()` reload history and
 * return the new cursor, `state(name)` connecting/live/polling/reconnecting/offline/closed, `fatal(err)` the
 * session is over (removed, token unknown), `room(info)` a /room answer seen while diagnosing.
 */
export function createTransport({ api, base = "", token, isFatal, deliver, reset, state, fatal, room, strategies = { ws, sse, poll } }) {
  const order = Object.keys(strategies);
  let mode = 0;
  let cursor = 0;
  let current = "connecting";
  let session = null; // AbortController of the running start()
  let attempt = null; // AbortController of the running strategy
  let wake = null; // aborting it ends a backoff pause early
  let pausing = false; // between attempts (diagnosing or backing off), as opposed to inside a strategy
  let behindTimer = 0;

  const setState = (s) => {
    current = s;
    state(s);
  };
  const advance = (id) => {
    if (id > cursor) cursor = id;
  };

  async function run(signal) {
    let failures = 0;
    let streamFailures = 0;
    while (!signal.aborted) {
      attempt = new AbortController();
      const link = {
        base,
        api,
        token,
        isFatal,
        get cursor() { return cursor; },
        signal: AbortSignal.any([signal, attempt.signal]),
        live: (s) => {
          failures = 0;
          streamFailures = 0;
          if (current !== s) setState(s);
        },
        deliver: (list) => {
          const fresh = [];
          for (const m of list) {
            if (!m || typeof m.id !== "number") continue;
            advance(m.id);
            fresh.push(m);
          }
          if (fresh.length) deliver(fresh);
        },
        advance,
        fatal: (e) => (fatal(e), session?.abort()),
      };
      let outcome = await strategies[order[mode]](link);
      if (attempt.signal.reason === "fallback") outcome = "fallback";
      if (signal.aborted) return;
      if (attempt.signal.reason === "restart") continue; // the network came back: connect afresh, at once
      if (outcome === "fallback" && mode < order.length - 1) {
        mode++;
        continue;
      }
      if (outcome === "reset") {
        try {
          cursor = await reset();
          continue;
        } catch (e) {
          if (isFatal(e)) return link.fatal(e);
        }
      }
      if (outcome === "failed" && order[mode] !== "poll") streamFailures++;
      // Something broke. Find out why (removed? room gone? network?) and come back with a backoff.
      if (current !== "closed" && current !== "offline") setState("reconnecting");
      pausing = true;
      for (;;) {
        wake = new AbortController();
        try {
          room(await api("room", { signal }));
          // The room is up: reconnect now, or after a growing pause when the stream itself keeps failing.
          await sleep(streamFailures > 1 ? Math.min(30_000, 500 * 2 ** streamFailures) : 300, signal, wake.signal);
          break;
        } catch (e) {
          if (signal.aborted) return;
          if (isFatal(e)) return link.fatal(e);
          failures++;
          let pause;
          if (typeof navigator !== "undefined" && !navigator.onLine) {
            setState("offline");
            pause = SLOW_RETRY_MS; // the "online" event usually comes first
          } else {
            // The server said it is going (or the host closed this room): no need to count failures first.
            if (e instanceof ApiError && (e.code === "SHUTTING_DOWN" || e.code === "ROOM_CLOSED")) failures = Math.max(failures, FAILS_BEFORE_CLOSED);
            if (failures >= FAILS_BEFORE_CLOSED) setState("closed");
            pause = failures >= FAILS_BEFORE_CLOSED ? SLOW_RETRY_MS : 1000 * 2 ** (failures - 1);
          }
          try {
            await sleep(pause, signal, wake.signal);
          } catch {
            return;
          }
        }
      }
      pausing = false;
    }
  }

  return {
    get cursor() { return cursor; },
    get state() { return current; },
    get mode() { return order[mode]; },
    /** Go live from `from` (the last id already shown). */
    start(from) {
      this.stop();
      cursor = from;
      current = "connecting";
      session = new AbortController();
      run(session.signal).catch(() => { /* aborted */ });
    },
    stop() {
      clearTimeout(behindTimer);
      behindTimer = 0;
      session?.abort();
      session = null;
    },
    /**
     * Come back now (network back, tab visible again) instead of waiting out a slow retry. A connection that
     * outlived an "offline" spell is replaced too: only a fresh one proves the way to the room works again.
     */
    retrySoon() {
      if (!session || !(current === "closed" || current === "offline" || current === "reconnecting")) return;
      if (pausing) wake?.abort();
      else attempt?.abort("restart");
    },
    /** The network is gone (the browser says so): say it now; the transport finds out by itself. */
    offline() {
      if (session && current !== "closed") setState("offline");
    },
    /** /room says `lastId` exists: if the stream has not brought it within PROBE_MS, it is held back. */
    expect(lastId) {
      if (order[mode] !== "sse" || current !== "live" || typeof lastId !== "number" || lastId <= cursor || behindTimer) return;
      const a = attempt;
      behindTimer = setTimeout(() => {
        behindTimer = 0;
        if (a === attempt && order[mode] === "sse" && cursor < lastId) a.abort("fallback");
      }, PROBE_MS);
    },
  };
}
