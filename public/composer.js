// Writing: the message box, sending (a message typed while offline waits with a pending mark and is sent once when
// the room is back), reply-to with the quoted message, @name completion, and Enter that behaves like the device's
// chat apps (sends on a keyboard; a new line on a touch screen, where the Send button sends).
import { ApiError, NetError } from "./api.js";
import { $, el } from "./dom.js";

const touch = () => matchMedia("(pointer: coarse)").matches;
const MENTIONABLE = /^[\p{L}\p{N}][\p{L}\p{N}_.\-]*$/u;

/**
 * `api`; `log` the message log; `connected()` is the live connection up; `me()` my name; `names()` everyone
 * known; `fatal(e)` true when an error ended the session (and was handled); `post(body)` sends one message (the
 * page identity signs it: page-identity.js), POST messages as it is by default.
 */
export function createComposer({ api, log, connected, me, names, fatal, post: postBody = (body) => api("messages", { method: "POST", body }) }) {
  const input = /** @type {HTMLTextAreaElement} */ ($("input"));
  const error = $("composer-error");
  const outbox = []; // { text, replyTo, afterId, li }
  let sending = false;
  let flushing = false;
  let replyTo = null;

  function setReply(m) {
    replyTo = m ? m.id : null;
    $("reply-bar").hidden = !m;
    if (m) {
      $("reply-who").textContent = String(m.agent);
      $("reply-text").textContent = String(m.text).slice(0, 140);
      input.focus();
    }
  }

  function pendingLine(item) {
    const li = el("li", "msg mine pending");
    li.append(el("div", "body", item.text), el("div", "pending-mark", "Waiting for the connection · sends when the room is back"));
    $("log").append(li);
    log.scrollToEnd();
    return li;
  }

  /** Is `m` the room's copy of a message this page tried to send (its answer lost on the way back)? */
  const isCopyOf = (m, item) => item.tried && m.id > item.afterId && m.agent === me() && m.verified !== false && m.text === item.text;

  function queue(item) {
    // The stream may already have brought it: then it arrived, and nothing waits.
    if (log.messages.some((m) => isCopyOf(m, item))) return;
    item.li = pendingLine(item);
    outbox.push(item);
  }

  /** Messages just received: a waiting message that shows up among them was sent after all. */
  function reconcile(list) {
    for (const m of list) {
      const i = outbox.findIndex((item) => isCopyOf(m, item));
      if (i < 0) continue;
      outbox[i].li.remove();
      outbox.splice(i, 1);
    }
  }

  /** Did an earlier attempt reach the room after all (its answer lost on the way back)? Then it must not go twice. */
  async function alreadySent(item) {
    if (!item.tried) return false;
    const data = await api(`messages?after=${item.afterId}`);
    return data.messages.some((m) => isCopyOf(m, item));
  }

  async function post(item) {
    item.tried = true;
    const body = { text: item.text };
    if (item.replyTo != null) body.replyTo = item.replyTo;
    const r = await postBody(body); // signed afresh on every attempt: a new nonce and time, the newest prev
    if (r?.message) log.add([r.message], true);
  }

  // A send can fail while the live connection still looks up (a reset socket): try again after a growing pause,
  // as well as whenever the connection comes back.
  let retryTimer = 0;
  let retryDelay = 1000;

  /** Send what waits, in order, once the room answers again. */
  async function flush() {
    clearTimeout(retryTimer);
    if (flushing || !outbox.length || !connected()) return;
    flushing = true;
    try {
      while (outbox.length && connected()) {
        const item = outbox[0];
        try {
          if (!(await alreadySent(item))) await post(item);
          retryDelay = 1000;
        } catch (e) {
          if (e instanceof NetError) {
            retryTimer = setTimeout(flush, retryDelay);
            retryDelay = Math.min(15_000, retryDelay * 2);
            return;
          }
          if (fatal(e)) return;
          error.textContent = `Not sent: ${e instanceof ApiError ? e.message : String(e)}`;
          if (!input.value) input.value = item.text;
        }
        outbox.shift();
        item.li.remove();
      }
    } finally {
      flushing = false;
    }
  }

  async function send() {
    const text = input.value;
    if (!text.trim() || sending) return;
    closeSuggestions();
    const item = { text, replyTo, afterId: log.lastId, tried: false };
    error.textContent = "";
    if (!connected() || outbox.length) {
      queue(item);
      input.value = "";
      setReply(null);
      flush();
      return;
    }
    sending = true;
    try {
      await post(item);
      input.value = "";
      setReply(null);
      log.scrollToEnd();
    } catch (e) {
      if (fatal(e)) return;
      if (e instanceof NetError) {
        // It may or may not have arrived: it waits, and is checked against the room before going again.
        queue(item);
        input.value = "";
        setReply(null);
        retryTimer = setTimeout(flush, retryDelay);
      } else error.textContent = e instanceof ApiError ? e.message : "Not sent. Your text is still here; try again.";
    } finally {
      sending = false;
    }
  }

  // ---------------------------------------------------------------- @name completion
  const box = $("mention-list");
  let choices = [];
  let active = 0;

  function closeSuggestions() {
    box.hidden = true;
    choices = [];
    input.removeAttribute("aria-activedescendant");
    input.setAttribute("aria-expanded", "false");
  }

  function suggest() {
    const upto = input.value.slice(0, input.selectionStart ?? input.value.length);
    const m = /(^|\s)@([\p{L}\p{N}_.\-]*)$/u.exec(upto);
    if (!m) return closeSuggestions();
    const part = m[2].toLowerCase();
    const mine = me();
    choices = [...new Set([...names(), "all"])]
      .filter((n) => n !== mine && MENTIONABLE.test(n) && n.toLowerCase().startsWith(part))
      .slice(0, 6);
    if (!choices.length) return closeSuggestions();
    active = Math.min(active, choices.length - 1);
    box.textContent = "";
    choices.forEach((n, i) => {
      const li = el("li", i === active ? "active" : "", "@" + n);
      li.id = `mention-${i}`;
      li.setAttribute("role", "option");
      li.setAttribute("aria-selected", String(i === active));
      li.addEventListener("mousedown", (e) => (e.preventDefault(), pick(i)));
      box.append(li);
    });
    box.hidden = false;
    input.setAttribute("aria-expanded", "true");
    input.setAttribute("aria-activedescendant", `mention-${active}`);
  }

  function pick(i) {
    const name = choices[i];
    if (!name) return;
    const caret = input.selectionStart ?? input.value.length;
    const before = input.value.slice(0, caret).replace(/@[\p{L}\p{N}_.\-]*$/u, `@${name} `);
    input.value = before + input.value.slice(caret);
    input.setSelectionRange(before.length, before.length);
    closeSuggestions();
    input.focus();
  }

  input.addEventListener("input", () => ((active = 0), suggest()));
  input.addEventListener("blur", () => setTimeout(closeSuggestions, 150));
  input.addEventListener("keydown", (e) => {
    if (!box.hidden && choices.length) {
      if (e.key === "ArrowDown" || e.key === "ArrowUp") {
        e.preventDefault();
        active = (active + (e.key === "ArrowDown" ? 1 : choices.length - 1)) % choices.length;
        return suggest();
      }
      if (e.key === "Enter" || e.key === "Tab") {
        e.preventDefault();
        return pick(active);
      }
      if (e.key === "Escape") return (e.preventDefault(), closeSuggestions());
    }
    if (e.key === "Escape" && replyTo != null) return setReply(null);
    if (e.key === "PageUp" || e.key === "PageDown") {
      // The conversation scrolls from the message box, as in desktop chat apps.
      e.preventDefault();
      const logEl = $("log");
      logEl.scrollBy({ top: (e.key === "PageUp" ? -1 : 1) * logEl.clientHeight * 0.9 });
      return;
    }
    if (e.key !== "Enter" || e.shiftKey || e.isComposing || e.keyCode === 229) return;
    if (touch()) return; // a new line, as in phone chat apps: the Send button sends
    e.preventDefault();
    send();
  });
  $("composer").addEventListener("submit", (e) => {
    e.preventDefault();
    send();
  });
  $("reply-cancel").addEventListener("click", () => setReply(null));
  const help = $("composer-help");
  const applyDevice = () => {
    input.setAttribute("enterkeyhint", touch() ? "enter" : "send");
    help.textContent = touch() ? "Enter starts a new line; the Send button sends." : "Enter sends; Shift+Enter starts a new line.";
  };
  applyDevice();
  matchMedia("(pointer: coarse)").addEventListener?.("change", applyDevice);

  return {
    send,
    flush,
    reconcile,
    reply: setReply,
    get pending() { return outbox.length; },
    enable(on) {
      input.disabled = !on;
      /** @type {HTMLButtonElement} */ ($("send")).disabled = !on;
      if (!on) closeSuggestions();
    },
    focus: () => input.focus(),
  };
}
