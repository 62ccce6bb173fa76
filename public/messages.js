// The message log: each message shown once, in id order, grouped by sender; the unread divider and the jump pill;
// runs of join/leave notices folded; long messages clamped; code blocks that scroll sideways with a wrap toggle.
import { $, buildAll, el } from "./dom.js";
import { colorIndex, formatTime, initial, mentionsMe, renderText } from "./render.js";
import { fitCode, toggleWrap } from "./codeblocks.js";
import { claimed } from "./people.js";
import { keyBadge } from "./known.js";
import { wireLogKeys } from "./logkeys.js";
import { goTo, quote } from "./quotes.js";
import { foldRun } from "./runs.js";

const MAX_DOM_MESSAGES = 1000;
const MAX_STORE = 10_000;
const CLAMP_CHARS = 3000;
const CLAMP_LINES = 40;
const GROUP_MS = 5 * 60_000;
// "ana joined (human)." — or, under a flood, the room's combined notice "a joined (agent); b left; and 3 more joined or left."
const JOIN_LEAVE = / (joined|left)( \(.*\))?\.?$| more joined or left\.$/;

/**
 * `me()` my name; `onMention(m)` a live message mentions me; `onSystem(m)` a live room notice (who is here
 * changed); `onReply(m)` the person asked to reply to m.
 */
export function createLog({ me, onMention, onSystem, onReply }) {
  const log = $("log");
  const jump = $("jump");
  const seen = new Set();
  const byId = new Map();
  const kindShown = new Set(); // senders whose kind badge is already on the page
  let messages = [];
  let lastShownId = 0;
  let unread = 0;
  let unreadMention = false;
  let divider = null;

  const isMine = (m) => m.kind !== "system" && m.verified !== false && me() != null && m.agent === me();

  function nearEnd() {
    return log.scrollHeight - log.scrollTop - log.clientHeight < 80;
  }

  function scrollToEnd() {
    log.scrollTop = log.scrollHeight;
    clearUnread();
  }

  function clearUnread() {
    unread = 0;
    unreadMention = false;
    jump.hidden = true;
  }

  function updateJump() {
    jump.hidden = unread === 0;
    $("jump-count").textContent = `${unread} new`;
    $("jump-mention").hidden = !unreadMention;
    jump.setAttribute("aria-label", `${unread} new message${unread === 1 ? "" : "s"}${unreadMention ? ", mentioning you" : ""}: go to the first unread`);
  }

  function markUnread(li, m) {
    if (unread === 0) {
      divider?.remove();
      divider = el("li", "unread-divider");
      divider.setAttribute("role", "separator");
      divider.append(el("span", null, "New"));
      li.before(divider);
    }
    unread++;
    if (mentionsMe(m, me())) unreadMention = true;
    updateJump();
  }

  /** Messages from history, the stream or a poll. Each is shown once, in id order. */
  function add(list, live) {
    const atEnd = nearEnd();
    let scroll = false;
    for (const m of list) {
      if (!m || typeof m.id !== "number" || seen.has(m.id)) continue;
      const li = show(m);
      if (!live) continue;
      if (atEnd || isMine(m)) scroll = true;
      else if (m.kind !== "system") markUnread(li, m);
      if (mentionsMe(m, me())) onMention(m);
      if (m.kind === "system") onSystem(m);
    }
    // Messages still waiting to be sent stay below everything the room has.
    for (const p of log.querySelectorAll(":scope > .pending")) log.append(p);
    if (scroll) scrollToEnd();
    fitCode(log);
  }

  function show(m) {
    seen.add(m.id);
    byId.set(m.id, m);
    messages.push(m);
    if (messages.length > MAX_STORE) {
      for (const old of messages.splice(0, messages.length - MAX_STORE)) byId.delete(old.id);
    }
    const li = renderMessage(m);
    if (m.id > lastShownId) {
      log.append(li);
      lastShownId = m.id;
    } else {
      let after = /** @type {HTMLElement|null} */ (log.lastElementChild);
      while (after && !(Number(after.dataset.id) <= m.id && after.dataset.id)) after = /** @type {HTMLElement|null} */ (after.previousElementSibling);
      if (after) after.after(li);
      else log.prepend(li);
    }
    group(li);
    const next = li.nextElementSibling;
    if (next) group(/** @type {HTMLElement} */ (next));
    if (m.kind === "system") foldRun(li);
    while (log.childElementCount > MAX_DOM_MESSAGES) log.firstElementChild?.remove();
    return li;
  }

  /** Consecutive messages from one sender within five minutes share one header; every group names its author. */
  function group(li) {
    let prev = /** @type {HTMLElement|null} */ (li.previousElementSibling);
    while (prev && !prev.dataset.id) prev = /** @type {HTMLElement|null} */ (prev.previousElementSibling);
    const same =
      prev &&
      li.previousElementSibling === prev &&
      li.dataset.kind !== "system" &&
      prev.dataset.kind === li.dataset.kind &&
      prev.dataset.agent === li.dataset.agent &&
      prev.dataset.verified === li.dataset.verified &&
      !li.dataset.reply &&
      Math.abs(Number(li.dataset.t) - Number(prev.dataset.t)) < GROUP_MS;
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
    if (mentionsMe(m, me())) li.classList.add("mention");
    if (m.verified === false) li.classList.add("unverified");

    const time = el("time", null, formatTime(m.timestamp));
    time.dateTime = String(m.timestamp);
    time.title = new Date(m.timestamp).toLocaleString();
    if (kind === "system") {
      li.dataset.text = String(m.text);
      if (JOIN_LEAVE.test(String(m.text))) li.classList.add("joinleave");
      const meta = el("div", "meta");
      meta.append(el("span", "sr-only", "Room notice: "));
      const body = el("div", "body", String(m.text));
      body.dir = "auto";
      li.append(meta, body, time);
      return li;
    }
    li.classList.add(`c${colorIndex(m.agent)}`);
    const meta = el("div", "meta");
    const avatar = el("span", "avatar", initial(m.agent));
    avatar.setAttribute("aria-hidden", "true");
    const who = el("span", "who", String(m.agent));
    who.dir = "auto";
    meta.append(avatar, who);
    // Only the server can say who the host is (a participant joined with the host link); a name cannot.
    if (m.host === true && m.verified !== false) meta.append(el("span", "badge badge-host", "HOST"));
    const key = `${m.agent}\u0000${kind}`;
    if (!kindShown.has(key)) {
      kindShown.add(key);
      const badge = el("span", `badge badge-${kind}`, kind);
      if (kind === "human" && m.vouched === false) claimed(badge);
      meta.append(badge);
    }
    if (m.verified === false) {
      const u = el("span", "badge badge-unverified", "unverified");
      u.title = "Sent with the room password, not a participant token: anyone with the password could use this name.";
      meta.append(u);
    }
    const keyB = keyBadge(m); // README "Known agents" (the page's own signed messages too: page-key.js)
    if (keyB) meta.append(keyB);
    if (isMine(m)) meta.append(el("span", "badge badge-you", "you"));
    if (typeof m.to === "string") {
      li.classList.add("private");
      meta.append(el("span", "badge badge-private", m.to === me() ? "private to you" : `private to ${m.to}`));
    }
    meta.append(time);
    const replyBtn = el("button", "reply-btn");
    replyBtn.type = "button";
    replyBtn.setAttribute("aria-label", `Reply to ${m.agent}`);
    replyBtn.tabIndex = -1; // keyboard: arrows in the log, then Enter (logkeys.js)
    replyBtn.addEventListener("click", () => onReply(m));
    li.append(meta);
    if (typeof m.replyTo === "number") {
      li.dataset.reply = String(m.replyTo);
      li.append(quote(m.replyTo, byId.get(m.replyTo)));
    }

    const body = el("div", "body");
    body.dir = "auto";
    body.append(buildAll(renderText(String(m.text), { mentions: m.mentions, me: me() ?? "", verified: m.verified !== false })));
    li.append(body, replyBtn);
    const text = String(m.text);
    const lines = text.split("\n").length;
    if (text.length > CLAMP_CHARS || lines > CLAMP_LINES) {
      body.classList.add("clamped");
      body.id = `msg-body-${m.id}`;
      const more = el("button", "btn btn-small expand", `Show all (${lines} lines, ${Math.ceil(new Blob([text]).size / 1024)} KB)`);
      more.type = "button";
      more.setAttribute("aria-expanded", "false");
      more.setAttribute("aria-controls", body.id);
      more.addEventListener("click", () => {
        const closed = body.classList.toggle("clamped");
        more.setAttribute("aria-expanded", String(!closed));
        more.textContent = closed ? `Show all (${lines} lines)` : "Show less";
        fitCode(log);
      });
      li.append(more);
    }
    return li;
  }

  log.addEventListener("click", (e) => {
    const t = /** @type {HTMLElement} */ (e.target);
    if (toggleWrap(t)) return;
    const q = /** @type {HTMLElement|null} */ (t.closest(".quote"));
    if (q) return goTo(log, Number(q.dataset.goto));
    // A tap on a message (not on a link or button in it) picks it: on touch screens that shows its reply button.
    if (t.closest("a, button")) return;
    const li = /** @type {HTMLElement|null} */ (t.closest(".msg[data-id]:not(.kind-system)"));
    const was = log.querySelector(".msg.picked");
    if (was && was !== li) was.classList.remove("picked");
    li?.classList.toggle("picked");
  });
  wireLogKeys(log, (id) => byId.has(id) && onReply(byId.get(id)));
  log.addEventListener("scroll", () => {
    if (nearEnd()) clearUnread();
  });
  jump.addEventListener("click", () => {
    if (divider && unread && divider.isConnected && divider.getBoundingClientRect().top > log.getBoundingClientRect().bottom - 10) {
      divider.scrollIntoView({ block: "start" });
      if (nearEnd()) clearUnread();
    } else scrollToEnd();
  });


  return {
    add,
    scrollToEnd,
    nearEnd,
    get messages() { return messages.slice(); },
    get lastId() { return lastShownId; },
    byId: (id) => byId.get(id),
    /** Forget everything shown (history reloaded from scratch). */
    clear() {
      log.textContent = "";
      reset();
    },
    /** Keep what is shown as a read-only past (the room restarted: its ids start again), with a line below it. */
    archive(label) {
      for (const li of log.querySelectorAll(":scope > [data-id]")) {
        li.classList.add("archived");
        /** @type {HTMLElement} */ (li).dataset.oldId = /** @type {HTMLElement} */ (li).dataset.id;
        li.removeAttribute("data-id");
        li.querySelector(".reply-btn")?.remove();
      }
      reset();
      const sep = el("li", "restart-divider", label);
      sep.setAttribute("role", "separator");
      log.append(sep);
    },
    /** A line from the page itself, not from the room. */
    note(text, cls = "") {
      const li = el("li", `msg kind-system notice-line ${cls}`.trim());
      li.dataset.kind = "system";
      li.append(el("div", "body", text));
      log.append(li);
      scrollToEnd();
      return li;
    },
    names: () => [...new Set(messages.filter((m) => m.kind !== "system").map((m) => String(m.agent)))],
  };

  function reset() {
    seen.clear();
    byId.clear();
    kindShown.clear();
    messages = [];
    lastShownId = 0;
    divider = null;
    clearUnread();
  }
}
