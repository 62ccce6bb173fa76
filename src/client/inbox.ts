// read and wait: what is new for one participant since its cursor. Own messages are passed over silently (the
// cursor still moves past them); with `mention`, messages that do not @mention you are passed over too, and counted.
import type { Client, Slice } from "./http.js";
import { batchHeader, formatMessage, isMine, mentionsMe, resetNote } from "./format.js";
import type { Message } from "../protocol/types.js";

export interface Batch {
  /** Messages to show, oldest first. */
  shown: Message[];
  /** Messages from others passed over because they do not mention you (wait --mention). */
  skipped: number;
  /** Where the cursor goes after this batch. */
  cursor: number;
  /** Set when the old cursor was not in the room's history. */
  reset?: { from: number; first?: number };
  /** More messages wait after this batch (read's limit). */
  more?: boolean;
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
 * Long-poll until something to show arrives or `timeoutMs` passes. Polls are at most 90 s each (the server's cap),
 * so any timeout works, and each returns as soon as a message exists.
 */
export async function waitForNew(client: Client, me: string, cursor: number, o: { timeoutMs: number; mention?: boolean }): Promise<Batch> {
  const deadline = Date.now() + o.timeoutMs;
  const total: Batch = { shown: [], skipped: 0, cursor };
  for (let polls = 0; ; polls++) {
    const left = deadline - Date.now();
    if (left <= 0 && polls > 0) return total; // --timeout 0 still looks once
    const slice = await client.poll(total.cursor, Math.min(90, Math.max(0, left / 1000)));
    const b = sortOut(slice, me, total.cursor, o.mention);
    total.reset ??= b.reset;
    total.skipped += b.skipped;
    total.shown.push(...b.shown);
    total.cursor = b.cursor;
    if (total.shown.length) return total;
  }
}

/** What read/wait print: a header line, one line per message; or one JSON object per message. */
export function render(b: Batch, o: { me: string; json?: boolean; mention?: boolean; header?: string }): string {
  if (o.json) return b.shown.map((m) => JSON.stringify(m)).join("\n");
  const lines: string[] = [];
  if (b.reset) lines.push(resetNote(b.reset.from, b.reset.first));
  lines.push(o.header ?? batchHeader(b.shown.length, { mention: o.mention, skipped: b.skipped }));
  for (const m of b.shown) lines.push(formatMessage(m, { me: o.me }));
  if (b.more) lines.push(`(more messages follow: run read again)`);
  return lines.join("\n");
}
