// Long-poll. A poll with nothing new waits here; the first message answers every waiter, with one body per
// distinct cursor (most waiters share one). Waiters always go away: on a message, on their timeout, when the
// client disconnects, or at shutdown.
import type { ServerResponse } from "node:http";
import type { RoomError } from "../protocol/errors.js";
import type { Participant, Room } from "../room/index.js";
import type { Slice } from "../room/history.js";
import type { InviteKey } from "../rooms/keys.js";

/** What a held poll ends with: messages, nothing (the client went away), or an error to answer with. */
type Outcome = Slice | undefined | RoomError;

interface Waiter {
  after: number;
  key?: InviteKey;
  finish: (outcome: Outcome) => void;
}

export function createPollHub(room: Room) {
  const waiters = new Set<Waiter>();

  room.subscribe(() => {
    if (!waiters.size) return;
    const slices = new Map<number, Slice>();
    const now = [...waiters];
    waiters.clear();
    for (const w of now) {
      let slice = slices.get(w.after);
      if (slice === undefined) slices.set(w.after, (slice = room.history.since(w.after)));
      w.finish(slice);
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
      if (after !== h.lastId || timeoutMs <= 0) return h.since(after);
      if (participant) (participant.connections++, (participant.via = "poll"));
      // A held poll is quiet by design: no idle cut-off while it waits (Node restores the keep-alive timeout after).
      res.socket?.setTimeout(0);
      return new Promise<Outcome>((resolve) => {
        let done = false;
        const w: Waiter = { after, key, finish };
        const timer = setTimeout(() => finish(h.since(after)), timeoutMs);
        // The client went away (aborted fetch, killed agent): release everything now.
        res.once("close", () => finish(undefined));
        waiters.add(w);
        function finish(outcome: Outcome) {
          if (done) return;
          done = true;
          clearTimeout(timer);
          waiters.delete(w);
          if (participant) (participant.connections--, (participant.lastSeen = Date.now()));
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
      for (const w of [...waiters]) w.finish(error ?? room.history.since(w.after));
    },
  };
}

export type PollHub = ReturnType<typeof createPollHub>;
