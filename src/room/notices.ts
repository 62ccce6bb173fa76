// Join and leave notices, coalesced under a flood: the first few in a window are announced at once, as always;
// past that, the rest of the window's are announced together as one system message when the window ends (or just
// before the next message, so the order stays true), and a flood that goes on gets one message per window. A join
// flood then cannot push real messages out of the history.

export interface Notice {
  name: string;
  /** e.g. "joined (agent)", "left" */
  what: string;
}

/** Notices announced one by one in a window before coalescing starts. */
export const NOTICE_BURST = 5;
/** Names listed in one combined notice; the rest are counted. */
const LISTED = 10;

function describeNotices(list: Notice[], more = 0): string {
  if (list.length === 1 && !more) return `${list[0]!.name} ${list[0]!.what}.`;
  const shown = list.slice(0, LISTED).map((n) => `${n.name} ${n.what}`);
  const rest = list.length - shown.length + more;
  return `${shown.join("; ")}${rest > 0 ? `; and ${rest} more joined or left` : ""}.`;
}

export function createNotices(o: { windowMs: number; now: () => number; emit: (text: string) => void; onError?: (err: unknown) => void }) {
  let pending: Notice[] = []; // the first LISTED of the window; the rest are only counted
  let more = 0;
  let windowStart = -Infinity;
  let emitted = 0; // notices announced in the current window
  let timer: NodeJS.Timeout | undefined;

  function flush() {
    if (timer) clearTimeout(timer), (timer = undefined);
    if (!pending.length) return;
    const list = pending;
    const extra = more;
    pending = [];
    more = 0;
    // A new window that starts coalescing at once: a flood that goes on costs one message per window.
    windowStart = o.now();
    emitted = NOTICE_BURST;
    o.emit(describeNotices(list, extra));
  }

  // Nothing above a timer can catch: a store that refuses the notice (serve --redis while Redis is down) would
  // crash the process. The combined notice is lost, like any message the room could not store then; the room and
  // later notices carry on.
  function flushFromTimer() {
    try {
      flush();
    } catch (err) {
      o.onError?.(err);
    }
  }

  return {
    add(n: Notice) {
      const t = o.now();
      if (t - windowStart >= o.windowMs && !pending.length) {
        windowStart = t;
        emitted = 0;
      }
      if (!pending.length && emitted < NOTICE_BURST) {
        emitted++;
        o.emit(describeNotices([n]));
        return;
      }
      if (pending.length < LISTED) pending.push(n);
      else more++;
      // A real timer, for a room nobody writes in; tests drive the room's clock and call flush() instead.
      timer ??= setTimeout(flushFromTimer, Math.max(0, windowStart + o.windowMs - t)).unref();
    },
    /** Announce what is waiting now (before any other message, so the order stays true). */
    flush,
    get pending() {
      return pending.length;
    },
  };
}
