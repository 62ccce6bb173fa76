// @ts-check
// The load kit, shared by the robustness suites (test/robustness), the soak (scripts/soak.mjs) and the benchmark
// (bench/run.mjs runs room-process.mjs): the room in its own process, plain HTTP calls over sockets we own, SSE and
// long-poll readers that check every id they see, a /health + post→delivery probe, figures (percentiles), raw
// requests over a socket, and a seeded random generator. Plain JavaScript so plain Node scripts can use it.
import { execSync, fork } from "node:child_process";
import { readdirSync, statSync } from "node:fs";
import http from "node:http";
import net from "node:net";
import { join as pathJoin } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import { sseParser } from "./sse.mjs";

export { sleep };
export const ROOT = fileURLToPath(new URL("../..", import.meta.url));

// ---------------------------------------------------------------------------------------------------------------
// A room server in a child process (dist/: build first).

/**
 * @typedef {{ streams: number; polls: number; sockets: number; rss: number; heapUsed: number; loopMaxMs: number; loopP99Ms: number }} ProcStats
 *   open streams/polls/sockets, memory now, and the event-loop delay of the server process since the last call (ms)
 * @typedef {{ heapUsed: number; rss: number; external: number; arrayBuffers: number }} ProcMem
 * @typedef {{ url: string; port: number; password: string; hostToken: string; pid: number; logs: string[];
 *   stats(): Promise<ProcStats>; mem(): Promise<ProcMem>; close(): Promise<void>; readonly crashed: boolean; readonly exitInfo: string }} RoomProcess
 */

/** dist/server is what the child runs: say so loudly when src/ is newer (run `npm run build`). */
export function distIsStale() {
  const dist = pathJoin(ROOT, "dist/server/index.js");
  let built;
  try {
    built = statSync(dist).mtimeMs;
  } catch {
    return "dist/server/index.js is missing: run `npm run build` (npm test does)";
  }
  for (const dir of ["src/server", "src/room"]) {
    for (const f of readdirSync(pathJoin(ROOT, dir))) {
      if (f.endsWith(".ts") && !f.endsWith(".test.ts") && statSync(pathJoin(ROOT, dir, f)).mtimeMs > built) return `${dir}/${f} is newer than dist/: run \`npm run build\``;
    }
  }
  return undefined;
}

/**
 * Start the room in its own process. `opts` are startRoomServer options (port 0 and 127.0.0.1 unless given;
 * a random password unless given); `quiet: true` drops the server's log lines instead of keeping them in `logs`.
 * @param {Record<string, unknown> & { quiet?: boolean }} [opts]
 * @returns {Promise<RoomProcess>}
 */
export async function startRoomProcess(opts = {}) {
  const stale = distIsStale();
  if (stale) console.warn(`[load] ${stale}`);
  const child = fork(fileURLToPath(new URL("./room-process.mjs", import.meta.url)), [], {
    execArgv: ["--expose-gc"],
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  /** @type {string[]} */
  const logs = [];
  /** @type {Map<number, (v: unknown) => void>} */
  const pending = new Map();
  let seq = 0;
  let crashed = false;
  let exitInfo = "";
  let closing = false;
  /** @type {Promise<{ url: string; port: number; password: string; hostToken: string }>} */
  const ready = new Promise((resolve, reject) => {
    child.on("message", (/** @type {any} */ m) => {
      if (m.type === "ready") resolve(m.value);
      else if (m.type === "log") logs.push(m.line);
      else if (m.type === "reply") {
        pending.get(m.id)?.(m.value);
        pending.delete(m.id);
      }
    });
    child.once("exit", (code, signal) => {
      exitInfo = `exit code ${code} signal ${signal}`;
      if (!closing) crashed = true;
      reject(new Error(`room process ended: ${exitInfo}`));
      for (const p of pending.values()) p(undefined);
    });
  });
  const password = /** @type {string} */ (opts.password ?? "robust-" + Math.random().toString(36).slice(2, 10));
  child.send({ type: "start", options: { port: 0, host: "127.0.0.1", ...opts, password } });
  const info = await ready;
  /** @template T @param {string} type @returns {Promise<T>} */
  const ask = (type) =>
    new Promise((resolve, reject) => {
      if (crashed) return reject(new Error(`room process crashed: ${exitInfo}`));
      const id = ++seq;
      pending.set(id, (v) => (v === undefined ? reject(new Error(`room process crashed: ${exitInfo}`)) : resolve(/** @type {any} */ (v))));
      child.send({ type, id });
    });
  return {
    ...info,
    pid: /** @type {number} */ (child.pid),
    logs,
    stats: () => ask("stats"),
    mem: () => ask("mem"),
    get crashed() {
      return crashed;
    },
    get exitInfo() {
      return exitInfo;
    },
    async close() {
      closing = true;
      if (child.exitCode !== null || child.signalCode !== null) return;
      const gone = new Promise((r) => child.once("exit", r));
      child.send({ type: "close" });
      const t = setTimeout(() => child.kill("SIGKILL"), 5000);
      await gone;
      clearTimeout(t);
    },
  };
}

/**
 * Wait until `cond` holds (polling every 50 ms), or fail with `what` and the last value seen.
 * @template T
 * @param {() => Promise<T> | T} get
 * @param {(v: T) => boolean} cond
 * @param {number} ms a safety net, not a measurement
 * @param {string} what
 * @returns {Promise<T>}
 */
export async function until(get, cond, ms, what) {
  const end = Date.now() + ms;
  let v = await get();
  while (!cond(v)) {
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}; last: ${JSON.stringify(v)}`);
    await sleep(50);
    v = await get();
  }
  return v;
}

/** The soft limit on open files, to scale connection counts down on small machines. */
export function openFileLimit() {
  try {
    const v = execSync("ulimit -n", { shell: "/bin/sh", encoding: "utf8" }).trim();
    return v === "unlimited" ? 1 << 20 : Number(v) || 1024;
  } catch {
    return 1024;
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Plain JSON calls over a keep-alive agent (fetch's pool is shared and opaque; these sockets are ours).

/** @typedef {{ status: number; headers: http.IncomingHttpHeaders; text: string; json: any }} JsonAnswer */
/** @typedef {{ method?: string; headers?: Record<string, string>; body?: string | Buffer; agent?: http.Agent | false; timeoutMs?: number }} RequestOptions */

/**
 * One request. A keep-alive socket the server closed as idle just as we reused it fails with ECONNRESET before
 * the server read anything: that one case is retried once, as Node's documentation recommends (req.reusedSocket).
 * @param {string} baseUrl @param {string} path @param {RequestOptions} [opts] @returns {Promise<JsonAnswer>}
 */
export async function request(baseUrl, path, opts = {}) {
  try {
    return await requestOnce(baseUrl, path, opts);
  } catch (e) {
    if (/** @type {any} */ (e).reusedSocket && /** @type {any} */ (e).code === "ECONNRESET") return requestOnce(baseUrl, path, opts);
    throw e;
  }
}

/** @param {string} baseUrl @param {string} path @param {RequestOptions} opts @returns {Promise<JsonAnswer>} */
function requestOnce(baseUrl, path, opts) {
  return new Promise((resolve, reject) => {
    const req = http.request(baseUrl + path, { method: opts.method ?? "GET", headers: opts.headers, agent: opts.agent ?? false }, (res) => {
      /** @type {Buffer[]} */
      const chunks = [];
      res.on("data", (c) => chunks.push(c));
      res.on("error", reject);
      res.on("end", () => {
        const text = Buffer.concat(chunks).toString("utf8");
        let json;
        try {
          json = JSON.parse(text);
        } catch {
          json = undefined;
        }
        resolve({ status: /** @type {number} */ (res.statusCode), headers: res.headers, text, json });
      });
    });
    req.on("error", (e) => reject(Object.assign(e, { reusedSocket: req.reusedSocket })));
    if (opts.timeoutMs) req.setTimeout(opts.timeoutMs, () => req.destroy(new Error(`no answer within ${opts.timeoutMs} ms`)));
    req.end(opts.body);
  });
}

/**
 * @param {string} baseUrl @param {string} password @param {string} name @param {"agent" | "human"} [kind] @param {http.Agent} [agent]
 * @returns {Promise<{ token: string; next: number; participant: { name: string } }>}
 */
export async function join(baseUrl, password, name, kind = "agent", agent) {
  const r = await request(baseUrl, "/join", {
    method: "POST",
    agent,
    headers: { "x-room-password": password, "content-type": "application/json" },
    body: JSON.stringify({ name, kind }),
  });
  if (r.status !== 201) throw new Error(`join ${name}: ${r.status} ${r.text}`);
  return r.json;
}

/** @param {string} baseUrl @param {string} token @param {string} text @param {http.Agent} [agent] */
export function postAs(baseUrl, token, text, agent) {
  return request(baseUrl, "/messages", {
    method: "POST",
    agent,
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    body: JSON.stringify({ text }),
  });
}

// ---------------------------------------------------------------------------------------------------------------
// Readers that check what they see: ids must follow each other by exactly one from the reader's starting cursor,
// across reconnects, and every id must carry the same text for every reader.

/** @typedef {{ id: number; agent: string; text: string; kind: string }} Msg */

/** What every reader saw, by id: the first reader to see an id records its text; later readers must agree. */
export class Ledger {
  /** @type {Map<number, string>} id → agent\0text */
  texts = new Map();
  /** the first 50 problems, in words */
  /** @type {string[]} */
  errors = [];
  /** ids skipped (never delivered to a reader that should have had them) */
  gaps = 0;
  duplicates = 0;
  disagreements = 0;
  resets = 0;
  /** @param {string} who @param {Msg} m */
  see(who, m) {
    const key = `${m.agent}\u0000${m.text}`;
    const prev = this.texts.get(m.id);
    if (prev === undefined) this.texts.set(m.id, key);
    else if (prev !== key) (this.disagreements++, this.error(`${who}: id ${m.id} differs between readers`));
  }
  /** @param {string} e */
  error(e) {
    if (this.errors.length < 50) this.errors.push(e);
  }
}

/**
 * @typedef {object} ReaderOptions
 * @property {boolean} [refusalIsError] an answer other than 200 is a ledger error (default); false: expected now
 *   and then (a 503 during a connection burst), retried after 1–3 s
 * @property {number} [reconnectMs] the longest pause before reconnecting after a drop (default 250; from a fifth of it)
 * @property {number} [pollTimeoutS] long-poll hold (default 20)
 * @property {number} [thinkMs] a long-poll reader waits up to this long between polls, as an agent between waits (0)
 */

class Reader {
  /** @type {((m: Msg, at: number) => void) | undefined} called with performance.now() at delivery */
  onMessage;
  received = 0;
  reconnects = 0;
  resets = 0;
  closed = false;
  /** @type {http.ClientRequest | undefined} */
  req;
  /** @type {{ id: number; resolve: () => void }[]} resolves when the reader has seen `id` */
  waits = [];
  /**
   * @param {string} name @param {string} baseUrl @param {Record<string, string>} auth
   * @param {number} start the cursor to read after @param {Ledger} ledger @param {ReaderOptions} [options]
   */
  constructor(name, baseUrl, auth, start, ledger, options = {}) {
    this.name = name;
    this.baseUrl = baseUrl;
    this.auth = auth;
    this.cursor = start;
    this.start = start;
    this.ledger = ledger;
    this.options = { refusalIsError: true, reconnectMs: 250, pollTimeoutS: 20, thinkMs: 0, ...options };
  }

  /** @param {Msg} m */
  deliver(m) {
    if (m.id !== this.cursor + 1) {
      if (m.id <= this.cursor) this.ledger.duplicates++;
      else this.ledger.gaps += m.id - this.cursor - 1;
      this.ledger.error(`${this.name}: got id ${m.id} after ${this.cursor} (${m.id <= this.cursor ? "duplicate" : "gap"})`);
    }
    if (m.id > this.cursor) this.cursor = m.id;
    this.received++;
    this.ledger.see(this.name, m);
    this.onMessage?.(m, performance.now());
    if (this.waits.length) this.waits = this.waits.filter((w) => (w.id <= this.cursor ? (w.resolve(), false) : true));
  }

  /** @param {string} what */
  reset(what) {
    this.resets++;
    this.ledger.resets++;
    this.ledger.error(`${this.name}: ${what} at cursor ${this.cursor}`);
  }

  /** Resolves true once the reader has seen `id`, false after `ms`. @param {number} id @param {number} ms @returns {Promise<boolean>} */
  reachedOrWait(id, ms) {
    if (this.cursor >= id) return Promise.resolve(true);
    return new Promise((resolve) => {
      const t = setTimeout(() => resolve(false), ms);
      this.waits.push({ id, resolve: () => (clearTimeout(t), resolve(true)) });
    });
  }

  /** A pause before reconnecting, spread so readers do not come back all at once. */
  reconnectDelay() {
    const max = this.options.reconnectMs;
    return max / 5 + Math.random() * (max - max / 5);
  }

  /** @param {number} status */
  refused(status) {
    if (this.options.refusalIsError) this.ledger.error(`${this.name}: answered ${status}`);
  }

  connect() {}
  /** Disconnect politely (abort the request); a reader not stopped reconnects. */
  drop() {
    const r = this.req;
    if (!r) return; // between requests: the next one is already on its way
    this.req = undefined;
    r.destroy();
    this.again();
  }
  /** Kill the connection as a crashed client would (RST); a reader not stopped reconnects. */
  kill() {
    const r = this.req;
    if (!r) return;
    this.req = undefined;
    const s = /** @type {net.Socket | null} */ (r.socket);
    if (s?.resetAndDestroy) s.resetAndDestroy();
    else r.destroy();
    this.again();
  }
  again() {
    if (this.closed) return;
    this.reconnects++;
    setTimeout(() => this.connect(), this.reconnectDelay());
  }
  stop() {
    this.closed = true;
    this.req?.destroy();
    this.req = undefined;
  }
}

/** An SSE reader over node:http that resumes with Last-Event-ID. */
export class SseReader extends Reader {
  status = 0;
  opened = 0;

  /** @override */
  connect() {
    if (this.closed || this.req) return;
    const headers = { ...this.auth, accept: "text/event-stream", "last-event-id": String(this.cursor) };
    const req = http.get(this.baseUrl + "/messages/stream", { headers, agent: false });
    this.req = req;
    req.on("error", () => this.lost(req));
    req.on("response", (res) => {
      this.status = res.statusCode ?? 0;
      if (res.statusCode !== 200) {
        this.refused(this.status);
        res.resume();
        res.on("end", () => this.lost(req, true));
        return;
      }
      this.opened++;
      res.setEncoding("utf8");
      const parser = sseParser({
        onEvent: (e) => {
          if (req !== this.req) return; // an abandoned connection's last bytes: the next one resumes from the cursor
          if (e.event === "message") this.deliver(JSON.parse(e.data));
          else if (e.event === "reset") this.reset(`reset ${e.data}`);
        },
      });
      res.on("data", (/** @type {string} */ chunk) => parser.feed(chunk));
      res.on("error", () => {});
      res.on("close", () => this.lost(req));
    });
  }

  /** @param {http.ClientRequest} req @param {boolean} [refused] */
  lost(req, refused = false) {
    if (req !== this.req) return;
    this.req = undefined;
    if (this.closed) return;
    this.reconnects++;
    setTimeout(() => this.connect(), refused && !this.options.refusalIsError ? 1000 + Math.random() * 2000 : this.reconnectDelay());
  }
}

/** A long-poll reader: after=<cursor>, held up to `pollTimeoutS`, one request at a time. */
export class PollReader extends Reader {
  polls = 0;

  /** @override */
  connect() {
    if (this.closed || this.req) return;
    const req = http.get(`${this.baseUrl}/messages/poll?after=${this.cursor}&timeout=${this.options.pollTimeoutS}`, { headers: this.auth, agent: false });
    this.req = req;
    this.polls++;
    req.on("error", () => this.next(req, 100 + Math.random() * 200));
    req.on("response", (res) => {
      /** @type {Buffer[]} */
      const chunks = [];
      res.on("data", (c) => chunks.push(c));
      res.on("error", () => {});
      res.on("end", () => {
        if (req !== this.req) return;
        if (res.statusCode === 200) {
          const body = JSON.parse(Buffer.concat(chunks).toString("utf8"));
          if (body.reset) this.reset("poll reset");
          for (const m of body.messages) this.deliver(m);
          return this.next(req, Math.random() * this.options.thinkMs);
        }
        this.refused(res.statusCode ?? 0);
        this.next(req, this.options.refusalIsError ? 0 : 1000 + Math.random() * 2000);
      });
    });
  }

  /** @param {http.ClientRequest} req @param {number} delayMs */
  next(req, delayMs) {
    if (req !== this.req) return;
    this.req = undefined;
    if (!this.closed) setTimeout(() => this.connect(), delayMs);
  }
}

/** @typedef {SseReader | PollReader} AnyReader */

// ---------------------------------------------------------------------------------------------------------------
// The probe: while something else goes on, /health every 100 ms and a probe message every 200 ms to the probe's own
// stream. It records when each answer came, so a test can check the room answered *during* a fault (an ordering,
// true on any machine) while the durations are figures to print.

/**
 * @typedef {{ health: number[]; healthAt: number[]; healthFailures: string[]; delivery: number[]; deliveredAt: number[];
 *   lostProbes: number; postFailures: string[] }} ProbeResult
 *   durations (ms), and performance.now() when each /health answer and each probe delivery arrived
 */

/** @param {string} baseUrl @param {string} password @param {string} [name] */
export async function startProbe(baseUrl, password, name = "prober") {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 2 });
  const { token, next } = await join(baseUrl, password, name, "human", agent); // human: never paused by the loop guard
  const ledger = new Ledger();
  const stream = new SseReader(name, baseUrl, { authorization: `Bearer ${token}` }, next, ledger);
  /** @type {Map<string, number>} */
  const sent = new Map();
  /** @type {ProbeResult} */
  const result = { health: [], healthAt: [], healthFailures: [], delivery: [], deliveredAt: [], lostProbes: 0, postFailures: [] };
  stream.onMessage = (m, at) => {
    const t0 = sent.get(m.text);
    if (t0 !== undefined) {
      result.delivery.push(at - t0);
      result.deliveredAt.push(at);
      sent.delete(m.text);
    }
  };
  stream.connect();
  await until(() => stream.opened, (n) => n > 0, 30_000, "the probe's stream to open");
  let running = true;
  let n = 0;
  const healthLoop = (async () => {
    while (running) {
      const t0 = performance.now();
      try {
        const r = await request(baseUrl, "/health", { agent, timeoutMs: 30_000 });
        if (r.status !== 200) result.healthFailures.push(`status ${r.status}`);
        result.health.push(performance.now() - t0);
        result.healthAt.push(performance.now());
      } catch (e) {
        result.healthFailures.push(String(e));
      }
      await sleep(100);
    }
  })();
  const postLoop = (async () => {
    while (running) {
      const text = `probe-${++n}`;
      sent.set(text, performance.now());
      try {
        const r = await postAs(baseUrl, token, text, agent);
        if (r.status !== 201) (result.postFailures.push(`status ${r.status} ${r.text.slice(0, 100)}`), sent.delete(text));
      } catch (e) {
        result.postFailures.push(String(e));
        sent.delete(text);
      }
      await sleep(200);
    }
  })();
  /** How many /health answers and probe deliveries have arrived after `t` (performance.now()) so far. @param {number} t */
  const answeredSince = (t) => ({ health: result.healthAt.filter((x) => x > t).length, delivered: result.deliveredAt.filter((x) => x > t).length });
  return {
    token,
    /**
     * Resolves once a /health answer and a probe delivery have both arrived after `t` (performance.now()): the room
     * answers the probe at that point, whatever the machine's load. `health` asks for that many /health answers
     * after `t` (a count reached by waiting, never by assuming how long something took).
     * @param {number} [t] @param {number} [ms] @param {number} [health]
     */
    answeredAfter(t = performance.now(), ms = 30_000, health = 1) {
      return until(
        () => answeredSince(t),
        (c) => c.health >= health && c.delivered > 0,
        ms,
        "the probe to be answered",
      );
    },
    answeredSince,
    /** Stop, wait for the probes still on their way (up to `graceMs`), and report. */
    async stop(graceMs = 30_000) {
      running = false;
      await Promise.all([healthLoop, postLoop]);
      const end = Date.now() + graceMs;
      while (sent.size && Date.now() < end) await sleep(20);
      result.lostProbes = sent.size;
      stream.stop();
      agent.destroy();
      if (ledger.errors.length) result.postFailures.push(...ledger.errors);
      return result;
    },
  };
}

/** n, p50, p99, max of a list of durations (ms). @param {number[]} xs */
export function summary(xs) {
  if (!xs.length) return { n: 0, p50: 0, p99: 0, max: 0 };
  const s = [...xs].sort((a, b) => a - b);
  const at = (/** @type {number} */ q) => /** @type {number} */ (s[Math.min(s.length - 1, Math.floor(q * s.length))]);
  return { n: s.length, p50: Math.round(at(0.5)), p99: Math.round(at(0.99)), max: Math.round(/** @type {number} */ (s[s.length - 1])) };
}

/** Millisecond histogram (to 60 s): percentiles of millions of samples without keeping them. */
export class Hist {
  counts = new Uint32Array(60_001);
  n = 0;
  max = 0;
  /** @param {number} ms */
  add(ms) {
    const v = Math.max(0, Math.min(60_000, Math.round(ms)));
    this.counts[v]++;
    this.n++;
    if (ms > this.max) this.max = ms;
  }
  /** @param {number} q */
  p(q) {
    if (!this.n) return 0;
    let want = Math.ceil(q * this.n);
    for (let i = 0; i < this.counts.length; i++) if ((want -= /** @type {number} */ (this.counts[i])) <= 0) return i;
    return 60_000;
  }
  get summary() {
    return { n: this.n, p50: this.p(0.5), p99: this.p(0.99), max: Math.round(this.max) };
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Raw HTTP over a socket: send any bytes, read the answer (status, headers, body) or note that none came.

/**
 * @typedef {{ status: number; statusLine: string; headers: Record<string, string>; body: Buffer; done: boolean; silent: boolean; error?: string }} RawAnswer
 *   done: the server closed, or the answer was complete; silent: no status line before the deadline
 */

/** A socket to the room that ignores its own errors (the tests cut them on purpose). @param {number} port @param {string | Buffer} [bytes] */
export function rawSocket(port, bytes) {
  const s = net.connect(port, "127.0.0.1");
  s.on("error", () => {});
  if (bytes) s.write(bytes);
  return s;
}

/**
 * Write `chunks` (with `gapMs` between them) and read one answer. Stops when the answer is complete
 * (Content-Length, chunked end, or close), or at `deadlineMs`; `headersOnly` stops at the headers (SSE).
 * @param {number} port @param {(string | Buffer)[]} chunks @param {{ deadlineMs?: number; gapMs?: number; headersOnly?: boolean }} [opts]
 * @returns {Promise<RawAnswer>}
 */
export function rawRequest(port, chunks, opts = {}) {
  const deadline = opts.deadlineMs ?? 5000;
  return new Promise((resolve) => {
    const s = net.connect(port, "127.0.0.1");
    let buf = Buffer.alloc(0);
    let finished = false;
    /** @type {RawAnswer} */
    const answer = { status: 0, statusLine: "", headers: {}, body: Buffer.alloc(0), done: false, silent: true };
    /** @param {boolean} done */
    const finish = (done) => {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      parse();
      answer.done = done || answer.done;
      s.destroy();
      resolve(answer);
    };
    const timer = setTimeout(() => finish(false), deadline);
    let headEnd = -1;
    const parse = () => {
      if (headEnd === -1) headEnd = buf.indexOf("\r\n\r\n");
      if (headEnd === -1) return false;
      const head = buf.subarray(0, headEnd).toString("latin1").split("\r\n");
      answer.statusLine = /** @type {string} */ (head[0]);
      answer.status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(answer.statusLine)?.[1] ?? 0);
      answer.silent = false;
      for (const l of head.slice(1)) {
        const i = l.indexOf(":");
        if (i > 0) answer.headers[l.slice(0, i).trim().toLowerCase()] = l.slice(i + 1).trim();
      }
      const body = buf.subarray(headEnd + 4);
      if (answer.headers["transfer-encoding"]?.includes("chunked")) {
        /** @type {Buffer[]} */
        const out = [];
        let rest = body;
        let complete = false;
        for (;;) {
          const nl = rest.indexOf("\r\n");
          if (nl === -1) break;
          const size = parseInt(rest.subarray(0, nl).toString("latin1"), 16);
          if (Number.isNaN(size)) break;
          if (size === 0) {
            complete = true;
            break;
          }
          if (rest.length < nl + 2 + size + 2) break;
          out.push(rest.subarray(nl + 2, nl + 2 + size));
          rest = rest.subarray(nl + 2 + size + 2);
        }
        answer.body = Buffer.concat(out);
        return complete;
      }
      answer.body = body;
      const cl = answer.headers["content-length"];
      if (cl !== undefined) return body.length >= Number(cl);
      // 1xx/204/304 and HEAD answers have no body
      return answer.status === 204 || answer.status === 304;
    };
    s.on("data", (d) => {
      buf = Buffer.concat([buf, d]);
      if (buf.length > 4 * 1024 * 1024) return finish(false); // enough to judge any answer
      if (parse() || (opts.headersOnly && !answer.silent)) finish(true);
    });
    s.on("error", (e) => (answer.error = /** @type {NodeJS.ErrnoException} */ (e).code ?? String(e)));
    s.on("close", () => finish(true));
    s.on("connect", async () => {
      for (let i = 0; i < chunks.length; i++) {
        if (finished || s.destroyed) return;
        s.write(/** @type {string | Buffer} */ (chunks[i]));
        if (opts.gapMs && i < chunks.length - 1) await sleep(opts.gapMs);
      }
    });
  });
}

// ---------------------------------------------------------------------------------------------------------------

/** mulberry32: a small seeded generator, so a failing fuzz case can be replayed by its seed and index. @param {number} seed */
export function rng(seed) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    /** @param {number} lo @param {number} hi */
    int: (lo, hi) => lo + Math.floor(next() * (hi - lo + 1)),
    /** @template T @param {readonly T[]} xs @returns {T} */
    pick: (xs) => /** @type {T} */ (xs[Math.floor(next() * xs.length)]),
    /** @param {number} p */
    chance: (p) => next() < p,
  };
}
/** @typedef {ReturnType<typeof rng>} Rng */
