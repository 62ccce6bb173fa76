// The page's identity (README "Known agents"): an Ed25519 key per name for this site, made by WebCrypto on first
// use and kept in this browser profile (keystore.js), with which the page proves its key when joining (POST
// challenge, sign, POST join) and signs every message it sends, as `agent-chat join/send` do (src/client/signer.ts).
// Where the browser cannot keep a key — no secure context (plain http on a LAN address: crypto.subtle is undefined
// there), no Ed25519 in WebCrypto, no IndexedDB — the page joins unsigned, as before, and says so.
import { fingerprint, joinPayload, messagePayload, newNonce, roomName, b64url } from "./signing.js";
import { addKey, loadKey } from "./keystore.js";
import { foldName } from "./render.js";

const ALG = { name: "Ed25519" };

/** Why this browser cannot keep a key here: one short line for the person. */
export const REASONS = {
  insecure: "this page is not a secure context (it needs https, or localhost)",
  "no-ed25519": "this browser has no Ed25519 in WebCrypto",
  storage: "this browser does not let the page store a key (private mode, or site data blocked)",
};

/** What names a key in the store: the name folded as the page folds names (render.js foldName). */
const storeId = (name) => "name:" + foldName(roomName(name));

let support = null;

/** "" when keys work here, else a key of REASONS. Probed once: one throwaway key, never stored. */
export function keySupport() {
  support ??= (async () => {
    if (!globalThis.isSecureContext || !globalThis.crypto?.subtle) return "insecure";
    if (!globalThis.indexedDB) return "storage";
    try {
      await crypto.subtle.generateKey(ALG, false, ["sign", "verify"]);
      return "";
    } catch {
      return "no-ed25519";
    }
  })();
  return support;
}

/**
 * This profile's key for `name`, made and stored now if there is none. Resolves to { name, key, fingerprint, sign }
 * or throws { reason } (a key of REASONS).
 */
export async function pageKey(name) {
  const why = await keySupport();
  if (why) throw Object.assign(new Error(REASONS[why]), { reason: why });
  const id = storeId(name);
  let rec;
  try {
    rec = await loadKey(id);
    if (!rec) {
      const pair = await crypto.subtle.generateKey(ALG, false, ["sign", "verify"]);
      const key = b64url(await crypto.subtle.exportKey("raw", pair.publicKey));
      rec = await addKey(id, { name: roomName(name), key, privateKey: pair.privateKey, createdAt: new Date().toISOString() });
    }
  } catch {
    throw Object.assign(new Error(REASONS.storage), { reason: "storage" });
  }
  const fp = await fingerprint(rec.key);
  return {
    name: rec.name,
    key: rec.key,
    fingerprint: fp,
    /** Sign a string (its UTF-8 bytes): the signature, base64url. */
    sign: async (data) => b64url(await crypto.subtle.sign(ALG, rec.privateKey, new TextEncoder().encode(data))),
  };
}

/**
 * Prove `k` for joining as `name` with credential `cred`: ask the room for a challenge and sign it, bound to the room
 * id and the room's URL as this page reaches it (`roomUrl`, no trailing slash). Returns the join body's `identity`
 * and the room id signatures are bound to.
 */
export async function proveKey(api, k, name, cred, roomUrl) {
  const n = roomName(name);
  const c = await api("challenge", { method: "POST", body: { name: n }, token: cred });
  const sig = await k.sign(joinPayload({ room: c.room, url: roomUrl, name: n, challenge: c.challenge }));
  return { identity: { key: k.key, challenge: c.challenge, sig, url: roomUrl }, roomId: c.room };
}

/**
 * A signer for messages sent as `name` (the name the room registered) in room `roomId`: adds sentAt, a fresh nonce,
 * prev/prevId (`head` names the newest message in the chain) and the signature to a POST /messages body. `skewMs`:
 * how far the room's clock is ahead of this device's (a phone set to the wrong time), added to sentAt.
 */
export function messageSigner(k, roomId, name) {
  return async (body, head, skewMs = 0) => {
    const fields = { sentAt: new Date(Date.now() + skewMs).toISOString(), nonce: newNonce(), prev: head.prev, prevId: head.prevId };
    const sig = await k.sign(messagePayload({ room: roomId, name, text: body.text, replyTo: body.replyTo, to: body.to, ...fields }));
    return { ...body, ...fields, sig };
  };
}
