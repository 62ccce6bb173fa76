// The host's dashboard (/dashboard.html): every room of this server with live counts, creating, renaming and closing
// rooms, and each room's invite keys. It needs the server-wide host token, which it finds in this tab (the chat page
// opened with the host link keeps it in sessionStorage), in its own link (#host=ach_… or a one-time #code=acl_…),
// or typed in. Counts are read by polling GET /rooms: one request at a time, every few seconds, none while hidden.
import { ApiError, createApi } from "../api.js";
import { $ } from "../dom.js";
import { readLink } from "../link.js";
import { createSession, createStore } from "../store.js";
import { copyText } from "./clip.js";
import { createConfirm } from "./confirm.js";
import { createRooms } from "./rooms.js";

const POLL_MS = 3000;

// The server's base path: the dashboard sits at its root (also behind a proxy that adds a prefix).
const root = location.pathname.replace(/(\/r\/[^/]+)?\/[^/]*$/, "/");
const session = createSession(createStore("/"));
const api = createApi({ base: root, auth: () => session.hostToken });
const ask = createConfirm();
const rooms = createRooms({ api, root, ask, reload: () => tick() });

/** A host token kept by a room page of this server in this tab (the default room's, else any room's). */
function tokenFromTab() {
  try {
    for (let i = 0; i < sessionStorage.length; i++) {
      const k = sessionStorage.key(i) ?? "";
      if (/^agent-chat:(\/r\/[^/]+\/)?host$/.test(k)) return sessionStorage.getItem(k);
    }
  } catch { /* storage disabled */ }
  return null;
}

function showSignin(message = "") {
  stop();
  $("dash-view").hidden = true;
  $("signin-view").hidden = false;
  $("signin-error").textContent = message;
  $("signin-token").focus();
}

function showDashboard() {
  $("signin-view").hidden = true;
  $("dash-view").hidden = false;
  tick();
}

// ---- polling ----
let timer = 0;
let running = null;
let again = false;

function stop() {
  clearTimeout(timer);
  timer = 0;
}

/** Read /rooms now (and the open key lists). A call while one runs asks for one more run after it, never a second request at once. */
async function tick() {
  if (running) {
    again = true;
    return running;
  }
  stop();
  running = (async () => {
    try {
      const { rooms: list } = await api("rooms");
      rooms.render(list);
      await rooms.refreshKeys();
      $("dash-state").textContent = `Live · updated ${new Date().toLocaleTimeString([], { hour: "numeric", minute: "2-digit", second: "2-digit" })}`;
      $("dash-state").dataset.state = "live";
    } catch (e) {
      if (e instanceof ApiError && (e.status === 401 || e.code === "HOST_ONLY")) {
        session.setHostToken(null);
        showSignin("The server refused this host token (the server restarted, or the token is wrong). Open the host link again.");
        return;
      }
      $("dash-state").textContent = e instanceof ApiError ? e.message : "The server did not answer; trying again.";
      $("dash-state").dataset.state = "error";
    }
  })();
  await running;
  running = null;
  if (again) {
    again = false;
    return tick();
  }
  if (!$("dash-view").hidden && !document.hidden) timer = setTimeout(tick, POLL_MS);
}

document.addEventListener("visibilitychange", () => {
  if (document.hidden) stop();
  else if (!$("dash-view").hidden) tick();
});

// ---- create a room ----
let created = null;
$("create-form").addEventListener("submit", async (e) => {
  e.preventDefault();
  const btn = /** @type {HTMLButtonElement} */ ($("create-btn"));
  const input = /** @type {HTMLInputElement} */ ($("create-title"));
  const title = input.value.trim();
  $("create-error").textContent = "";
  if (!title) {
    $("create-error").textContent = "Give the room a title.";
    input.focus();
    return;
  }
  if (btn.disabled) return;
  btn.disabled = true; // one room per tap
  try {
    const keysOnly = /** @type {HTMLInputElement} */ ($("create-keys-only")).checked;
    const r = await api("rooms", { method: "POST", body: { title, keysOnly } });
    created = r;
    input.value = "";
    $("created-what").textContent = r.room.password
      ? `Room “${r.room.title}” is open (id ${r.room.id}, password ${r.room.password}). Mint a key per agent below, or copy the room's password invite.`
      : `Room “${r.room.title}” is open (id ${r.room.id}), for invite keys only: mint a key per agent below.`;
    $("created-copy").hidden = !r.invite;
    $("created").hidden = false;
    await tick();
    rooms.openKeys(r.room.id);
  } catch (err) {
    $("create-error").textContent = err instanceof ApiError ? err.message : "The server did not answer; try again.";
  } finally {
    btn.disabled = false;
  }
});
$("created-copy").addEventListener("click", (e) => created?.invite && copyText(/** @type {HTMLElement} */ (e.currentTarget), created.invite));
$("created-dismiss").addEventListener("click", () => {
  created = null;
  $("created").hidden = true;
});

// ---- sign in ----
$("signin-form").addEventListener("submit", (e) => {
  e.preventDefault();
  const v = /** @type {HTMLInputElement} */ ($("signin-token")).value.trim();
  if (!v) return;
  session.setHostToken(v);
  /** @type {HTMLInputElement} */ ($("signin-token")).value = "";
  showDashboard();
});

async function start() {
  const problem = await readLink({ session, api });
  if (!session.hostToken) {
    const t = tokenFromTab();
    if (t) session.setHostToken(t);
  }
  if (session.hostToken) showDashboard();
  else showSignin(problem);
}
start();
// A link opened in this tab while the dashboard shows (only the fragment changes, so the page is not loaded again).
window.addEventListener("hashchange", () => location.hash.length > 1 && start());
