#!/usr/bin/env node
// Soak: hours of normal use compressed into minutes, against the built server (dist/) in its own process.
//
//   npm run build && npm run soak                 # 5 minutes
//   node scripts/soak.mjs --minutes 2             # shorter; --participants N (150), --fault-every S (30)
//
// Participants join and leave all the time (each stays 20–120 s), read by SSE or long-poll, reconnect now and
// then (politely or by crashing), a quarter of them post at the per-sender rate limit (one a second), and every
// `--fault-every` seconds a fault is injected: streams killed, readers that never read, a connection burst,
// slowloris drips, half-open connections, the tunnel dying. Every reader checks every id it gets (no gap, no
// duplicate, same text for everyone), and each leaves only once it has everything accepted before it left.
// Loopback only; every loop is bounded by the clock and the whole run stops by itself (hard stop at N + 3 min).
// Prints a table and, last, one JSON line. Exit 0 when nothing was lost and the server survived; else 1.
import { fork } from "node:child_process";
import http from "node:http";
import net from "node:net";
import os from "node:os";
import { monitorEventLoopDelay } from "node:perf_hooks";
import { fileURLToPath } from "node:url";

// ---------------------------------------------------------------------------------------------------------------

// ---------------------------------------------------------------------------------------------------------------

function args() {
  const a = process.argv.slice(2);
  const get = (name, dflt) => {
    const i = a.indexOf(name);
    if (i === -1) return dflt;
    const v = Number(a[i + 1]);
    if (!Number.isFinite(v) || v <= 0) throw new Error(`${name} needs a positive number`);
    return v;
  };
  if (a.includes("--help") || a.includes("-h")) {
    console.log("usage: node scripts/soak.mjs [--minutes 5] [--participants 150] [--fault-every 30]");
    process.exit(0);
  }
  return { minutes: get("--minutes", 5), participants: get("--participants", 150), faultEvery: get("--fault-every", 30) };
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const now = () => performance.now();

/** Millisecond histogram (to 60 s): percentiles without keeping millions of samples. */
class Hist {
  counts = new Uint32Array(60_001);
  n = 0;
  max = 0;
  add(ms) {
    const v = Math.max(0, Math.min(60_000, Math.round(ms)));
    this.counts[v]++;
    this.n++;
    if (ms > this.max) this.max = ms;
  }
  p(q) {
    if (!this.n) return 0;
    let want = Math.ceil(q * this.n);
    for (let i = 0; i < this.counts.length; i++) if ((want -= this.counts[i]) <= 0) return i;
    return 60_000;
  }
  get summary() {
    return { n: this.n, p50: this.p(0.5), p99: this.p(0.99), max: Math.round(this.max) };
  }
}

/** One request; never throws (status 0 on a transport error). A keep-alive socket the server closed as idle just
 * as it was reused (ECONNRESET before anything was read) is retried once, as Node's documentation recommends. */
async function request(base, path, opts = {}) {
  const r = await requestOnce(base, path, opts);
  return r.status === 0 && r.reused && r.text === "ECONNRESET" ? requestOnce(base, path, opts) : r;
}

function requestOnce(base, path, { method = "GET", headers = {}, body, agent = false, timeoutMs = 10_000 } = {}) {
  return new Promise((resolve) => {
    const req = http.request(base + path, { method, headers, agent }, (res) => {
      const chunks = [];
      res.on("data", (c) => chunks.push(c));
      res.on("error", () => resolve({ status: 0, text: "response error" }));
      res.on("end", () => {
        const text = Buffer.concat(chunks).toString("utf8");
        let json;
        try {
          json = JSON.parse(text);
        } catch {}
        resolve({ status: res.statusCode, text, json });
      });
    });
    req.on("error", (e) => resolve({ status: 0, text: e.code ?? String(e), reused: req.reusedSocket }));
    req.setTimeout(timeoutMs, () => req.destroy(new Error("timeout")));
    req.end(body);
  });
}

async function main() {
  const opt = args();
  const RUN_MS = opt.minutes * 60_000;
  const password = "soak-" + Math.random().toString(36).slice(2, 12);
  const hardStop = setTimeout(() => {
    console.error("soak: hard stop (run took far longer than planned)");
    process.exit(1);
  }, RUN_MS + 180_000);
  hardStop.unref();

  // --- server process ---
  const child = fork(fileURLToPath(import.meta.url), ["--server-child"], { execArgv: ["--expose-gc"], stdio: ["ignore", "inherit", "inherit", "ipc"] });
  let crashed = "";
  let closing = false;
  child.on("exit", (code, signal) => {
    if (!closing) crashed = `server process ended: code ${code} signal ${signal}`;
  });
  const pending = new Map();
  let seq = 0;
  const portP = new Promise((resolve) =>
    child.on("message", (m) => {
      if (m.type === "ready") resolve(m.port);
      else if (m.type === "reply") (pending.get(m.id)?.(m.value), pending.delete(m.id));
    }),
  );
  // Every limit at its default (history 10,000, 60 messages/min per sender, loop guard 50, 10,000 connections).
  child.send({ type: "start", options: { port: 0, host: "127.0.0.1", password } });
  const port = await portP;
  const base = `http://127.0.0.1:${port}`;
  const stats = (gc = false) =>
    new Promise((resolve) => {
      if (crashed) return resolve(undefined);
      const id = ++seq;
      pending.set(id, resolve);
      child.send({ type: "stats", id, gc });
      setTimeout(() => pending.has(id) && (pending.delete(id), resolve(undefined)), 5000);
    });

  // --- the tunnel stand-in: a TCP relay a third of the readers go through ---
  let relay;
  const relaySockets = new Set();
  const startRelay = (p) =>
    new Promise((resolve) => {
      relay = net.createServer((c) => {
        const u = net.connect(port, "127.0.0.1");
        for (const s of [c, u]) (relaySockets.add(s), s.on("close", () => relaySockets.delete(s)), s.on("error", () => {}));
        c.pipe(u);
        u.pipe(c);
        // a tunnel closes the other side when one side goes, however it went
        c.on("close", () => u.destroy());
        u.on("close", () => c.destroy());
      });
      relay.listen(p, "127.0.0.1", () => resolve(relay.address().port));
    });
  const relayPort = await startRelay(0);
  const viaRelay = `http://127.0.0.1:${relayPort}`;

  // --- figures ---
  const f = {
    joined: 0,
    left: 0,
    accepted: 0,
    rateLimited: 0,
    paused: 0,
    postErrors: 0,
    errorSamples: [],
    deliveries: 0,
    lost: 0,
    duplicates: 0,
    resets: 0,
    disagreements: 0,
    reconnects: 0,
    faults: [],
    peakSockets: 0,
    peakStreams: 0,
    peakPolls: 0,
    serverLoopMaxMs: 0,
    rss: [],
  };
  const latSse = new Hist();
  const latPoll = new Hist();
  const latFault = new Hist();
  const healthNormal = new Hist();
  const healthFault = new Hist();
  let faultUntil = 0; // performance.now() until which we count as "during a fault"
  const inFault = () => now() < faultUntil;

  const sentAt = new Map(); // text → t0
  const ledger = new Map(); // id → text (first reader to see it)
  let maxAccepted = 0;
  const postAgent = new http.Agent({ keepAlive: true, maxSockets: 64 });

  // --- readers ---
  const allReaders = new Set();
  class Reader {
    constructor(name, auth, start, mode, viaTunnel) {
      allReaders.add(this);
      Object.assign(this, { name, auth, start, cursor: start, mode, base: viaTunnel ? viaRelay : base, closed: false, req: undefined, waits: [] });
    }
    deliver(m, t) {
      if (m.id <= this.cursor) return void f.duplicates++;
      if (m.id > this.cursor + 1) f.lost += m.id - this.cursor - 1;
      this.cursor = m.id;
      f.deliveries++;
      const prev = ledger.get(m.id);
      if (prev === undefined) ledger.set(m.id, m.text);
      else if (prev !== m.text) f.disagreements++;
      const t0 = sentAt.get(m.text);
      if (t0 !== undefined) {
        const ms = t - t0;
        (this.mode === "sse" ? latSse : latPoll).add(ms);
        if (inFault()) latFault.add(ms);
      }
      if (this.waits.length) this.waits = this.waits.filter((w) => (w.id <= this.cursor ? (w.done(), false) : true));
    }
    until(id, ms) {
      if (this.cursor >= id) return Promise.resolve(true);
      return new Promise((resolve) => {
        const t = setTimeout(() => resolve(false), ms);
        this.waits.push({ id, done: () => (clearTimeout(t), resolve(true)) });
      });
    }
    connect() {
      if (this.closed || this.req) return; // one request at a time
      const req =
        this.mode === "sse"
          ? http.get(this.base + "/messages/stream", { headers: { ...this.auth, "last-event-id": String(this.cursor) }, agent: false })
          : http.get(`${this.base}/messages/poll?after=${this.cursor}&timeout=25`, { headers: this.auth, agent: false });
      this.req = req;
      const again = (delay) => {
        if (this.req !== req) return;
        this.req = undefined;
        if (!this.closed) setTimeout(() => this.connect(), delay);
      };
      req.on("error", () => again(200 + Math.random() * 800));
      req.on("response", (res) => {
        if (res.statusCode !== 200) {
          res.resume();
          res.on("end", () => again(1000 + Math.random() * 2000)); // e.g. 503 during a connection burst
          return;
        }
        res.setEncoding("utf8");
        let buf = "";
        res.on("data", (chunk) => {
          if (this.req !== req) return; // an abandoned connection's last bytes: the new one resumes from the cursor
          buf += chunk;
          if (this.mode !== "sse") return;
          const t = now();
          let i;
          while ((i = buf.indexOf("\n\n")) !== -1) {
            const block = buf.slice(0, i);
            buf = buf.slice(i + 2);
            if (block.includes("event: reset")) f.resets++;
            const d = block.indexOf("\ndata: ");
            if (d !== -1 && block.includes("event: message")) this.deliver(JSON.parse(block.slice(d + 7)), t);
          }
        });
        res.on("error", () => {});
        res.on("end", () => {
          if (this.mode === "poll" && this.req === req) {
            const t = now();
            try {
              const body = JSON.parse(buf);
              if (body.reset) f.resets++;
              for (const m of body.messages) this.deliver(m, t);
            } catch {}
            // an agent thinks a little between waits
            return again(Math.random() * 300);
          }
        });
        res.on("close", () => again(100 + Math.random() * 400));
      });
    }
    drop() {
      const r = this.req;
      if (!r) return; // between requests: a reconnect is already on its way
      this.req = undefined;
      r.destroy();
      if (!this.closed) (f.reconnects++, setTimeout(() => this.connect(), 100 + Math.random() * 400));
    }
    kill() {
      const r = this.req;
      if (!r) return;
      const s = r.socket;
      this.req = undefined;
      if (s?.resetAndDestroy) s.resetAndDestroy();
      else r?.destroy();
      if (!this.closed) (f.reconnects++, setTimeout(() => this.connect(), 100 + Math.random() * 400));
    }
    stop() {
      this.closed = true;
      this.req?.destroy();
      this.req = undefined;
    }
  }

  // --- participants: join, read, maybe send, leave after 20–120 s, and someone new comes ---
  const active = new Set();
  let running = true;
  let serial = 0;
  async function participantLife() {
    const n = serial++;
    const kind = n % 4 === 0 ? "human" : "agent";
    const name = `${kind === "human" ? "person" : "bot"}-${n}`;
    const j = await request(base, "/join", { method: "POST", agent: postAgent, headers: { "x-room-password": password, "content-type": "application/json" }, body: JSON.stringify({ name, kind }) });
    if (j.status !== 201) return void (f.postErrors++, f.errorSamples.length < 5 && f.errorSamples.push(`join ${j.status} ${j.text.slice(0, 100)}`));
    f.joined++;
    const auth = { authorization: `Bearer ${j.json.token}` };
    const reader = new Reader(name, auth, j.json.next, Math.random() < 0.6 ? "sse" : "poll", Math.random() < 0.33);
    active.add(reader);
    reader.connect();
    const sends = Math.random() < 0.25;
    const leaveAt = now() + 20_000 + Math.random() * 100_000;
    let k = 0;
    let nextChurn = now() + 5000 + Math.random() * 15_000;
    while (running && now() < leaveAt) {
      if (sends) {
        const text = `${name} #${k++}`;
        sentAt.set(text, now());
        const r = await request(base, "/messages", { method: "POST", agent: postAgent, headers: { ...auth, "content-type": "application/json" }, body: JSON.stringify({ text }) });
        if (r.status === 201) (f.accepted++, (maxAccepted = Math.max(maxAccepted, r.json.message.id)));
        else if (r.status === 429) (f.rateLimited++, sentAt.delete(text));
        else if (r.status === 423) (f.paused++, sentAt.delete(text));
        else (f.postErrors++, sentAt.delete(text), f.errorSamples.length < 5 && f.errorSamples.push(`post ${r.status} ${r.text.slice(0, 100)}`));
      }
      await sleep(1000); // one message a second: the default per-sender rate limit
      if (now() > nextChurn) {
        Math.random() < 0.5 ? reader.drop() : reader.kill();
        nextChurn = now() + 5000 + Math.random() * 15_000;
      }
    }
    if (!running) return; // the end of the run checks those still here
    // Before leaving: everything accepted so far must have arrived.
    const target = maxAccepted;
    if (!(await reader.until(target, 15_000))) f.lost += target - reader.cursor;
    reader.stop();
    active.delete(reader);
    await request(base, "/leave", { method: "POST", agent: postAgent, headers: auth });
    f.left++;
  }
  const lives = new Set();
  const t0 = now();
  const population = (async () => {
    // ramp up over the first 10 s, then keep the population steady
    while (running) {
      while (lives.size < opt.participants && running) {
        const p = participantLife().finally(() => lives.delete(p));
        lives.add(p);
        if (now() - t0 < 10_000) await sleep(10_000 / opt.participants);
      }
      await sleep(200);
    }
  })();

  // --- /health probe ---
  const healthAgent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  let healthFailures = 0;
  const probe = (async () => {
    while (running) {
      const t = now();
      const r = await request(base, "/health", { agent: healthAgent, timeoutMs: 5000 });
      const ms = now() - t;
      if (r.status !== 200) healthFailures++;
      (inFault() ? healthFault : healthNormal).add(ms);
      await sleep(100);
    }
  })();

  // --- server figures every second; RSS every 10 s ---
  const watch = (async () => {
    let k = 0;
    while (running) {
      await sleep(1000);
      const s = await stats();
      if (!s) continue;
      f.peakSockets = Math.max(f.peakSockets, s.sockets);
      f.peakStreams = Math.max(f.peakStreams, s.streams);
      f.peakPolls = Math.max(f.peakPolls, s.polls);
      f.serverLoopMaxMs = Math.max(f.serverLoopMaxMs, s.loopMaxMs);
      if (++k % 10 === 0) f.rss.push({ s: Math.round((now() - t0) / 1000), rssMB: Math.round(s.rss / 2 ** 20), heapMB: Math.round(s.heapUsed / 2 ** 20) });
      // forget send times nobody can still be waiting for
      if (k % 10 === 0) for (const [text, t] of sentAt) if (now() - t > 60_000) sentAt.delete(text);
    }
  })();

  // --- faults ---
  const raw = (bytes) => {
    const s = net.connect(port, "127.0.0.1");
    s.on("error", () => {});
    if (bytes) s.write(bytes);
    return s;
  };
  /** Wait until the server's socket count is back near `before`; say how long it took, or how many it still holds. */
  async function serverLetsGo(before, count, maxMs) {
    const started = now();
    await sleep(1000);
    let s = await stats();
    while (s && s.sockets > before + 50 && now() - started < maxMs) (await sleep(500), (s = await stats()));
    const held = s ? Math.min(count, s.sockets - before) : "?";
    return s && s.sockets <= before + 50 ? `the server let go within ${Math.round((now() - started) / 1000)} s` : `the server still held ~${held} of them after ${Math.round(maxMs / 1000)} s`;
  }
  const faultKinds = [
    async function killStreams() {
      const victims = [...active].filter(() => Math.random() < 0.3);
      for (const r of victims) r.kill();
      return `${victims.length} readers killed`;
    },
    async function slowReaders() {
      const socks = Array.from({ length: 40 }, () => raw(`GET /messages/stream HTTP/1.1\r\nHost: x\r\nX-Room-Password: ${password}\r\n\r\n`));
      for (const s of socks) s.pause();
      await sleep(20_000);
      for (const s of socks) s.destroy();
      return "40 never-reading subscribers for 20 s";
    },
    async function connectionBurst() {
      const N = 1500;
      const by = {};
      await Promise.all(
        Array.from({ length: N }, () =>
          new Promise((resolve) => {
            const s = raw("GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
            let head = "";
            s.on("data", (d) => (head ||= String(d).slice(9, 12)));
            s.on("close", () => ((by[head || "none"] = (by[head || "none"] ?? 0) + 1), resolve()));
            setTimeout(() => s.destroy(), 15_000);
          }),
        ),
      );
      return `burst of ${N}: ${JSON.stringify(by)}`;
    },
    async function slowloris() {
      // 200 clients that drip a byte a second and never read: the server should cut each and let go of its socket
      const before = (await stats())?.sockets ?? 0;
      const socks = [];
      for (let i = 0; i < 200; i++) {
        const body = i % 2 === 0;
        const s = raw(body ? `POST /messages HTTP/1.1\r\nHost: x\r\nX-Room-Password: ${password}\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{` : "GET /room HTTP/1.1\r\n");
        s.pause();
        const t = setInterval(() => (s.destroyed ? clearInterval(t) : s.write(body ? " " : "X")), 1000);
        socks.push({ s, t });
      }
      const r = await serverLetsGo(before, 200, 45_000);
      for (const x of socks) (clearInterval(x.t), x.s.destroy());
      return `200 one-byte-a-second drips that never read: ${r}`;
    },
    async function halfOpen() {
      const before = (await stats())?.sockets ?? 0;
      const socks = Array.from({ length: 500 }, () => raw("GET /messages/str"));
      for (const s of socks) s.pause(); // never read, never close
      const r = await serverLetsGo(before, 500, 30_000);
      for (const s of socks) s.destroy();
      return `500 half-open connections that never read: ${r}`;
    },
    async function tunnelDies() {
      const through = relaySockets.size / 2;
      relay.close();
      for (const s of relaySockets) s.resetAndDestroy();
      await sleep(1000);
      await startRelay(relayPort);
      return `relay with ${through} connections killed, back after 1 s`;
    },
  ];
  const faults = (async () => {
    let k = 0;
    await sleep(Math.min(opt.faultEvery * 1000, RUN_MS / 4));
    while (running && now() - t0 < RUN_MS - 10_000) {
      const fault = faultKinds[k++ % faultKinds.length];
      const at = Math.round((now() - t0) / 1000);
      faultUntil = now() + 15_000;
      const started = now();
      const what = await fault().catch((e) => `failed: ${e}`);
      faultUntil = Math.max(faultUntil, now() + 2000);
      f.faults.push({ at, fault: fault.name, what, ms: Math.round(now() - started) });
      process.stderr.write(`soak: ${at}s ${fault.name}: ${what}\n`);
      await sleep(Math.max(0, opt.faultEvery * 1000 - (now() - started)));
    }
  })();

  // progress
  const progress = setInterval(() => {
    process.stderr.write(
      `soak: ${Math.round((now() - t0) / 1000)}s  participants ${active.size}  accepted ${f.accepted}  deliveries ${f.deliveries}  lost ${f.lost}  rss ${f.rss.at(-1)?.rssMB ?? "?"} MB\n`,
    );
  }, 30_000);

  await sleep(RUN_MS);
  running = false;
  clearInterval(progress);
  await Promise.all([faults, probe, watch, population]);
  await Promise.all([...lives]);

  // --- the end: everyone still here must have everything ---
  const room = await request(base, "/room", { headers: { "x-room-password": password } });
  const lastId = room.json?.lastId ?? maxAccepted;
  const shortfalls = await Promise.all([...active].map(async (r) => ((await r.until(lastId, 20_000)) ? 0 : lastId - r.cursor)));
  f.lost += shortfalls.reduce((a, b) => a + b, 0);
  for (const r of active) r.stop();
  postAgent.destroy();
  healthAgent.destroy();
  relay.close();
  for (const s of relaySockets) s.destroy();
  await sleep(1500);
  const end = await stats(true);
  // who the server still counts as connected (should be nobody)
  const after = await request(base, "/room", { headers: { "x-room-password": password } });
  const stillConnected = (after.json?.participants ?? []).filter((p) => p.connections > 0).map((p) => `${p.name}:${p.via}:${p.connections}`);
  for (const name of stillConnected.slice(0, 5)) {
    const r = [...allReaders].find((x) => x.name === name.split(":")[0]);
    if (r) process.stderr.write(`soak: still connected ${name}; reader closed=${r.closed} mode=${r.mode} via relay=${r.base === viaRelay} req=${!!r.req}\n`);
  }

  const out = {
    minutes: opt.minutes,
    node: process.version,
    cpus: os.cpus().length,
    participantsJoined: f.joined,
    participantsLeft: f.left,
    concurrentParticipants: opt.participants,
    messagesAccepted: f.accepted,
    messagesPerSecond: +(f.accepted / (RUN_MS / 1000)).toFixed(1),
    rateLimited429: f.rateLimited,
    paused423: f.paused,
    otherErrors: f.postErrors,
    errorSamples: f.errorSamples,
    deliveries: f.deliveries,
    lost: f.lost,
    duplicates: f.duplicates,
    resets: f.resets,
    disagreements: f.disagreements,
    reconnects: f.reconnects,
    deliveryMsSse: latSse.summary,
    deliveryMsPoll: latPoll.summary,
    deliveryMsDuringFaults: latFault.summary,
    healthMs: healthNormal.summary,
    healthMsDuringFaults: healthFault.summary,
    healthFailures,
    faults: f.faults.map((x) => `${x.at}s ${x.fault}: ${x.what}`),
    peakSockets: f.peakSockets,
    peakStreams: f.peakStreams,
    peakPolls: f.peakPolls,
    serverLoopDelayMaxMs: Math.round(f.serverLoopMaxMs),
    rssMB: f.rss.map((x) => x.rssMB),
    endRssMB: end ? Math.round(end.rss / 2 ** 20) : null,
    endHeapAfterGcMB: end ? +(end.heapUsed / 2 ** 20).toFixed(1) : null,
    endOpen: end ? { streams: end.streams, polls: end.polls, sockets: end.sockets } : null,
    endStillConnected: stillConnected,
    serverCrashed: crashed || false,
  };

  const ms = (h) => `p50 ${h.p50} · p99 ${h.p99} · max ${h.max} ms (n=${h.n})`;
  const rows = [
    ["run", `${opt.minutes} min, ${opt.participants} participants at a time, all server limits at their defaults; Node ${process.version}, ${out.cpus} CPUs`],
    ["participants joined / left", `${f.joined} / ${f.left}`],
    ["messages accepted", `${f.accepted} (${out.messagesPerSecond}/s); 429 ${f.rateLimited}, 423 ${f.paused}, other errors ${f.postErrors}`],
    ["deliveries", `${f.deliveries}`],
    ["lost / duplicates / resets", `${f.lost} / ${f.duplicates} / ${f.resets}${f.disagreements ? ` / ${f.disagreements} disagreements` : ""}`],
    ["reader reconnects", `${f.reconnects}`],
    ["delivery, SSE", ms(latSse.summary)],
    ["delivery, long-poll", ms(latPoll.summary)],
    ["delivery during faults", ms(latFault.summary)],
    ["/health", ms(healthNormal.summary)],
    ["/health during faults", `${ms(healthFault.summary)}; failures ${healthFailures}`],
    ["connections peak", `${f.peakSockets} sockets (${f.peakStreams} streams, ${f.peakPolls} polls)`],
    ["server event-loop delay max", `${out.serverLoopDelayMaxMs} ms`],
    ["RSS every 10 s (MB)", out.rssMB.join(" ")],
    ["at the end", `RSS ${out.endRssMB} MB, heap after GC ${out.endHeapAfterGcMB} MB, open ${JSON.stringify(out.endOpen)}${stillConnected.length ? `, still counted as connected: ${stillConnected.join(" ")}` : ""}`],
    ...f.errorSamples.map((e) => ["error sample", e]),
    ...f.faults.map((x) => [`fault at ${x.at}s`, `${x.fault}: ${x.what}`]),
  ];
  const w = Math.max(...rows.map((r) => r[0].length));
  console.log("\nagent-chat soak");
  for (const [k, v] of rows) console.log(`  ${k.padEnd(w)}  ${v}`);
  console.log(JSON.stringify(out));

  closing = true;
  child.send({ type: "close" });
  await new Promise((r) => (child.exitCode !== null ? r() : child.once("exit", r)));
  const ok = !crashed && f.lost === 0 && f.duplicates === 0 && f.resets === 0 && f.disagreements === 0 && healthFailures === 0;
  process.exit(ok ? 0 : 1);
}

// ---------------------------------------------------------------------------------------------------------------
// The server process (this same file, forked with --server-child).
async function serverChild() {
  const { startRoomServer } = await import("../dist/server/index.js");
  const loop = monitorEventLoopDelay({ resolution: 10 });
  loop.enable();
  let server;
  process.on("message", async (m) => {
    if (m.type === "start") {
      server = await startRoomServer({ ...m.options, log: () => {} });
      process.send({ type: "ready", port: server.port });
    } else if (m.type === "stats") {
      if (m.gc) (global.gc?.(), global.gc?.());
      const mem = process.memoryUsage();
      process.send({ type: "reply", id: m.id, value: { ...server.stats(), rss: mem.rss, heapUsed: mem.heapUsed, loopMaxMs: loop.max / 1e6 } });
      loop.reset();
    } else if (m.type === "close") {
      await server.close();
      process.exit(0);
    }
  });
  process.on("disconnect", () => process.exit(0));
}

if (process.argv.includes("--server-child")) await serverChild();
else await main();
