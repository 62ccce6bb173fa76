#!/usr/bin/env node
// bench/ws-bench.mjs - the WebSocket load harness (the shared chatbench speaks HTTP only). Same output habits: progress
// on stderr, ONE line of JSON on stdout, the server's CPU and RSS read from /proc/<pid>.
//   --scenario fanout --sockets N --messages M --rate R   N joined readers; one sender socket sends M messages at R/s;
//                                                         latency from just before the send to a reader seeing it
//   --scenario send --senders 16 --duration S             16 sockets each send, wait for `sent`, send again, for S s
//   --scenario idle --sockets N                            N joined idle sockets: server RSS growth / N
//   common: --base http://127.0.0.1:PORT --password PW --pid SERVER_PID [--workers 2] [--label x]
// Receivers run in worker threads so the sender's pacing is not delayed by parsing. Client: the `ws` package.
import { readFileSync } from 'node:fs';
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import WebSocket from 'ws';

const SELF = fileURLToPath(import.meta.url);
const now = () => Number(process.hrtime.bigint()) / 1e6; // CLOCK_MONOTONIC: the same in every thread
const MARK = Buffer.from('wb|');

function open(url, join) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { perMessageDeflate: false });
    const t = setTimeout(() => { ws.terminate(); reject(new Error('join timeout')); }, 30_000);
    ws.once('error', (e) => { clearTimeout(t); reject(e); });
    ws.once('open', () => ws.send(JSON.stringify({ type: 'join', ...join })));
    ws.once('message', (d) => {
      clearTimeout(t);
      const f = JSON.parse(d.toString());
      if (f.type !== 'joined') return reject(new Error(`join refused: ${d}`));
      // The server's JSON pings (ours: every 30 s) are answered, as a real client would.
      ws.on('message', (m) => { if (m.length < 20 && m.toString() === '{"type":"ping"}') ws.send('{"type":"pong"}'); });
      resolve(ws);
    });
  });
}

async function openMany(n, url, join, cc = 16) {
  const out = [];
  let next = 0, failed = 0;
  await Promise.all(Array.from({ length: cc }, async () => {
    while (next < n) { next++; try { out.push(await open(url, join)); } catch { failed++; } }
  }));
  return { sockets: out, failed };
}

// ------------------------------------------------------------------ worker --
if (!isMainThread) {
  const { url, password, count, messages } = workerData;
  const { sockets, failed } = await openMany(count, url, { password });
  const lat = new Float64Array(sockets.length * Math.max(1, messages));
  let n = 0, last = 0;
  const seen = sockets.map(() => new Uint8Array(Math.max(1, messages)));
  sockets.forEach((ws, k) => ws.on('message', (d) => {
    const i = d.indexOf(MARK);
    if (i < 0) return;
    // wb|<seq>|<sendMs>|
    const rest = d.toString('latin1', i + 3, i + 40).split('|');
    const seq = +rest[0], t = +rest[1], tr = now();
    if (seq < messages && !seen[k][seq]) { seen[k][seq] = 1; lat[n++] = tr - t; last = tr; }
  }));
  parentPort.postMessage({ ready: sockets.length, failed });
  parentPort.on('message', (m) => {
    if (m === 'count') return parentPort.postMessage({ count: n });
    if (m === 'finish') {
      parentPort.postMessage({ done: true, latencies: lat.slice(0, n), last });
      for (const ws of sockets) ws.terminate();
      setTimeout(() => process.exit(0), 100);
    }
  });
}

// -------------------------------------------------------------------- main --
function args() {
  const a = process.argv.slice(2), o = {};
  for (let i = 0; i < a.length; i++) if (a[i].startsWith('--')) o[a[i].slice(2)] = a[i + 1] && !a[i + 1].startsWith('--') ? a[++i] : 'true';
  return o;
}
function procInfo(pid) {
  try {
    const st = readFileSync(`/proc/${pid}/status`, 'utf8');
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { rssKB: +(/VmRSS:\s+(\d+)/.exec(st)?.[1] ?? NaN), cpuS: (+f[11] + +f[12]) / 100 };
  } catch { return null; }
}
function machine() {
  try {
    const l = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
    return { busy: (l[0] + l[1] + l[2] + l[5] + l[6] + (l[7] || 0)) / 100, softirq: l[6] / 100 };
  } catch { return null; }
}
const round = (x, d = 2) => (Number.isFinite(x) ? +x.toFixed(d) : null);
function stats(arr) {
  if (!arr.length) return null;
  const a = Float64Array.from(arr).sort();
  const q = (p) => a[Math.min(a.length - 1, Math.floor(p * a.length))];
  return { n: a.length, p50: round(q(0.5)), p90: round(q(0.9)), p99: round(q(0.99)), max: round(a[a.length - 1]) };
}
const log = (s) => process.stderr.write(`[ws-bench] ${s}\n`);

async function main() {
  const o = args();
  const url = o.base.replace(/^http/, 'ws') + '/ws';
  const password = o.password;
  const pid = Number(o.pid);
  const W = Number(o.workers ?? 2);
  const cpu0 = process.cpuUsage(), m0 = machine(), s0 = procInfo(pid);
  let out;
  if (o.scenario === 'fanout' || o.scenario === 'idle') {
    const N = Number(o.sockets ?? 500), M = o.scenario === 'fanout' ? Number(o.messages ?? 500) : 0, R = Number(o.rate ?? 200);
    const before = procInfo(pid);
    const workers = Array.from({ length: W }, (_, i) => new Worker(SELF, { workerData: { url, password, count: Math.floor(N / W) + (i < N % W ? 1 : 0), messages: M } }));
    const ask = (w, m) => new Promise((res) => { const f = (x) => { if (m === 'count' ? 'count' in x : 'done' in x) { w.off('message', f); res(x); } }; w.on('message', f); w.postMessage(m); });
    const ready = await Promise.all(workers.map((w) => new Promise((res) => w.once('message', res))));
    const connected = ready.reduce((a, r) => a + r.ready, 0);
    log(`${connected}/${N} sockets joined`);
    await sleep(2000);
    const settled = procInfo(pid);
    if (o.scenario === 'idle') {
      const res = await Promise.all(workers.map((w) => ask(w, 'finish')));
      out = { scenario: 'idle', sockets: N, connected, rssBeforeKB: before?.rssKB, rssConnectedKB: settled?.rssKB,
        kbPerConn: connected ? round((settled.rssKB - before.rssKB) / connected) : null, workersDone: res.length };
    } else {
      const sender = await open(url, { password, name: 'bench-sender' });
      const t0 = now();
      for (let i = 0; i < M; i++) {
        const due = t0 + (i * 1000) / R;
        const wait = due - now();
        if (wait > 1) await sleep(wait);
        sender.send(JSON.stringify({ type: 'send', text: `wb|${i}|${now().toFixed(3)}|`, ref: i }));
      }
      const sendEnd = now();
      const expected = connected * M;
      let got = 0;
      const deadline = now() + 30_000;
      while (now() < deadline) {
        got = (await Promise.all(workers.map((w) => ask(w, 'count')))).reduce((a, r) => a + r.count, 0);
        if (got >= expected) break;
        await sleep(100);
      }
      const res = await Promise.all(workers.map((w) => ask(w, 'finish')));
      const lat = res.flatMap((r) => Array.from(r.latencies));
      const last = Math.max(...res.map((r) => r.last));
      sender.terminate();
      out = { scenario: 'fanout', sockets: N, connected, messages: M, rate: R, expected, delivered: lat.length, lost: expected - lat.length,
        sendS: round((sendEnd - t0) / 1000), deliveriesPerSec: round(lat.length / ((last - t0) / 1000), 0), latencyMs: stats(lat),
        rssConnectedKB: settled?.rssKB };
    }
  } else if (o.scenario === 'send') {
    const S = Number(o.senders ?? 16), D = Number(o.duration ?? 10) * 1000;
    const socks = await Promise.all(Array.from({ length: S }, (_, i) => open(url, { password, name: `sender-${i}` })));
    let ok = 0, errors = 0;
    const lat = [];
    const end = now() + D;
    await Promise.all(socks.map((ws, k) => new Promise((resolve) => {
      let t = 0, n = 0;
      const go = () => { if (now() >= end) return resolve(); t = now(); ws.send(JSON.stringify({ type: 'send', text: `s${k}-${n}`, ref: n++ })); };
      // Every sender also reads everyone's messages (as a chat client does); only its own answers pace it.
      // A frame starts {"type":" (9 bytes): the 10th byte tells sent (s) from error (e) without parsing.
      ws.on('message', (d) => {
        if (d[9] === 0x73 && d[10] === 0x65) { ok++; lat.push(now() - t); go(); } else if (d[9] === 0x65) { errors++; go(); }
      });
      go();
    })));
    for (const ws of socks) ws.terminate();
    out = { scenario: 'send', senders: S, durationS: D / 1000, ok, errors, sendsPerSec: round(ok / (D / 1000), 0), latencyMs: stats(lat) };
  } else {
    throw new Error(`unknown --scenario ${o.scenario}`);
  }
  const cpu = process.cpuUsage(cpu0), m1 = machine(), s1 = procInfo(pid);
  out.label = o.label;
  out.clientCpuS = round((cpu.user + cpu.system) / 1e6);
  if (s0 && s1) { out.serverCpuS = round(s1.cpuS - s0.cpuS); out.rssAfterKB = s1.rssKB; }
  if (m0 && m1) { out.machineBusyS = round(m1.busy - m0.busy); out.softirqS = round(m1.softirq - m0.softirq); }
  process.stdout.write(JSON.stringify(out) + '\n');
  process.exit(0);
}

if (isMainThread) await main();
