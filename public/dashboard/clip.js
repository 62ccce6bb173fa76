// Copy text to the clipboard from a tap, with the old execCommand way for plain-http LAN pages (no clipboard API
// there) and, when both are refused, the text shown selected in a box to copy by hand.
import { $, el } from "../dom.js";

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

export async function copyText(btn, text) {
  let ok = false;
  try {
    await navigator.clipboard.writeText(text);
    ok = true;
  } catch {
    const ta = el("textarea", "sr-only");
    ta.value = text;
    ta.setAttribute("readonly", "");
    document.body.append(ta);
    ta.select();
    try { ok = document.execCommand("copy"); } catch { ok = false; }
    ta.remove();
  }
  const box = $("copy-fallback");
  if (ok) {
    flash(btn, "Copied", true);
    box.hidden = true;
    return true;
  }
  flash(btn, "Copy blocked", false);
  const ta = /** @type {HTMLTextAreaElement} */ ($("copy-text"));
  ta.value = text;
  box.hidden = false;
  ta.focus();
  ta.select();
  return false;
}
