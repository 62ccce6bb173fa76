// Long-poll. A poll with nothing new waits here; the first message it may see answers it, with one slice per
// distinct cursor (most waiters share one), filtered for who asks (private messages: room/visibility.ts) — a private
// message between others does not wake it. Waiters always go away: on a message, on their timeout, when the client
// disconnects, or at shutdown.
import type { ServerResponse } from "node:http";
import type { RoomError } from "../protocol/errors.js";
import { visibleTo, type Participant, type Room } from "../room/index.js";
import type { Slice } from "../room/history.js";
import type { InviteKey } from "../rooms/keys.js";

/** What a held poll ends with: messages, nothing (the client went away), or an error to answer with. */
type Outcome = Slice | undefined | RoomError;

interface Waiter {
  after: number;
  key?: InviteKey;
  /** The name private messages are checked against (none: public messages only). */
  viewer?: string;
  finish: (outcome: Outcome) => void;
}

export function createPollHub(room: Room) {
  const waiters = new Set<Waiter>();
  // A bounded batch (README "Bounded reads"): the rest follows with after=next ("more": true).
  const batch = (after: number) => room.history.since(after, room.options.maxBatch, room.options.maxBatchBytes);

  /** What `viewer` may see after `after` (the same object as the history's slice when nothing is hidden). */
  const visibleSince = (after: number, viewer: string | undefined, cache?: Map<number, Slice>) => {
    let slice = cache?.get(after);
    if (slice === undefined) (slice = batch(after)), cache?.set(after, slice);
    return room.privates.filter(slice, viewer);
  };

  room.subscribe((msg) => {
    if (!waiters.size) return;
    const slices = new Map<number, Slice>();
    for (const w of [...waiters]) {
      if (msg.to !== undefined && !visibleTo(msg, w.viewer)) continue; // not for this reader: keep waiting
      const slice = visibleSince(w.after, w.viewer, slices);
      if (slice.items.length || slice.reset || slice.more) w.finish(slice);
    }
  });

  return {
    get size() {
      return waiters.size;
    },

    /** What to answer with: at once when something is newer than `after`, else after a message or `timeoutMs`;
     * undefined when the client went away. */
    wait(res: ServerResponse, after: number, timeoutMs: number, participant?: Participant, key?: InviteKey): Slice | Promise<Outcome> {
      const h = room.history;
      const viewer = participant?.name ?? key?.name ?? undefined;
      const now = visibleSince(after, viewer);
      if (now.items.length || now.reset || now.more || timeoutMs <= 0 || after > h.lastId) return now;
      if (participant) (participant.connections++, (participant.via = "poll"));
      // A held poll is quiet by design: no idle cut-off while it waits (Node restores the keep-alive timeout after).
      res.socket?.setTimeout(0);
      return new Promise<Outcome>((resolve) => {
        let done = false;
        const w: Waiter = { after, key, viewer, finish };
        const timer = setTimeout(() => finish(visibleSince(after, viewer)), timeoutMs);
        // The client went away (aborted fetch, killed agent): release everything now.
        res.once("close", () => finish(undefined));
        waiters.add(w);
        function finish(outcome: Outcome) {
          if (done) return;
          done = true;
          clearTimeout(timer);
          waiters.delete(w);
          if (participant) (participant.connections--, room.touch(participant));
          resolve(outcome);
        }
      });
    },

    /** Answer every poll held with a credential from `key` with `error` (the key was revoked). */
    endKey(key: InviteKey, error: RoomError) {
      for (const w of [...waiters]) if (w.key === key) w.finish(error);
    },

    /** Shutdown: answer every pending poll with what there is; a closed room: with `error` (410 ROOM_CLOSED). */
    closeAll(error?: RoomError) {
      for (const w of [...waiters]) w.finish(error ?? visibleSince(w.after, w.viewer));
    },
  };
}

export type PollHub = ReturnType<typeof createPollHub>;
