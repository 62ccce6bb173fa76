// The use cases every front end shares — the CLI commands, the MCP tools and the package's library (src/index.ts):
// join, send, read, wait, who. Each acts as a saved identity (session.ts), moves its read position exactly as the
// others do, and returns data; rendering is the caller's business.
import { foldName } from "../protocol/names.js";
import type { Message, ParticipantInfo, RoomInfo } from "../protocol/types.js";
import { createClient } from "./http.js";
import { BATCH_LIMIT, readAfter, sortOut, waitForNew, type Batch } from "./inbox.js";
import { postSurely } from "./resend.js";
import { isMine } from "./format.js";
import { joinRoom, roomConn, sessionConn, withSession, type Target } from "./session.js";
import { saveCursor, type Session } from "./state.js";
import { isReason } from "./exit.js";

export type { Batch, Session, Target };

/** Recent messages shown on join. */
export const RECENT = 10;

export interface JoinResult {
  session: Session;
  room: RoomInfo;
  /** The last messages before you joined (context), oldest first. */
  recent: Message[];
  /** Others online now. */
  online: ParticipantInfo[];
}

/** Join `url` as `name` (again: the same participant, when this machine holds its token), with the password or an
 * invite key (whose name, when it carries one, is used; `name` may then be left out). */
export async function join(o: { url: string; name?: string; password?: string; key?: string; kind?: "agent" | "human"; share?: boolean }): Promise<JoinResult> {
  const { session, room } = await joinRoom({ url: o.url, password: o.password, key: o.key, name: o.name, kind: o.kind ?? "agent", share: o.share });
  const client = createClient(sessionConn(session));
  const recent = (await client.messages(Math.max(0, session.cursor - RECENT), RECENT)).messages.filter((m) => m.id <= session.cursor);
  const online = room.participants.filter((p) => p.online && foldName(p.name) !== foldName(session.name));
  return { session, room, recent, online };
}

export interface SendResult {
  session: Session;
  /** The message posted; absent when `ifCaughtUp` refused to post. */
  message?: Message;
  /**
   * Messages from others that had arrived before yours and that you had not read: shown now and marked read, exactly
   * as `read` would, so a send/wait loop never misses one nor sees it twice. `more` counts those not shown.
   */
  unread: Batch;
}

/**
 * Post `text`. With `ifCaughtUp`, post only when nothing from others waits unread; otherwise return those messages
 * (marked read) and post nothing, so the caller reads them and decides again.
 */
export function send(t: Target, text: string, o: { replyTo?: number; to?: string; ifCaughtUp?: boolean; limit?: number } = {}): Promise<SendResult> {
  const limit = o.limit ?? BATCH_LIMIT;
  return withSession(t, async (s, c) => {
    // The server checks and posts in one step (409 UNREAD_WAITING): nothing can arrive between a check and the post.
    // Refused: show what was waiting, marked read, so the caller reads it and decides again.
    const refused = async () => {
      const waiting = await readAfter(c, s.name, s.cursor, { limit });
      if (waiting.cursor !== s.cursor) saveCursor(s, waiting.cursor);
      return { session: s, unread: waiting };
    };
    let message: Message;
    try {
      // An answer lost on the way back (an instance behind a balancer died): looked up before it is sent again.
      message = await postSurely(c, { name: s.name, after: s.cursor, text, replyTo: o.replyTo, to: o.to }, () => c.send(text, o.replyTo, o.to, o.ifCaughtUp ? s.cursor : undefined));
    } catch (err) {
      if (o.ifCaughtUp && isReason(err, "UNREAD_WAITING")) return refused();
      throw err;
    }
    // Everything between the read position and our own message: what we would have talked past. Ids are
    // contiguous, so the (span - 1) messages after the cursor are exactly those before ours.
    const span = message.id - s.cursor;
    let unread: Batch = { shown: [], skipped: 0, cursor: message.id };
    if (span > 1) {
      const slice = await c.messages(s.cursor, Math.min(span - 1, limit));
      slice.messages = slice.messages.filter((m) => m.id < message.id);
      unread = sortOut(slice, s.name, s.cursor);
      // Cut by the limit: the rest before ours stays unread (`read` shows it); else the cursor passes our message.
      const covered = slice.next >= message.id - 1;
      unread.cursor = covered ? message.id : slice.next;
      unread.more = covered ? 0 : message.id - 1 - slice.next;
    }
    if (unread.cursor !== s.cursor) saveCursor(s, unread.cursor);
    return { session: s, message, unread };
  });
}

/** The messages since the read position (at most `limit`), marked read unless `peek`. */
export function read(t: Target, o: { peek?: boolean; limit?: number } = {}): Promise<{ session: Session; batch: Batch }> {
  return withSession(t, async (s, c) => {
    const batch = await readAfter(c, s.name, s.cursor, { limit: o.limit });
    if (!o.peek && batch.cursor !== s.cursor) saveCursor(s, batch.cursor);
    return { session: s, batch };
  });
}

/** The room's last `n` messages, read or not (yours included); the read position moves past them unless `peek`. */
export function readLast(t: Target, n: number, o: { peek?: boolean } = {}): Promise<{ session: Session; batch: Batch }> {
  return withSession(t, async (s, c) => {
    const slice = await c.messages(undefined, n);
    const batch: Batch = { shown: slice.messages, skipped: 0, cursor: Math.max(s.cursor, slice.next) };
    if (!o.peek && batch.cursor !== s.cursor) saveCursor(s, batch.cursor);
    return { session: s, batch };
  });
}

export interface Quiet {
  /** Others online, with when each last wrote (among the room's recent messages). */
  online: { name: string; kind: string; lastSpoke?: string }[];
  /** The room's last message is yours: the others may be waiting for you, as you for them. */
  lastWasMine: boolean;
  lastId: number;
}

export interface WaitResult {
  session: Session;
  batch: Batch;
  /** When nothing came: who is there, so an empty wait is not a dead end. */
  quiet?: Quiet;
}

/** Block until a message from others arrives (or `timeoutMs`), return it and mark it read. */
export function wait(t: Target, o: { timeoutMs: number; mention?: boolean; limit?: number; signal?: AbortSignal }): Promise<WaitResult> {
  return withSession(t, async (s, c) => {
    const batch = await waitForNew(c, s.name, s.cursor, o);
    // A cancelled caller never shows this answer: leave those messages unread.
    if (o.signal?.aborted) return { session: s, batch };
    if (batch.cursor !== s.cursor) saveCursor(s, batch.cursor);
    if (batch.shown.length) return { session: s, batch };
    return { session: s, batch, quiet: await quietInfo(c, s).catch(() => undefined) };
  });
}

/** The room and its participants (any saved identity or the password may look). */
export async function who(t: Target): Promise<{ room: RoomInfo; session?: Session }> {
  const { conn, session } = roomConn(t);
  return { room: await createClient(conn).room(), session };
}

// --- internal ---

async function quietInfo(c: ReturnType<typeof createClient>, s: Session): Promise<Quiet> {
  const [room, recent] = await Promise.all([c.room(), c.messages(undefined, 50)]);
  const spoke = new Map<string, string>();
  for (const m of recent.messages) if (m.kind !== "system") spoke.set(foldName(m.agent), m.timestamp);
  const me = foldName(s.name);
  const online = room.participants
    .filter((p) => p.online && foldName(p.name) !== me)
    .map((p) => ({ name: p.name, kind: p.kind, lastSpoke: spoke.get(foldName(p.name)) }));
  const last = [...recent.messages].reverse().find((m) => m.kind !== "system");
  return { online, lastWasMine: !!last && isMine(last, s.name), lastId: recent.next };
}
