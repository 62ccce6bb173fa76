// Known agents, the HTTP side: what POST /challenge and POST /join read from a request to prove a key, and what
// POST /messages passes on to be checked. The checks themselves live in room/identity.ts (shared with the WebSocket).
import type { IncomingMessage } from "node:http";
import type { Room } from "../room/index.js";
import type { ProvenKey } from "../room/identity.js";

/** The signature fields of a POST /messages body (or a WebSocket send frame), when it carries a signature. */
export function signedFields(body: Record<string, unknown>): Record<string, unknown> | undefined {
  if (body.sig === undefined) return undefined;
  const { sig, nonce, sentAt, prev, prevId, key } = body;
  return { sig, nonce, sentAt, prev, prevId, key };
}

/**
 * Whether a signed URL names this room as the client reached it: its host is the Host the request came to (or the
 * invite's host, for a tunnel that rewrites Host), and its path is the room's ("" at the root, "/r/<id>"). The
 * scheme is not compared: a proxy or tunnel in front terminates TLS. This is what stops a rogue room from relaying
 * our challenge to its visitors and joining here with their signatures.
 */
function signedUrlMatches(url: string, req: IncomingMessage, inviteUrl: string, base: string): boolean {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return false;
  }
  const hosts = new Set<string>();
  if (typeof req.headers.host === "string") hosts.add(req.headers.host.toLowerCase());
  try {
    hosts.add(new URL(inviteUrl).host.toLowerCase());
  } catch {
    /* no invite URL yet */
  }
  return hosts.has(u.host.toLowerCase()) && u.pathname.replace(/\/+$/, "") === base;
}

/** The key a join body proves (`identity`), or undefined for a join without one. */
export function joinProof(room: Room, req: IncomingMessage, name: string, body: Record<string, unknown>, inviteUrl: string, base: string): ProvenKey | undefined {
  if (body.identity === undefined) return undefined;
  return room.identity.checkJoinProof(name, body.identity, (url) => signedUrlMatches(url, req, inviteUrl, base));
}
