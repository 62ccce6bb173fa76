// agent-chat web UI: plain JavaScript, no build step, no dependencies.
//
// Secrets. The link carries the password (#password=…) or the host token (#host=…) in the fragment, which browsers
// never send to a server; the page removes it from the address bar at once. The password and the host token are
// kept in sessionStorage (this tab only, gone when it closes); the participant token and the chosen name in
// localStorage (this origin only), so re-opening the page resumes as the same participant. "Leave room" and a
// rejected token clear them. Secrets are only ever sent to this page's own origin (relative URLs; the
// Content-Security-Policy also allows nothing else).
//
// Safety. Message text and names reach the DOM only as text nodes (textContent / createTextNode). Links are built
// with DOM APIs, for http(s) URLs only.
//
// Transport. History from GET /messages, then live messages over SSE from one message before the last one seen:
// the replayed message proves within PROBE_MS that the stream is not held back by a buffering proxy (a Cloudflare
// quick tunnel, for one); if it is, the page switches to long-poll by itself. Every message is shown once (by id).

const PROBE_MS = 4000;
const ROOM_EVERY_MS = 10_000;
const HISTORY_LIMIT = 200;
const MAX_DOM_MESSAGES = 1000;
const MAX_STORE = 10_000;
const CLAMP_CHARS = 3000;
const CLAMP_LINES = 40;
const SLOW_RETRY_MS = 15_000;
const FAILS_BEFORE_CLOSED = 3;

const $ = (id) => /** @type {HTMLElement} */ (document.getElementById(id));

const store = {
  get(kind, key) {
    try { return (kind === "local" ? localStorage : sessionStorage).getItem("agent-chat:" + key); } catch { return null; }
  },
  set(kind, key, value) {
    try {
      const s = kind === "local" ? localStorage : sessionStorage;
      if (value == null) s.removeItem("agent-chat:" + key);
      else s.setItem("agent-chat:" + key, value);
    } catch { /* storage disabled: keep going with memory only */ }
  },
};

const S = {
  token: store.get("local", "token"),
  name: store.get("local", "name"),
  password: store.get("session", "password"),
  hostToken: store.get("session", "host"),
  suggestion: null,
  /** Highest id received in order from history, stream or poll: the transport cursor. */
  cursor: 0,
  seen: new Set(),
  /** Every message received, for the transcript when the room is gone. */
  messages: [],
  mode: "sse",
  conn: "connecting",
  gen: 0,
  es: null,
  pollAbort: null,
  retryTimer: 0,
  probeTimer: 0,
  behindTimer: 0,
  roomTimer: 0,
  roomRefreshTimer: 0,
  failures: 0,
  streamFailures: 0,
  stopped: false,
  room: null,
  title: "agent-chat",
  unread: 0,
  inviteText: null,
  qrUrl: null,
  sending: false,
  lastShownId: 0,
};

class ApiError extends Error {
  constructor(status, code, message, extra = {}) {
    super(message);
    this.status = status;
    this.code = code;
    this.extra = extra;
  }
}
class NetError extends Error {}

// ---------------------------------------------------------------- HTTP

/** Call the room API on this origin. Throws ApiError (server answered with an error) or NetError (no answer). */
async function api(path, { method = "GET", body, auth = S.token, signal, as = "json" } = {}) {
  const headers = {};
  if (auth) headers.Authorization = "Bearer " + auth;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  let res;
  try {
    res = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), signal, cache: "no-store", credentials: "omit" });
  } catch (e) {
    if (e && e.name === "AbortError") throw e;
    throw new NetError("The room did not answer.");
  }
  if (!res.ok) {
    let err = null;
    try { err = (await res.json()).error; } catch { /* not JSON (a proxy's error page) */ }
    throw new ApiError(res.status, err?.code ?? "HTTP_" + res.status, err?.message ?? `The room answered ${res.status}.`, err ?? {});
  }
  if (as === "text") return res.text();
  if (as === "blob") return res.blob();
  return res.json();
}

/** Errors that end the session: removed by the host, or a token this room no longer knows. */
function fatal(err) {
  if (!(err instanceof ApiError)) return false;
  if (err.code === "REMOVED") {
    showRemoved(err.message);
    return true;
  }
  if (err.status === 401) {
    sessionLost();
    return true;
  }
  return false;
}

// ---------------------------------------------------------------- entry

function readFragment() {
  const hash = location.hash.replace(/^#/, "");
  if (!hash) return;
  for (const part of hash.split("&")) {
    const i = part.indexOf("=");
    if (i < 0) continue;
    let value;
    try { value = decodeURIComponent(part.slice(i + 1)); } catch { continue; }
    const key = part.slice(0, i);
    if (key === "password" && value) {
      S.password = value;
      store.set("session", "password", value);
    } else if (key === "host" && value) {
      S.hostToken = value;
      store.set("session", "host", value);
    }
  }
  // Out of the address bar (and so out of screenshots, shared screens and history) at once.
  history.replaceState(null, "", location.pathname + location.search);
}

async function boot() {
  readFragment();
  wireUp();
  if (S.token && S.name) {
    try {
      await join(S.name, S.token);
      return;
    } catch (e) {
      if (e instanceof ApiError && e.code === "REMOVED") return showRemoved(e.message);
      if (e instanceof NetError) {
        showJoin("The room did not answer. Check the link, or try again in a moment.");
        return;
      }
      setToken(null); // from another room or revoked: join afresh
    }
  }
  showJoin();
}

function showJoin(info = "") {
  $("chat-view").hidden = true;
  $("join-view").hidden = false;
  $("join-host-note").hidden = !S.hostToken;
  $("password-field").hidden = !!(S.password || S.hostToken);
  $("join-info").textContent = info;
  const nameInput = /** @type {HTMLInputElement} */ ($("name-input"));
  if (!nameInput.value && S.name) nameInput.value = S.name;
  nameInput.focus();
}

function setToken(token) {
  S.token = token;
  store.set("local", "token", token);
}

async function onJoinSubmit(ev) {
  ev.preventDefault();
  const nameInput = /** @type {HTMLInputElement} */ ($("name-input"));
  const pwInput = /** @type {HTMLInputElement} */ ($("password-input"));
  const name = nameInput.value.trim();
  $("join-error").textContent = "";
  $("use-suggestion").hidden = true;
  if (!name) {
    $("join-error").textContent = "Type a name: it is how others see you.";
    nameInput.focus();
    return;
  }
  if (!$("password-field").hidden) {
    if (!pwInput.value) {
      $("join-error").textContent = "Type the room password (it is in the invite).";
      pwInput.focus();
      return;
    }
    S.password = pwInput.value;
    store.set("session", "password", S.password);
  }
  const btn = /** @type {HTMLButtonElement} */ ($("join-btn"));
  btn.disabled = true;
  try {
    await join(name, S.hostToken || S.password);
  } catch (e) {
    if (e instanceof ApiError && e.code === "NAME_TAKEN" && e.extra.suggestion) {
      S.suggestion = String(e.extra.suggestion);
      $("password-field").hidden = true; // the password was right: only the name needs changing
      $("join-error").textContent = e.message;
      const sug = $("use-suggestion");
      sug.textContent = `Join as “${S.suggestion}”`;
      sug.hidden = false;
    } else if (e instanceof ApiError && e.status === 401) {
      S.password = null;
      store.set("session", "password", null);
      $("password-field").hidden = false;
      $("join-error").textContent = S.hostToken ? "The host link is not valid for this room. " + e.message : "Wrong password. " + e.message;
      pwInput.value = "";
      pwInput.focus();
    } else {
      $("join-error").textContent = e instanceof ApiError ? e.message : "The room did not answer. Check your connection and try again.";
    }
  } finally {
    btn.disabled = false;
  }
}

/** POST /join, then load history and go live. `auth` is the saved token, the host token or the password. */
async function join(name, auth) {
  const r = await api("join", { method: "POST", body: { name, kind: "human" }, auth });
  setToken(r.token);
  S.name = r.participant.name;
  store.set("local", "name", S.name);
  S.stopped = false;
  if (r.room && r.room.title) setTitle(r.room.title);
  $("join-view").hidden = true;
  $("chat-view").hidden = false;
  $("host-controls").hidden = !S.hostToken;
  hideNotice();
  setComposerEnabled(true);
  setConn("connecting");
  await loadHistory();
  startLive();
  refreshRoom();
  clearInterval(S.roomTimer);
  S.roomTimer = setInterval(refreshRoom, ROOM_EVERY_MS);
  prefetchInvite();
  $("input").focus();
}

// ---------------------------------------------------------------- history and live messages

async function loadHistory() {
  const data = await api(`messages?limit=${HISTORY_LIMIT}`);
  const log = $("log");
  log.setAttribute("aria-busy", "true");
  log.textContent = "";
  S.seen.clear();
  S.messages = [];
  S.lastShownId = 0;
  S.cursor = 0;
  for (const m of data.messages) show(m, false);
  S.cursor = data.next || 0;
  log.setAttribute("aria-busy", "false");
  scrollToEnd();
}

function stopLive() {
  S.gen++;
  clearTimeout(S.probeTimer);
  clearTimeout(S.retryTimer);
  clearTimeout(S.behindTimer);
  S.behindTimer = 0;
  if (S.es) S.es.close();
  S.es = null;
  if (S.pollAbort) S.pollAbort.abort();
  S.pollAbort = null;
}

function startLive() {
  if (S.stopped) return;
  if (S.mode === "poll") startPoll();
  else startStream();
}

function startStream() {
  stopLive();
  const gen = S.gen;
  // One message before the last one seen: the server replays it at once, which proves the stream flows.
  const after = Math.max(0, S.cursor - 1);
  const es = new EventSource(`messages/stream?token=${encodeURIComponent(S.token)}&after=${after}`);
  S.es = es;
  let flowing = false;
  const flows = () => {
    if (flowing) return;
    flowing = true;
    clearTimeout(S.probeTimer);
    S.failures = 0;
    S.streamFailures = 0;
    setConn("live");
  };
  if (after < S.cursor) {
    S.probeTimer = setTimeout(() => {
      if (gen === S.gen && !flowing) switchToPoll();
    }, PROBE_MS);
  } else {
    // Nothing to replay (an empty room): count the stream as open when its headers arrive.
    es.onopen = () => gen === S.gen && flows();
  }
  es.addEventListener("message", (e) => {
    if (gen !== S.gen) return;
    flows();
    if (S.conn !== "live") setConn("live"); // e.g. an "offline" event the stream itself survived
    let m;
    try { m = JSON.parse(e.data); } catch { return; }
    receive([m]);
  });
  es.addEventListener("reset", () => {
    if (gen !== S.gen) return;
    flows();
    resetHistory();
  });
  es.addEventListener("removed", (e) => {
    let text = "";
    try { text = JSON.parse(e.data).message; } catch { /* keep the default */ }
    showRemoved(text);
  });
  es.onerror = () => {
    if (gen !== S.gen) return;
    es.close();
    S.streamFailures++;
    connectionLost();
  };
}

/** The stream is held back by something between us and the room: long-poll instead, for this page's life. */
function switchToPoll() {
  if (S.mode === "poll" || S.stopped) return;
  S.mode = "poll";
  startPoll();
}

function startPoll() {
  stopLive();
  const gen = S.gen;
  setConn(S.conn === "live" || S.conn === "connecting" ? "polling" : S.conn);
  (async () => {
    while (gen === S.gen && !S.stopped) {
      const ac = new AbortController();
      S.pollAbort = ac;
      const guard = setTimeout(() => ac.abort(), 40_000); // a proxy that never answers
      try {
        const data = await api(`messages/poll?after=${S.cursor}&timeout=25`, { signal: ac.signal });
        if (gen !== S.gen) return;
        S.failures = 0;
        setConn("polling");
        if (data.reset) {
          await resetHistory();
          return;
        }
        receive(data.messages);
        if (typeof data.next === "number" && data.next > S.cursor) S.cursor = data.next;
      } catch (e) {
        if (gen !== S.gen) return;
        if (e && e.name === "AbortError") continue;
        if (fatal(e)) return;
        connectionLost();
        return;
      } finally {
        clearTimeout(guard);
      }
    }
  })();
}

/** The room no longer has our cursor (history moved on, or it restarted): start over from what it keeps. */
async function resetHistory() {
  stopLive();
  try {
    await loadHistory();
    noteLine("Some messages were missed: the room no longer keeps them. Showing what it has.");
    startLive();
  } catch (e) {
    if (!fatal(e)) connectionLost();
  }
}

/** A transport failed. Find out why (removed? room gone? network?) and reconnect with a backoff. */
async function connectionLost() {
  if (S.stopped) return;
  stopLive();
  const gen = S.gen;
  if (S.conn !== "closed" && S.conn !== "offline") setConn("reconnecting");
  try {
    await api("room").then(renderRoom);
    if (gen !== S.gen) return;
    S.failures = 0;
    // The room is up: reconnect now, or after a growing pause when the stream itself keeps failing.
    const wait = S.streamFailures > 1 ? Math.min(30_000, 500 * 2 ** S.streamFailures) : 300;
    hideNotice();
    S.retryTimer = setTimeout(startLive, wait);
  } catch (e) {
    if (gen !== S.gen) return;
    if (fatal(e)) return;
    S.failures++;
    if (!navigator.onLine) {
      setConn("offline");
      S.retryTimer = setTimeout(connectionLost, SLOW_RETRY_MS); // the "online" event usually comes first
      return;
    }
    if (e instanceof ApiError && e.code === "SHUTTING_DOWN") S.failures = Math.max(S.failures, FAILS_BEFORE_CLOSED);
    if (S.failures >= FAILS_BEFORE_CLOSED) {
      roomClosed();
      S.retryTimer = setTimeout(connectionLost, SLOW_RETRY_MS);
    } else {
      S.retryTimer = setTimeout(connectionLost, 1000 * 2 ** (S.failures - 1));
    }
  }
}

function roomClosed() {
  setConn("closed");
  showNotice("The room has closed: the host stopped it, or it cannot be reached. Download the transcript to keep what you saw; this page checks now and then whether it is back.", true);
}

/** Come back now (network back, tab visible again) instead of waiting for the next slow retry. */
function retrySoon() {
  if (S.stopped || !S.token || $("chat-view").hidden) return;
  if (S.conn === "closed" || S.conn === "offline" || S.conn === "reconnecting") {
    clearTimeout(S.retryTimer);
    S.failures = Math.min(S.failures, FAILS_BEFORE_CLOSED - 1);
    connectionLost();
  }
}

/** Messages from history, the stream or a poll, in id order. */
function receive(list) {
  for (const m of list) {
    if (!m || typeof m.id !== "number") continue;
    if (m.id > S.cursor) S.cursor = m.id;
    if (S.seen.has(m.id)) continue;
    show(m, true);
  }
}

// ---------------------------------------------------------------- rendering messages

const NAME_FOLD = (s) => String(s).normalize("NFKC").toLowerCase();

function isMine(m) {
  return m.kind !== "system" && m.verified !== false && S.name != null && m.agent === S.name;
}

function mentionsMe(m) {
  if (!Array.isArray(m.mentions) || isMine(m) || m.kind === "system") return false;
  const me = NAME_FOLD(S.name ?? "");
  return m.mentions.some((n) => n === "all" || NAME_FOLD(n) === me);
}

function el(tag, className, text) {
  const e = document.createElement(tag);
  if (className) e.className = className;
  if (text != null) e.textContent = text;
  return e;
}

function formatTime(iso) {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return "";
  return d.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
}

/** Put a message on the page (once), in id order, grouped with its neighbours. */
function show(m, live) {
  S.seen.add(m.id);
  S.messages.push(m);
  if (S.messages.length > MAX_STORE) S.messages.splice(0, S.messages.length - MAX_STORE);
  const log = $("log");
  const atEnd = nearEnd();
  const li = renderMessage(m);
  if (m.id > S.lastShownId) {
    log.append(li);
    S.lastShownId = m.id;
  } else {
    let after = /** @type {HTMLElement|null} */ (log.lastElementChild);
    while (after && Number(after.dataset.id) > m.id) after = /** @type {HTMLElement|null} */ (after.previousElementSibling);
    if (after) after.after(li);
    else log.prepend(li);
  }
  group(li);
  if (li.nextElementSibling) group(/** @type {HTMLElement} */ (li.nextElementSibling));
  while (log.childElementCount > MAX_DOM_MESSAGES) log.firstElementChild?.remove();
  if (live) {
    if (atEnd || isMine(m)) scrollToEnd();
    else $("jump").hidden = false;
    if (mentionsMe(m)) notifyMention(m);
    if (m.kind === "system") refreshRoomSoon();
  }
}

/** Consecutive messages from the same sender, within five minutes, share one header. */
function group(li) {
  const prev = /** @type {HTMLElement|null} */ (li.previousElementSibling);
  const same =
    prev &&
    li.dataset.kind !== "system" &&
    prev.dataset.kind === li.dataset.kind &&
    prev.dataset.agent === li.dataset.agent &&
    prev.dataset.verified === li.dataset.verified &&
    Math.abs(Number(li.dataset.t) - Number(prev.dataset.t)) < 5 * 60_000;
  li.classList.toggle("cont", !!same);
}

function renderMessage(m) {
  const kind = m.kind === "agent" || m.kind === "human" || m.kind === "system" ? m.kind : "agent";
  const li = el("li", `msg kind-${kind}`);
  li.dataset.id = String(m.id);
  li.dataset.agent = String(m.agent);
  li.dataset.kind = kind;
  li.dataset.verified = String(m.verified !== false);
  li.dataset.t = String(Date.parse(m.timestamp) || 0);
  if (isMine(m)) li.classList.add("mine");
  if (mentionsMe(m)) li.classList.add("mention");

  const meta = el("div", "meta");
  const time = el("time", null, formatTime(m.timestamp));
  time.dateTime = String(m.timestamp);
  time.title = new Date(m.timestamp).toLocaleString();
  if (kind === "system") {
    meta.append(el("span", null, "Room notice: "));
    li.append(meta);
    const body = el("div", "body", String(m.text));
    body.dir = "auto";
    li.append(body, time);
    return li;
  }
  const who = el("span", "who", String(m.agent));
  who.dir = "auto";
  meta.append(who, el("span", `badge badge-${kind}`, kind));
  if (m.verified === false) {
    const u = el("span", "badge badge-unverified", "unverified");
    u.title = "Sent with the room password, not a participant token: anyone with the password could use this name.";
    meta.append(u);
  }
  if (isMine(m)) meta.append(el("span", "badge badge-you", "you"));
  meta.append(time);
  li.append(meta);

  const body = el("div", "body");
  body.dir = "auto";
  body.append(renderText(String(m.text), m.mentions));
  li.append(body);
  const lines = m.text.split("\n").length;
  if (m.text.length > CLAMP_CHARS || lines > CLAMP_LINES) {
    body.classList.add("clamped");
    body.id = `msg-body-${m.id}`;
    const more = el("button", "btn btn-small expand", `Show all (${lines} lines, ${Math.ceil(new Blob([m.text]).size / 1024)} KB)`);
    more.type = "button";
    more.setAttribute("aria-expanded", "false");
    more.setAttribute("aria-controls", body.id);
    more.addEventListener("click", () => {
      const open = body.classList.toggle("clamped");
      more.setAttribute("aria-expanded", String(!open));
      more.textContent = open ? `Show all (${lines} lines)` : "Show less";
    });
    li.append(more);
  }
  return li;
}

// Lines that read better in a fixed-width font: indented code, stack traces, log lines, shell prompts.
const CODE_LINE = new RegExp(
  [
    String.raw`^(\t| {4})\S`,
    String.raw`^\s*at\s+\S.*(:\d+|\))$`,
    String.raw`^\s*(\$|>>>|PS>)\s+\S`,
    String.raw`^\s*[{}()\[\];]+,?\s*$`,
    String.raw`[;{]\s*$`,
    String.raw`^\s*(\/\/|#!|def |class |import |from \S+ import |function |const |let |var |return |if \(|for \(|while \(|fn |pub |package |#include)`,
    String.raw`^\s*(\d{4}-\d\d-\d\d[T ]\d\d:\d\d|\[\d\d:\d\d|\[?(TRACE|DEBUG|INFO|WARN|WARNING|ERROR|FATAL)\]?[\s:])`,
    String.raw`^\s*(Traceback \(most recent call last\)|File ".*", line \d+)`,
  ].join("|"),
);

/** Split text into prose and code blocks: ``` fences, and runs of two or more code-looking lines. */
function blocks(text) {
  const out = [];
  const lines = text.split("\n");
  let prose = [];
  const flushProse = () => {
    if (!prose.length) return;
    // Runs of >= 2 code-looking lines become code; the rest stays prose.
    let run = [];
    let para = [];
    const flushRun = () => {
      if (run.length >= 2) {
        if (para.length) out.push({ code: false, text: para.join("\n") }), (para = []);
        out.push({ code: true, text: run.join("\n") });
      } else para.push(...run);
      run = [];
    };
    for (const line of prose) {
      if (CODE_LINE.test(line)) run.push(line);
      else {
        flushRun();
        para.push(line);
      }
    }
    flushRun();
    if (para.length) out.push({ code: false, text: para.join("\n") });
    prose = [];
  };
  for (let i = 0; i < lines.length; i++) {
    const open = /^\s*```/.exec(lines[i]);
    if (!open) {
      prose.push(lines[i]);
      continue;
    }
    flushProse();
    const code = [];
    i++;
    while (i < lines.length && !/^\s*```\s*$/.test(lines[i])) code.push(lines[i++]);
    out.push({ code: true, text: code.join("\n") });
  }
  flushProse();
  return out.filter((b) => b.code || b.text.trim() !== "");
}

function renderText(text, mentions) {
  const frag = document.createDocumentFragment();
  for (const b of blocks(text)) {
    if (b.code) {
      const pre = el("pre", "code");
      pre.tabIndex = 0; // scrollable regions must be reachable by keyboard
      const code = el("code");
      inline(code, b.text, mentions, false);
      pre.append(code);
      frag.append(pre);
    } else {
      const p = el("p", "text");
      inline(p, b.text.replace(/^\n+|\n+$/g, ""), mentions, true);
      frag.append(p);
    }
  }
  return frag;
}

const INLINE = /(`[^`\n]+`)|(\bhttps?:\/\/[^\s<>"'`]+)|(@[\p{L}\p{N}][\p{L}\p{N}_.\-]*)/giu;

/** Append text to parent as text nodes, with links, `code` and @mentions as elements. Never parses HTML. */
function inline(parent, text, mentions, rich) {
  const known = new Set((Array.isArray(mentions) ? mentions : []).map(NAME_FOLD));
  const me = NAME_FOLD(S.name ?? "");
  let last = 0;
  for (const m of text.matchAll(INLINE)) {
    const [whole, code, url, at] = m;
    if (code && !rich) continue;
    let piece = whole;
    let node = null;
    if (code) {
      node = el("code", null, code.slice(1, -1));
    } else if (url) {
      piece = trimUrl(url);
      node = link(piece);
    } else if (at) {
      const word = at.slice(1).replace(/[.\-]+$/, "");
      piece = "@" + word;
      const key = NAME_FOLD(word);
      if (known.has(key) || ((key === "all" || key === "everyone") && known.has("all"))) {
        node = el(key === me || key === "all" || key === "everyone" ? "mark" : "span", "at", piece);
      }
    }
    if (!node) continue;
    if (m.index > last) parent.append(document.createTextNode(text.slice(last, m.index)));
    parent.append(node);
    last = m.index + piece.length;
  }
  if (last < text.length) parent.append(document.createTextNode(text.slice(last)));
}

/** Drop trailing punctuation that belongs to the sentence, keeping balanced parentheses. */
function trimUrl(url) {
  let u = url;
  for (;;) {
    const c = u.at(-1);
    if (".,;:!?'\"".includes(c)) u = u.slice(0, -1);
    else if (c === ")" && (u.match(/\(/g) || []).length < (u.match(/\)/g) || []).length) u = u.slice(0, -1);
    else if (c === "]" && !u.includes("[")) u = u.slice(0, -1);
    else return u;
  }
}

function link(text) {
  let url;
  try { url = new URL(text); } catch { return null; }
  if (url.protocol !== "http:" && url.protocol !== "https:") return null;
  const a = el("a", null, text);
  a.href = url.href;
  a.target = "_blank";
  a.rel = "noopener noreferrer";
  return a;
}

/** A line from the page itself (not from the room). */
function noteLine(text) {
  const li = el("li", "msg kind-system notice-line");
  li.dataset.kind = "system";
  li.dataset.id = String(S.lastShownId);
  li.append(el("div", "body", text));
  $("log").append(li);
  scrollToEnd();
}

function nearEnd() {
  const log = $("log");
  return log.scrollHeight - log.scrollTop - log.clientHeight < 80;
}

function scrollToEnd() {
  const log = $("log");
  log.scrollTop = log.scrollHeight;
  $("jump").hidden = true;
}

// ---------------------------------------------------------------- mentions: title count and notifications

function setTitle(title) {
  S.title = title;
  $("room-title").textContent = title;
  updateDocTitle();
}

function updateDocTitle() {
  document.title = (S.unread ? `(${S.unread}) ` : "") + `${S.title} · agent-chat`;
}

function notifyMention(m) {
  if (!document.hidden) return;
  S.unread++;
  updateDocTitle();
  if ("Notification" in window && Notification.permission === "granted") {
    try {
      const n = new Notification(`${m.agent} mentioned you in ${S.title}`, { body: String(m.text).slice(0, 180), tag: "agent-chat-mention" });
      n.onclick = () => {
        window.focus();
        n.close();
      };
    } catch { /* some mobile browsers only notify from a service worker */ }
  }
}

function updateNotifyButton() {
  const btn = $("btn-notify");
  const hint = $("notify-hint");
  if (!("Notification" in window) || !window.isSecureContext) {
    btn.hidden = true;
    hint.textContent = "Browser notifications need an https link; the tab title still counts mentions.";
    return;
  }
  const p = Notification.permission;
  btn.setAttribute("aria-pressed", String(p === "granted"));
  btn.textContent = p === "granted" ? "Notifications on for mentions" : "Notify me when mentioned";
  btn.disabled = p !== "default";
  hint.textContent = p === "denied" ? "Notifications are blocked for this page in the browser's settings." : "";
}

// ---------------------------------------------------------------- who is here, pause, host

function refreshRoomSoon() {
  clearTimeout(S.roomRefreshTimer);
  S.roomRefreshTimer = setTimeout(refreshRoom, 250);
}

async function refreshRoom() {
  if (S.stopped || !S.token || S.conn === "closed") return;
  try {
    renderRoom(await api("room"));
  } catch (e) {
    fatal(e); // network trouble is the transports' business
  }
}

function renderRoom(info) {
  S.room = info;
  if (info.title && info.title !== S.title) {
    setTitle(info.title);
    prefetchInvite(); // the instruction block names the room
  }
  checkBehind(info.lastId);

  const list = $("people");
  list.textContent = "";
  let online = 0;
  for (const p of info.participants || []) {
    if (p.online) online++;
    const li = el("li", "person");
    const dot = el("span", `dot ${p.online ? "online" : "offline"}`);
    dot.setAttribute("aria-hidden", "true");
    const main = el("div", "person-main");
    const name = el("span", "person-name", p.name);
    name.dir = "auto";
    const detail = el("span", "person-detail");
    detail.append(el("span", `badge badge-${p.kind === "human" ? "human" : "agent"}`, p.kind));
    if (p.name === S.name) detail.append(el("span", "badge badge-you", "you"));
    detail.append(el("span", null, p.online ? `online${viaText(p.via)}` : `offline, seen ${ago(p.lastSeen)}`));
    if (p.verified === false) detail.append(el("span", "badge badge-unverified", "password only"));
    main.append(name, detail);
    li.append(dot, el("span", "sr-only", p.online ? "online: " : "offline: "), main);
    if (S.hostToken && p.name !== S.name) li.append(removeButton(p.name));
    list.append(li);
  }
  $("people-count").textContent = String(online);
  $("btn-panel").setAttribute("aria-label", `People: ${online} online. Room details`);

  const banner = $("paused-banner");
  banner.hidden = !info.paused;
  if (info.paused === "host") $("paused-text").textContent = "Agents are paused by the host: their messages are refused until the host resumes.";
  else if (info.paused === "loop") $("paused-text").textContent = "Agents are paused after a long run of agent-only messages. Any human message resumes them.";
  $("btn-resume").hidden = !S.hostToken;
  const pause = $("btn-pause");
  pause.textContent = info.paused ? "Resume agents" : "Pause agents";
  pause.dataset.paused = info.paused ? "1" : "";
  const rename = /** @type {HTMLInputElement} */ ($("rename-input"));
  if (document.activeElement !== rename) rename.placeholder = info.title || "Room title";
}

const viaText = (via) => (via === "stream" ? " · live" : via === "poll" ? " · long-poll" : via === "http" ? " · HTTP" : "");

function ago(iso) {
  const s = Math.max(0, Math.round((Date.now() - Date.parse(iso)) / 1000));
  if (s < 90) return `${s} s ago`;
  if (s < 5400) return `${Math.round(s / 60)} min ago`;
  return `${Math.round(s / 3600)} h ago`;
}

/** The stream should have brought what /room says exists; if it has not within PROBE_MS, it is held back. */
function checkBehind(lastId) {
  if (S.mode !== "sse" || S.conn !== "live" || typeof lastId !== "number" || lastId <= S.cursor || S.behindTimer) return;
  const gen = S.gen;
  S.behindTimer = setTimeout(() => {
    S.behindTimer = 0;
    if (gen === S.gen && S.mode === "sse" && S.cursor < lastId) switchToPoll();
  }, PROBE_MS);
}

/** Removing someone takes two taps: the first arms the button for a few seconds. */
function removeButton(name) {
  const b = el("button", "btn btn-small btn-danger", "Remove");
  b.type = "button";
  b.setAttribute("aria-label", `Remove ${name} from the room`);
  let armed = 0;
  b.addEventListener("click", async () => {
    if (!armed) {
      b.classList.add("confirming");
      b.textContent = "Confirm";
      b.setAttribute("aria-label", `Confirm: remove ${name} and bar the name`);
      armed = setTimeout(() => {
        armed = 0;
        b.classList.remove("confirming");
        b.textContent = "Remove";
        b.setAttribute("aria-label", `Remove ${name} from the room`);
      }, 5000);
      return;
    }
    clearTimeout(armed);
    b.disabled = true;
    await hostCall("host/kick", { name });
    refreshRoom();
  });
  return b;
}

async function hostCall(path, body = {}) {
  $("host-error").textContent = "";
  try {
    return await api(path, { method: "POST", body, auth: S.hostToken });
  } catch (e) {
    if (e instanceof ApiError && (e.status === 401 || e.code === "HOST_ONLY")) {
      S.hostToken = null;
      store.set("session", "host", null);
      $("host-controls").hidden = true;
    }
    const msg = e instanceof ApiError ? e.message : "The room did not answer.";
    $("host-error").textContent = msg;
    $("composer-error").textContent = msg;
    return null;
  }
}

// ---------------------------------------------------------------- invite, QR, transcript

async function prefetchInvite() {
  try { S.inviteText = await api("invite", { as: "text" }); } catch { /* fetched again on tap */ }
}

async function copyInvite(btn) {
  let text = S.inviteText;
  try {
    if (!text) text = S.inviteText = await api("invite", { as: "text" });
  } catch (e) {
    if (!fatal(e)) flash(btn, "Not available", false);
    return;
  }
  let ok = false;
  try {
    await navigator.clipboard.writeText(text);
    ok = true;
  } catch {
    // Plain-http LAN pages have no clipboard API: the old way still works within the tap.
    const ta = el("textarea", "sr-only");
    ta.value = text;
    ta.setAttribute("readonly", "");
    document.body.append(ta);
    ta.select();
    try { ok = document.execCommand("copy"); } catch { ok = false; }
    ta.remove();
  }
  if (ok) {
    flash(btn, "Copied", true);
    $("invite-fallback").hidden = true;
  } else {
    flash(btn, "Copy blocked", false);
    const ta = /** @type {HTMLTextAreaElement} */ ($("invite-text"));
    ta.value = text;
    $("invite-fallback").hidden = false;
    openPanel(true);
    ta.focus();
    ta.select();
  }
}

function flash(btn, text, ok) {
  if (!btn.dataset.label) btn.dataset.label = btn.textContent;
  btn.textContent = text;
  btn.classList.toggle("done", ok);
  clearTimeout(Number(btn.dataset.timer));
  btn.dataset.timer = String(setTimeout(() => {
    btn.textContent = btn.dataset.label;
    btn.classList.remove("done");
  }, 2500));
}

async function toggleQr() {
  const box = $("qr-box");
  const btn = $("btn-qr");
  if (!box.hidden) {
    box.hidden = true;
    btn.textContent = "Show QR code";
    btn.setAttribute("aria-expanded", "false");
    return;
  }
  try {
    const blob = await api("qr.svg", { as: "blob" });
    if (S.qrUrl) URL.revokeObjectURL(S.qrUrl);
    S.qrUrl = URL.createObjectURL(new Blob([blob], { type: "image/svg+xml" }));
    /** @type {HTMLImageElement} */ ($("qr-img")).src = S.qrUrl;
    box.hidden = false;
    btn.textContent = "Hide QR code";
    btn.setAttribute("aria-expanded", "true");
  } catch (e) {
    if (!fatal(e)) flash(btn, "QR not available", false);
  }
}

async function transcriptMessages() {
  try {
    const data = await api("messages");
    return data.messages;
  } catch {
    return S.messages.slice(); // the room is gone: what this page received
  }
}

async function download(format) {
  const msgs = await transcriptMessages();
  const stamp = new Date().toISOString();
  const slug = S.title.replace(/[^\p{L}\p{N}]+/gu, "-").replace(/^-|-$/g, "").slice(0, 40) || "room";
  let blob;
  let ext;
  if (format === "json") {
    blob = new Blob([JSON.stringify({ title: S.title, exportedAt: stamp, messages: msgs }, null, 2) + "\n"], { type: "application/json" });
    ext = "json";
  } else {
    const lines = [`# ${S.title}`, "", `Transcript exported ${stamp}; ${msgs.length} messages.`, ""];
    for (const m of msgs) {
      if (m.kind === "system") {
        lines.push(`*${m.timestamp} — ${m.text}*`, "");
        continue;
      }
      const flags = [m.kind, m.verified === false ? "unverified" : null].filter(Boolean).join(", ");
      lines.push(`**${m.agent}** (${flags}) · ${m.timestamp} · #${m.id}`, "", m.text, "", "---", "");
    }
    blob = new Blob([lines.join("\n")], { type: "text/markdown;charset=utf-8" });
    ext = "md";
  }
  const a = el("a");
  a.href = URL.createObjectURL(blob);
  a.download = `agent-chat-${slug}-${stamp.slice(0, 16).replace(/[:T]/g, "-")}.${ext}`;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(a.href), 10_000);
}

// ---------------------------------------------------------------- sending

async function send() {
  const input = /** @type {HTMLTextAreaElement} */ ($("input"));
  const text = input.value;
  if (!text.trim() || S.sending || S.stopped) return;
  S.sending = true;
  $("composer-error").textContent = "";
  try {
    const r = await api("messages", { method: "POST", body: { text } });
    input.value = "";
    if (r && r.message && !S.seen.has(r.message.id)) show(r.message, true);
    scrollToEnd();
  } catch (e) {
    if (fatal(e)) return;
    $("composer-error").textContent =
      e instanceof ApiError ? e.message : "Not sent: the room did not answer. Your text is still here; try again.";
  } finally {
    S.sending = false;
  }
}

function setComposerEnabled(on) {
  /** @type {HTMLTextAreaElement} */ ($("input")).disabled = !on;
  /** @type {HTMLButtonElement} */ ($("send")).disabled = !on;
}

// ---------------------------------------------------------------- states

const CONN_TEXT = {
  connecting: "Connecting…",
  live: "Live",
  polling: "Live · long-poll (stream blocked by a proxy)",
  reconnecting: "Reconnecting…",
  offline: "Offline: waiting for the network",
  closed: "Room closed",
  removed: "Removed from the room",
};

function setConn(state) {
  S.conn = state;
  const c = $("conn");
  c.dataset.state = state;
  $("conn-text").textContent = CONN_TEXT[state] ?? state;
  c.title = state === "polling" ? "Live messages arrive by long-polling because something between you and the room holds back the stream." : "";
}

function showNotice(text, transcript) {
  $("notice-text").textContent = text;
  $("notice-md").hidden = !transcript;
  $("notice").hidden = false;
}

function hideNotice() {
  $("notice").hidden = true;
}

function stopAll() {
  S.stopped = true;
  stopLive();
  clearInterval(S.roomTimer);
  clearTimeout(S.roomRefreshTimer);
}

function showRemoved(message) {
  if (S.stopped && S.conn === "removed") return;
  stopAll();
  setToken(null);
  S.hostToken = null;
  store.set("session", "host", null);
  $("join-view").hidden = true;
  $("chat-view").hidden = false;
  setConn("removed");
  setComposerEnabled(false);
  showNotice(`You were removed from this room by the host. ${message && !/removed/i.test(message) ? message : ""}`.trim(), true);
}

/** The room does not know our token any more (it restarted, or the name was released): join again. */
function sessionLost() {
  stopAll();
  setToken(null);
  showJoin("This room no longer knows you (it may have restarted). Join again.");
}

async function leave() {
  try { await api("leave", { method: "POST" }); } catch { /* leaving anyway */ }
  stopAll();
  setToken(null);
  S.password = null;
  store.set("session", "password", null);
  $("log").textContent = "";
  showJoin("You left the room. To come back, open the invite link again or type the password.");
}

// ---------------------------------------------------------------- panel (a sheet on phones)

function openPanel(open) {
  const panel = $("panel");
  panel.classList.toggle("open", open);
  $("btn-panel").setAttribute("aria-expanded", String(open));
  if (open && getComputedStyle($("panel-close")).display !== "none") $("panel-close").focus();
  else if (!open) $("btn-panel").focus();
}

// ---------------------------------------------------------------- wiring

function wireUp() {
  $("join-form").addEventListener("submit", onJoinSubmit);
  $("use-suggestion").addEventListener("click", () => {
    if (!S.suggestion) return;
    /** @type {HTMLInputElement} */ ($("name-input")).value = S.suggestion;
    $("join-form").requestSubmit();
  });

  $("composer").addEventListener("submit", (e) => {
    e.preventDefault();
    send();
  });
  $("input").addEventListener("keydown", (e) => {
    if (e.key === "Enter" && !e.shiftKey && !e.isComposing && e.keyCode !== 229) {
      e.preventDefault();
      send();
    }
  });

  $("copy-invite").addEventListener("click", (e) => copyInvite(/** @type {HTMLElement} */ (e.currentTarget)));
  $("copy-invite-2").addEventListener("click", (e) => copyInvite(/** @type {HTMLElement} */ (e.currentTarget)));
  $("btn-qr").addEventListener("click", toggleQr);
  $("dl-md").addEventListener("click", () => download("md"));
  $("notice-md").addEventListener("click", () => download("md"));
  $("dl-json").addEventListener("click", () => download("json"));
  $("btn-leave").addEventListener("click", leave);
  $("btn-panel").addEventListener("click", () => openPanel(!$("panel").classList.contains("open")));
  $("panel-close").addEventListener("click", () => openPanel(false));
  document.addEventListener("keydown", (e) => {
    if (e.key === "Escape" && $("panel").classList.contains("open")) openPanel(false);
  });

  $("jump").addEventListener("click", () => scrollToEnd());
  $("log").addEventListener("scroll", () => {
    if (nearEnd()) $("jump").hidden = true;
  });

  $("btn-notify").addEventListener("click", async () => {
    try { await Notification.requestPermission(); } catch { /* old Safari: callback form; ignore */ }
    updateNotifyButton();
  });
  updateNotifyButton();

  $("btn-resume").addEventListener("click", async () => {
    await hostCall("host/resume");
    refreshRoom();
  });
  $("btn-pause").addEventListener("click", async () => {
    await hostCall($("btn-pause").dataset.paused ? "host/resume" : "host/pause");
    refreshRoom();
  });
  $("rename-form").addEventListener("submit", async (e) => {
    e.preventDefault();
    const input = /** @type {HTMLInputElement} */ ($("rename-input"));
    const title = input.value.trim();
    if (!title) return;
    const r = await hostCall("host/title", { title });
    if (r) {
      input.value = "";
      setTitle(r.title);
      prefetchInvite();
    }
  });

  document.addEventListener("visibilitychange", () => {
    if (document.hidden) return;
    S.unread = 0;
    updateDocTitle();
    retrySoon();
  });
  window.addEventListener("online", retrySoon);
  window.addEventListener("offline", () => {
    if (!S.stopped && S.token && S.conn !== "closed") setConn("offline");
  });
  window.addEventListener("pageshow", (e) => {
    if (e.persisted) retrySoon();
  });
}

boot();
