// The bounded message history: a ring of serialised messages. Ids are contiguous, so "after N" is an index, not a
// search. Each message is kept once, as its JSON text, which is also what every reader is sent.

export interface Slice {
  /** JSON texts of the messages with id > after, oldest first. */
  items: string[];
  /** Id of the last message in `items`, or the cursor the caller should keep when there are none. */
  next: number;
  /** The cursor was older than the oldest kept message, or newer than the newest: items start at the oldest. */
  reset: boolean;
}

export interface History {
  readonly lastId: number;
  readonly oldestId: number;
  readonly size: number;
  /** Store the JSON text of message `lastId + 1`. */
  push(json: string): void;
  since(after: number, limit?: number): Slice;
  all(): Slice;
}

export function createHistory(capacity: number): History {
  const ring: string[] = new Array(Math.max(1, capacity));
  let lastId = 0; // id of the newest message
  let size = 0;

  const oldestId = () => (size ? lastId - size + 1 : lastId + 1);
  const at = (id: number) => ring[(id - 1) % ring.length]!;

  function range(from: number, limit: number): string[] {
    const to = Math.min(lastId, from + limit - 1);
    const out: string[] = [];
    for (let id = from; id <= to; id++) out.push(at(id));
    return out;
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
    push(json) {
      lastId++;
      ring[(lastId - 1) % ring.length] = json;
      if (size < ring.length) size++;
    },
    since(after, limit = Infinity) {
      const oldest = oldestId();
      // A gap (messages between the cursor and the oldest kept one are gone) or a cursor from the future (an
      // earlier room): say so and restart from what we have.
      const reset = after < oldest - 1 || after > lastId;
      const from = reset ? oldest : after + 1;
      const items = range(from, limit);
      return { items, next: items.length ? from + items.length - 1 : reset ? oldest - 1 : after, reset };
    },
    all() {
      const items = range(oldestId(), Infinity);
      return { items, next: lastId, reset: false };
    },
  };
}
