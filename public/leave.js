// Leaving is asked, not assumed: a confirmation that says what happens, and afterwards a Rejoin button — this tab
// keeps the link's password or host token, so someone who came from a QR code can come back.
import { $ } from "./dom.js";
import { showNotice } from "./status.js";

/** `api`; `onLeft()` end the session on the page (the conversation stays, read-only). */
export function createLeave({ api, onLeft }) {
  const dialog = /** @type {HTMLDialogElement} */ ($("leave-dialog"));
  $("btn-leave").addEventListener("click", () => {
    dialog.showModal();
    $("leave-cancel").focus();
  });
  $("leave-cancel").addEventListener("click", () => dialog.close());
  $("leave-form").addEventListener("submit", async (e) => {
    e.preventDefault();
    dialog.close();
    try { await api("leave", { method: "POST" }); } catch { /* leaving anyway */ }
    onLeft();
    showNotice("You left the room. The conversation stays here; Rejoin comes back under the same name.", { transcript: true, rejoin: true, kind: "left" });
    $("notice-rejoin").focus();
  });
}
