#!/usr/bin/env node
// bench/rooms.mjs - `npm run bench:rooms`: does splitting one server's subscribers over many rooms cost anything?
// The same server, the same 1,000 SSE subscribers and the same delivery load, in one run:
//   single: 1 room  x 1,000 subscribers, R messages/s             -> 1000 x R deliveries/s asked
//   many:   100 rooms x 10 subscribers, R messages/s in each room -> 1000 x R deliveries/s asked (100 x R posts/s)
//   many-same-posts (extra row): 100 rooms x 10, R messages/s in total (R/100 per room) -> 10 x R deliveries/s
// The receivers are ../shared/bench/chatbench.mjs's own SSE workers (its marker format, parsing and latency clock),
// 100 worker threads of 10 subscribers each in both configurations, so only the rooms differ; this file is the
// coordinator: a fresh server per run (test/support/room-process.mjs over IPC, built dist/), rooms created through
// POST /rooms, readiness probe, warm-up, then paced POSTs carrying chatbench's markers. Rounds alternate which
// configuration goes first; medians over rounds; ratio many/single against issue 14's targets (deliveries/s >= 0.9x,
// p99 <= 1.2x). Progress on stderr, the table on stdout, the JSON in bench/results/rooms-latest.json.
//
//   node bench/rooms.mjs [--rounds 3] [--rate 20] [--messages 200] [--quick]
//
// A benchmark, not a test: exits 0 when a target is missed; 1 when it cannot run.
import { fork } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';

const BENCH = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(BENCH, '..');
const SHARED = process.env.SHARED_BENCH ? path.resolve(process.env.SHARED_BENCH) : path.resolve(ROOT, '..', 'shared', 'bench');
const HARNESS = path.join(SHARED, 'chatbench.mjs');
const ROOM_PROCESS = path.join(ROOT, 'test', 'support', 'room-process.mjs');
const RESULTS = path.join(BENCH, 'results');
const PASSWORD = 'bench-pw';
const ROOMS = 100;
const PER_ROOM = 10;

const argv = process.argv.slice(2);
const opt = (k, d) => { const i = argv.indexOf(`--${k}`); return i !== -1 && argv[i + 1] !== undefined ? argv[i + 1] : d; };
const QUICK = argv.includes('--quick');
const ROUNDS = Math.max(1, Number(opt('rounds', QUICK ? 1 : 3)) || 1);
const RATE = Math.max(1, Number(opt('rate', 20)) || 20); // messages/s per room in "single" and "many"
const M = Math.max(ROOMS, Number(opt('messages', QUICK ? 100 : 200)) || 200); // measured messages per room
const WARM = 10;
const log = (s) => process.stderr.write(`[rooms-bench] ${s}\n`);

if (!existsSync(HARNESS)) {
  log(`the shared harness is missing: ${HARNESS} (set SHARED_BENCH=dir)`);
  process.exit(1);
}
if (!existsSync(path.join(ROOT, 'dist', 'server', 'index.js'))) {
  log('dist/ is missing: run `npm run build` first');
  process.exit(1);
}

// chatbench's clock: worker and coordinator measure from the same hrtime base.
const hrBase = process.hrtime.bigint();
const now = () => Number(process.hrtime.bigint() - hrBase) / 1e6;
// chatbench's marker: "cb|<runId>|<seq>|<sendTimeMs>|" ('r' = readiness probe, 'w<i>' = warm-up).
const makeText = (runId, seq, ts) => `cb|${runId}|${seq}|${ts.toFixed(3)}|` + 'x'.repeat(60);

// ------------------------------------------------------------------ server --
function startServer() {
  const child = fork(ROOM_PROCESS, [], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.on('message', (m) => {
      if (m.type === 'ready') resolve({ child, ...m.value });
    });
    child.send({ type: 'start', options: { port: 0, host: '127.0.0.1', password: PASSWORD, rateLimit: 0, loopGuard: 0, maxRooms: ROOMS + 10, quiet: true } });
  });
}

async function stopServer(s) {
  s.child.send({ type: 'close' });
  await Promise.race([new Promise((r) => s.child.once('exit', r)), sleep(5000)]);
  if (s.child.exitCode === null) s.child.kill('SIGKILL');
}

function cpuS(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (+f[11] + +f[12]) / 100;
  } catch { return NaN; }
}

// --------------------------------------------------------------------- http --
const agent = new http.Agent({ keepAlive: true, maxSockets: 32 });
function request(url, { method = 'GET', headers = {}, body } = {}) {
  return new Promise((resolve) => {
    const t0 = now();
    const req = http.request(url, { method, headers: { ...headers, ...(body && { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) }) }, agent }, (res) => {
      let data = '';
      res.setEncoding('utf8');
      res.on('data', (c) => (data += c));
      res.on('end', () => resolve({ status: res.statusCode, body: data, ms: now() - t0 }));
    });
    req.on('error', (e) => resolve({ status: 0, error: e.code || e.message, ms: now() - t0 }));
    req.end(body);
  });
}
const post = (base, text) => request(`${base}/messages`, { method: 'POST', headers: { 'x-room-password': PASSWORD }, body: JSON.stringify({ agent: 'bench-sender', text }) });

async function createRooms(s) {
  const urls = [];
  for (let i = 0; i < ROOMS; i++) {
    const r = await request(`${s.url}/rooms`, { method: 'POST', headers: { authorization: `Bearer ${s.hostToken}` }, body: JSON.stringify({ title: `bench ${i}`, password: PASSWORD }) });
    if (r.status !== 201) throw new Error(`POST /rooms: ${r.status} ${r.body ?? r.error}`);
    urls.push(JSON.parse(r.body).room.url);
  }
  return urls;
}

// ------------------------------------------------------------------ workers --
function spawnReceivers(bases, runId, messages) {
  return Promise.all(bases.map((base, i) => new Promise((resolve, reject) => {
    const w = new Worker(HARNESS, {
      workerData: { mode: 'sse', count: PER_ROOM, workerIndex: i, base, password: PASSWORD, hrBase: hrBase.toString(), runId, messages, size: 100,
        authQuery: false, keepAlive: true, connectConcurrency: 2, connectTimeoutMs: 20_000, connectPhaseMs: 40_000 },
    });
    const st = { w, last: {}, connected: null, result: null };
    w.on('message', (m) => {
      if (m.type === 'up') resolve(st);
      else if (m.type === 'progress') st.last = m;
      else if (m.type === 'connected') st.connected = m;
      else if (m.type === 'result') st.result = m;
    });
    w.on('error', reject);
  })));
}
const sum = (group, f) => group.reduce((a, s) => a + (f(s) || 0), 0);
async function until(cond, ms, step = 20) {
  const end = now() + ms;
  while (!cond()) { if (now() > end) return false; await sleep(step); }
  return true;
}

/** Post `count` messages at `rate`/s, message k to rooms[k % rooms.length] with seq = floor(k / rooms.length). */
async function pacedSend(rooms, count, rate, runId, seqOf = (k) => Math.floor(k / rooms.length)) {
  const interval = 1000 / rate;
  const inflight = new Set();
  let errors = 0;
  const t0 = now();
  let tFirst = NaN;
  for (let k = 0; k < count; k++) {
    const wait = t0 + k * interval - now();
    if (wait >= 1) await sleep(wait);
    const ts = now();
    if (k === 0) tFirst = ts;
    const p = post(rooms[k % rooms.length], makeText(runId, seqOf(k), ts)).then((r) => { if (r.status !== 201) errors++; });
    inflight.add(p);
    p.finally(() => inflight.delete(p));
  }
  await Promise.race([Promise.all([...inflight]), sleep(15_000)]);
  return { tFirst, tLast: now(), errors, achievedRate: count / ((now() - t0) / 1000) };
}

function stats(arr) {
  const a = Float64Array.from(arr).sort();
  const q = (p) => a[Math.min(a.length - 1, Math.max(0, Math.ceil((p / 100) * a.length) - 1))];
  const r = (x) => Math.round(x * 100) / 100;
  return a.length ? { n: a.length, p50: r(q(50)), p99: r(q(99)), max: r(a[a.length - 1]) } : { n: 0 };
}

// -------------------------------------------------------------------- runs --
// config: which rooms the 100 receiver workers subscribe to, where messages go, how many, how fast.
async function runOnce(kind) {
  const s = await startServer();
  try {
    const rooms = await createRooms(s);
    const runId = Math.random().toString(36).slice(2, 8);
    const single = kind === 'single';
    const targets = single ? [rooms[0]] : rooms; // rooms that get messages
    const perRoom = kind === 'many-same-posts' ? Math.floor(M / ROOMS) : M; // measured messages each subscriber expects
    const bases = single ? Array(ROOMS).fill(rooms[0]) : rooms; // 100 workers x 10 subscribers either way
    const group = await spawnReceivers(bases, runId, perRoom);
    for (const g of group) g.w.postMessage({ cmd: 'connect' });
    await until(() => group.every((g) => g.connected), 90_000);
    const connected = sum(group, (g) => g.connected?.ok);
    // Readiness: a probe in every room until every subscriber has seen one.
    for (let i = 0; i < 20 && sum(group, (g) => g.last.ready) < connected; i++) {
      await Promise.all(targets.map((u) => post(u, makeText(runId, 'r', now()))));
      await until(() => sum(group, (g) => g.last.ready) >= connected, 2000);
    }
    // Warm-up (JIT, buffers, sockets), delivered before the measured messages.
    await pacedSend(targets, WARM * targets.length, RATE * targets.length, runId, (k) => `w${k}`);
    await until(() => sum(group, (g) => g.last.warm) >= connected * WARM, 15_000);
    await sleep(200);
    const cpu0 = cpuS(s.child.pid);
    const rate = kind === 'many-same-posts' ? RATE : RATE * targets.length; // total posts/s
    const send = await pacedSend(targets, perRoom * targets.length, rate, runId);
    const expected = connected * perRoom;
    await until(() => sum(group, (g) => g.last.delivered) >= expected, 20_000, 10);
    const cpu = cpuS(s.child.pid) - cpu0;
    for (const g of group) g.w.postMessage({ cmd: 'finish' });
    await until(() => group.every((g) => g.result), 10_000);
    for (const g of group) void g.w.terminate();
    const res = group.map((g) => g.result).filter(Boolean);
    const delivered = res.reduce((a, r) => a + r.delivered, 0);
    const lastRecv = Math.max(...res.map((r) => r.lastRecv));
    const lat = [];
    for (const r of res) for (const x of r.lat) lat.push(x);
    return {
      kind, connected, postsPerSec: rate, messagesPerRoom: perRoom, sent: perRoom * targets.length, postErrors: send.errors, achievedPostRate: Math.round(send.achievedRate),
      expected, delivered, lost: expected - delivered, dups: res.reduce((a, r) => a + r.dups, 0),
      deliveriesPerSec: Math.round(delivered / ((lastRecv - send.tFirst) / 1000)), latencyMs: stats(lat),
      serverCpuMsPer1kDeliveries: delivered ? Math.round((cpu * 1e6) / delivered * 100) / 100 : null, // ms of server CPU per 1,000 deliveries
    };
  } finally {
    await stopServer(s);
  }
}

const median = (xs) => { const a = xs.filter(Number.isFinite).sort((x, y) => x - y); return a.length ? a[Math.floor((a.length - 1) / 2)] : NaN; };

const kinds = ['single', 'many', 'many-same-posts'];
const runs = { single: [], many: [], 'many-same-posts': [] };
log(`${ROUNDS} round(s); ${RATE} msg/s per room, ${M} measured messages per room; ${ROOMS} rooms x ${PER_ROOM} vs 1 room x ${ROOMS * PER_ROOM}`);
for (let round = 0; round < ROUNDS; round++) {
  const order = round % 2 ? [...kinds].reverse() : kinds;
  for (const kind of order) {
    log(`round ${round + 1}: ${kind}…`);
    const r = await runOnce(kind);
    log(`  ${kind}: ${r.deliveriesPerSec} deliveries/s, p99 ${r.latencyMs.p99} ms, lost ${r.lost}, posts ${r.achievedPostRate}/s (errors ${r.postErrors})`);
    runs[kind].push(r);
  }
}

const med = (kind, f) => median(runs[kind].map(f));
const rows = [
  ['deliveries/s', (r) => r.deliveriesPerSec],
  ['p99 delivery latency ms', (r) => r.latencyMs.p99],
  ['p50 delivery latency ms', (r) => r.latencyMs.p50],
  ['server CPU ms per 1k deliveries', (r) => r.serverCpuMsPer1kDeliveries],
  ['lost deliveries (sum of rounds)', null],
];
const fmt = (x) => (Number.isFinite(x) ? String(Math.round(x * 100) / 100) : '-');
const lines = [`rooms: 1 room x 1000 vs 100 rooms x 10 SSE subscribers, ${RATE} msg/s per room (median of ${ROUNDS})`, '', '| measure | single | many | many/single | many, same posts/s |', '| --- | --- | --- | --- | --- |'];
for (const [label, f] of rows) {
  if (!f) {
    const lost = (k) => runs[k].reduce((a, r) => a + r.lost, 0);
    lines.push(`| ${label} | ${lost('single')} | ${lost('many')} | | ${lost('many-same-posts')} |`);
    continue;
  }
  const a = med('single', f), b = med('many', f), c = med('many-same-posts', f);
  lines.push(`| ${label} | ${fmt(a)} | ${fmt(b)} | ${fmt(b / a)} | ${fmt(c)} |`);
}
const dRatio = med('many', (r) => r.deliveriesPerSec) / med('single', (r) => r.deliveriesPerSec);
const pRatio = med('many', (r) => r.latencyMs.p99) / med('single', (r) => r.latencyMs.p99);
lines.push('', `targets (issue 14): deliveries/s many/single >= 0.9: ${fmt(dRatio)} ${dRatio >= 0.9 ? 'met' : 'MISSED'}; p99 many/single <= 1.2: ${fmt(pRatio)} ${pRatio <= 1.2 ? 'met' : 'MISSED'}`);
process.stdout.write(lines.join('\n') + '\n');
mkdirSync(RESULTS, { recursive: true });
writeFileSync(path.join(RESULTS, 'rooms-latest.json'), JSON.stringify({ at: new Date().toISOString(), rate: RATE, messagesPerRoom: M, rounds: ROUNDS, runs, ratios: { deliveries: dRatio, p99: pRatio } }, null, 2) + '\n');
agent.destroy();
process.exit(0);
