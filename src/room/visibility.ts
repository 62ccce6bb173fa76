// Who may see a message — ONE rule for every transport and every read (SSE fan-out and replay, long-poll, GET
// /messages, WebSocket, counts). A message without `to` is everyone's; a private message (`to`) is its sender's and
// its recipient's only. New transports must filter every delivery through `visibleTo` (live) and
// `room.privates.filter` (history slices); never send a private message to a reader without a name.
import { foldName } from "../protocol/names.js";
import type { Message } from "../protocol/types.js";
import type { Slice } from "./history.js";

/**
 * May the participant named `viewer` see `msg`? `viewer` undefined: a reader with no name (password only, or the
 * host), who sees public messages only. Names compare folded, as everywhere in the room.
 */
export function visibleTo(msg: Pick<Message, "agent" | "to">, viewer: string | undefined): boolean {
  if (msg.to === undefined) return true;
  if (viewer === undefined) return false;
  const v = foldName(viewer);
  return v === foldName(msg.agent) || v === foldName(msg.to);
}

/** The private messages still in the history, by id, so a slice can be filtered without parsing its JSON. */
export function createPrivateIndex() {
  const byId = new Map<number, Pick<Message, "agent" | "to">>();

  return {
    get size() {
      return byId.size;
    },
    add(msg: Message) {
      if (msg.to !== undefined) byId.set(msg.id, { agent: msg.agent, to: msg.to });
    },
    /** Whether message `id` is private and not for `viewer` (for readers that walk a slice id by id). */
    hides(id: number, viewer: string | undefined): boolean {
      if (!byId.size) return false;
      const m = byId.get(id);
      return m !== undefined && !visibleTo(m, viewer);
    },
    /** Forget messages that left the history ring (ids below `oldestId`). */
    prune(oldestId: number) {
      for (const id of byId.keys()) {
        if (id >= oldestId) break; // insertion order is id order
        byId.delete(id);
      }
    },
    /** The slice as `viewer` may see it: the same object when nothing in it is hidden. `next` is unchanged, so the
     * reader's cursor moves past what it may not see. */
    filter(slice: Slice, viewer: string | undefined): Slice {
      if (!byId.size || !slice.items.length) return slice;
      const first = slice.next - slice.items.length + 1;
      let items: string[] | undefined;
      for (const [id, m] of byId) {
        if (id < first) continue;
        if (id > slice.next) break;
        if (visibleTo(m, viewer)) continue;
        items ??= slice.items.slice();
        items[id - first] = "";
      }
      return items ? { ...slice, items: items.filter((j) => j !== "") } : slice;
    },
    /** How many of the messages with ids in [from, to] `viewer` may not see. */
    hiddenFrom(viewer: string | undefined, from: number, to: number): number {
      let n = 0;
      for (const [id, m] of byId) if (id >= from && id <= to && !visibleTo(m, viewer)) n++;
      return n;
    },
  };
}

export type PrivateIndex = ReturnType<typeof createPrivateIndex>;
