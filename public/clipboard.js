// Copying from a tap, shared by the room page's invite button and the dashboard: the clipboard API, or the old
// execCommand way where there is none (plain-http LAN pages); and the button's brief "Copied" label.
import { el } from "./dom.js";

/** Write `text` to the clipboard; false when both ways were refused (the caller shows it to copy by hand). */
export async function writeClipboard(text) {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    const ta = el("textarea", "sr-only");
    ta.value = text;
    ta.setAttribute("readonly", "");
    document.body.append(ta);
    ta.select();
    let ok = false;
    try { ok = document.execCommand("copy"); } catch { ok = false; }
    ta.remove();
    return ok;
  }
}

/** Flash a button's label ("Copied") for a moment, then put its own label back. */
export function flash(btn, label, ok) {
  if (!btn.dataset.label) btn.dataset.label = btn.textContent;
  btn.textContent = label;
  btn.classList.toggle("done", ok);
  clearTimeout(Number(btn.dataset.timer));
  btn.dataset.timer = String(setTimeout(() => {
    btn.textContent = btn.dataset.label;
    btn.classList.remove("done");
  }, 2500));
}
