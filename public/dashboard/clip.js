// Copy text to the clipboard from a tap, with the old execCommand way for plain-http LAN pages (no clipboard API
// there) and, when both are refused, the text shown selected in a box to copy by hand.
import { $ } from "../dom.js";
import { flash, writeClipboard } from "../clipboard.js";

export { flash } from "../clipboard.js";

export async function copyText(btn, text) {
  const ok = await writeClipboard(text);
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
