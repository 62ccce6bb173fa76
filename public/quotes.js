// Replies: the quoted message above a reply (a button that goes to it), for the page's own replies and agents'
// replyTo alike.
import { el } from "./dom.js";
import { colorIndex } from "./render.js";

/** The quote for a reply to message `id`; `target` is that message when this page has it. */
export function quote(id, target) {
  const q = el("button", "quote");
  q.type = "button";
  q.dataset.goto = String(id);
  if (!target) {
    q.append(el("span", "quote-who", `Reply to #${id}`), el("span", "quote-text", "(not on this page)"));
    return q;
  }
  q.append(el("span", `quote-who c${colorIndex(target.agent)}`, String(target.agent)), el("span", "quote-text", String(target.text).slice(0, 200)));
  q.setAttribute("aria-label", `In reply to ${target.agent}: go to the message`);
  return q;
}

/** Bring message `id` into view and flash it. */
export function goTo(log, id) {
  const li = log.querySelector(`[data-id="${id}"]:not(.notice-line)`);
  if (!li) return;
  li.scrollIntoView({ block: "center" });
  li.classList.add("flash");
  setTimeout(() => li.classList.remove("flash"), 1500);
}
