// The log from the keyboard, as one Tab stop: arrows pick a message (the picked one shows its reply button, as a tap
// does on a touch screen), Enter or R replies to it, Escape lets go. The per-message reply buttons stay out of the Tab
// order, so reaching the message box never means tabbing through every message.

/** `log` the #log element; `reply(id)` start a reply to the message with that id. */
export function wireLogKeys(log, reply) {
  const items = () => /** @type {HTMLElement[]} */ (Array.from(log.querySelectorAll(":scope > .msg[data-id]:not(.kind-system):not(.folded)")));
  const pick = (li) => {
    for (const p of log.querySelectorAll(".msg.picked")) p.classList.remove("picked"), p.removeAttribute("aria-current");
    if (!li) return;
    li.classList.add("picked");
    li.setAttribute("aria-current", "true");
    li.scrollIntoView({ block: "nearest" });
  };
  log.addEventListener("keydown", (e) => {
    if (e.target !== log) return;
    const all = items();
    const at = all.findIndex((li) => li.classList.contains("picked"));
    if (e.key === "ArrowUp" || e.key === "ArrowDown") {
      e.preventDefault();
      if (!all.length) return;
      const next = at < 0 ? all.length - 1 : Math.max(0, Math.min(all.length - 1, at + (e.key === "ArrowUp" ? -1 : 1)));
      pick(all[next]);
    } else if ((e.key === "Enter" || e.key === "r" || e.key === "R") && at >= 0) {
      e.preventDefault();
      reply(Number(all[at].dataset.id));
    } else if (e.key === "Escape" && at >= 0) {
      pick(null);
    }
  });
}
