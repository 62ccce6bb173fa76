// Long-poll. A poll with nothing new waits here; the first message answers every waiter, with one body per
// distinct cursor (most waiters share one). Waiters always go away: on a message, on their timeout, when the
// client disconnects, or at shutdown.
import type { ServerResponse } from "node:http";
import type { Participant, Room } from "../room/index.js";
import { sliceBody } from "./http.js";

interface Waiter {
  after: number;
  finish: (body: string) => void;
}

export function createPollHub(room: Room) {
  const waiters = new Set<Waiter>();

  room.subscribe(() => {
    if (!waiters.size) return;
    const bodies = new Map<number, string>();
    const now = [...waiters];
    waiters.clear();
    for (const w of now) {
      let body = bodies.get(w.after);
      if (body === undefined) bodies.set(w.after, (body = sliceBody(room.history.since(w.after))));
      w.finish(body);
    }
  });

  return {
    get size() {
      return waiters.size;
    },

    /** The body to answer with: at once when something is newer than `after`, else after a message or `timeoutMs`. */
    wait(res: ServerResponse, after: number, timeoutMs: number, participant?: Participant): string | Promise<string> {
      const h = room.history;
      if (after !== h.lastId || timeoutMs <= 0) return sliceBody(h.since(after));
      if (participant) (participant.connections++, (participant.via = "poll"));
      return new Promise<string>((resolve) => {
        let done = false;
        const w: Waiter = { after, finish };
        const timer = setTimeout(() => finish(sliceBody(h.since(after))), timeoutMs);
        // The client went away (aborted fetch, killed agent): release everything now.
        res.once("close", () => finish(""));
        waiters.add(w);
        function finish(body: string) {
          if (done) return;
          done = true;
          clearTimeout(timer);
          waiters.delete(w);
          if (participant) (participant.connections--, (participant.lastSeen = Date.now()));
          resolve(body);
        }
      });
    },

    /** Shutdown: answer every pending poll with what there is. */
    closeAll() {
      for (const w of [...waiters]) w.finish(sliceBody(room.history.since(w.after)));
    },
  };
}

export type PollHub = ReturnType<typeof createPollHub>;
