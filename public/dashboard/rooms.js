// The rooms on the dashboard: one card per room with its live counts (updated in place from GET /rooms, so a card
// never moves or loses focus under a finger), and its actions: open its chat as the host, its keys, rename, close.
import { ApiError } from "../api.js";
import { $, el } from "../dom.js";
import { createKeys } from "./keys.js";

const plural = (n, one, many = one + "s") => `${n} ${n === 1 ? one : many}`;

/** `api` the host's API caller; `root` the server's base path; `ask` the confirmation; `reload()` re-read /rooms. */
export function createRooms({ api, root, ask, reload }) {
  const cards = new Map();
  const list = $("rooms");

  function button(text, cls = "btn btn-small") {
    const b = el("button", cls, text);
    b.type = "button";
    return b;
  }

  function card(r) {
    const li = el("li", "room");
    li.dataset.room = r.id;
    const head = el("div", "room-head");
    const title = el("h3", "room-name");
    const badges = el("span", "badges");
    head.append(title, badges);
    const counts = el("p", "room-counts");
    counts.setAttribute("aria-live", "off");
    const meta = el("p", "room-meta");
    const error = el("p", "form-error");
    error.setAttribute("role", "alert");

    const open = button("Open chat", "btn btn-small btn-primary");
    const keysBtn = button("Keys");
    keysBtn.setAttribute("aria-expanded", "false");
    const renameBtn = button("Rename");
    const close = button("Close room", "btn btn-small btn-danger");
    const actions = el("div", "row room-actions");
    actions.append(open, keysBtn, renameBtn, close);

    const rename = el("form", "row rename");
    rename.hidden = true;
    const input = /** @type {HTMLInputElement} */ (el("input"));
    Object.assign(input, { type: "text", maxLength: 80, autocomplete: "off" });
    input.setAttribute("aria-label", "New title");
    const save = el("button", "btn btn-small btn-primary", "Save");
    save.type = "submit";
    const cancel = button("Cancel");
    rename.append(input, save, cancel);

    li.append(head, counts, meta, actions, rename, error);
    const c = { li, title, badges, counts, meta, error, open, keysBtn, renameBtn, close, rename, input, keys: null, info: r };
    cards.set(r.id, c);
    list.append(li);

    const fail = (e) => (error.textContent = e instanceof ApiError ? e.message : "The server did not answer; try again.");

    open.addEventListener("click", async () => {
      // A one-time host link code for that room: the chat page trades it for the host token, and the copy of the
      // address the browser's history keeps opens nothing (README "Link codes").
      open.disabled = true;
      error.textContent = "";
      try {
        const { code } = await api(`r/${r.id}/host/links`, { method: "POST", body: { kind: "host" } });
        location.assign(`${root}${c.info.default ? "" : `r/${r.id}/`}#code=${encodeURIComponent(code)}`);
      } catch (e) {
        fail(e);
      } finally {
        open.disabled = false;
      }
    });

    keysBtn.addEventListener("click", () => {
      const opening = !c.keys || c.keys.el.hidden;
      if (!c.keys) {
        c.keys = createKeys({ room: () => c.info, api, ask, changed: reload });
        li.append(c.keys.el);
      }
      c.keys.el.hidden = !opening;
      keysBtn.setAttribute("aria-expanded", String(opening));
      keysBtn.textContent = opening ? "Hide keys" : "Keys";
      if (opening) c.keys.refresh();
    });

    renameBtn.addEventListener("click", () => {
      rename.hidden = !rename.hidden;
      if (!rename.hidden) {
        input.value = c.info.title;
        input.focus();
        input.select();
      }
    });
    cancel.addEventListener("click", () => (rename.hidden = true));
    rename.addEventListener("submit", async (e) => {
      e.preventDefault();
      const t = input.value.trim();
      if (!t || save.disabled) return;
      save.disabled = true;
      error.textContent = "";
      try {
        const { title: now } = await api(`r/${r.id}/host/title`, { method: "POST", body: { title: t } });
        c.info = { ...c.info, title: now };
        title.textContent = now;
        rename.hidden = true;
        renameBtn.focus();
      } catch (err) {
        fail(err);
      } finally {
        save.disabled = false;
      }
    });

    close.addEventListener("click", async () => {
      if (close.disabled) return;
      const i = c.info;
      const yes = await ask({
        title: `Close “${i.title}”?`,
        what: `The room closes for everyone in it now (${plural(i.participants, "participant")}, ${plural(i.online, "online", "online")}): their streams end, its messages are gone, and every link and invite key of it stops working (410 ROOM_CLOSED). This cannot be undone.`,
        action: `Close “${i.title}”`,
      });
      if (!yes) return;
      close.disabled = true; // one close per confirmation
      error.textContent = "";
      try {
        await api(`r/${r.id}`, { method: "DELETE" });
        drop(r.id);
      } catch (e) {
        if (e instanceof ApiError && e.code === "ROOM_CLOSED") drop(r.id);
        else {
          fail(e);
          close.disabled = false;
        }
      }
      reload();
    });
    return c;
  }

  function draw(r) {
    const c = cards.get(r.id) ?? card(r);
    c.info = r;
    if (document.activeElement !== c.input) c.title.textContent = r.title;
    c.badges.textContent = "";
    const tags = [];
    if (r.default) tags.push(["default", "the room serve started: also at the root URL"]);
    if (r.keysOnly) tags.push(["keys only", "joined with invite keys only"]);
    if (r.paused) tags.push([r.paused === "loop" ? "paused (loop)" : "paused", "agents' messages are refused"]);
    for (const [t, why] of tags) {
      const b = el("span", "badge", t);
      b.title = why;
      c.badges.append(b);
    }
    c.li.dataset.participants = String(r.participants);
    c.li.dataset.messages = String(r.messages);
    c.counts.textContent = `${plural(r.participants, "person", "people")} · ${r.online} online · ${plural(r.messages, "message")} · ${plural(r.keys, "key")}`;
    c.meta.textContent = `id ${r.id}`;
    c.close.hidden = !!r.default;
  }

  function drop(id) {
    const c = cards.get(id);
    if (!c) return;
    c.li.remove();
    cards.delete(id);
  }

  return {
    /** Draw GET /rooms's answer: cards updated in place, new ones appended, closed ones removed. */
    render(rooms) {
      const seen = new Set(rooms.map((r) => r.id));
      for (const id of [...cards.keys()]) if (!seen.has(id)) drop(id);
      for (const r of rooms) draw(r);
      $("rooms-count").textContent = String(rooms.length);
    },
    /** Refresh the keys lists that are open (bounded: one GET per open list per tick). */
    refreshKeys() {
      return Promise.all([...cards.values()].filter((c) => c.keys && !c.keys.el.hidden).map((c) => c.keys.refresh()));
    },
    /** Open a room's keys (after creating it). */
    openKeys(id) {
      const c = cards.get(id);
      if (!c) return;
      if (!c.keys || c.keys.el.hidden) c.keysBtn.click();
      c.li.scrollIntoView({ block: "start" });
      c.keys?.focus();
    },
  };
}
