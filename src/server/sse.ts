// Server-Sent Events. One room listener serialises each message into one frame (a Buffer) and writes that same
// Buffer to every live subscriber that may see it (a private message: its sender and recipient only, by
// room/visibility.ts): no per-subscriber formatting. A subscriber first replays history from its
// cursor (in chunks, honouring backpressure) and only then goes live, all in one synchronous step, so no message
// falls between replay and subscription. A subscriber whose unread output passes `maxBufferBytes` is dropped: it
// reconnects with Last-Event-ID and loses nothing still in history.
import type { IncomingMessage, ServerResponse } from "node:http";
import { visibleTo, type Participant, type Room } from "../room/index.js";
import type { InviteKey } from "../rooms/keys.js";

interface Client {
  res: ServerResponse;
  participant?: Participant;
  /** The invite key behind this stream's credential, so revoking it ends the stream. */
  key?: InviteKey;
  /** The name private messages are checked against (none: public messages only). */
  viewer?: string;
  /** Id of the last message written to this client. */
  cursor: number;
  /** Replay finished: live frames are written directly. */
  live: boolean;
}

const REPLAY_CHUNK = 256;
// Replay writes at most about this much per client before waiting for the socket to drain (plus one frame).
const REPLAY_BYTES = 16 * 1024;
// Frames are Buffers shared by every reader: the live fan-out writes one Buffer to all, and replays take theirs from
// this cache, so 1,000 readers replaying the same history hold references to the same bytes, not 1,000 copies (a
// string written to a socket is copied into its write request; a Buffer is not). README "What a reader costs".
const FRAME_CACHE_BYTES = 2 * 1024 * 1024;
const KEEPALIVE = Buffer.from(": keepalive\n\n");

export function createSseHub(room: Room, opts: { keepaliveMs: number; maxBufferBytes: number }) {
  const clients = new Set<Client>();
  const frames = new Map<number, Buffer>(); // by message id, least recently used first
  let frameBytes = 0;

  /** The SSE frame of message `id`, from the cache or made once and cached. */
  function frameOf(id: number, json: string): Buffer {
    let b = frames.get(id);
    if (b) {
      frames.delete(id); // most recently used goes last
      frames.set(id, b);
      return b;
    }
    b = Buffer.from(`id: ${id}\nevent: message\ndata: ${json}\n\n`);
    frames.set(id, b);
    frameBytes += b.length;
    for (const [k, v] of frames) {
      if (frameBytes <= FRAME_CACHE_BYTES || k === id) break;
      frames.delete(k);
      frameBytes -= v.length;
    }
    return b;
  }

  room.subscribe((msg, json) => {
    if (!clients.size) return;
    const frame = frameOf(msg.id, json);
    const private_ = msg.to !== undefined;
    for (const c of clients) {
      if (!c.live) continue; // still replaying: it will read this message from history
      if (private_ && !visibleTo(msg, c.viewer)) continue;
      c.cursor = msg.id;
      c.res.write(frame);
      if (c.res.writableLength > opts.maxBufferBytes) drop(c);
    }
  });

  room.onRemove((p) => {
    for (const c of clients) {
      if (c.participant !== p) continue;
      c.res.end(`event: removed\ndata: ${JSON.stringify({ name: p.name, message: "The host removed you from this room." })}\n\n`);
      clients.delete(c);
    }
  });

  const keepalive = setInterval(() => {
    for (const c of clients) {
      c.res.write(KEEPALIVE);
      if (c.res.writableLength > opts.maxBufferBytes) drop(c);
    }
  }, opts.keepaliveMs);
  keepalive.unref();

  function drop(c: Client) {
    clients.delete(c);
    c.res.destroy();
  }

  /** Write history after c.cursor until caught up, pausing whenever the socket's buffer passes REPLAY_BYTES: a
   * client replaying a large history that reads slowly (or never) holds about that much here, not the history. */
  function pump(c: Client) {
    const h = room.history;
    while (c.cursor < h.lastId) {
      const s = h.since(c.cursor, REPLAY_CHUNK, REPLAY_BYTES);
      if (s.reset) c.res.write(`event: reset\ndata: {"oldest":${h.oldestId},"next":${h.oldestId - 1}}\n\n`);
      let id = s.next - s.items.length;
      for (const json of s.items) {
        if (room.privates.hides(++id, c.viewer)) continue;
        c.res.write(frameOf(id, json));
      }
      c.cursor = id;
      if (c.res.writableLength >= REPLAY_BYTES && c.cursor < h.lastId) {
        c.res.once("drain", () => clients.has(c) && pump(c));
        return;
      }
    }
    c.live = true;
  }

  return {
    get size() {
      return clients.size;
    },

    /** Start a stream. `after` undefined: only messages from now on. Resolves when the client goes away. */
    open(req: IncomingMessage, res: ServerResponse, after: number | undefined, participant?: Participant, key?: InviteKey): Promise<void> {
      res.writeHead(200, {
        "Content-Type": "text/event-stream; charset=utf-8",
        "Cache-Control": "no-cache, no-transform",
        Connection: "keep-alive",
        "X-Accel-Buffering": "no", // prevent nginx-style proxies from buffering the stream
      });
      // Headers and a first line at once: clients and proxies see the stream is open before any message.
      res.write("retry: 2000\n: connected\n\n");
      // A stream is quiet for long stretches (keepalives every 15 s): no idle cut-off for it.
      req.socket.setTimeout(0);
      const c: Client = { res, participant, key, viewer: participant?.name ?? key?.name ?? undefined, cursor: after ?? room.history.lastId, live: false };
      clients.add(c);
      if (after !== undefined && after > room.history.lastId) {
        // A cursor from the future (an earlier room on this port): start over from what this room has.
        res.write(`event: reset\ndata: {"oldest":${room.history.oldestId},"next":${room.history.oldestId - 1}}\n\n`);
        c.cursor = room.history.oldestId - 1;
      }
      pump(c);
      if (participant) (participant.connections++, (participant.via = "stream"));
      return new Promise((resolve) => {
        res.on("close", () => {
          clients.delete(c);
          if (participant) (participant.connections--, room.touch(participant));
          resolve();
        });
      });
    },

    /** End every stream whose credential came from `key` with `event: removed` (the key was revoked). */
    endKey(key: InviteKey, message: string) {
      for (const c of clients) {
        if (c.key !== key) continue;
        c.res.end(`event: removed\ndata: ${JSON.stringify({ name: key.claimedBy, reason: "revoked", message })}\n\n`);
        clients.delete(c);
      }
    },

    /** End every stream: at shutdown silently, when the host closes the room with `event: closed`. */
    closeAll(closed?: { message: string }) {
      clearInterval(keepalive);
      const last = closed ? `event: closed\ndata: ${JSON.stringify(closed)}\n\n` : "";
      for (const c of clients) c.res.end(last);
      clients.clear();
    },
  };
}

export type SseHub = ReturnType<typeof createSseHub>;
