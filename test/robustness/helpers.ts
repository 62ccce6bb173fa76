import { afterEach, expect } from "vitest";
// Shared by the robustness suites: a room server in its own process (clean timing and memory figures), raw HTTP
// over net sockets (for requests fetch refuses to send), SSE and long-poll readers that check every id they see,
// a post→delivery probe, a seeded random generator, and the README's table of error codes.
import { execSync, fork, type ChildProcess } from "node:child_process";
import { readFileSync, statSync, readdirSync } from "node:fs";
import http from "node:http";
import net from "node:net";
import { join as pathJoin } from "node:path";
import { fileURLToPath } from "node:url";

export const ROOT = fileURLToPath(new URL("../..", import.meta.url));
export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

// ---------------------------------------------------------------------------------------------------------------
// A room server in a child process (dist/, so `npm test` builds first).

export interface ProcStats {
  streams: number;
  polls: number;
  sockets: number;
  /** event-loop delay of the server process since the last stats() call, ms */
  loopMaxMs: number;
  loopP99Ms: number;
}
export interface ProcMem {
  heapUsed: number;
  rss: number;
  external: number;
  arrayBuffers: number;
}

export interface RoomProcess {
  url: string;
  port: number;
  password: string;
  hostToken: string;
  logs: string[];
  stats(): Promise<ProcStats>;
  /** process.memoryUsage() after two full GCs in the server process */
  mem(): Promise<ProcMem>;
  close(): Promise<void>;
  /** true when the server process died by itself */
  readonly crashed: boolean;
  readonly exitInfo: string;
}

/** dist/server is what the child runs: say so loudly when src/ is newer (run `npm run build`). */
export function distIsStale(): string | undefined {
  const dist = pathJoin(ROOT, "dist/server/index.js");
  let built: number;
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

/** Room processes started by a test, each checked for a crash and closed after every test. */
export function useRoomProcesses(defaults: Record<string, unknown> = {}) {
  const rooms: RoomProcess[] = [];
  afterEach(async () => {
    for (const r of rooms.splice(0)) {
      expect(r.crashed, `server process died: ${r.exitInfo}`).toBe(false);
      await r.close();
    }
  });
  return async (opts: Record<string, unknown> = {}) => {
    const r = await startRoomProcess({ ...defaults, ...opts });
    rooms.push(r);
    return r;
  };
}

export async function startRoomProcess(opts: Record<string, unknown> = {}): Promise<RoomProcess> {
  const stale = distIsStale();
  if (stale) console.warn(`[robustness] ${stale}`);
  const child: ChildProcess = fork(fileURLToPath(new URL("./room-process.mjs", import.meta.url)), [], {
    execArgv: ["--expose-gc"],
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  const logs: string[] = [];
  const pending = new Map<number, (v: unknown) => void>();
  let seq = 0;
  let crashed = false;
  let exitInfo = "";
  let closing = false;
  const ready = new Promise<{ url: string; port: number; password: string; hostToken: string }>((resolve, reject) => {
    child.on("message", (m: { type: string; id?: number; value?: unknown; line?: string }) => {
      if (m.type === "ready") resolve(m.value as never);
      else if (m.type === "log") logs.push(m.line!);
      else if (m.type === "reply") {
        pending.get(m.id!)?.(m.value);
        pending.delete(m.id!);
      }
    });
    child.once("exit", (code, signal) => {
      exitInfo = `exit code ${code} signal ${signal}`;
      if (!closing) crashed = true;
      reject(new Error(`room process ended: ${exitInfo}`));
      for (const p of pending.values()) p(undefined);
    });
  });
  const password = (opts.password as string) ?? "robust-" + Math.random().toString(36).slice(2, 10);
  child.send({ type: "start", options: { port: 0, host: "127.0.0.1", ...opts, password } });
  const info = await ready;
  const ask = <T>(type: string) =>
    new Promise<T>((resolve, reject) => {
      if (crashed) return reject(new Error(`room process crashed: ${exitInfo}`));
      const id = ++seq;
      pending.set(id, (v) => (v === undefined ? reject(new Error(`room process crashed: ${exitInfo}`)) : resolve(v as T)));
      child.send({ type, id });
    });
  return {
    ...info,
    logs,
    stats: () => ask<ProcStats>("stats"),
    mem: () => ask<ProcMem>("mem"),
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

/** Wait until `cond` holds (polling), or fail with `what` and the last value seen. */
export async function until<T>(get: () => Promise<T> | T, cond: (v: T) => boolean, ms: number, what: string): Promise<T> {
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
export function openFileLimit(): number {
  try {
    const v = execSync("ulimit -n", { shell: "/bin/sh", encoding: "utf8" }).trim();
    return v === "unlimited" ? 1 << 20 : Number(v) || 1024;
  } catch {
    return 1024;
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Plain JSON calls over a keep-alive agent (fetch's pool is shared and opaque; these sockets are ours).

export interface JsonAnswer {
  status: number;
  headers: http.IncomingHttpHeaders;
  text: string;
  json: any;
}

type RequestOptions = { method?: string; headers?: Record<string, string>; body?: string | Buffer; agent?: http.Agent | false; timeoutMs?: number };

/**
 * One request. A keep-alive socket the server closed as idle just as we reused it fails with ECONNRESET before
 * the server read anything: that one case is retried once, as Node's documentation recommends (req.reusedSocket).
 */
export async function request(baseUrl: string, path: string, opts: RequestOptions = {}): Promise<JsonAnswer> {
  try {
    return await requestOnce(baseUrl, path, opts);
  } catch (e) {
    if ((e as { reusedSocket?: boolean }).reusedSocket && (e as NodeJS.ErrnoException).code === "ECONNRESET") return requestOnce(baseUrl, path, opts);
    throw e;
  }
}

function requestOnce(baseUrl: string, path: string, opts: RequestOptions): Promise<JsonAnswer> {
  return new Promise((resolve, reject) => {
    const req = http.request(baseUrl + path, { method: opts.method ?? "GET", headers: opts.headers, agent: opts.agent ?? false }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("error", reject);
      res.on("end", () => {
        const text = Buffer.concat(chunks).toString("utf8");
        let json: unknown;
        try {
          json = JSON.parse(text);
        } catch {
          json = undefined;
        }
        resolve({ status: res.statusCode!, headers: res.headers, text, json });
      });
    });
    req.on("error", (e) => reject(Object.assign(e, { reusedSocket: req.reusedSocket })));
    if (opts.timeoutMs) req.setTimeout(opts.timeoutMs, () => req.destroy(new Error(`no answer within ${opts.timeoutMs} ms`)));
    req.end(opts.body);
  });
}

export async function join(baseUrl: string, password: string, name: string, kind: "agent" | "human" = "agent", agent?: http.Agent) {
  const r = await request(baseUrl, "/join", {
    method: "POST",
    agent,
    headers: { "x-room-password": password, "content-type": "application/json" },
    body: JSON.stringify({ name, kind }),
  });
  if (r.status !== 201) throw new Error(`join ${name}: ${r.status} ${r.text}`);
  return r.json as { token: string; next: number; participant: { name: string } };
}

export function postAs(baseUrl: string, token: string, text: string, agent?: http.Agent) {
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

export interface Msg {
  id: number;
  agent: string;
  text: string;
  kind: string;
}

/** What every reader saw, by id: the first reader to see an id records its text; later readers must agree. */
export class Ledger {
  readonly texts = new Map<number, string>();
  readonly errors: string[] = [];
  see(who: string, m: Msg) {
    const key = `${m.agent}\u0000${m.text}`;
    const prev = this.texts.get(m.id);
    if (prev === undefined) this.texts.set(m.id, key);
    else if (prev !== key) this.error(`${who}: id ${m.id} differs between readers`);
  }
  error(e: string) {
    if (this.errors.length < 50) this.errors.push(e);
  }
}

abstract class Reader {
  cursor: number;
  readonly start: number;
  received = 0;
  reconnects = 0;
  resets = 0;
  closed = false;
  /** resolves when the reader has seen `id` */
  private waits: { id: number; resolve: () => void }[] = [];
  onMessage?: (m: Msg, at: number) => void;

  constructor(
    readonly name: string,
    protected readonly baseUrl: string,
    protected readonly auth: Record<string, string>,
    start: number,
    protected readonly ledger: Ledger,
  ) {
    this.cursor = start;
    this.start = start;
  }

  protected deliver(m: Msg) {
    if (m.id !== this.cursor + 1) {
      this.ledger.error(`${this.name}: got id ${m.id} after ${this.cursor} (${m.id <= this.cursor ? "duplicate" : "gap"})`);
    }
    if (m.id > this.cursor) this.cursor = m.id;
    this.received++;
    this.ledger.see(this.name, m);
    this.onMessage?.(m, performance.now());
    if (this.waits.length) {
      this.waits = this.waits.filter((w) => (w.id <= this.cursor ? (w.resolve(), false) : true));
    }
  }

  reachedOrWait(id: number, ms: number): Promise<boolean> {
    if (this.cursor >= id) return Promise.resolve(true);
    return new Promise((resolve) => {
      const t = setTimeout(() => resolve(false), ms);
      this.waits.push({ id, resolve: () => (clearTimeout(t), resolve(true)) });
    });
  }

  abstract connect(): void;
  /** Disconnect politely (abort the request). */
  abstract drop(): void;
  /** Kill the connection: destroy the socket as a crashed client would. */
  abstract kill(): void;
  stop() {
    this.closed = true;
    this.drop();
  }
}

/** An SSE reader over node:http that resumes with Last-Event-ID. */
export class SseReader extends Reader {
  private req?: http.ClientRequest;
  private socket?: net.Socket;
  status = 0;
  opened = 0;

  connect() {
    if (this.closed || this.req) return;
    const headers: Record<string, string> = { ...this.auth, accept: "text/event-stream", "last-event-id": String(this.cursor) };
    const req = http.get(this.baseUrl + "/messages/stream", { headers, agent: false });
    this.req = req;
    req.on("socket", (s) => (this.socket = s));
    req.on("error", () => this.lost(req));
    req.on("response", (res) => {
      this.status = res.statusCode ?? 0;
      if (res.statusCode !== 200) {
        this.ledger.error(`${this.name}: stream answered ${res.statusCode}`);
        res.resume();
        res.on("end", () => this.lost(req));
        return;
      }
      this.opened++;
      res.setEncoding("utf8");
      let buf = "";
      res.on("data", (chunk: string) => {
        if (req !== this.req) return; // an abandoned connection's last bytes: the next one resumes from the cursor
        buf += chunk;
        let i;
        while ((i = buf.indexOf("\n\n")) !== -1) {
          const block = buf.slice(0, i);
          buf = buf.slice(i + 2);
          let event = "message";
          let data = "";
          for (const line of block.split("\n")) {
            if (line.startsWith("event: ")) event = line.slice(7);
            else if (line.startsWith("data: ")) data += line.slice(6);
          }
          if (!data) continue;
          if (event === "message") this.deliver(JSON.parse(data) as Msg);
          else if (event === "reset") {
            this.resets++;
            this.ledger.error(`${this.name}: reset ${data} at cursor ${this.cursor}`);
          }
        }
      });
      res.on("error", () => {});
      res.on("close", () => this.lost(req));
    });
  }

  private lost(req: http.ClientRequest) {
    if (req !== this.req) return;
    this.req = undefined;
    this.socket = undefined;
    if (!this.closed) {
      this.reconnects++;
      setTimeout(() => this.connect(), 50 + Math.random() * 200);
    }
  }

  drop() {
    this.req?.destroy();
  }
  kill() {
    // resetAndDestroy: the peer sees an RST, as from a crashed process
    const s = this.socket as (net.Socket & { resetAndDestroy?: () => void }) | undefined;
    if (s?.resetAndDestroy) s.resetAndDestroy();
    else this.req?.destroy();
  }
}

/** A long-poll reader: after=<cursor>, holds up to `timeoutS`. */
export class PollReader extends Reader {
  private req?: http.ClientRequest;
  polls = 0;
  constructor(name: string, baseUrl: string, auth: Record<string, string>, start: number, ledger: Ledger, private readonly timeoutS = 20) {
    super(name, baseUrl, auth, start, ledger);
  }

  connect() {
    if (this.closed || this.req) return; // one request at a time
    const req = http.get(`${this.baseUrl}/messages/poll?after=${this.cursor}&timeout=${this.timeoutS}`, { headers: this.auth, agent: false });
    this.req = req;
    this.polls++;
    req.on("error", () => this.again(req, 100 + Math.random() * 200));
    req.on("response", (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("error", () => {});
      res.on("end", () => {
        if (req !== this.req) return;
        if (res.statusCode === 200) {
          const body = JSON.parse(Buffer.concat(chunks).toString("utf8")) as { messages: Msg[]; next: number; reset?: boolean };
          if (body.reset) (this.resets++, this.ledger.error(`${this.name}: poll reset at cursor ${this.cursor}`));
          for (const m of body.messages) this.deliver(m);
        } else this.ledger.error(`${this.name}: poll answered ${res.statusCode}`);
        this.again(req);
      });
    });
  }

  private again(req: http.ClientRequest, delayMs = 0) {
    if (req !== this.req) return;
    this.req = undefined;
    if (!this.closed) setTimeout(() => this.connect(), delayMs);
  }

  drop() {
    const r = this.req;
    if (!r) return; // between polls: the next one is already on its way
    this.req = undefined;
    r.destroy();
    if (!this.closed) {
      this.reconnects++;
      setTimeout(() => this.connect(), 50 + Math.random() * 200);
    }
  }
  kill() {
    const r = this.req;
    if (!r) return;
    const s = r.socket as (net.Socket & { resetAndDestroy?: () => void }) | null;
    this.req = undefined;
    if (s?.resetAndDestroy) s.resetAndDestroy();
    else r.destroy();
    if (!this.closed) {
      this.reconnects++;
      setTimeout(() => this.connect(), 50 + Math.random() * 200);
    }
  }
}

export type AnyReader = SseReader | PollReader;

// ---------------------------------------------------------------------------------------------------------------
// The probe: while a fault runs, /health every 100 ms and a probe message every 200 ms to the probe's own stream.

export interface ProbeResult {
  health: number[];
  healthFailures: string[];
  delivery: number[];
  lostProbes: number;
  postFailures: string[];
}

export async function startProbe(baseUrl: string, password: string, name = "prober") {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 2 });
  const { token, next } = await join(baseUrl, password, name, "human", agent); // human: never paused by the loop guard
  const ledger = new Ledger();
  const stream = new SseReader(name, baseUrl, { authorization: `Bearer ${token}` }, next, ledger);
  const sent = new Map<string, number>();
  const result: ProbeResult = { health: [], healthFailures: [], delivery: [], lostProbes: 0, postFailures: [] };
  stream.onMessage = (m, at) => {
    const t0 = sent.get(m.text);
    if (t0 !== undefined) {
      result.delivery.push(at - t0);
      sent.delete(m.text);
    }
  };
  stream.connect();
  await until(() => stream.opened, (n) => n > 0, 5000, "the probe's stream to open");
  let running = true;
  let n = 0;
  const healthLoop = (async () => {
    while (running) {
      const t0 = performance.now();
      try {
        const r = await request(baseUrl, "/health", { agent, timeoutMs: 5000 });
        if (r.status !== 200) result.healthFailures.push(`status ${r.status}`);
        result.health.push(performance.now() - t0);
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
  return {
    token,
    /** Stop, give the last probe a second to arrive, and report. */
    async stop(): Promise<ProbeResult> {
      running = false;
      await Promise.all([healthLoop, postLoop]);
      const end = Date.now() + 2000;
      while (sent.size && Date.now() < end) await sleep(20);
      result.lostProbes = sent.size;
      stream.stop();
      agent.destroy();
      if (ledger.errors.length) result.postFailures.push(...ledger.errors);
      return result;
    },
  };
}

export function summary(xs: number[]) {
  if (!xs.length) return { n: 0, p50: 0, p99: 0, max: 0 };
  const s = [...xs].sort((a, b) => a - b);
  const at = (q: number) => s[Math.min(s.length - 1, Math.floor(q * s.length))]!;
  return { n: s.length, p50: Math.round(at(0.5)), p99: Math.round(at(0.99)), max: Math.round(s[s.length - 1]!) };
}

// ---------------------------------------------------------------------------------------------------------------
// Raw HTTP over a socket: send any bytes, read the answer (status, headers, body) or note that none came.

export interface RawAnswer {
  status: number;
  statusLine: string;
  headers: Record<string, string>;
  body: Buffer;
  /** the server closed, or the answer was complete */
  done: boolean;
  /** no status line before the deadline */
  silent: boolean;
  error?: string;
}

/**
 * Write `chunks` (strings or Buffers; with `gapMs` between them) and read one answer. Stops when the answer is complete
 * (Content-Length, chunked end, or close), or at `deadlineMs`. `keepOpen` reads headers only (SSE).
 */
export function rawRequest(
  port: number,
  chunks: (string | Buffer)[],
  opts: { deadlineMs?: number; gapMs?: number; headersOnly?: boolean } = {},
): Promise<RawAnswer> {
  const deadline = opts.deadlineMs ?? 5000;
  return new Promise((resolve) => {
    const s = net.connect(port, "127.0.0.1");
    let buf = Buffer.alloc(0);
    let finished = false;
    const answer: RawAnswer = { status: 0, statusLine: "", headers: {}, body: Buffer.alloc(0), done: false, silent: true };
    const finish = (done: boolean) => {
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
      answer.statusLine = head[0]!;
      answer.status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(head[0]!)?.[1] ?? 0);
      answer.silent = false;
      for (const l of head.slice(1)) {
        const i = l.indexOf(":");
        if (i > 0) answer.headers[l.slice(0, i).trim().toLowerCase()] = l.slice(i + 1).trim();
      }
      let body = buf.subarray(headEnd + 4);
      if (answer.headers["transfer-encoding"]?.includes("chunked")) {
        const out: Buffer[] = [];
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
    s.on("data", (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      if (buf.length > 4 * 1024 * 1024) return finish(false); // enough to judge any answer
      if (parse() || (opts.headersOnly && !answer.silent)) finish(true);
    });
    s.on("error", (e) => (answer.error = (e as NodeJS.ErrnoException).code ?? String(e)));
    s.on("close", () => finish(true));
    s.on("connect", async () => {
      for (let i = 0; i < chunks.length; i++) {
        if (finished || s.destroyed) return;
        s.write(chunks[i]!);
        if (opts.gapMs && i < chunks.length - 1) await sleep(opts.gapMs);
      }
    });
  });
}

// ---------------------------------------------------------------------------------------------------------------

/** mulberry32: a small seeded generator, so a failing fuzz case can be replayed by its seed and index. */
export function rng(seed: number) {
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
    int: (lo: number, hi: number) => lo + Math.floor(next() * (hi - lo + 1)),
    pick: <T>(xs: readonly T[]): T => xs[Math.floor(next() * xs.length)]!,
    chance: (p: number) => next() < p,
  };
}
export type Rng = ReturnType<typeof rng>;

/** The README's error table: code → status. Every error answer must use one of these, with its status. */
export function documentedErrors(): Map<string, number> {
  const md = readFileSync(pathJoin(ROOT, "README.md"), "utf8");
  const start = md.indexOf("### Errors");
  if (start === -1) throw new Error("README.md has no '### Errors' section");
  const section = md.slice(start, md.indexOf("\n#", start + 10) === -1 ? undefined : md.indexOf("\n#", start + 10));
  const out = new Map<string, number>();
  for (const line of section.split("\n")) {
    const m = /^\|\s*(\d{3})\s*\|(.*)\|\s*$/.exec(line);
    if (!m) continue;
    for (const c of m[2]!.matchAll(/`([A-Z][A-Z_]+)`/g)) out.set(c[1]!, Number(m[1]));
  }
  return out;
}
