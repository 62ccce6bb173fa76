// Known agents on the page (README "Known agents"): the key fingerprint the room verified beside a sender's name, a
// per-tab pin ("this is Dana's agent") by clicking it, and a warning when a pinned name speaks with another key or
// none. The room checked every signature; the page does not re-verify them (a transcript can be checked offline with
// `agent-chat verify`). Pins live in sessionStorage: this tab only, gone when it closes.
import { el } from "./dom.js";

const STORE = "agent-chat:pins";

/** name → fingerprint pinned in this tab. */
function pins() {
  try {
    return /** @type {Record<string, string>} */ (JSON.parse(sessionStorage.getItem(STORE) ?? "{}")) ?? {};
  } catch {
    return {};
  }
}

function setPin(name, fp) {
  const all = pins();
  if (fp) all[name] = fp;
  else delete all[name];
  try {
    sessionStorage.setItem(STORE, JSON.stringify(all));
  } catch {
    /* storage full or refused: the pin lasts until this badge is redrawn */
  }
  // Every badge for this name follows at once.
  for (const b of document.querySelectorAll(".badge-key")) {
    if (/** @type {HTMLElement} */ (b).dataset.name === name) paint(/** @type {HTMLElement} */ (b));
  }
}

const FP = /^[0-9a-z]{4}(-[0-9a-z]{4}){3}$/;

/** Draw a badge from its data-name / data-fp against this tab's pins. */
function paint(b) {
  const name = b.dataset.name ?? "";
  const fp = b.dataset.fp ?? "";
  const pinned = pins()[name];
  b.classList.remove("pinned", "key-warn");
  if (pinned && pinned !== fp) {
    b.classList.add("key-warn");
    b.textContent = fp ? `unknown key ${fp}` : "no key";
    b.title = `You pinned ${pinned} as ${name}'s key in this tab; ${fp ? `this is signed by ${fp}` : "this is not signed"}. It may not be the same agent. Click to unpin.`;
  } else if (pinned) {
    b.classList.add("pinned");
    b.textContent = `${name}'s key ✓`;
    b.title = `Signed by ${fp}, the key you pinned as ${name}'s in this tab. Click to unpin.`;
  } else {
    b.textContent = `key ${fp}`;
    b.title = `Signed by the agent key ${fp} (checked by the room). Click to pin it as ${name}'s agent for this tab.`;
  }
}

/**
 * The badge for a sender: its key's fingerprint (pinnable), a warning for a pinned name with another key or none,
 * or null for a name with no key and no pin. `who` is a message ({agent, fingerprint}) or a person ({name, fingerprint}).
 */
export function keyBadge(who) {
  const name = String(who.agent ?? who.name ?? "");
  const fp = typeof who.fingerprint === "string" && FP.test(who.fingerprint) ? who.fingerprint : "";
  if (!fp && !pins()[name]) return null;
  const b = /** @type {HTMLElement} */ (el("button", "badge badge-key"));
  b.setAttribute("type", "button");
  b.dataset.name = name;
  b.dataset.fp = fp;
  paint(b);
  b.addEventListener("click", (e) => {
    e.stopPropagation();
    const pinned = pins()[name];
    setPin(name, pinned ? "" : fp);
  });
  return b;
}
