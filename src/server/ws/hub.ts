// WebSocket: one room's sockets, a listener of the room like SSE (server/sse.ts). Each message is serialised once
// into one Buffer and that same Buffer goes to every live socket. A socket joins, gets `joined`, replays history
// after its cursor (pausing on backpressure), then goes live, in one synchronous step, so nothing falls between.
// A socket whose unsent output passes maxBufferBytes is closed as a slow consumer; it resumes with `after`.
import { RoomError } from "../../protocol/errors.js";
import { checkName } from "../../protocol/names.js";
import type { Message, ParticipantInfo } from "../../protocol/types.js";
import { WS_CLOSE, type ClientFrame, type ServerFrame } from "../../protocol/ws.js";
import { visibleTo, type Participant, type Room } from "../../room/index.js";
import type { Caller, RoomAuth as Auth } from "../auth.js";
import { credentialRequest, NO_QUERY, type Admit } from "./admit.js";
import { errorFrame, FrameError, frameBuffer, messageFrame } from "./frames.js";
import type { WsConn } from "./socket.js";

interface WsHubOptions {
  /** Who a join makes the socket (admit.ts: POST /join's rules). @default a token's participant, or the name joined */
  admit?: Admit;
  /** Unsent output per socket before it is closed as a slow consumer. */
  maxBufferBytes: number;
  /** Server ping interval; two unanswered pings close the socket. */
  pingMs: number;
}

const REPLAY_CHUNK = 256;
const REPLAY_BYTES = 64 * 1024;
const PING = frameBuffer({ type: "ping" });
const PONG = frameBuffer({ type: "pong" });

export function createWsHub(room: Room, auth: Auth, o: WsHubOptions) {
  const conns = new Set<WsConn>();
  let seen = { paused: room.paused, title: room.title, presence: "" };
  let checkPending = false;

  room.subscribe((msg, json) => {
    if (conns.size) {
      const frame = messageFrame(json);
      for (const c of conns) {
        if (!c.live) continue; // still replaying: it will read this message from history
        c.cursor = msg.id;
        if (msg.to !== undefined && !visibleTo(msg, c.participant?.name)) continue; // private, not for this socket
        write(c, frame);
      }
    }
    // Joins, leaves, pauses and renames are announced as system messages: look for state to push after them.
    if (msg.kind === "system") scheduleCheck();
  });
  room.onPresence(() => scheduleCheck()); // serve --redis: someone came online (or went) through another instance

  room.onRemove((p) => {
    for (const c of conns) {
      if (c.participant !== p) continue;
      write(c, frameBuffer({ type: "removed", message: "The host removed you from this room." }));
      drop(c, WS_CLOSE.REMOVED, "removed by the host");
    }
  });

  const ticker = setInterval(() => {
    for (const c of conns) {
      if (c.missed >= 2) {
        drop(c, WS_CLOSE.TIMEOUT, "two pings unanswered");
        continue;
      }
      c.missed++;
      write(c, PING);
    }
    checkState(); // presence also changes by time (a participant's grace period runs out)
  }, o.pingMs);
  ticker.unref();

  function write(c: WsConn, frame: Buffer) {
    if (c.sock.send(frame) > o.maxBufferBytes) drop(c, WS_CLOSE.SLOW_CONSUMER, "slow consumer: reconnect with after");
  }

  function drop(c: WsConn, code: number, reason: string) {
    if (!conns.delete(c)) return;
    c.sock.close(code, reason);
    leave(c);
  }

  function leave(c: WsConn) {
    const p = c.participant;
    if (p) (p.connections = Math.max(0, p.connections - 1)), room.touch(p);
    c.participant = undefined;
    scheduleCheck();
  }

  /** Write history after c.cursor until caught up, pausing while the socket holds REPLAY_BYTES unsent. */
  function pump(c: WsConn) {
    const h = room.history;
    while (c.cursor < h.lastId) {
      const s = h.since(c.cursor, REPLAY_CHUNK);
      if (s.reset) write(c, frameBuffer({ type: "reset", oldest: h.oldestId, next: h.oldestId - 1 }));
      let id = s.next - s.items.length;
      for (const json of s.items) {
        c.cursor = ++id;
        if (room.privates.hides(id, c.participant?.name)) continue;
        write(c, messageFrame(json));
        if (c.sock.bufferedAmount >= REPLAY_BYTES) break;
      }
      if (!conns.has(c)) return;
      if (c.sock.bufferedAmount >= REPLAY_BYTES && c.cursor < h.lastId) {
        c.waiting = true;
        return;
      }
    }
    c.live = true;
  }

  function members(): ParticipantInfo[] {
    return room.info().participants;
  }

  function broadcast(f: ServerFrame) {
    const frame = frameBuffer(f);
    for (const c of [...conns]) write(c, frame);
  }

  function scheduleCheck() {
    if (checkPending) return;
    checkPending = true;
    setImmediate(() => {
      checkPending = false;
      checkState();
    });
  }

  /** Push what changed since the last look: pause state, title, who is here (online, how connected). */
  function checkState() {
    const list = members();
    const presence = list.map((m) => `${m.name}\u0000${m.kind}\u0000${m.online}\u0000${m.via}`).join("\u0001");
    const before = seen;
    seen = { paused: room.paused, title: room.title, presence };
    if (!conns.size) return;
    if (room.paused !== before.paused) broadcast(room.paused ? { type: "paused", by: room.paused } : { type: "resumed" });
    if (room.title !== before.title) broadcast({ type: "title", title: room.title });
    if (presence !== before.presence) broadcast({ type: "presence", members: list });
  }

  const closedEarly = new WeakSet<WsConn>();

  /** Run `reply` after the socket's replies still waiting (serve --redis), in order. */
  function queueReply(c: WsConn, reply: () => unknown) {
    const p: Promise<void> = (c.replies ?? Promise.resolve()).then(reply).then(() => {
      if (c.replies === p) c.replies = undefined;
    });
    c.replies = p;
  }

  /** A joined socket goes live: `joined`, the replay after `after`, then every new message. */
  function start(c: WsConn, f: Extract<ClientFrame, { type: "join" }>, participant: Participant | undefined, token: string | undefined) {
    if (closedEarly.has(c)) return void leave(c); // closed while its join was being stored (serve --redis)
    const h = room.history;
    const joined: ServerFrame = {
      type: "joined",
      participant: participant ? { name: participant.name, kind: participant.kind } : null,
      ...(token && { token }),
      room: { title: room.title, startedAt: room.startedAt, paused: room.paused },
      members: members(),
      next: h.lastId,
      pingMs: o.pingMs,
    };
    conns.add(c);
    write(c, frameBuffer(joined));
    c.cursor = f.after ?? h.lastId;
    if (f.after !== undefined && f.after > h.lastId) {
      // A cursor from the future (an earlier room on this port): start over from what this room has.
      write(c, frameBuffer({ type: "reset", oldest: h.oldestId, next: h.oldestId - 1 }));
      c.cursor = h.oldestId - 1;
    }
    pump(c);
    scheduleCheck();
  }

  return {
    get size() {
      return conns.size;
    },

    /** Authenticate a `join` frame and start the socket: `joined`, the replay after `after`, then live. Throws
     * RoomError (its HTTP status picks the close code). */
    join(c: WsConn, f: Extract<ClientFrame, { type: "join" }>, adopted = false, authed?: Caller, joinAdmitted = false): void | Promise<void> {
      // serve --redis: a token another instance issued (or an invite key minted there) is learnt first.
      const credential = f.token ?? f.key;
      if (room.logged && !adopted && credential && !room.participants.lookupToken(credential)) return room.adoptToken(credential).then(() => this.join(c, f, true));
      // serve --redis: a password is checked against the failed-password limits in Redis (a promise then), and a
      // socket that joins (a name, or an invite key) takes the join limits there first.
      const caller = authed ?? auth.authenticate(credentialRequest(c.sock, f), NO_QUERY);
      if (caller instanceof Promise) return caller.then((cl) => this.join(c, f, true, cl));
      if (room.logged && !joinAdmitted && !caller.participant && (f.name !== undefined || caller.key)) return room.admitJoin(caller.origin).then(() => this.join(c, f, true, caller, true));
      const admitted = o.admit
        ? o.admit(caller, f.name, f.kind)
        : caller.participant
          ? { participant: caller.participant, token: caller.token }
          : f.name === undefined
            ? undefined
            : room.join(checkName(f.name), { kind: f.kind ?? "agent", vouched: caller.host || !!caller.humanSession, host: caller.host }, undefined, caller.origin);
      const participant = admitted?.participant;
      const token = admitted?.token;
      c.key = caller.key;
      if (participant) {
        participant.connections++;
        participant.via = "ws";
        room.touch(participant);
        c.participant = participant;
      }
      if (!room.logged) return void start(c, f, participant, token);
      // serve --redis: the "joined" line is stored first, so that `next` counts it as in memory.
      return room.flush().then(() => start(c, f, participant, token));
    },

    /** A frame from a joined socket. Throws RoomError / FrameError, answered as an `error` frame. */
    handle(c: WsConn, f: ClientFrame) {
      if (!conns.has(c)) return; // dropped (removed, slow, timed out): its late frames count for nothing
      switch (f.type) {
        case "ping":
          return void write(c, PONG);
        case "pong":
          return;
        case "join":
          throw new FrameError("BAD_FRAME", "This socket has already joined; open a new socket to join again.");
        case "send": {
          if (!c.participant) throw new RoomError("BAD_NAME", "This socket joined without a name, so it can only read: join with a name, a token or a key to send.");
          if (room.participants.find(c.participant.name) !== c.participant) {
            // It left (POST /leave), or its key started a new session elsewhere: its token no longer speaks for it.
            throw new RoomError("UNAUTHORIZED", `"${c.participant.name}" is no longer joined here (it left, or joined again elsewhere): open a new socket and join.`);
          }
          const to = f.to === undefined ? undefined : checkName(f.to, "to");
          // In arrival order with every other post of the room (HTTP too); a signature may be verified off the main thread.
          const posted = room.postInOrder({ participant: c.participant }, f.text, { replyTo: f.replyTo, to, signed: f.signed });
          const sent = (message: Message) => write(c, frameBuffer({ type: "sent", ...(f.ref !== undefined && { ref: f.ref }), message }));
          if (!room.logged && !(posted instanceof Promise) && !c.replies) return void sent(posted);
          // serve --redis: `sent` once Redis stored it (the id is Redis's); a verified post: once it is stored.
          const stored = Promise.resolve(posted).then(async (m) => (room.logged && (await room.flush(m)), m));
          stored.catch(() => {}); // answered in turn below (an error frame), maybe after earlier replies: not unhandled
          return void queueReply(c, () => stored.then(sent, (e: unknown) => write(c, frameBuffer(errorFrame(e, f.ref)))));
        }
      }
    },

    /** The host revoked an invite key: its sockets get `removed` and close with 4403. */
    endKey(key: object, message: string) {
      for (const c of conns) {
        if (c.key !== key) continue;
        write(c, frameBuffer({ type: "removed", message }));
        drop(c, WS_CLOSE.REMOVED, "invite key revoked");
      }
    },

    /** Send one frame to one socket (errors, the join deadline). */
    reply(c: WsConn, f: ServerFrame) {
      if (c.replies) return void queueReply(c, () => write(c, frameBuffer(f)));
      write(c, frameBuffer(f));
    },

    drained(c: WsConn) {
      if (c.waiting && conns.has(c)) {
        c.waiting = false;
        pump(c);
      }
    },

    /** The socket closed (by either side). */
    closed(c: WsConn) {
      if (conns.delete(c)) leave(c);
      else closedEarly.add(c);
    },

    /** Close every socket (shutdown, or the room closing) with a last frame. */
    closeAll(code: number, reason: string, last?: ServerFrame) {
      clearInterval(ticker);
      const frame = last && frameBuffer(last);
      for (const c of [...conns]) {
        if (frame) c.sock.send(frame);
        drop(c, code, reason);
      }
    },
  };
}

export type WsHub = ReturnType<typeof createWsHub>;
