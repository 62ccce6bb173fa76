// Shared by the identity suites: a key, a join with a real proof, and a signed post — made with the same
// protocol/signing.ts the CLI uses, over real HTTP to a real room.
import { randomBytes } from "node:crypto";
import { generateKeyPair, joinPayload, messagePayload, privateKeyObject, signBytes, type KeyPair } from "../../src/protocol/signing.js";
import type { Message } from "../../src/protocol/types.js";
import type { TestRoom } from "../support/room.js";

export const newKey = (): KeyPair => generateKeyPair();
export const signWith = (kp: KeyPair, data: string) => signBytes(data, privateKeyObject(kp));

export async function challenge(room: TestRoom, name: string): Promise<{ challenge: string; room: string }> {
  const r = await room.api("/challenge", { method: "POST", json: { name } });
  if (r.status !== 201) throw new Error(`challenge: ${r.status} ${await r.text()}`);
  return (await r.json()) as { challenge: string; room: string };
}

/** The identity block of a join body, signed for `room` (override any signed field to forge one). */
export async function proof(room: TestRoom, name: string, kp: KeyPair, o: { url?: string; roomId?: string; challenge?: string } = {}) {
  const c = o.challenge ? { challenge: o.challenge, room: o.roomId ?? "" } : await challenge(room, name);
  const url = o.url ?? room.url;
  const sig = signWith(kp, joinPayload({ room: o.roomId ?? c.room, url, name, challenge: c.challenge }));
  return { key: kp.key, challenge: c.challenge, sig, url };
}

export async function joinWithKey(room: TestRoom, name: string, kp: KeyPair, kind = "agent") {
  const r = await room.api("/join", { method: "POST", json: { name, kind, identity: await proof(room, name, kp) } });
  const body = (await r.json()) as { token: string; participant: { name: string; fingerprint?: string }; room: { id: string }; error?: { code: string } };
  return { status: r.status, ...body };
}

/** The newest message's chain position, as a client signs it. */
export async function lastHash(room: TestRoom, token: string): Promise<{ prev: string; prevId: number }> {
  const { messages } = (await (await room.api("/messages?limit=20", { token })).json()) as { messages: Message[] };
  const m = messages.filter((x) => x.hash).at(-1);
  return { prev: m?.hash ?? "", prevId: m?.id ?? 0 };
}

export async function signedBody(room: TestRoom, token: string, kp: KeyPair, o: { roomId: string; name: string; text: string; replyTo?: number; to?: string; sentAt?: string; nonce?: string }) {
  const fields = { sentAt: o.sentAt ?? new Date().toISOString(), nonce: o.nonce ?? randomBytes(16).toString("base64url"), ...(await lastHash(room, token)) };
  const sig = signWith(kp, messagePayload({ room: o.roomId, name: o.name, text: o.text, replyTo: o.replyTo, to: o.to, ...fields }));
  return { text: o.text, ...(o.replyTo === undefined ? {} : { replyTo: o.replyTo }), ...(o.to === undefined ? {} : { to: o.to }), ...fields, sig };
}

export async function post(room: TestRoom, token: string, body: unknown) {
  const r = await room.api("/messages", { method: "POST", token, json: body });
  return { status: r.status, body: (await r.json()) as { message: Message; error: { code: string; message: string } } };
}
