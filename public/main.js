// agent-chat web UI: the entry point. It connects the pieces (each module owns its own state) and holds the
// session's life: join, live, closed, removed, left, restarted.
//
// Secrets. A link carries a one-time code (#code=…, traded once for a credential), the password (#password=…), the
// host token (#host=…) or an invite key (#key=…) in the fragment, which browsers never send to a server; the page
// takes it out of the address bar at once (see link.js).
// The password and host token are kept in sessionStorage (this tab only); the participant token and name in
// localStorage (this origin only). Secrets go only to this page's own origin.
import { ApiError, NetError, createApi, isRemoved, isUnknownToken, roomBase } from "./api.js";
import { $ } from "./dom.js";
import { createHost } from "./host.js";
import { createInvite } from "./invite.js";
import { createJoinCard } from "./join.js";
import { readLink } from "./link.js";
import { createLog } from "./messages.js";
import { initNotify, notify } from "./notify.js";
import { createPeople } from "./people.js";
import { createPageIdentity } from "./page-identity.js";
import { createSession, createStore } from "./store.js";
import { createComposer } from "./composer.js";
import { download } from "./transcript.js";
import { createTransport } from "./transport.js";
import { createLeave } from "./leave.js";
import { hideNotice, paintConn, showNotice } from "./status.js";

const ROOM_EVERY_MS = 10_000;
const HISTORY_LIMIT = 200;

const base = roomBase(location.pathname);
const session = createSession(createStore(base));
const api = createApi({ base, auth: () => session.token });
// This browser's key proves who joins and signs what the page sends (README "Known agents").
const identity = createPageIdentity({ api, roomUrl: location.origin + base.replace(/\/+$/, "") });

let title = "agent-chat";
let mentionsWhileAway = 0;
let roomTimer = 0;
let refreshTimer = 0;
let ended = null; // null while in the room; else "removed" | "left" | "forgotten"
let archiveOnNextLoad = false;

/** Errors that end the session: removed by the host, or a token this room no longer knows. */
function handleFatal(e) {
  if (isRemoved(e)) return showRemoved(e.message), true;
  if (isUnknownToken(e) && !ended) return forgotten(), true;
  return false;
}

const log = createLog({
  me: () => session.name,
  onMention: (m) => {
    if (!document.hidden) return;
    mentionsWhileAway++;
    updateDocTitle();
    notify(`${m.agent} mentioned you in ${title}`, String(m.text));
  },
  onSystem: () => refreshSoon(),
  onReply: (m) => composer.reply(m),
});
const people = createPeople({ me: () => session.name, host: () => !!session.hostToken, onRemove: (n) => host.askRemove(n) });
const host = createHost({
  api,
  hostToken: () => session.hostToken,
  lostHost: () => (session.setHostToken(null), ($("host-controls").hidden = true)),
  refresh: () => refreshRoom(),
  people,
  setTitle: (t) => (setTitle(t), invite.prefetch()),
});
const transport = createTransport({
  api,
  base,
  token: () => session.token,
  isFatal: (e) => isRemoved(e) || isUnknownToken(e),
  deliver: (list) => (log.add(list, true), composer.reconcile(list)),
  reset: async () => {
    const next = await loadHistory();
    log.note("Some messages were missed: the room no longer keeps them. Showing what it has.");
    return next;
  },
  state: setConn,
  fatal: handleFatal,
  room: renderRoom,
});
const composer = createComposer({
  api,
  log,
  connected: () => !ended && (transport.state === "live" || transport.state === "polling"),
  me: () => session.name,
  names: () => [...new Set([...people.names(), ...log.names()])],
  fatal: handleFatal,
  post: (body) => identity.post(body, log.messages),
});
const invite = createInvite({ api, openPanel, isFatal: handleFatal });
const joinCard = createJoinCard({ session, api, join, explain: identity.explain });
createLeave({ api, onLeft: () => (endSession("left"), $("panel").classList.contains("open") && openPanel(false)) });

/** POST /join, then load history and go live. `cred` is the saved token, the host token or the password. */
async function join(name, cred) {
  const r = await identity.join(name, cred, { asHost: !!session.hostToken });
  session.setToken(r.token);
  session.setName(r.participant.name);
  ended = null;
  if (r.room?.title) setTitle(r.room.title);
  $("join-view").hidden = true;
  $("chat-view").hidden = false;
  $("host-controls").hidden = !session.hostToken;
  hideNotice();
  composer.enable(true);
  setConn("connecting");
  transport.start(await loadHistory());
  refreshRoom();
  clearInterval(roomTimer);
  roomTimer = setInterval(refreshRoom, ROOM_EVERY_MS);
  invite.prefetch();
  composer.focus();
}

/** The last HISTORY_LIMIT messages; returns the cursor to go live from. */
async function loadHistory() {
  const data = await api(`messages?limit=${HISTORY_LIMIT}`);
  const el = $("log");
  el.setAttribute("aria-busy", "true");
  if (archiveOnNextLoad) log.archive("The room restarted. Above: the conversation before, kept on this page. Below: the room now.");
  else log.clear();
  archiveOnNextLoad = false;
  log.add(data.messages, false);
  el.setAttribute("aria-busy", "false");
  log.scrollToEnd();
  return data.next || 0;
}

function refreshSoon() {
  clearTimeout(refreshTimer);
  refreshTimer = setTimeout(refreshRoom, 250);
}

async function refreshRoom() {
  if (ended || !session.token || transport.state === "closed") return;
  try {
    renderRoom(await api("room"));
  } catch (e) {
    handleFatal(e); // network trouble is the transport's business
  }
}

function renderRoom(info) {
  if (info.title && info.title !== title) {
    setTitle(info.title);
    invite.prefetch(); // the instruction block names the room
  }
  transport.expect(info.lastId);
  people.render(info.participants || []);
  host.render(info);
}

// ---------------------------------------------------------------- states

function setConn(state) {
  paintConn(state);
  if (state === "closed") {
    composer.enable(false);
    showNotice("The room has closed: the host stopped it, or it cannot be reached. Download the transcript to keep what you saw; this page checks now and then whether it is back.", { transcript: true });
  } else if ((state === "live" || state === "polling") && !ended) {
    composer.enable(true);
    if ($("notice").dataset.kind === "closed") hideNotice();
    composer.flush();
  }
}

/** The session is over for now; the conversation stays on the page, read-only. */
function endSession(why) {
  ended = why;
  transport.stop();
  clearInterval(roomTimer);
  clearTimeout(refreshTimer);
  composer.enable(false);
  setConn(why);
}

function showRemoved(message) {
  if (ended === "removed") return;
  endSession("removed");
  session.setToken(null);
  session.setHostToken(null);
  $("join-view").hidden = true;
  $("chat-view").hidden = false;
  showNotice(`You were removed from this room by the host. ${message && !/removed/i.test(message) ? message : ""}`.trim(), { transcript: true, kind: "removed" });
}

/** The room does not know our token any more (it restarted, or the name was released). Keep what was said. */
function forgotten() {
  endSession("forgotten");
  session.setToken(null);
  archiveOnNextLoad = true;
  showNotice("This room no longer knows you: it restarted, or your session ended. The conversation so far stays here, read-only.", { transcript: true, rejoin: true, kind: "forgotten" });
}

/** Join again under the same name with what this tab still holds; the join card when that is not enough. */
async function rejoin() {
  const cred = session.hostToken || session.password;
  if (!cred || !session.name) return joinCard.show("Join again: type the room password (it is in the invite).");
  try {
    await join(session.name, cred);
  } catch (e) {
    joinCard.show(e instanceof ApiError ? e.message : "The room did not answer. Check your connection and try again.");
  }
}

// ---------------------------------------------------------------- title, panel

function setTitle(t) {
  title = t;
  $("room-title").textContent = t;
  updateDocTitle();
}

function updateDocTitle() {
  document.title = (mentionsWhileAway ? `(${mentionsWhileAway}) ` : "") + `${title} · agent-chat`;
}

function openPanel(open) {
  $("panel").classList.toggle("open", open);
  $("btn-panel").setAttribute("aria-expanded", String(open));
  if (open && getComputedStyle($("panel-close")).display !== "none") $("panel-close").focus();
  else if (!open) $("btn-panel").focus();
}

async function transcript(format) {
  let messages;
  try {
    messages = ended ? log.messages : (await api("messages")).messages;
  } catch {
    messages = log.messages; // the room is gone: what this page received
  }
  // The room's identity facts make the JSON checkable with `agent-chat verify` (README "Known agents").
  const room = format === "json" && !ended ? await api("room").catch(() => null) : null;
  download({ title, messages, format, room, url: location.origin + base.replace(/\/+$/, "") });
}

// ---------------------------------------------------------------- wiring and start

function wireUp() {
  $("dl-md").addEventListener("click", () => transcript("md"));
  $("notice-md").addEventListener("click", () => transcript("md"));
  $("dl-json").addEventListener("click", () => transcript("json"));
  $("notice-rejoin").addEventListener("click", rejoin);
  $("btn-panel").addEventListener("click", () => openPanel(!$("panel").classList.contains("open")));
  $("panel-close").addEventListener("click", () => openPanel(false));
  document.addEventListener("keydown", (e) => {
    // Escape closes an open dialog first (the browser does that); the panel only when no dialog is open.
    if (e.key === "Escape" && !document.querySelector("dialog[open]") && $("panel").classList.contains("open")) openPanel(false);
  });
  initNotify();
  document.addEventListener("visibilitychange", () => {
    if (document.hidden) return;
    mentionsWhileAway = 0;
    updateDocTitle();
    transport.retrySoon();
  });
  window.addEventListener("online", () => transport.retrySoon());
  window.addEventListener("offline", () => !ended && transport.offline());
  window.addEventListener("pageshow", (e) => e.persisted && transport.retrySoon());
}

async function boot() {
  const linkProblem = await readLink({ session, api });
  wireUp();
  if (linkProblem) return joinCard.show(linkProblem);
  if (session.token && session.name) {
    try {
      await join(session.name, session.token);
      return;
    } catch (e) {
      if (isRemoved(e)) return showRemoved(e.message);
      if (e instanceof NetError) return joinCard.show("The room did not answer. Check the link, or try again in a moment.");
      session.setToken(null); // from another room or revoked: join afresh
      const why = identity.explain(e, session.name);
      if (why) return joinCard.show(why);
    }
  }
  joinCard.show();
}

boot();
