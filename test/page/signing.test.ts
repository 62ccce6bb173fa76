// The page signs what the room checks: public/signing.js must produce the exact bytes of src/protocol/signing.ts
// (fingerprint, join and message forms), and a WebCrypto Ed25519 signature over them must pass the server's check.
import { describe, expect, it } from "vitest";
import * as server from "../../src/protocol/signing.js";
import * as page from "../../public/signing.js";

const hostile = ["plain", "", "quote \" backslash \\ newline \n tab \t", "émoji 🦊 and RTL \u202e", "\u0000\u001f", "a".repeat(5000)];

describe("the page's signed forms", () => {
  it("fingerprints every key as the server does", async () => {
    for (let i = 0; i < 50; i++) {
      const { key } = server.generateKeyPair();
      expect(await page.fingerprint(key)).toBe(server.fingerprint(key));
    }
  });

  it("writes join and message forms byte for byte like the server, for any text and optional field", () => {
    for (const text of hostile) {
      const j = { room: "r00m" + text, url: "https://x.example/r/abc", name: "Ana " + text, challenge: "acc_" + text };
      expect(page.joinPayload(j)).toBe(server.joinPayload(j));
      for (const extra of [{}, { replyTo: 7 }, { to: "Bob" }, { replyTo: 0, to: text }]) {
        const m = { room: "r", name: "Ana", text, sentAt: "2026-12-01T17:00:00.000Z", nonce: "n".repeat(22), prev: "h" + text, prevId: 41, ...extra };
        expect(page.messagePayload(m)).toBe(server.messagePayload(m));
      }
    }
  });

  it("base64url round-trips, nonces fit the room's rule, and the chain head skips private messages", () => {
    const bytes = new Uint8Array(256).map((_, i) => i);
    expect(page.b64url(bytes)).toBe(Buffer.from(bytes).toString("base64url"));
    expect([...page.fromB64url(page.b64url(bytes))]).toEqual([...bytes]);
    for (let i = 0; i < 20; i++) expect(page.newNonce()).toMatch(server.NONCE_RE);
    expect(page.chainHead([{ id: 1, hash: "a" }, { id: 2, hash: "b" }, { id: 3 }])).toEqual({ prev: "b", prevId: 2 });
    expect(page.chainHead([])).toEqual({ prev: "", prevId: 0 });
    expect(page.roomName("  Zoe\u0301 ")).toBe("Zoé");
  });

  it("a WebCrypto Ed25519 signature over the page's form passes the server's verify", async () => {
    const pair = (await crypto.subtle.generateKey({ name: "Ed25519" }, false, ["sign", "verify"])) as CryptoKeyPair;
    const key = page.b64url(await crypto.subtle.exportKey("raw", pair.publicKey));
    expect(key).toMatch(server.KEY_RE);
    const form = page.messagePayload({ room: "r", name: "Ana", text: "hé 🦊", sentAt: "t", nonce: "n", prev: "", prevId: 0 });
    const sig = page.b64url(await crypto.subtle.sign({ name: "Ed25519" }, pair.privateKey, new TextEncoder().encode(form)));
    expect(server.verifyBytes(form, sig, key)).toBe(true);
    expect(server.verifyBytes(form.replace("Ana", "Bob"), sig, key)).toBe(false);
  });
});
