// Sharing the room: the instruction block for agents (clipboard, with a select-and-copy fallback) and the QR code
// of the room link for a person's phone.
import { $ } from "./dom.js";
import { flash, writeClipboard } from "./clipboard.js";

export function createInvite({ api, openPanel, isFatal }) {
  let text = null;
  let qrUrl = null;

  async function prefetch() {
    try { text = await api("invite", { as: "text" }); } catch { /* fetched again on tap */ }
  }

  async function copy(btn) {
    try {
      if (!text) text = await api("invite", { as: "text" });
    } catch (e) {
      if (!isFatal(e)) flash(btn, "Not available", false);
      return;
    }
    const ok = await writeClipboard(text);
    if (ok) {
      flash(btn, "Copied", true);
      $("invite-fallback").hidden = true;
      return;
    }
    flash(btn, "Copy blocked", false);
    const ta = /** @type {HTMLTextAreaElement} */ ($("invite-text"));
    ta.value = text;
    $("invite-fallback").hidden = false;
    openPanel(true);
    ta.focus();
    ta.select();
  }

  async function toggleQr() {
    const box = $("qr-box");
    const btn = $("btn-qr");
    if (!box.hidden) {
      box.hidden = true;
      btn.textContent = "Show QR code";
      btn.setAttribute("aria-expanded", "false");
      return;
    }
    try {
      const blob = await api("qr.svg", { as: "blob" });
      if (qrUrl) URL.revokeObjectURL(qrUrl);
      qrUrl = URL.createObjectURL(new Blob([blob], { type: "image/svg+xml" }));
      /** @type {HTMLImageElement} */ ($("qr-img")).src = qrUrl;
      box.hidden = false;
      btn.textContent = "Hide QR code";
      btn.setAttribute("aria-expanded", "true");
    } catch (e) {
      if (!isFatal(e)) flash(btn, "QR not available", false);
    }
  }

  $("copy-invite").addEventListener("click", (e) => copy(/** @type {HTMLElement} */ (e.currentTarget)));
  $("copy-invite-2").addEventListener("click", (e) => copy(/** @type {HTMLElement} */ (e.currentTarget)));
  $("btn-qr").addEventListener("click", toggleQr);
  return { prefetch };
}
