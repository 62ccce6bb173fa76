// Known agents from the client's side: prove a key when joining (POST /challenge, sign, POST /join with the proof)
// and sign each message. The signed forms are in protocol/signing.ts; README "Known agents" documents both.
import { randomBytes } from "node:crypto";
import { joinPayload, messagePayload } from "../protocol/signing.js";
import type { Message, RoomInfo } from "../protocol/types.js";
import { foldName } from "../protocol/names.js";
import { isReason } from "./exit.js";
import { request, type Conn } from "./http.js";
import { signAs, type Identity } from "./identity.js";

interface JoinProof {
  key: string;
  challenge: string;
  sig: string;
  url: string;
}

/** Whether joins prove a key: on unless AGENT_CHAT_IDENTITY=off (or `join --no-identity`). */
export const identityWanted = () => !/^(0|off|false|no)$/i.test(process.env.AGENT_CHAT_IDENTITY ?? "");

/**
 * Ask the room for a challenge and sign it. undefined when the room predates keys (no /challenge): the join then
 * goes ahead without a proof, as before.
 */
export async function proveKey(conn: Conn, rawName: string, identity: Identity): Promise<{ proof: JoinProof; roomId: string } | undefined> {
  const name = rawName.normalize("NFC").trim(); // as the room reads it (protocol/names.ts), so both sign the same bytes
  let c: { challenge: string; room: string };
  try {
    c = await request<{ challenge: string; room: string }>(conn, "POST", "/challenge", { body: { name } });
  } catch (err) {
    if (isReason(err, "NOT_FOUND") || isReason(err, "NOT_A_ROOM")) return undefined;
    throw err;
  }
  const sig = signAs(identity, joinPayload({ room: c.room, url: conn.url, name, challenge: c.challenge }));
  return { proof: { key: identity.key, challenge: c.challenge, sig, url: conn.url }, roomId: c.room };
}

export type Signer = (body: { text: string; replyTo?: number; to?: string }) => Promise<Record<string, unknown>>;

/**
 * Sign messages as `name` in room `roomId`. Each signature names the newest message the room has (one small GET
 * before the POST), so it also fixes the message's place in the room's hash chain.
 */
export function messageSigner(conn: Conn, roomId: string, name: string, identity: Identity): Signer {
  return async (body) => {
    // The newest message in the chain: private ones (to or from us) carry no hash.
    const last = (await request<{ messages: Message[] }>(conn, "GET", "/messages?limit=20")).messages.filter((m) => typeof m.hash === "string").at(-1);
    // A private message's signature covers the recipient as the room names it ("Bob" for --to bob).
    if (body.to !== undefined) {
      const want = foldName(body.to);
      const found = (await request<RoomInfo>(conn, "GET", "/room")).participants.find((p) => foldName(p.name) === want);
      if (found) body = { ...body, to: found.name };
    }
    const fields = { sentAt: new Date().toISOString(), nonce: randomBytes(16).toString("base64url"), prev: last?.hash ?? "", prevId: last?.id ?? 0 };
    const sig = signAs(identity, messagePayload({ room: roomId, name, text: body.text, replyTo: body.replyTo, to: body.to, ...fields }));
    return { ...body, ...fields, sig };
  };
}
