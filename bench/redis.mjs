#!/usr/bin/env node
// bench/redis.mjs — `serve --redis` against the in-memory server, in one run (README "Running it for an organisation").
// Three set-ups, each a fresh set of `agent-chat serve` processes (dist/, rate limit and loop guard off):
//   memory       one in-memory server
//   redis x1     one instance on a fresh Debian redis-server
//   redis x2     two instances on one redis-server: posts alternate between them, readers are split between them
// Scenarios: POST latency one at a time (what a single agent waits for), POST throughput with 16 in flight, and
// fan-out (N SSE readers, M posts, 4 in flight: delivery latency post → every reader, deliveries/s). Then the raw
// cost of the Redis round trip: the instances' Lua append (src/rooms/redis/script.ts) from a bare ioredis client, one at a time.
//
//   npm run build && node bench/redis.mjs [--readers 200] [--posts 300] [--seq 300]
// Two rounds (A B C, then C B A), the better figure of each kept; every run in bench/results/redis.json. Results on stdout (a table). Plain Node + ioredis (a dependency of --redis).
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir, cpus, loadavg } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Redis } from "ioredis";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const BIN = join(ROOT, "bin/agent-chat.mjs");
const REDIS_SERVER = process.env.REDIS_SERVER_PATH ?? "/usr/bin/redis-server";
const argv = process.argv.slice(2);
const opt = (k, d) => {
  const i = argv.indexOf(`--${k}`);
  return i !== -1 ? Number(argv[i + 1]) : d;
};
const READERS = opt("readers", 200);
const POSTS = opt("posts", 300);
const SEQ = opt("seq", 300);
const CONC = 16;
const log = (s) => process.stderr.write(s + "\n");

if (!existsSync(join(ROOT, "dist/server/index.js"))) (log("bench/redis: run `npm run build` first"), process.exit(1));
if (!existsSync(REDIS_SERVER)) (log(`bench/redis: ${REDIS_SERVER} is missing (apt-get install redis-server)`), process.exit(1));

const freePort = () =>
  new Promise((res, rej) => {
    const s = createServer();
    s.once("error", rej);
    s.listen(0, "127.0.0.1", () => {
      const p = s.address().port;
      s.close(() => res(p));
    });
  });

function waitLine(proc, re) {
  return new Promise((res, rej) => {
    let out = "";
    const on = (c) => {
      out += c;
      const m = re.exec(out);
      if (m) (proc.stdout.off("data", on), proc.stderr.off("data", on), res(m[0]));
    };
    proc.stdout.on("data", on);
    proc.stderr.on("data", on);
    proc.once("exit", (code) => rej(new Error(`exited ${code}: ${out.slice(-500)}`)));
  });
}

async function startRedis(dir) {
  const port = await freePort();
  const proc = spawn(REDIS_SERVER, ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", dir], { stdio: ["ignore", "pipe", "pipe"] });
  await waitLine(proc, /Ready to accept connections/);
  return { url: `redis://127.0.0.1:${port}`, proc };
}

async function startServe(home, extra) {
  const proc = spawn(process.execPath, [BIN, "serve", "--port", "0", "--host", "127.0.0.1", "--password", "bench-pw", "--rate-limit", "0", "--loop-guard", "0", "--history", "100000", "--json", "--no-qr", ...extra], {
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, AGENT_CHAT_HOME: home },
  });
  const info = JSON.parse(await waitLine(proc, /\{.*\}\n/));
  return { url: info.localUrl, proc };
}

const H = { "x-room-password": "bench-pw", "content-type": "application/json" };
const post = (url, text) => fetch(url + "/messages", { method: "POST", headers: H, body: JSON.stringify({ agent: "bench", text }) }).then(async (r) => {
  if (r.status !== 201) throw new Error(`POST ${r.status} ${await r.text()}`);
  await r.arrayBuffer();
});
const pct = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] : NaN;
};
const now = () => performance.now();

async function seqPosts(urls) {
  for (let i = 0; i < 20; i++) await post(urls[i % urls.length], `warm ${i}`);
  const lat = [];
  for (let i = 0; i < SEQ; i++) {
    const t = now();
    await post(urls[i % urls.length], `seq ${i}`);
    lat.push(now() - t);
  }
  return { p50: pct(lat, 50), p99: pct(lat, 99), mean: lat.reduce((a, b) => a + b, 0) / lat.length };
}

async function throughput(urls) {
  const N = SEQ * 4;
  let next = 0;
  const t = now();
  await Promise.all(
    Array.from({ length: CONC }, async () => {
      for (let i = next++; i < N; i = next++) await post(urls[i % urls.length], `tp ${i}`);
    }),
  );
  return { perSec: N / ((now() - t) / 1000) };
}

/** READERS SSE readers (split over urls) and POSTS posts 4 at a time; each message carries its post time. */
async function fanout(urls) {
  const ac = new AbortController();
  const lat = [];
  let got = 0;
  let done;
  const all = new Promise((r) => (done = r));
  const ready = [];
  for (let k = 0; k < READERS; k++) {
    ready.push(
      (async () => {
        const res = await fetch(urls[k % urls.length] + "/messages/stream?after=999999999", { headers: H, signal: ac.signal });
        const reader = res.body.getReader();
        const dec = new TextDecoder();
        let buf = "";
        (async () => {
          try {
            for (;;) {
              const { value, done: end } = await reader.read();
              if (end) return;
              buf += dec.decode(value, { stream: true });
              let i;
              while ((i = buf.indexOf("\n\n")) !== -1) {
                const ev = buf.slice(0, i);
                buf = buf.slice(i + 2);
                const m = /"text":"fan (\d+\.\d+)"/.exec(ev);
                if (m) {
                  lat.push(now() - Number(m[1]));
                  if (++got === READERS * POSTS) done();
                }
              }
            }
          } catch {
            /* aborted */
          }
        })();
      })(),
    );
  }
  await Promise.all(ready);
  // Streams answer with a reset + replay first when the cursor is from the future; give them a moment to settle.
  await new Promise((r) => setTimeout(r, 500));
  const t = now();
  let next = 0;
  await Promise.all(
    Array.from({ length: 4 }, async () => {
      for (let i = next++; i < POSTS; i = next++) await post(urls[i % urls.length], `fan ${now().toFixed(3)}`);
    }),
  );
  await Promise.race([all, new Promise((r) => setTimeout(r, 60_000))]);
  const secs = (now() - t) / 1000;
  ac.abort();
  return { delivered: got, expected: READERS * POSTS, p50: pct(lat, 50), p99: pct(lat, 99), deliveriesPerSec: got / secs };
}

async function rawRoundTrip(url) {
  const r = new Redis(url);
  // The instances' own append script (dist/rooms/redis/script.js), with the guard a post carries when the rate limit
  // and the loop guard are off, as in the set-ups above.
  const { APPEND_SCRIPT } = await import(join(ROOT, "dist/rooms/redis/script.js"));
  const body = JSON.stringify({ agent: "bench", text: "raw", timestamp: new Date().toISOString(), kind: "agent" });
  const guard = () => JSON.stringify({ now: Date.now(), cost: { perChar: 1, chars: body.length + 59 }, from: "bench", speaker: "agent", loopGuard: 0, limits: { mine: [], room: [] } });
  const keys = ["bench:seq", "bench:log", "bench:state", "bench:paused", "bench:nonces", "bench:chain"];
  const append = () => r.eval(APPEND_SCRIPT, keys.length, ...keys, body, 10000, "bench:ch", "x", 600000, guard(), 64 * 1024 * 1024, "bench:rl:");
  for (let i = 0; i < 50; i++) await append();
  const lat = [];
  for (let i = 0; i < SEQ; i++) {
    const t = now();
    await append();
    lat.push(now() - t);
  }
  const t = now();
  for (let i = 0; i < SEQ; i++) await r.ping();
  const ping = (now() - t) / SEQ;
  r.disconnect();
  return { evalP50: pct(lat, 50), evalMean: lat.reduce((a, b) => a + b, 0) / lat.length, pingMean: ping };
}

const setups = [
  { name: "memory", instances: 1, redis: false },
  { name: "redis x1", instances: 1, redis: true },
  { name: "redis x2", instances: 2, redis: true },
];
// Two rounds, the second in reverse order (the machine's load drifts): each figure is the better of the two.
const ROUNDS = opt("rounds", 2);
const order = [];
for (let r = 0; r < ROUNDS; r++) order.push(...(r % 2 ? [...setups].reverse() : setups));
const results = { machine: { cpus: cpus().length, loadavgBefore: loadavg() }, readers: READERS, posts: POSTS, seq: SEQ, rounds: ROUNDS, runs: [], setups: {} };
const better = (a, b, lower) => (a === undefined ? b : lower ? Math.min(a, b) : Math.max(a, b));
for (const s of order) {
  const dir = mkdtempSync(join(tmpdir(), "agent-chat-bench-redis-"));
  const procs = [];
  try {
    let extra = [];
    if (s.redis) {
      const r = await startRedis(dir);
      procs.push(r.proc);
      extra = ["--redis", r.url];
      if (s.name === "redis x1" && !results.raw) results.raw = await rawRoundTrip(r.url);
    }
    const servers = [];
    for (let i = 0; i < s.instances; i++) servers.push(await startServe(dir, extra));
    procs.push(...servers.map((x) => x.proc));
    const urls = servers.map((x) => x.url);
    log(`${s.name}: sequential posts…`);
    const seq = await seqPosts(urls);
    log(`${s.name}: throughput…`);
    const tp = await throughput(urls);
    log(`${s.name}: fan-out to ${READERS}…`);
    const fan = await fanout(urls);
    results.runs.push({ setup: s.name, seq, tp, fan });
    const best = (results.setups[s.name] ??= { seq: {}, tp: {}, fan: {} });
    for (const k of ["p50", "p99", "mean"]) best.seq[k] = better(best.seq[k], seq[k], true);
    best.tp.perSec = better(best.tp.perSec, tp.perSec, false);
    for (const k of ["p50", "p99"]) best.fan[k] = better(best.fan[k], fan[k], true);
    best.fan.deliveriesPerSec = better(best.fan.deliveriesPerSec, fan.deliveriesPerSec, false);
    best.fan.delivered = (best.fan.delivered ?? 0) + fan.delivered;
    best.fan.expected = (best.fan.expected ?? 0) + fan.expected;
  } finally {
    for (const p of procs.reverse()) p.kill("SIGKILL");
    rmSync(dir, { recursive: true, force: true });
  }
}

const m = results.setups.memory;
const f = (x, d = 2) => (Number.isFinite(x) ? x.toFixed(d) : "-");
const rows = [["", "POST p50 ms (1 at a time)", "POST/s (16 in flight)", `fan-out to ${READERS}: p50 / p99 ms`, "deliveries/s", "delivered"]];
for (const [name, r] of Object.entries(results.setups)) {
  rows.push([name, `${f(r.seq.p50)} (x${f(r.seq.p50 / m.seq.p50)})`, `${f(r.tp.perSec, 0)} (x${f(r.tp.perSec / m.tp.perSec)})`, `${f(r.fan.p50, 1)} / ${f(r.fan.p99, 1)}`, `${f(r.fan.deliveriesPerSec, 0)} (x${f(r.fan.deliveriesPerSec / m.fan.deliveriesPerSec)})`, `${r.fan.delivered}/${r.fan.expected}`]);
}
const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
for (const r of rows) console.log(r.map((c, i) => c.padEnd(widths[i])).join("  "));
const r1 = results.setups["redis x1"];
console.log(`\nRedis round trip per POST (redis x1 - memory, mean, one at a time): ${f(r1.seq.mean - m.seq.mean)} ms`);
console.log(`bare Lua append from ioredis: p50 ${f(results.raw.evalP50, 3)} ms, mean ${f(results.raw.evalMean, 3)} ms; PING mean ${f(results.raw.pingMean, 3)} ms`);
results.machine.loadavgAfter = loadavg();
console.log(`load average before / after: ${results.machine.loadavgBefore.map((x) => x.toFixed(1)).join(" ")} / ${results.machine.loadavgAfter.map((x) => x.toFixed(1)).join(" ")} on ${results.machine.cpus} cores`);
mkdirSync(join(ROOT, "bench/results"), { recursive: true });
writeFileSync(join(ROOT, "bench/results/redis.json"), JSON.stringify(results, null, 2));
