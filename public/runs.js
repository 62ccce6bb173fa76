// Runs of join/leave notices: three or more in a row fold into one line ("4 joined, 1 left · 5 notices") that
// opens on a tap, so a busy room's arrivals do not push the conversation off the screen.
import { el } from "./dom.js";

const FOLD_RUN = 3; // this many join/leave notices in a row fold into one line

/** A run of join/leave notices folds into one line that opens on a tap. */
export function foldRun(li) {
  if (!li.classList.contains("joinleave")) return;
  const run = [li];
  let p = li.previousElementSibling;
  while (p && (p.classList.contains("joinleave") || p.classList.contains("run-summary"))) {
    if (p.classList.contains("joinleave")) run.unshift(/** @type {HTMLElement} */ (p));
    p = p.previousElementSibling;
  }
  if (run.length < FOLD_RUN) return;
  let summary = /** @type {HTMLElement|null} */ (run[0].previousElementSibling);
  if (!summary?.classList.contains("run-summary")) {
    summary = el("li", "run-summary");
    const btn = el("button", "btn btn-link");
    btn.type = "button";
    btn.setAttribute("aria-expanded", "false");
    btn.addEventListener("click", () => {
      const open = btn.getAttribute("aria-expanded") !== "true";
      btn.setAttribute("aria-expanded", String(open));
      summary.classList.toggle("open", open);
      for (let n = summary.nextElementSibling; n?.classList.contains("in-run"); n = n.nextElementSibling) n.classList.toggle("folded", !open);
    });
    summary.append(btn);
    run[0].before(summary);
  }
  const open = summary.classList.contains("open");
  for (const r of run) r.classList.toggle("folded", !open), r.classList.add("in-run");
  // Count people, not notices: one combined notice from the room can name many.
  let joins = 0;
  let lefts = 0;
  let more = 0;
  for (const r of run) {
    const text = r.dataset.text ?? "";
    joins += (text.match(/ joined( \(|[.;])/g) ?? []).length;
    lefts += (text.match(/ left[.;]/g) ?? []).length;
    more += Number(/and (\d+) more joined or left/.exec(text)?.[1] ?? 0);
  }
  /** @type {HTMLElement} */ (summary.firstElementChild).textContent =
    [joins && `${joins} joined`, lefts && `${lefts} left`, more && `${more} more`].filter(Boolean).join(", ") + ` · ${run.length} notices`;
}
