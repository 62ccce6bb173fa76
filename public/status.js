// What the page says about the connection (one word in the header, so it fits a 320-px phone; more on wider
// screens and in the tooltip) and the notice banner under the header.
import { $ } from "./dom.js";

const CONN_TEXT = {
  connecting: "Connecting",
  live: "Live",
  polling: "Live",
  reconnecting: "Reconnecting",
  offline: "Offline",
  closed: "Closed",
  removed: "Removed",
  left: "Left",
  forgotten: "Signed out",
};
const CONN_MORE = {
  polling: " · long-poll",
  offline: ": waiting for the network",
};

export function paintConn(state) {
  const c = $("conn");
  c.dataset.state = state;
  $("conn-word").textContent = CONN_TEXT[state] ?? state;
  $("conn-more").textContent = CONN_MORE[state] ?? "";
  c.title = state === "polling" ? "Live messages arrive by long-polling because something between you and the room holds back the stream." : "";
}

export function showNotice(text, { transcript = false, rejoin = false, kind = "closed" } = {}) {
  $("notice-text").textContent = text;
  $("notice-md").hidden = !transcript;
  $("notice-rejoin").hidden = !rejoin;
  $("notice").dataset.kind = kind;
  $("notice").hidden = false;
}

export function hideNotice() {
  $("notice").hidden = true;
  delete $("notice").dataset.kind;
}

