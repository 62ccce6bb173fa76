// The one confirmation the dashboard asks before anything it cannot undo (close a room, revoke a key): it names what
// will happen, opens with focus on Cancel, and fires at most once — the confirm button ignores activations in its
// first 0.6 s (a double tap's second half lands on whatever opened under the finger) and is disabled once used.
import { $ } from "../dom.js";

const GUARD_MS = 600;

export function createConfirm() {
  const dialog = /** @type {HTMLDialogElement} */ ($("confirm-dialog"));
  const ok = /** @type {HTMLButtonElement} */ ($("confirm-ok"));
  let pending = null;
  let openedAt = 0;
  let guard = 0;

  function settle(answer) {
    const resolve = pending;
    pending = null;
    if (dialog.open) dialog.close();
    if (resolve) resolve(answer);
  }

  $("confirm-form").addEventListener("submit", (e) => {
    e.preventDefault();
    if (!pending || ok.disabled || performance.now() - openedAt < GUARD_MS) return;
    ok.disabled = true;
    settle(true);
  });
  $("confirm-cancel").addEventListener("click", () => settle(false));
  dialog.addEventListener("cancel", () => settle(false));
  dialog.addEventListener("close", () => pending && settle(false));

  /** Ask; resolves true once if confirmed, false otherwise (also when a question is already open). */
  return function ask({ title, what, action }) {
    if (dialog.open || pending) return Promise.resolve(false);
    $("confirm-title").textContent = title;
    $("confirm-what").textContent = what;
    ok.textContent = action;
    ok.disabled = false;
    delete dialog.dataset.ready;
    dialog.showModal();
    $("confirm-cancel").focus();
    openedAt = performance.now();
    clearTimeout(guard);
    guard = setTimeout(() => (dialog.dataset.ready = "1"), GUARD_MS);
    return new Promise((resolve) => (pending = resolve));
  };
}
