// Who is here. Rows are keyed by name and updated in place: a row is never rebuilt under a finger, and the order is
// by name only (online first would move a row each time someone's connection blinks). While the host is deciding
// about someone (`hold`), the list does not change at all; the latest answer is applied when the decision is made.
import { $, el } from "./dom.js";
import { ago, colorIndex, initial } from "./render.js";
import { keyBadge } from "./known.js";

const viaText = (via) => (via === "stream" ? " · live" : via === "poll" ? " · long-poll" : via === "http" ? " · HTTP" : via === "ws" ? " · live" : "");

/** "human" said by the participant itself, not vouched for by the host (issue 12): the badge shows it is a claim. */
export function claimed(badge) {
  badge.classList.add("claimed");
  badge.title = "Says it is a person; the host has not vouched for it (no host link, person link or key).";
}

/** `me()` my name; `host()` am I the host; `onRemove(name)` the host tapped Remove on a row. */
export function createPeople({ me, host, onRemove }) {
  const list = $("people");
  const rows = new Map(); // name → li
  let held = false;
  let pending = null;

  function row(p) {
    let li = rows.get(p.name);
    if (!li) {
      li = el("li", "person");
      li.dataset.name = p.name;
      const avatar = el("span", `avatar c${colorIndex(p.name)}`, initial(p.name));
      avatar.setAttribute("aria-hidden", "true");
      const main = el("div", "person-main");
      const name = el("span", "person-name", p.name);
      name.dir = "auto";
      main.append(name, el("span", "person-detail"));
      const dot = el("span", "dot");
      dot.setAttribute("aria-hidden", "true");
      li.append(dot, avatar, el("span", "sr-only state"), main);
      rows.set(p.name, li);
    }
    li.classList.toggle("online", !!p.online);
    /** @type {HTMLElement} */ (li.querySelector(".dot")).className = `dot ${p.online ? "online" : "offline"}`;
    /** @type {HTMLElement} */ (li.querySelector(".state")).textContent = p.online ? "online: " : "offline: ";
    const detail = /** @type {HTMLElement} */ (li.querySelector(".person-detail"));
    detail.textContent = "";
    if (p.host) detail.append(el("span", "badge badge-host", "HOST"));
    const kind = el("span", `badge badge-${p.kind === "human" ? "human" : "agent"}`, p.kind === "human" ? "human" : "agent");
    if (p.kind === "human" && p.vouched === false) claimed(kind);
    detail.append(kind);
    const keyB = keyBadge(p); // README "Known agents"
    if (keyB) detail.append(keyB);
    if (p.name === me()) detail.append(el("span", "badge badge-you", "you"));
    if (p.verified === false) {
      const u = el("span", "badge badge-unverified", "unverified");
      u.title = "Posts with the room password, not a participant token: anyone with the password could use this name.";
      detail.append(u);
    }
    detail.append(el("span", "seen", p.online ? `online${viaText(p.via)}` : `offline, seen ${ago(p.lastSeen)}`));
    const canRemove = host() && p.name !== me();
    let btn = /** @type {HTMLButtonElement|null} */ (li.querySelector(".remove"));
    if (canRemove && !btn) {
      btn = /** @type {HTMLButtonElement} */ (el("button", "btn btn-small btn-danger remove", "Remove"));
      btn.type = "button";
      btn.setAttribute("aria-label", `Remove ${p.name} from the room`);
      btn.addEventListener("click", () => onRemove(p.name));
      li.append(btn);
    } else if (!canRemove && btn) btn.remove();
    return li;
  }

  function apply(participants) {
    const sorted = [...participants].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    const keep = new Set(sorted.map((p) => p.name));
    for (const [name, li] of rows) if (!keep.has(name)) (li.remove(), rows.delete(name));
    let prev = null;
    for (const p of sorted) {
      const li = row(p);
      // Move only a row that is out of place (a newcomer), never the rest.
      const want = prev ? prev.nextElementSibling : list.firstElementChild;
      if (want !== li) prev ? prev.after(li) : list.prepend(li);
      prev = li;
    }
    const online = participants.filter((p) => p.online).length;
    $("people-count").textContent = String(online);
    $("btn-panel").setAttribute("aria-label", `People: ${online} online. Room details`);
  }

  return {
    render(participants) {
      if (held) {
        pending = participants;
        list.dataset.pending = "1"; // an update is waiting (the tests watch this)
      } else apply(participants);
    },
    /** Freeze the list (true) while a decision about a row is open; release (false) applies the latest data. */
    hold(on) {
      held = on;
      if (!on && pending) {
        const p = pending;
        pending = null;
        delete list.dataset.pending;
        apply(p);
      }
    },
    /** Everyone known by name (for @name completion). */
    names: () => [...rows.keys()],
    clear() {
      list.textContent = "";
      rows.clear();
    },
  };
}
