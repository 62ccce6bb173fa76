// Code blocks in the log scroll sideways; the Wrap toggle is shown only on blocks wider than their box (so a short
// block adds no button and no Tab stop), and wraps that block on a tap.

let pending = 0;

/** Mark every not-yet-measured code block in `log` as wide or not (one layout read per frame, for all of them). */
export function fitCode(log) {
  if (pending) return;
  pending = requestAnimationFrame(() => {
    pending = 0;
    for (const pre of log.querySelectorAll(".codeblock:not(.fitted) pre")) {
      const block = /** @type {HTMLElement} */ (pre.parentElement);
      if (pre.clientWidth === 0) continue; // folded or clamped away: measured when shown
      block.classList.add("fitted");
      block.classList.toggle("wide", pre.scrollWidth > pre.clientWidth + 1);
    }
  });
}

/** A click in the log: when it was on a Wrap toggle, flip that block's wrapping and say so (true). */
export function toggleWrap(target) {
  const toggle = target.closest(".wrap-toggle");
  if (!toggle) return false;
  const on = toggle.getAttribute("aria-pressed") !== "true";
  toggle.setAttribute("aria-pressed", String(on));
  toggle.parentElement?.classList.toggle("wrapped", on);
  return true;
}
