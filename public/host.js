// The host's controls: pause and resume agents, rename the room, remove someone (after a confirmation that names
// the person and what will happen) and let a removed name back in.
import { ApiError } from "./api.js";
import { $ } from "./dom.js";

// A double-click or double-tap lands its second half on whatever opened under the finger: the confirm button ignores
// activations this soon after the dialog opened.
const CONFIRM_GUARD_MS = 600;

/**
 * `api` the room API; `hostToken()` the host credential (null: not the host); `lostHost()` it was refused;
 * `refresh()` re-read /room; `people` the list (held still while a decision is open); `setTitle(t)`.
 */
export function createHost({ api, hostToken, lostHost, refresh, people, setTitle }) {
  const dialog = /** @type {HTMLDialogElement} */ ($("remove-dialog"));
  const confirmBtn = /** @type {HTMLButtonElement} */ ($("remove-confirm"));
  let target = null;
  let openedAt = 0;
  let busy = false;
  let guard = 0;

  async function call(path, body = {}) {
    $("host-error").textContent = "";
    try {
      return await api(path, { method: "POST", body, token: hostToken() });
    } catch (e) {
      if (e instanceof ApiError && (e.status === 401 || e.code === "HOST_ONLY")) lostHost();
      const msg = e instanceof ApiError ? e.message : "The room did not answer.";
      $("host-error").textContent = msg;
      $("composer-error").textContent = msg;
      return null;
    }
  }

  function askRemove(name) {
    if (dialog.open || !hostToken()) return;
    target = name;
    people.hold(true);
    $("remove-title").textContent = `Remove ${name}?`;
    $("remove-what").textContent =
      `${name} is disconnected at once and cannot post or read any more. The name “${name}” stays barred in this room until you let it back in (Removed names, in this panel).`;
    confirmBtn.textContent = `Remove ${name}`;
    confirmBtn.disabled = false;
    delete dialog.dataset.ready;
    dialog.showModal();
    $("remove-cancel").focus();
    openedAt = performance.now();
    clearTimeout(guard);
    guard = setTimeout(() => (dialog.dataset.ready = "1"), CONFIRM_GUARD_MS);
  }

  async function confirmRemove(e) {
    e.preventDefault();
    if (busy || !target || performance.now() - openedAt < CONFIRM_GUARD_MS) return;
    busy = true;
    confirmBtn.disabled = true; // one removal per confirmation, however many taps
    const name = target;
    const r = await call("host/kick", { name });
    busy = false;
    close();
    if (r) remember(name);
    refresh();
  }

  function close() {
    target = null;
    if (dialog.open) dialog.close();
    people.hold(false);
  }

  // Names this host removed, shown with an Unban button (the server keeps the bar for the room's life otherwise).
  const barred = new Set();
  function remember(name) {
    barred.add(name);
    drawBarred();
  }
  function drawBarred() {
    const list = $("barred");
    list.textContent = "";
    for (const name of barred) {
      const li = document.createElement("li");
      li.className = "person";
      const n = document.createElement("span");
      n.className = "person-name";
      n.textContent = name;
      const b = document.createElement("button");
      b.type = "button";
      b.className = "btn btn-small";
      b.textContent = "Let back in";
      b.setAttribute("aria-label", `Let ${name} back in: the name can join again`);
      b.addEventListener("click", async () => {
        b.disabled = true;
        const r = await call("host/unban", { name });
        if (r) {
          barred.delete(name);
          drawBarred();
        } else b.disabled = false;
      });
      li.append(n, b);
      list.append(li);
    }
    $("barred-section").hidden = barred.size === 0;
  }

  // The dashboard sits at the server's root, also when this page is a room's (/r/<id>/) or behind a path prefix.
  const dashboard = location.pathname.replace(/(\/r\/[^/]+)?\/[^/]*$/, "/") + "dashboard.html";
  for (const id of ["dashboard-link", "join-dashboard-link"]) /** @type {HTMLAnchorElement} */ ($(id)).href = dashboard;
  $("remove-form").addEventListener("submit", confirmRemove);
  $("remove-cancel").addEventListener("click", close);
  dialog.addEventListener("close", () => target && close());
  dialog.addEventListener("cancel", () => close());

  $("btn-resume").addEventListener("click", async () => {
    await call("host/resume");
    refresh();
  });
  $("btn-pause").addEventListener("click", async () => {
    await call($("btn-pause").dataset.paused ? "host/resume" : "host/pause");
    refresh();
  });
  $("rename-form").addEventListener("submit", async (e) => {
    e.preventDefault();
    const input = /** @type {HTMLInputElement} */ ($("rename-input"));
    const title = input.value.trim();
    if (!title) return;
    const r = await call("host/title", { title });
    if (r) {
      input.value = "";
      setTitle(r.title);
    }
  });

  return {
    askRemove,
    /** The room's /room answer: the pause banner and the host's buttons. */
    render(info) {
      const banner = $("paused-banner");
      banner.hidden = !info.paused;
      if (info.paused === "host") $("paused-text").textContent = "Agents are paused by the host: their messages are refused until the host resumes.";
      else if (info.paused === "loop") $("paused-text").textContent = "Agents are paused after a long run of agent-only messages. Any human message resumes them.";
      $("btn-resume").hidden = !hostToken();
      const pause = $("btn-pause");
      pause.textContent = info.paused ? "Resume agents" : "Pause agents";
      pause.dataset.paused = info.paused ? "1" : "";
      const rename = /** @type {HTMLInputElement} */ ($("rename-input"));
      if (document.activeElement !== rename) rename.placeholder = info.title || "Room title";
      if (Array.isArray(info.barred)) {
        for (const n of info.barred) barred.add(n);
        for (const n of [...barred]) if (!info.barred.includes(n)) barred.delete(n);
        drawBarred();
      }
    },
  };
}
