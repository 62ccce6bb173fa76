// Who the page is in the room, by key (README "Known agents"): the join with this profile's key proof, the signing
// of every message the page sends, the line under the message box that says "Signed as <fingerprint>" or, honestly,
// why the page cannot sign here, and the join card's words for a name held by another key or a room that admits
// keys only.
import { ApiError } from "./api.js";
import { $ } from "./dom.js";
import { chainHead } from "./signing.js";
import { REASONS, messageSigner, pageKey, proveKey } from "./page-key.js";

/** Invite keys (ak_…) are credentials by themselves, and may carry their own name. */
const isInviteKey = (cred) => typeof cred === "string" && cred.startsWith("ak_");

/** `api`; `roomUrl` the room's address as this page reaches it, without a trailing slash (what a join proof signs). */
export function createPageIdentity({ api, roomUrl }) {
  let signer = null; // (body, head) => signed body, while the room knows this page by its key
  let mine = null; // { fingerprint, name } of that key
  let why = ""; // why messages go unsigned: a key of REASONS, "host", or "" (a room without keys, or not joined)
  let lastKey = null; // this profile's key for the last name tried (for the join card's words)
  let skew = 0; // the room's clock minus this device's, once a sentAt was refused

  /**
   * POST join as `name` with credential `cred`, proving this profile's key for the name (made now on first use).
   * `asHost`: the tab holds the host link: joins stay unsigned (the HOST badge is the room's own word, and the
   * host may continue on several devices, each with its own browser key). Returns the join answer.
   */
  async function join(name, cred, { asHost = false } = {}) {
    signer = mine = lastKey = null;
    why = "";
    let k = null;
    if (asHost) why = "host";
    else {
      try {
        k = lastKey = await pageKey(name);
      } catch (e) {
        why = e?.reason ?? "storage";
      }
    }
    let proof = k ? await prove(k, name, cred) : undefined;
    let r;
    try {
      r = await api("join", { method: "POST", body: body(name, proof), token: cred });
    } catch (e) {
      // An invite key that carries its own name: the challenge was for the typed one. Join as the key's name, then
      // prove this profile's key for that name with the participant token just issued.
      if (!(proof && isInviteKey(cred) && e instanceof ApiError && e.code === "BAD_PROOF")) throw e;
      const first = await api("join", { method: "POST", body: body(name), token: cred });
      k = lastKey = await pageKey(first.participant.name).catch(() => null);
      proof = k ? await prove(k, first.participant.name, first.token) : undefined;
      r = proof ? await api("join", { method: "POST", body: body(first.participant.name, proof), token: first.token }) : first;
    }
    if (k && proof && r.participant?.fingerprint === k.fingerprint) {
      signer = messageSigner(k, proof.roomId, r.participant.name);
      mine = { fingerprint: k.fingerprint, name: r.participant.name };
    }
    paint();
    return r;
  }

  /** The join proof, or undefined from a room that predates keys (no challenge route). */
  async function prove(k, name, cred) {
    try {
      return await proveKey(api, k, name, cred, roomUrl);
    } catch (e) {
      if (e instanceof ApiError && (e.status === 404 || e.status === 405)) return undefined;
      throw e;
    }
  }

  /**
   * POST a message, signed while the room knows this page by its key. `held` is what the page holds (prev names
   * its newest message in the chain). A refused signature — the page's newest message is older than the room keeps,
   * or from before a restart — is signed again once over the room's own newest message, as agent-chat send signs.
   */
  async function post(msg, held) {
    const send = (b) => api("messages", { method: "POST", body: b });
    if (!signer) return send(msg);
    try {
      return await send(await signer(msg, chainHead(held), skew));
    } catch (e) {
      if (!(e instanceof ApiError && e.code === "BAD_SIGNATURE")) throw e;
      // sentAt refused: this device's clock is off (the room accepts 5 minutes either way); sign with the room's time.
      if (/sentAt/.test(e.message)) skew = await roomSkew();
      const fresh = await api("messages?limit=20");
      return send(await signer(msg, chainHead(fresh.messages ?? []), skew));
    }
  }

  /** How far the room's clock is ahead of this device's, from the Date header of its health check (0 if unknown). */
  async function roomSkew() {
    try {
      const t0 = Date.now();
      const res = await fetch(new URL("health", location.origin + "/"), { cache: "no-store", credentials: "omit" });
      const at = Date.parse(res.headers.get("date") ?? "");
      return Number.isFinite(at) ? at + 500 - (t0 + Date.now()) / 2 : 0; // the header drops milliseconds: mid-second
    } catch {
      return 0;
    }
  }

  function paint() {
    const line = $("key-line");
    line.hidden = !mine && !REASONS[why];
    line.classList.toggle("unsigned", !mine);
    if (mine) {
      line.textContent = `Signed as ${mine.fingerprint}`;
      line.title = `Your page key for ${mine.name}: the room checks every message you send against it. It lives in this browser profile only; clearing this site's data deletes it.`;
    } else if (REASONS[why]) {
      const needs = why === "storage" ? "its site storage is blocked" : "needs https and Ed25519";
      line.textContent = `Your messages are unsigned: this browser can't keep a key here (${needs}).`;
      line.title = `Unsigned because ${REASONS[why]}. Others see your name without a key.`;
    }
  }

  /** Words for the join card when the room said no for a reason this module knows; "" otherwise. */
  function explain(e, name) {
    if (!(e instanceof ApiError)) return "";
    if (e.code === "NAME_HELD") {
      const here = lastKey ? `This browser's key for it is ${lastKey.fingerprint}, a different one.` : "This browser has no key for it here.";
      return `“${name}” belongs to another key in this room: another browser, device or agent joined with that name first. ${here} Pick another name, or open the room in the browser profile you used then.`;
    }
    if (e.code === "IDENTITY_REQUIRED") {
      const because = REASONS[why] ?? "this page could not prove a key";
      return `This room admits only people and agents with a key, and ${because}. Open the room over https (or at localhost on the host's computer) in a current browser, or join from a terminal with npx agent-chat join.`;
    }
    return "";
  }

  return {
    join,
    post,
    explain,
    /** { fingerprint, name } while the page signs, else null. */
    get signing() { return mine; },
    /** Why the page does not sign ("" when it does, or when the room has no keys). */
    get unsigned() { return why; },
  };
}

const body = (name, proof) => (proof ? { name, kind: "human", identity: proof.identity } : { name, kind: "human" });
