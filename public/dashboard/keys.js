// One room's invite keys on the dashboard: mint a key (label; optional name, kind, joins, expiry), then its block,
// link and QR code — shown once, as the server shows the secret once — and the room's keys with who claimed each and
// when, each revocable after a confirmation. The list is updated in place (rows never move under a finger).
import { ApiError } from "../api.js";
import { el } from "../dom.js";
import { copyText, flash } from "./clip.js";

const EXPIRY = [["", "Never expires"], ["3600", "Expires in 1 hour"], ["86400", "Expires in 1 day"], ["604800", "Expires in 7 days"]];

const time = (iso) => new Date(iso).toLocaleString([], { month: "short", day: "numeric", hour: "numeric", minute: "2-digit" });

/** What a key is now, in one or two words. */
export function keyState(k) {
  if (k.revoked) return "revoked";
  if (k.expired) return "expired";
  if (k.uses !== null && k.used >= k.uses) return "used up";
  return "active";
}

function field(labelText, input) {
  const label = el("label", "field field-small");
  label.append(el("span", "field-label", labelText), input);
  return label;
}

/**
 * `room()` the room's current {id, title}; `api` the host's API caller; `ask` the confirmation; `changed()` called
 * after a mint or a revoke (the room's key count moved).
 */
export function createKeys({ room, api, ask, changed }) {
  const id = room().id;
  const box = el("div", "keys");
  box.id = `keys-${id}`;

  // ---- mint ----
  const form = el("form", "mint");
  form.noValidate = true;
  const label = /** @type {HTMLInputElement} */ (el("input"));
  Object.assign(label, { type: "text", maxLength: 80, placeholder: "e.g. reviewer bot", autocomplete: "off", required: true, name: "label" });
  const name = /** @type {HTMLInputElement} */ (el("input"));
  Object.assign(name, { type: "text", maxLength: 40, placeholder: "set at first join", autocomplete: "off", name: "name", spellcheck: false });
  name.autocapitalize = "off";
  const kind = /** @type {HTMLSelectElement} */ (el("select"));
  kind.name = "kind";
  for (const k of ["agent", "human"]) kind.append(new Option(k, k));
  const uses = /** @type {HTMLInputElement} */ (el("input"));
  Object.assign(uses, { type: "number", min: "1", step: "1", inputMode: "numeric", placeholder: "any", name: "uses" });
  const expires = /** @type {HTMLSelectElement} */ (el("select"));
  expires.name = "expiresIn";
  for (const [v, t] of EXPIRY) expires.append(new Option(t, v));
  const mintBtn = el("button", "btn btn-primary", "Mint key");
  mintBtn.type = "submit";
  const mintError = el("p", "form-error");
  mintError.setAttribute("role", "alert");
  const more = el("div", "mint-more");
  more.append(field("Name (optional)", name), field("Kind", kind), field("Joins allowed", uses), field("Expiry", expires));
  form.append(el("h3", "dash-h3", "Mint an invite key"), field("Label (who it is for)", label), more, mintError, mintBtn);

  // ---- the key just minted: its secret is here and nowhere else ----
  const fresh = el("div", "fresh");
  fresh.hidden = true;
  const freshWhat = el("p", "fresh-what");
  const block = /** @type {HTMLTextAreaElement} */ (el("textarea", "invite-text"));
  block.readOnly = true;
  block.rows = 6;
  block.setAttribute("aria-label", "The key's invite block");
  const copyBlock = el("button", "btn btn-small", "Copy block");
  const copyLink = el("button", "btn btn-small", "Copy link");
  const qrBtn = el("button", "btn btn-small", "Show QR code");
  const done = el("button", "btn btn-small", "Done");
  for (const b of [copyBlock, copyLink, qrBtn, done]) b.type = "button";
  qrBtn.setAttribute("aria-expanded", "false");
  const qrBox = el("div", "qr-box");
  qrBox.hidden = true;
  const qrImg = /** @type {HTMLImageElement} */ (el("img", "qr"));
  qrBox.append(qrImg);
  const actions = el("div", "row");
  actions.append(copyBlock, copyLink, qrBtn, done);
  fresh.append(freshWhat, block, actions, qrBox);

  // ---- the room's keys ----
  const list = el("ul", "key-list");
  list.setAttribute("aria-label", "Invite keys");
  const empty = el("p", "hint", "No keys yet.");
  const listError = el("p", "form-error");
  listError.setAttribute("role", "alert");
  box.append(form, fresh, el("h3", "dash-h3", "Keys"), empty, list, listError);

  let minted = null; // { key, link, invite, label }
  let qrUrl = null;
  let busy = false;

  function clearFresh() {
    minted = null;
    block.value = "";
    fresh.hidden = true;
    qrBox.hidden = true;
    qrBtn.textContent = "Show QR code";
    qrBtn.setAttribute("aria-expanded", "false");
    if (qrUrl) URL.revokeObjectURL(qrUrl);
    qrUrl = null;
    qrImg.removeAttribute("src");
  }

  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    if (busy) return;
    mintError.textContent = "";
    const body = { label: label.value.trim() };
    if (!body.label) {
      mintError.textContent = "Give the key a label: who is it for?";
      label.focus();
      return;
    }
    if (name.value.trim()) body.name = name.value.trim();
    body.kind = kind.value;
    if (uses.value) body.uses = Number(uses.value);
    if (expires.value) body.expiresIn = Number(expires.value);
    busy = true;
    mintBtn.disabled = true;
    try {
      const r = await api(`r/${id}/keys`, { method: "POST", body });
      clearFresh();
      minted = { key: r.key, link: r.link, invite: r.invite, label: body.label };
      freshWhat.textContent = `Key “${body.label}” is ready. Copy it now: the dashboard shows its secret only this once.`;
      block.value = r.invite;
      fresh.hidden = false;
      label.value = name.value = uses.value = "";
      expires.value = "";
      changed();
      await refresh();
      copyBlock.focus();
    } catch (err) {
      mintError.textContent = err instanceof ApiError ? err.message : "The server did not answer; try again.";
    } finally {
      busy = false;
      mintBtn.disabled = false;
    }
  });

  copyBlock.addEventListener("click", () => minted && copyText(copyBlock, minted.invite));
  copyLink.addEventListener("click", () => minted && copyText(copyLink, minted.link));
  done.addEventListener("click", clearFresh);
  qrBtn.addEventListener("click", async () => {
    if (!minted) return;
    if (!qrBox.hidden) {
      qrBox.hidden = true;
      qrBtn.textContent = "Show QR code";
      qrBtn.setAttribute("aria-expanded", "false");
      return;
    }
    try {
      // Asked with the key itself: the server then draws that key's link, never the room password.
      const svg = await api(`r/${id}/qr.svg`, { as: "blob", token: minted.key });
      if (qrUrl) URL.revokeObjectURL(qrUrl);
      qrUrl = URL.createObjectURL(new Blob([svg], { type: "image/svg+xml" }));
      qrImg.src = qrUrl;
      qrImg.alt = `QR code of the link for key “${minted.label}” (it carries the key)`;
      qrBox.hidden = false;
      qrBtn.textContent = "Hide QR code";
      qrBtn.setAttribute("aria-expanded", "true");
    } catch {
      flash(qrBtn, "QR not available", false);
    }
  });

  // ---- list, in place ----
  const rows = new Map();

  function row(k) {
    const li = el("li", "key");
    li.dataset.keyId = k.keyId;
    const head = el("div", "key-head");
    const title = el("span", "key-label");
    const state = el("span", "badge");
    head.append(title, state);
    const who = el("p", "key-who");
    const meta = el("p", "key-meta");
    const revoke = el("button", "btn btn-small btn-danger", "Revoke");
    revoke.type = "button";
    revoke.addEventListener("click", () => askRevoke(k.keyId));
    li.append(head, who, meta, revoke);
    const r = { li, title, state, who, meta, revoke, info: k };
    rows.set(k.keyId, r);
    list.append(li);
    return r;
  }

  function draw(k) {
    const r = rows.get(k.keyId) ?? row(k);
    r.info = k;
    const s = keyState(k);
    r.title.textContent = k.label;
    r.state.textContent = s;
    r.state.className = `badge state-${s.replace(" ", "-")}`;
    r.li.dataset.state = s;
    r.who.textContent = k.claimedBy
      ? `Claimed by ${k.claimedBy}${k.claimedAt ? ` on ${time(k.claimedAt)}` : ""}`
      : k.name ? `For ${k.name} · not claimed yet` : "Not claimed yet";
    const bits = [`${k.kind ?? "agent"}`, `joins ${k.used}${k.uses !== null ? ` of ${k.uses}` : ""}`, `made ${time(k.createdAt)}`];
    if (k.expiresAt && !k.expired) bits.push(`expires ${time(k.expiresAt)}`);
    r.meta.textContent = bits.join(" · ");
    r.revoke.hidden = k.revoked;
    r.revoke.setAttribute("aria-label", `Revoke key ${k.label}`);
  }

  async function askRevoke(keyId) {
    const r = rows.get(keyId);
    if (!r || r.revoke.disabled) return;
    const k = r.info;
    const who = k.claimedBy ?? k.name;
    const yes = await ask({
      title: `Revoke key “${k.label}”?`,
      what: `${who ? `${who} is cut off at once` : "Nobody can join with it any more"}: the key and every session joined with it stop working (their streams end, their next request is refused with 403). This cannot be undone; the name is not barred, so a new key may carry it.`,
      action: `Revoke “${k.label}”`,
    });
    if (!yes) return;
    r.revoke.disabled = true;
    listError.textContent = "";
    try {
      await api(`r/${id}/keys/${encodeURIComponent(keyId)}`, { method: "DELETE" });
      changed();
    } catch (err) {
      listError.textContent = err instanceof ApiError ? err.message : "The server did not answer; the key may still work. Try again.";
    } finally {
      r.revoke.disabled = false;
      await refresh();
    }
  }

  /** Read the room's keys again and draw them (called on open and on every dashboard tick while open). */
  async function refresh() {
    try {
      const { keys } = await api(`r/${id}/keys`);
      for (const k of keys) draw(k);
      empty.hidden = keys.length > 0;
      listError.textContent = "";
    } catch (err) {
      if (err instanceof ApiError && err.code === "ROOM_CLOSED") return;
      listError.textContent = err instanceof ApiError ? err.message : "The server did not answer; the list may be out of date.";
    }
  }

  return { el: box, refresh, focus: () => label.focus() };
}
