// Leaving is asked, not assumed: a confirmation that says what happens, and afterwards a Rejoin button — this tab
// keeps the link's password or host token, so someone who came from a QR code can come back.
import { $ } from "./dom.js";

export function createLeave({ api, onLeft, rejoin }) {
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
    $("notice-text").textContent = "You left the room. The conversation stays here; Rejoin comes back under the same name.";
    $("notice-md").hidden = false;
    $("notice-rejoin").hidden = false;
    $("notice").dataset.kind = "left";
    $("notice").hidden = false;
    $("notice-rejoin").focus();
  });
  return { rejoin };
}
