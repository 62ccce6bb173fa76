// Mention notifications. Phones only show notifications from a service worker (Android Chrome refuses
// `new Notification()`; iOS needs the page installed to the home screen), so the page registers sw.js and asks it to
// show them; where that is impossible, the button says why instead of pretending.
import { $ } from "./dom.js";

let registration = null;

async function register() {
  if (!("serviceWorker" in navigator) || !window.isSecureContext) return null;
  try {
    registration = await navigator.serviceWorker.register("sw.js");
    return registration;
  } catch {
    return null;
  }
}

/** Why notifications cannot work here, or "" when they can. */
export function notifyBlocker() {
  if (!window.isSecureContext) return "Notifications need an https link (a tunnel); on this http link the tab title still counts mentions.";
  if (!("Notification" in window)) {
    const ios = /iPhone|iPad|iPod/.test(navigator.userAgent);
    return ios
      ? "On iPhone and iPad, notifications work once the page is on the home screen: Share → Add to Home Screen, then open it from there."
      : "This browser cannot show notifications; the tab title still counts mentions.";
  }
  if (Notification.permission === "denied") return "Notifications are blocked for this page in the browser's settings.";
  return "";
}

export function updateNotifyButton() {
  const btn = $("btn-notify");
  const hint = $("notify-hint");
  const blocker = notifyBlocker();
  const granted = !blocker && Notification.permission === "granted";
  btn.hidden = false; // shown disabled, with the reason, rather than hidden
  btn.setAttribute("aria-pressed", String(granted));
  btn.textContent = granted ? "Notifications on for mentions" : "Notify me when mentioned";
  /** @type {HTMLButtonElement} */ (btn).disabled = !!blocker || granted;
  hint.textContent = blocker;
}

export function initNotify() {
  register();
  $("btn-notify").addEventListener("click", async () => {
    try { await Notification.requestPermission(); } catch { /* old Safari: callback form only */ }
    if (Notification.permission === "granted") await register();
    updateNotifyButton();
  });
  updateNotifyButton();
}

/** Show a mention, through the service worker when there is one (phones), else the page's own Notification. */
export async function notify(title, body) {
  if (!("Notification" in window) || Notification.permission !== "granted") return false;
  const options = { body: body.slice(0, 180), tag: "agent-chat-mention", renotify: true, icon: "icon-192.png" };
  try {
    const reg = registration ?? (await navigator.serviceWorker?.getRegistration());
    if (reg) {
      await reg.showNotification(title, options);
      return true;
    }
  } catch { /* fall through to the page's own */ }
  try {
    const n = new Notification(title, options);
    n.onclick = () => (window.focus(), n.close());
    return true;
  } catch {
    return false;
  }
}
