// Each room's transports (SSE, long-poll, WebSocket), attached to every room when it is created — the default room
// included — and ended with the room's own signal when the host closes it (SSE `event: closed`, polls and sockets
// 410 ROOM_CLOSED / 4410).
import { RoomError } from "../protocol/errors.js";
import { WS_CLOSE } from "../protocol/ws.js";
import type { HostedRoom, Rooms } from "../rooms/index.js";
import { revokedError, type InviteKey } from "../rooms/keys.js";
import type { Auth } from "./auth.js";
import { keyParticipant } from "./keys.js";
import { createPollHub, type PollHub } from "./poll.js";
import { createSseHub, type SseHub } from "./sse.js";
import { createWsHub, type WsHub } from "./ws/hub.js";
import { roomAdmission } from "./ws/admit.js";

interface RoomTransports {
  sse: SseHub;
  polls: PollHub;
  ws: WsHub;
}

export function attachTransports(rooms: Rooms, auth: Auth, o: { keepaliveMs: number; maxBufferBytes: number; wsPingMs: number }) {
  const hubs = new Map<HostedRoom, RoomTransports>();
  rooms.onCreate((h) => {
    const t: RoomTransports = {
      sse: createSseHub(h.room, o),
      polls: createPollHub(h.room),
      ws: createWsHub(h.room, auth.forRoom(h), { maxBufferBytes: o.maxBufferBytes, pingMs: o.wsPingMs, admit: roomAdmission(rooms, h) }),
    };
    hubs.set(h, t);
    // serve --redis: the host revoked a key through another instance (which told the room): end its sessions here.
    h.keys.onRevokedElsewhere((key) => endSessions(h, key, false));
    h.onClose(() => {
      hubs.delete(h);
      const message = "The host closed this room; it is gone for good.";
      t.sse.closeAll({ message });
      t.polls.closeAll(new RoomError("ROOM_CLOSED", message));
      t.ws.closeAll(WS_CLOSE.ROOM_CLOSED, "room closed", { type: "closed", message });
    });
  });

  /** A revoked key: its participant's token stops, its streams end with `removed`, its held polls answer 403. */
  function endSessions(h: HostedRoom, key: InviteKey, announce: boolean) {
    const t = hubs.get(h);
    if (!t) return;
    const p = keyParticipant(h, key);
    if (p) h.room.participants.leave(p);
    t.sse.endKey(key, "The host revoked your invite key.");
    t.polls.endKey(key, revokedError(key));
    t.ws.endKey(key, "The host revoked your invite key.");
    // serve --redis: the key's session may live on another instance only; its name is the key's.
    const name = p?.name ?? (h.keys.shared && key.session ? key.claimedBy : undefined);
    if (name && announce) h.room.announce(`The host revoked ${name}'s invite key.`);
  }

  return {
    /** The transports of an open room. */
    of(h: HostedRoom): RoomTransports {
      return hubs.get(h)!;
    },
    stats() {
      let streams = 0;
      let polls = 0;
      let websockets = 0;
      for (const t of hubs.values()) (streams += t.sse.size), (polls += t.polls.size), (websockets += t.ws.size);
      return { streams, polls, websockets };
    },
    /** A revoked key: its participant's token stops, its streams end with `removed`, its held polls answer 403. */
    endKeySessions: (h: HostedRoom, key: InviteKey) => endSessions(h, key, true),
    /** Shutdown: streams end and pending polls answer, so clients see a clean end rather than a reset. */
    closeAll() {
      for (const t of hubs.values()) {
        t.sse.closeAll();
        t.polls.closeAll();
        t.ws.closeAll(WS_CLOSE.SHUTTING_DOWN, "server shutting down");
      }
    },
  };
}
