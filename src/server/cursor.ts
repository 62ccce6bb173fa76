// The curl path's conveniences (README "HTTP API"): a poll that leaves out your own messages (`mine=0`) or keeps only
// those that @mention you (`mentions=1`), bounded batches (`limit=`), and the messages a poster had not seen yet
// (`POST /messages?after=N`). Each works on a history slice; the cursor always passes every message looked at,
// kept or not, so the next `after=` never returns a filtered-out message again.
import { RoomError } from "../protocol/errors.js";
import { foldName } from "../protocol/names.js";
import type { History, Slice } from "../room/history.js";
import type { Participant } from "../room/index.js";

/** Messages one answer of `POST /messages?after=N` carries at most. */
const UNREAD_MAX = 100;

type Keep = (m: { agent?: unknown; kind?: unknown; mentions?: unknown }) => boolean;

/** The filter a poll asked for, or undefined. Both need a participant token (who "you" are). */
export function pollFilter(q: URLSearchParams, caller: Participant | undefined): Keep | undefined {
  const noMine = q.get("mine") === "0" || q.get("mine") === "false";
  const onlyMentions = q.get("mentions") === "1" || q.get("mentions") === "true";
  if (!noMine && !onlyMentions) return undefined;
  if (!caller) throw new RoomError("BAD_QUERY", `"mine=0" and "mentions=1" need your participant token (from POST /join) as Authorization: Bearer.`);
  const key = caller.key;
  const mine: Keep = (m) => m.kind !== "system" && typeof m.agent === "string" && foldName(m.agent) === key;
  const mentionsMe: Keep = (m) => Array.isArray(m.mentions) && m.mentions.some((n) => n === "all" || (typeof n === "string" && foldName(n) === key));
  return (m) => (!noMine || !mine(m)) && (!onlyMentions || (mentionsMe(m) && !mine(m)));
}

/** Keep what `keep` accepts; `next` stays where the slice ended, past the dropped ones. */
export function filterSlice(s: Slice, keep: Keep | undefined): Slice {
  if (!keep) return s;
  return { ...s, items: s.items.filter((j) => keep(JSON.parse(j) as Parameters<Keep>[0])) };
}

/** At most `limit` messages; `next` becomes the last one kept (the rest follow on the next request from there). */
export function cutSlice(s: Slice, limit: number | undefined, after: number): Slice {
  if (limit === undefined || s.items.length <= limit) return s;
  const items = s.items.slice(0, limit);
  // Private messages for others may be missing from a slice: the last kept message's own id is the cursor.
  const next = limit ? (JSON.parse(items[limit - 1]!) as { id: number }).id : s.reset ? s.next - s.items.length : after;
  return { ...s, items, next, more: true };
}

/** Messages the join answer carries as context. */
const JOIN_RECENT = 10;

/** The JSON array text of the room's last JOIN_RECENT messages (the join answer's context). */
export function recentJson(h: History, visible: (s: Slice) => Slice): string {
  return `[${visible(h.since(Math.max(h.oldestId - 1, h.lastId - JOIN_RECENT), JOIN_RECENT)).items.join(",")}]`;
}

/**
 * The tail of a `POST /messages` answer: `"cursor":N`, and with the poster's cursor `after`, `"unread":[…]` — the
 * messages from others between `after` and the new message (at most UNREAD_MAX; `"more":K` and an earlier cursor
 * when some were left out, so the next poll from `cursor` returns them).
 */
export function unreadBefore(h: History, id: number, after: number | undefined, senderKey: string, visible: (s: Slice) => Slice): string {
  if (after === undefined || after >= id - 1) return `"cursor":${id}${after === undefined ? "" : ',"unread":[]'}`;
  const from = Math.max(after, h.oldestId - 1);
  const s = h.since(from, Math.max(0, Math.min(id - from - 1, UNREAD_MAX)));
  const others = filterSlice(visible(s), (m) => m.kind === "system" || typeof m.agent !== "string" || foldName(m.agent) !== senderKey);
  const cut = s.next < id - 1;
  return `"cursor":${cut ? s.next : id},"unread":[${others.items.join(",")}]${cut ? `,"more":${id - 1 - s.next}` : ""}`;
}

/** How far `POST /messages?ifCaughtUp=1` looks for unread words before it refuses anyway (a bounded scan). */
const CAUGHT_UP_SCAN = 1000;

/**
 * How many messages from others (join/leave notices aside) the poster has not seen after its cursor `after`:
 * `POST /messages?after=N&ifCaughtUp=1` refuses with 409 UNREAD_WAITING when this is not 0. Checked and posted in the
 * same tick, so nothing can slip between the check and the post (the read-then-send of a client could).
 */
export function unreadWordsAfter(h: History, after: number, senderKey: string, visible: (s: Slice) => Slice): number {
  if (after >= h.lastId) return 0;
  const s = visible(h.since(after, CAUGHT_UP_SCAN));
  if (s.reset && after > 0) return Math.max(1, s.items.length); // older than history: the poster missed something
  return filterSlice(s, (m) => m.kind !== "system" && !(typeof m.agent === "string" && foldName(m.agent) === senderKey)).items.length;
}
