// read and wait: what is new for one participant since its cursor. Own messages are passed over silently (the
// cursor still moves past them); with `mention`, messages that do not @mention you are passed over too, and counted.
// Every batch is bounded (BATCH_LIMIT messages): a backlog of megabytes is fetched a page at a time, the cursor
// stops after the last message shown, and "N more follow" says how to get the rest.
import type { Client, Slice } from "./http.js";
import { batchHeader, formatMessage, isMine, mentionsMe, plural, resetNote } from "./format.js";
import type { Message } from "../protocol/types.js";

/** Messages shown (and fetched) at most per read, wait or send. */
export const BATCH_LIMIT = 100;

export interface Batch {
  /** Messages to show, oldest first. */
  shown: Message[];
  /** Messages from others passed over because they do not mention you (wait --mention). */
  skipped: number;
  /** Where the cursor goes after this batch. */
  cursor: number;
  /** Set when the old cursor was not in the room's history. */
  reset?: { from: number; first?: number };
  /** Messages after this batch that it did not take (the limit): `read` shows them. 0 or absent: none. */
  more?: number;
}

export function sortOut(slice: Slice, me: string, cursor: number, mention = false): Batch {
  const b: Batch = { shown: [], skipped: 0, cursor: slice.next };
  if (slice.reset) b.reset = { from: cursor, first: slice.messages[0]?.id };
  for (const m of slice.messages) {
    if (isMine(m, me)) continue;
    if (mention && !mentionsMe(m, me)) b.skipped++;
    else b.shown.push(m);
  }
  return b;
}

/**
 * Cut a slice fetched with `limit + 1` to `limit` messages. When it was cut, also ask how far the room goes, so
 * the "more follow" line can say how many (one small request: `limit=0` returns no messages, only the last id).
 */
export async function bounded(client: Client, slice: Slice, limit: number): Promise<{ slice: Slice; more: number }> {
  if (slice.messages.length <= limit) return { slice, more: 0 };
  const messages = slice.messages.slice(0, limit);
  const next = messages[limit - 1]!.id;
  const last = await client
    .messages(undefined, 0)
    .then((r) => r.next)
    .catch(() => next + 1);
  return { slice: { ...slice, messages, next, cursor: next }, more: Math.max(1, last - next) };
}

/** The messages after `cursor`, at most `limit` of them (the cursor is not saved here). */
export async function readAfter(client: Client, me: string, cursor: number, o: { limit?: number; mention?: boolean } = {}): Promise<Batch> {
  const limit = o.limit ?? BATCH_LIMIT;
  const { slice, more } = await bounded(client, await client.messages(cursor, limit + 1), limit);
  return { ...sortOut(slice, me, cursor, o.mention), more };
}

/**
 * Wait until something to show arrives or `timeoutMs` passes. First a bounded look at what is already there, then
 * long-polls (at most 90 s each, the server's cap), each answering as soon as a message exists.
 */
export async function waitForNew(
  client: Client,
  me: string,
  cursor: number,
  o: { timeoutMs: number; mention?: boolean; limit?: number; signal?: AbortSignal },
): Promise<Batch> {
  const limit = o.limit ?? BATCH_LIMIT;
  const deadline = Date.now() + o.timeoutMs;
  const total: Batch = { shown: [], skipped: 0, cursor };
  const add = (b: Batch) => {
    total.reset ??= b.reset;
    total.skipped += b.skipped;
    total.shown.push(...b.shown);
    total.cursor = b.cursor;
    total.more = b.more;
  };
  add(await readAfter(client, me, cursor, { limit, mention: o.mention }));
  while (!total.shown.length) {
    const left = deadline - Date.now();
    if (left <= 0) break;
    // A full page passed over (--mention): the next page, before waiting for anything new.
    if (total.more) {
      add(await readAfter(client, me, total.cursor, { limit, mention: o.mention }));
      continue;
    }
    if (o.signal?.aborted) break;
    let polled: Slice;
    try {
      polled = await client.poll(total.cursor, Math.min(90, left / 1000), limit + 1, o.signal);
    } catch (err) {
      if (o.signal?.aborted) break; // the caller went away: nothing to deliver, and the server's poll is closed
      throw err;
    }
    const { slice, more } = await bounded(client, polled, limit);
    add({ ...sortOut(slice, me, total.cursor, o.mention), more });
  }
  return total;
}

/** The line under a batch that did not take everything. */
export const moreLine = (more: number, readCommand: string) => `${plural(more, "more message")} follow${more === 1 ? "s" : ""}: run \`${readCommand}\``;

/** What read/wait print: a header line, one line per message; or one JSON object per message. */
export function render(b: Batch, o: { me: string; json?: boolean; mention?: boolean; header?: string; readCommand?: string }): string {
  if (o.json) return b.shown.map((m) => JSON.stringify(m)).join("\n");
  const lines: string[] = [];
  if (b.reset) lines.push(resetNote(b.reset.from, b.reset.first));
  lines.push(o.header ?? batchHeader(b.shown.length, { mention: o.mention, skipped: b.skipped }));
  for (const m of b.shown) lines.push(formatMessage(m, { me: o.me }));
  if (b.more) lines.push(moreLine(b.more, o.readCommand ?? "agent-chat read"));
  return lines.join("\n");
}
