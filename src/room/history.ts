// The bounded message history: a ring of serialised messages. Ids are contiguous, so "after N" is an index, not a
// search. Each message is kept once, as its JSON text, which is also what every reader is sent. Bounded twice: by
// count, and by the memory the JSON texts take (see jsonCost), so texts built to grow under JSON escaping or to
// force two-byte strings cannot take the room past `maxBytes`.

export interface Slice {
  /** JSON texts of the messages with id > after, oldest first. */
  items: string[];
  /** Id of the last message in `items`, or the cursor the caller should keep when there are none. */
  next: number;
  /** The cursor was older than the oldest kept message, or newer than the newest: items start at the oldest. */
  reset: boolean;
  /** More messages follow `next` than this slice holds (it hit its count or byte limit): ask again with after=next. */
  more?: boolean;
}

/** Bytes of memory a JSON text takes in V8: one per character, two when any character is outside Latin-1. */
export function jsonCost(json: string): number {
  return json.length * bytesPerChar(json);
}

/** V8 keeps a string one byte per character while every character is Latin-1, two bytes per character otherwise.
 * (Also what log.ts hands the Redis append script, which counts a message's cost with the id it assigns.) */
export function bytesPerChar(text: string): 1 | 2 {
  // eslint-disable-next-line no-control-regex
  return /[^\u0000-\u00ff]/.test(text) ? 2 : 1;
}

export interface History {
  readonly lastId: number;
  readonly oldestId: number;
  readonly size: number;
  /** Memory the kept JSON texts take (jsonCost). */
  readonly bytes: number;
  /** Store the JSON text of message `lastId + 1`. */
  push(json: string): void;
  /** Messages after `after`: at most `limit` of them, and no more than `maxBytes` of JSON (always at least one). */
  since(after: number, limit?: number, maxBytes?: number): Slice;
  all(): Slice;
  /** Forget everything and continue after `lastId` (a shared log that no longer keeps the messages before it). */
  restart(lastId: number): void;
}

export function createHistory(capacity: number, maxBytes = Infinity): History {
  const ring: string[] = new Array(Math.max(1, capacity));
  const costs = new Float64Array(ring.length);
  let lastId = 0; // id of the newest message
  let size = 0;
  let bytes = 0;

  const oldestId = () => (size ? lastId - size + 1 : lastId + 1);
  const slot = (id: number) => (id - 1) % ring.length;
  const at = (id: number) => ring[slot(id)]!;

  function range(from: number, limit: number, byteLimit: number): { items: string[]; more: boolean } {
    const to = Math.min(lastId, from + limit - 1);
    const out: string[] = [];
    let taken = 0;
    for (let id = from; id <= to; id++) {
      const json = at(id);
      taken += json.length;
      if (out.length && taken > byteLimit) break;
      out.push(json);
    }
    return { items: out, more: from + out.length - 1 < lastId };
  }

  function dropOldest() {
    const s = slot(oldestId());
    bytes -= costs[s]!;
    costs[s] = 0;
    ring[s] = "";
    size--;
  }

  return {
    get lastId() {
      return lastId;
    },
    get oldestId() {
      return oldestId();
    },
    get size() {
      return size;
    },
    get bytes() {
      return bytes;
    },
    push(json) {
      if (size === ring.length) dropOldest();
      lastId++;
      size++;
      const s = slot(lastId);
      ring[s] = json;
      costs[s] = jsonCost(json);
      bytes += costs[s]!;
      // The newest message always stays, whatever its size.
      while (bytes > maxBytes && size > 1) dropOldest();
    },
    since(after, limit = Infinity, byteLimit = Infinity) {
      const oldest = oldestId();
      // A gap (messages between the cursor and the oldest kept one are gone) or a cursor from the future (an
      // earlier room): say so and restart from what we have.
      const reset = after < oldest - 1 || after > lastId;
      const from = reset ? oldest : after + 1;
      const { items, more } = range(from, limit, byteLimit);
      const slice: Slice = { items, next: items.length ? from + items.length - 1 : reset ? oldest - 1 : after, reset };
      if (more && items.length) slice.more = true;
      return slice;
    },
    all() {
      const { items } = range(oldestId(), Infinity, Infinity);
      return { items, next: lastId, reset: false };
    },
    restart(id) {
      lastId = id;
      size = 0;
    },
  };
}
