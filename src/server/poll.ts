// Long-poll. A poll with nothing new waits here; the first message answers every waiter, with one body per
// distinct cursor (most waiters share one). Waiters always go away: on a message, on their timeout, when the
// client disconnects, or at shutdown.
import type { ServerResponse } from "node:http";
import type { Participant, Room } from "../room/index.js";
import type { Slice } from "../room/history.js";

interface Waiter {
  after: number;
  finish: (slice: Slice | undefined) => void;
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
    wait(res: ServerResponse, after: number, timeoutMs: number, participant?: Participant): Slice | Promise<Slice | undefined> {
      const h = room.history;
      if (after !== h.lastId || timeoutMs <= 0) return h.since(after);
      if (participant) (participant.connections++, (participant.via = "poll"));
      // A held poll is quiet by design: no idle cut-off while it waits (Node restores the keep-alive timeout after).
      res.socket?.setTimeout(0);
      return new Promise<Slice | undefined>((resolve) => {
        let done = false;
        const w: Waiter = { after, finish };
        const timer = setTimeout(() => finish(h.since(after)), timeoutMs);
        // The client went away (aborted fetch, killed agent): release everything now.
        res.once("close", () => finish(undefined));
        waiters.add(w);
        function finish(slice: Slice | undefined) {
          if (done) return;
          done = true;
          clearTimeout(timer);
          waiters.delete(w);
          if (participant) (participant.connections--, (participant.lastSeen = Date.now()));
          resolve(slice);
        }
      });
    },

    /** Shutdown: answer every pending poll with what there is. */
    closeAll() {
      for (const w of [...waiters]) w.finish(room.history.since(w.after));
    },
  };
}

export type PollHub = ReturnType<typeof createPollHub>;
