// Who a WebSocket `join` makes the socket, by the rules of POST /join (src/server/room-routes.ts): an invite key is
// claimed (its name pinned at first use; a key already joined continues as its participant), a token is its
// participant, the password or the host token with a name joins that name (the room's member cap applies), and
// without a name the socket only reads.
import type { IncomingMessage } from "node:http";
import { checkName } from "../../protocol/names.js";
import type { ClientFrame } from "../../protocol/ws.js";
import type { WsSocket } from "./socket.js";
import type { Participant } from "../../room/index.js";
import type { HostedRoom, Rooms } from "../../rooms/index.js";
import type { Caller } from "../auth.js";
import { claimKey, keyParticipant } from "../keys.js";

export type Admit = (caller: Caller, name: unknown, kind: "agent" | "human" | undefined) => { participant: Participant; token?: string } | undefined;

export function roomAdmission(rooms: Rooms, hosted: HostedRoom): Admit {
  return (caller, name, kind) => {
    if (caller.key && caller.keySecret) {
      // A key already joined (a reconnect, a second device of the same agent) continues as its participant, as
      // the event stream does with the key; POST /join's new session (which stops the key's earlier token) only
      // when no one holds the key's name now, or another name is asked for.
      const current = keyParticipant(hosted, caller.key);
      if (current && (name === undefined || name === current.name)) return { participant: current };
      return claimKey({ rooms }, hosted, caller.key, name, kind, caller.origin);
    }
    if (caller.participant) return { participant: caller.participant, token: caller.token };
    if (name === undefined) return undefined;
    const n = checkName(name);
    rooms.checkRoomFor(hosted, n);
    // "human" is a claim unless the host stands behind it (host token, human link session); joins are limited by the
    // caller's credential and address, as POST /join's are.
    return hosted.room.join(n, { kind: kind ?? "agent", vouched: caller.host || !!caller.humanSession, host: caller.host }, caller.token, caller.origin);
  };
}

export const NO_QUERY = new URLSearchParams();

/** The join frame's credential as the HTTP request the shared auth reads (one auth path for every transport). */
export function credentialRequest(sock: WsSocket, f: Extract<ClientFrame, { type: "join" }>): IncomingMessage {
  const headers: Record<string, string> = {};
  for (const h of ["cf-connecting-ip", "x-forwarded-for"]) {
    const v = sock.header(h);
    if (v !== undefined) headers[h] = v;
  }
  const bearer = f.token ?? f.key;
  if (bearer !== undefined) headers.authorization = `Bearer ${bearer}`;
  else if (f.password !== undefined) headers["x-room-password"] = f.password;
  return { headers, socket: { remoteAddress: sock.remoteAddress } } as unknown as IncomingMessage;
}
