// The join card: names the room and who is in it (when the link or password lets the page ask), takes a name (and the
// password when the link did not carry it), offers the server's suggestion for a taken name, and "continue as NAME"
// when this device already has a name here.
import { ApiError } from "./api.js";
import { $, el } from "./dom.js";

/**
 * `session`; `api`; `join(name, credential)` does the joining and throws what the server said; `explain(e, name)`
 * words for refusals about keys (page-identity.js), "" for others.
 */
export function createJoinCard({ session, api, join, explain = () => "" }) {
  const nameInput = /** @type {HTMLInputElement} */ ($("name-input"));
  const pwInput = /** @type {HTMLInputElement} */ ($("password-input"));
  let suggestion = null;

  /** Ask the room who is there, with whatever credential this tab has; quietly nothing when it has none. */
  async function preview() {
    const cred = session.hostToken || session.password;
    $("join-room").hidden = true;
    if (!cred) return;
    try {
      const info = await api("room", { token: cred });
      $("join-title").textContent = info.title || "agent-chat";
      const people = (info.participants || []).filter((p) => p.online);
      const list = $("join-people");
      list.textContent = "";
      for (const p of people.slice(0, 8)) list.append(el("li", `chip kind-${p.kind === "human" ? "human" : "agent"}`, p.name));
      if (people.length > 8) list.append(el("li", "chip", `+${people.length - 8}`));
      $("join-who").textContent = people.length ? `${people.length} here now:` : "Nobody is here yet.";
      $("join-room").hidden = false;
    } catch { /* the join itself will say what is wrong */ }
  }

  function show(info = "") {
    $("chat-view").hidden = true;
    $("join-view").hidden = false;
    $("join-host-note").hidden = !session.hostToken;
    $("password-field").hidden = !!(session.password || session.hostToken);
    $("join-info").textContent = info;
    if (!nameInput.value && session.name) nameInput.value = session.name;
    const cont = $("continue-as");
    cont.hidden = !session.name || !(session.password || session.hostToken || session.token);
    cont.textContent = `Continue as ${session.name} on this device`;
    preview();
    nameInput.focus();
  }

  async function submit(ev) {
    ev?.preventDefault();
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
      session.setPassword(pwInput.value);
    }
    const btn = /** @type {HTMLButtonElement} */ ($("join-btn"));
    btn.disabled = true;
    try {
      await join(name, session.hostToken || session.password);
    } catch (e) {
      if (e instanceof ApiError && (e.code === "NAME_TAKEN" || e.code === "NAME_HELD") && e.extra.suggestion) {
        suggestion = String(e.extra.suggestion);
        $("password-field").hidden = true; // the password was right: only the name needs changing
        $("join-error").textContent = explain(e, name) || e.message;
        const sug = $("use-suggestion");
        sug.textContent = `Join as “${suggestion}”`;
        sug.hidden = false;
      } else if (e instanceof ApiError && e.status === 401) {
        session.setPassword(null);
        $("password-field").hidden = false;
        $("join-error").textContent = session.hostToken ? "The host link is not valid for this room. " + e.message : "Wrong password. " + e.message;
        pwInput.value = "";
        pwInput.focus();
      } else {
        $("join-error").textContent = explain(e, name) || (e instanceof ApiError ? e.message : "The room did not answer. Check your connection and try again.");
      }
    } finally {
      btn.disabled = false;
    }
  }

  $("join-form").addEventListener("submit", submit);
  $("use-suggestion").addEventListener("click", () => {
    if (!suggestion) return;
    nameInput.value = suggestion;
    $("join-form").requestSubmit();
  });
  $("continue-as").addEventListener("click", () => {
    nameInput.value = session.name ?? "";
    $("join-form").requestSubmit();
  });
  return { show };
}
