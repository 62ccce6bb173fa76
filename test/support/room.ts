// Shared by every test suite: a real room server on a random loopback port, and an SSE reader whose next()
// resolves with the next event — so ordering tests read as "post, then expect the next event to be it".
import { startRoomServer, type RoomServer, type ServerOptions } from "../../src/server/index.js";
import { sseParser, type SseEvent } from "./sse.mjs";

export interface TestRoom extends RoomServer {
  password: string;
  /** fetch against the room with the password header set */
  api(path: string, init?: RequestInit & { json?: unknown; token?: string }): Promise<Response>;
}

export async function startTestRoom(opts: Partial<ServerOptions> = {}): Promise<TestRoom> {
  const password = opts.password ?? "test-pass-" + Math.random().toString(36).slice(2, 8);
  // test/redis/ runs some suites again with every room in Redis (its own key prefix, so rooms stay apart).
  const redis = process.env.AGENT_CHAT_TEST_REDIS;
  const store = redis ? { redis, redisPrefix: `t${Math.random().toString(36).slice(2, 10)}:` } : {};
  const server = await startRoomServer({ port: 0, host: "127.0.0.1", rateLimit: 0, loopGuard: 0, ...store, ...opts, password });
  return {
    ...server,
    password,
    api(path, init = {}) {
      const headers = new Headers(init.headers);
      if (init.token) headers.set("authorization", `Bearer ${init.token}`);
      else if (!headers.has("x-room-password") && !headers.has("authorization")) headers.set("x-room-password", password);
      let body = init.body;
      if (init.json !== undefined) {
        headers.set("content-type", "application/json");
        body = JSON.stringify(init.json);
      }
      return fetch(server.url + path, { ...init, headers, body });
    },
  };
}

/** Rooms started by a test, all closed after each test: `const room = useRooms(afterEach)`. */
export function useRooms(afterEach: (fn: () => Promise<unknown>) => void) {
  const rooms: TestRoom[] = [];
  afterEach(() => Promise.all(rooms.splice(0).map((r) => r.close())));
  return async (opts: Partial<ServerOptions> = {}) => {
    const r = await startTestRoom(opts);
    rooms.push(r);
    return r;
  };
}

export type { SseEvent } from "./sse.mjs";

/** Open an SSE stream with fetch (Node 20 has no EventSource) and read it with the tests' one parser. */
export async function openStream(url: string, headers: Record<string, string> = {}) {
  const ac = new AbortController();
  const res = await fetch(url, { headers, signal: ac.signal });
  const queue: SseEvent[] = [];
  const waiters: ((e: SseEvent | undefined) => void)[] = [];
  let ended = false;
  const comments: string[] = [];
  const parser = sseParser({
    onComment: (line) => comments.push(line),
    onEvent: (ev) => {
      const w = waiters.shift();
      if (w) w(ev);
      else queue.push(ev);
    },
  });
  (async () => {
    const decoder = new TextDecoder();
    try {
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) parser.feed(decoder.decode(chunk, { stream: true }));
    } catch {
      /* aborted */
    }
    ended = true;
    for (const w of waiters.splice(0)) w(undefined);
  })();
  return {
    status: res.status,
    headers: res.headers,
    comments,
    get ended() {
      return ended;
    },
    /**
     * The next event with data, or undefined when the stream ended; rejects after `ms`. The default is a safety net
     * (a busy machine can hold an event back for seconds); a test that checks "nothing more comes" passes a short one.
     */
    next(ms = 30_000): Promise<SseEvent | undefined> {
      const q = queue.shift();
      if (q) return Promise.resolve(q);
      if (ended) return Promise.resolve(undefined);
      return new Promise((resolve, reject) => {
        const waiter = (e: SseEvent | undefined) => (clearTimeout(t), resolve(e));
        const t = setTimeout(() => {
          // Give up the place in line: left there, the next event would go to this settled promise and be lost.
          const i = waiters.indexOf(waiter);
          if (i !== -1) waiters.splice(i, 1);
          reject(new Error(`no SSE event within ${ms} ms`));
        }, ms);
        waiters.push(waiter);
      });
    },
    /** The next `n` message events, parsed (`ms`: for each, a safety net). */
    async messages(n: number, ms = 30_000) {
      const out: { id: number; agent: string; text: string; kind: string }[] = [];
      while (out.length < n) {
        const e = await this.next(ms);
        if (!e) throw new Error(`stream ended after ${out.length} of ${n} messages`);
        if (e.event === "message") out.push(JSON.parse(e.data));
      }
      return out;
    },
    close() {
      ac.abort();
    },
  };
}
