// Known agents on the page: the signed forms of src/protocol/signing.ts, byte for byte, with WebCrypto in place of
// node:crypto (test/page/signing.test.ts checks each form and the fingerprint against the server's own). Pure: no
// DOM, no storage, so Node runs it too. README "Known agents".

export const JOIN_TAG = "agent-chat/join/v1";
export const MESSAGE_TAG = "agent-chat/message/v1";

// Crockford's base32, lower case, as the server writes fingerprints.
const B32 = "0123456789abcdefghjkmnpqrstvwxyz";

/** Bytes → base64url without padding (the wire form of keys, signatures and nonces). */
export function b64url(bytes) {
  let s = "";
  for (const b of new Uint8Array(bytes)) s += String.fromCharCode(b);
  return btoa(s).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

/** base64url → bytes. */
export function fromB64url(text) {
  const s = atob(String(text).replace(/-/g, "+").replace(/_/g, "/"));
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}

/** The key's short name: the first 80 bits of SHA-256(raw key) in 4 groups of 4 (e.g. "7kqm-2x9d-h3ta-8e1v"). */
export async function fingerprint(key) {
  const bytes = new Uint8Array(await crypto.subtle.digest("SHA-256", fromB64url(key)));
  let bits = 0;
  let value = 0;
  let out = "";
  for (let i = 0; out.length < 16; ) {
    if (bits < 5) {
      value = ((value << 8) | bytes[i++]) & 0xffff; // only the low bits are ever read
      bits += 8;
    }
    out += B32[(value >> (bits - 5)) & 31];
    bits -= 5;
  }
  return out.match(/.{4}/g).join("-");
}

/** What a joining page signs: the room's single-use challenge, bound to the room id, the URL it used and the name. */
export const joinPayload = (o) => JSON.stringify([JOIN_TAG, o.room, o.url, o.name, o.challenge]);

/** What the page signs for each message; `name` as the room registered it (the join answer's). */
export const messagePayload = (o) =>
  JSON.stringify([MESSAGE_TAG, o.room, o.name, o.text, o.sentAt, o.nonce, o.prevId, o.prev, o.replyTo ?? null, o.to ?? null]);

/** A fresh nonce: 16 random bytes, base64url (22 characters; the room accepts 16-64). */
export const newNonce = () => b64url(crypto.getRandomValues(new Uint8Array(16)));

/** The name as the room reads it (protocol/names.ts checkName: NFC, trimmed), so both sides sign the same bytes. */
export const roomName = (name) => String(name).normalize("NFC").trim();

/** The newest message of `list` that is in the room's hash chain (private ones carry no hash): what `prev` names. */
export function chainHead(list) {
  for (let i = list.length - 1; i >= 0; i--) {
    const m = list[i];
    if (m && typeof m.hash === "string" && Number.isSafeInteger(m.id)) return { prev: m.hash, prevId: m.id };
  }
  return { prev: "", prevId: 0 };
}
