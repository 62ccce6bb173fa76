#!/usr/bin/env node
// ---------------------------------------------------------------------------
// agent-chat: this file is a COPY of ../shared/bench/chatbench.mjs (the shared
// harness beside this repository), used by bench/run.mjs. One change only:
// a POST /messages counts as a success when it answers 200 OR 201. The room
// API (PRODUCT.md) answers 201 Created to a post, and the shared harness
// counts only 200, so every post to our server would be an error. The four
// POST status checks (post senders, paced sender, readiness probe, history)
// accept both; nothing else differs (`diff` against the original shows only
// this comment and those four lines).
// ---------------------------------------------------------------------------
// chatbench.mjs - benchmark harness for the agent-chat room HTTP API.
//
// Plain Node.js (>= 18; written against 20.x), built-ins only.
// Scenarios: post | fanout | idle | poll | history  (see README.md).
// Progress goes to stderr; the final result is ONE line of JSON on stdout.
//
// Load generators run in worker_threads (--workers, default 1) so that the
// coordinator thread (which also paces the single sender) is not delayed by
// the receive-side parsing work.
//
// Latency: every benchmark message text starts with
//   cb|<runId>|<seq>|<sendTimeMs>|
// where sendTimeMs is process.hrtime (CLOCK_MONOTONIC) relative to a base
// shared by all threads, taken immediately before the POST is issued.
// Receivers look for that marker inside SSE `data:` lines (or inside the
// `text` of long-poll messages), so extra fields, `id:` / `event:` lines,
// comments and keep-alives are all tolerated.

import http from 'node:http';
import https from 'node:https';
import { readFileSync } from 'node:fs';
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import os from 'node:os';

const SELF = fileURLToPath(import.meta.url);

// ----------------------------------------------------------------- helpers --

function parseArgs(argv) {
  const out = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith('--')) continue;
    const eq = a.indexOf('=');
    if (eq !== -1) { out[a.slice(2, eq)] = a.slice(eq + 1); continue; }
    const k = a.slice(2);
    const nx = argv[i + 1];
    if (nx === undefined || nx.startsWith('--')) out[k] = 'true';
    else { out[k] = nx; i++; }
  }
  return out;
}

function makeClock(hrBase) {
  return () => Number(process.hrtime.bigint() - hrBase) / 1e6;
}

function endpoint(base) {
  const u = new URL(base);
  const tls = u.protocol === 'https:';
  return {
    mod: tls ? https : http,
    hostname: u.hostname,
    port: Number(u.port || (tls ? 443 : 80)),
    prefix: u.pathname.replace(/\/+$/, ''),
  };
}

// One HTTP request; resolves (never rejects) with {status, body, bytes, ms, error}.
function doRequest(ep, { method = 'GET', path, headers = {}, body = null, agent, timeoutMs = 30000, onReq }) {
  return new Promise((resolve) => {
    const t0 = performance.now();
    let settled = false;
    const finish = (r) => { if (!settled) { settled = true; r.ms = performance.now() - t0; resolve(r); } };
    const req = ep.mod.request({ hostname: ep.hostname, port: ep.port, path: ep.prefix + path, method, headers, agent }, (res) => {
      const chunks = [];
      let n = 0;
      res.on('data', (c) => { chunks.push(c); n += c.length; });
      res.on('end', () => finish({ status: res.statusCode, body: chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, n), bytes: n }));
      res.on('error', (e) => finish({ status: 0, error: e.code || e.message, bytes: n }));
      res.on('close', () => finish({ status: 0, error: 'closed_mid_body', bytes: n }));
    });
    req.setTimeout(timeoutMs, () => req.destroy(Object.assign(new Error('timeout'), { code: 'TIMEOUT' })));
    req.on('error', (e) => finish({ status: 0, error: e.code || e.message, bytes: 0 }));
    if (onReq) onReq(req);
    if (body != null) req.end(body); else req.end();
  });
}

function makeText(runId, seq, ts, size) {
  const head = `cb|${runId}|${seq}|${ts.toFixed(3)}|`;
  return size > head.length ? head + 'x'.repeat(size - head.length) : head;
}

function postBody(agentName, text) {
  return JSON.stringify({ agent: agentName, text });
}

function postHeaders(pw, body) {
  return { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body), 'X-Room-Password': pw };
}

// Parse "<seq>|<ts>|" that follows the marker at position p in s (bounded by `end`).
// Returns [seq, ts, posAfter] with seq = -1 for a readiness probe ('r'), -2 for a warm-up
// message ('w<i>'), or null.
function parseMarkerAt(s, p, end) {
  const q = s.indexOf('|', p);
  if (q === -1 || q >= end) return null;
  const r = s.indexOf('|', q + 1);
  if (r === -1 || r >= end) return null;
  const seqStr = s.slice(p, q);
  const ts = +s.slice(q + 1, r);
  const seq = seqStr === 'r' ? -1 : seqStr.charCodeAt(0) === 119 /* w */ ? -2 : +seqStr;
  if (!Number.isFinite(seq) || !Number.isFinite(ts)) return null;
  return [seq, ts, r + 1];
}

function stats(arr) {
  const n = arr.length;
  if (!n) return { n: 0 };
  const a = Float64Array.from(arr).sort();
  let sum = 0;
  for (let i = 0; i < n; i++) sum += a[i];
  const q = (p) => a[Math.min(n - 1, Math.max(0, Math.ceil((p / 100) * n) - 1))];
  const r = (x) => Math.round(x * 100) / 100;
  return { n, p50: r(q(50)), p90: r(q(90)), p99: r(q(99)), max: r(a[n - 1]), mean: r(sum / n) };
}

function concatF64(list) {
  let n = 0;
  for (const a of list) n += a.length;
  const out = new Float64Array(n);
  let o = 0;
  for (const a of list) { out.set(a, o); o += a.length; }
  return out;
}

function procInfo(pid) {
  if (!pid) return null;
  try {
    const st = readFileSync(`/proc/${pid}/status`, 'utf8');
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // after "pid (comm) ": f[0]=state ... utime=f[11], stime=f[12] (clock ticks, 100/s on Linux)
    return {
      rssKB: +(/VmRSS:\s+(\d+)/.exec(st)?.[1] ?? NaN),
      threads: +(/Threads:\s+(\d+)/.exec(st)?.[1] ?? NaN),
      cpuS: (+f[11] + +f[12]) / 100,
    };
  } catch (e) {
    return { error: e.code || e.message };
  }
}

// Machine-wide busy CPU seconds (all cores) and the softirq part, from /proc/stat; null off Linux.
function machineBusyS() {
  try {
    const l = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
    // user nice system idle iowait irq softirq steal
    return { busy: (l[0] + l[1] + l[2] + l[5] + l[6] + (l[7] || 0)) / 100, softirq: l[6] / 100 };
  } catch { return null; }
}

// Run fn(0..n-1) with at most cc in flight; returns results in order.
async function staged(n, cc, fn) {
  const out = new Array(n);
  let next = 0;
  await Promise.all(Array.from({ length: Math.max(1, Math.min(cc, n)) }, async () => {
    while (next < n) { const i = next++; out[i] = await fn(i); }
  }));
  return out;
}

function countErr(map, key) { map[key] = (map[key] || 0) + 1; }

const round = (x, d = 2) => (Number.isFinite(x) ? Math.round(x * 10 ** d) / 10 ** d : x);

// ============================================================ worker side ==

if (!isMainThread) {
  const wd = workerData;
  const now = makeClock(BigInt(wd.hrBase));
  const ep = endpoint(wd.base);
  const mark = `cb|${wd.runId}|`;
  const M = wd.messages | 0;
  const port = parentPort;

  if (wd.mode === 'sse') sseWorker();
  else if (wd.mode === 'poll') pollWorker();
  else if (wd.mode === 'post') postWorker();

  // ---- SSE subscribers -----------------------------------------------------
  function sseWorker() {
    const n = wd.count;
    const agent = new ep.mod.Agent({ keepAlive: true, maxSockets: Infinity });
    const subs = [];
    const lat = new Float64Array(Math.max(1, n * Math.max(M, 0)));
    const latSeq = new Uint32Array(lat.length);
    let latN = 0, delivered = 0, dups = 0, readyCount = 0, warmRecv = 0, ended = 0, ok = 0, failed = 0, notAttempted = 0;
    let firstRecv = Infinity, lastRecv = 0, closing = false;
    const errs = {}, endReasons = {};
    const connectTimes = [];

    function onData(sub, buf, from, to, t) {
      let i = buf.indexOf(mark, from);
      while (i !== -1 && i < to) {
        const m = parseMarkerAt(buf, i + mark.length, to);
        if (!m) break;
        const seq = m[0];
        if (seq === -1) {
          if (!sub.ready) { sub.ready = true; readyCount++; }
        } else if (seq === -2) {
          warmRecv++;
        } else if (seq >= 0 && seq < M) {
          if (sub.seen[seq]) dups++;
          else {
            sub.seen[seq] = 1;
            latSeq[latN] = seq;
            lat[latN++] = t - m[1];
            delivered++;
            if (t < firstRecv) firstRecv = t;
            lastRecv = t;
          }
        }
        i = buf.indexOf(mark, m[2]);
      }
    }

    function onChunk(sub, chunk) {
      const t = now();
      const buf = sub.buf ? sub.buf + chunk : chunk;
      let start = 0, nl;
      while ((nl = buf.indexOf('\n', start)) !== -1) {
        if (buf.startsWith('data:', start)) onData(sub, buf, start + 5, nl, t);
        start = nl + 1;
      }
      sub.buf = start < buf.length ? buf.slice(start) : '';
      if (sub.buf.length > 4 << 20) sub.buf = ''; // runaway line guard
    }

    function markEnded(sub, why) {
      if (sub.open && !closing) { sub.open = false; ended++; countErr(endReasons, why); }
    }

    function openOne() {
      return new Promise((resolve) => {
        const sub = { seen: M > 0 ? new Uint8Array(M) : null, ready: false, buf: '', open: false, req: null };
        subs.push(sub);
        const t0 = performance.now();
        let done = false;
        const fail = (why) => { if (!done) { done = true; failed++; countErr(errs, why); clearTimeout(timer); try { req.destroy(); } catch {} resolve(); } };
        const headers = { Accept: 'text/event-stream', 'Cache-Control': 'no-cache' };
        let path = '/messages/stream';
        if (wd.authQuery) path += `?password=${encodeURIComponent(wd.password)}`;
        else headers['X-Room-Password'] = wd.password;
        const req = ep.mod.request({ hostname: ep.hostname, port: ep.port, path: ep.prefix + path, method: 'GET', headers, agent });
        sub.req = req;
        const timer = setTimeout(() => fail('connect_timeout'), wd.connectTimeoutMs);
        req.on('response', (res) => {
          if (res.statusCode !== 200) { res.resume(); fail(`http_${res.statusCode}`); return; }
          done = true; clearTimeout(timer); ok++; sub.open = true;
          connectTimes.push(performance.now() - t0);
          res.setEncoding('utf8');
          res.on('data', (c) => onChunk(sub, c));
          res.on('end', () => markEnded(sub, 'eof'));
          res.on('close', () => markEnded(sub, 'close'));
          res.on('error', (e) => markEnded(sub, e.code || 'res_error'));
          resolve();
        });
        req.on('error', (e) => { if (!done) fail(e.code || e.message); else markEnded(sub, e.code || 'req_error'); });
        req.end();
      });
    }

    async function openAll() {
      const deadline = performance.now() + wd.connectPhaseMs;
      let next = 0;
      const runner = async () => {
        while (next < n) {
          if (performance.now() > deadline || closing) { notAttempted = n - next; next = n; break; }
          next++;
          await openOne();
        }
      };
      await Promise.all(Array.from({ length: Math.max(1, Math.min(wd.connectConcurrency, n)) }, runner));
      port.postMessage({ type: 'connected', ok, failed, notAttempted, errs, connectTimes: Float64Array.from(connectTimes) });
    }

    const progress = setInterval(() => {
      port.postMessage({ type: 'progress', delivered, ready: readyCount, warm: warmRecv, ended, dups });
    }, 100);

    port.on('message', (msg) => {
      if (msg.cmd === 'connect') openAll();
      else if (msg.cmd === 'finish') {
        closing = true;
        clearInterval(progress);
        const out = lat.slice(0, latN);
        const outSeq = latSeq.slice(0, latN);
        const missingPerSub = [];
        for (const s of subs) if (s.seen) { let c = 0; for (let i = 0; i < M; i++) if (!s.seen[i]) c++; missingPerSub.push(c); }
        port.postMessage({ type: 'result', lat: out, seq: outSeq, delivered, dups, ready: readyCount, ended, endReasons, firstRecv, lastRecv,
          subsWithLoss: missingPerSub.filter((c) => c > 0).length }, [out.buffer, outSeq.buffer]);
        for (const s of subs) { try { s.req.destroy(); } catch {} }
        agent.destroy();
      }
    });
    port.postMessage({ type: 'up' });
  }

  // ---- long-poll clients ---------------------------------------------------
  // One agent with a single socket per simulated client (= one keep-alive connection each,
  // like separate client processes). Warm-up opens them `connectConcurrency` at a time.
  function clientAgents(n) {
    return Array.from({ length: n }, () => new ep.mod.Agent({ keepAlive: wd.keepAlive, maxSockets: 1 }));
  }
  async function warmAgents(agents) {
    const rs = await staged(agents.length, wd.connectConcurrency, (i) => doRequest(ep, { path: '/health', agent: agents[i], timeoutMs: 20000 }));
    port.postMessage({ type: 'warmed', ok: rs.filter((r) => r.status === 200).length, ms: Float64Array.from(rs.map((r) => r.ms)) });
  }

  function pollWorker() {
    const n = wd.count;
    const agents = clientAgents(n);
    const lat = [], latSeq = [];
    let delivered = 0, dups = 0, polls = 0, pollsInWindow = 0, empty = 0, errors = 0, finished = 0, stopping = false;
    let firstRecv = Infinity, lastRecv = 0, lastPollEnd = 0, windowStart = Infinity;
    const errs = {};
    const live = new Set();

    async function poller(cursor0, agent) {
      const seen = new Uint8Array(M);
      let got = 0, cursor = cursor0, holder = null;
      while (!stopping && got < M) {
        const r = await doRequest(ep, {
          path: `/messages/poll?after=${encodeURIComponent(cursor)}`,
          headers: { 'X-Room-Password': wd.password }, agent, timeoutMs: wd.pollTimeoutMs,
          onReq: (req) => { holder = req; live.add(req); },
        });
        live.delete(holder);
        if (stopping) break;
        const t = now();
        polls++;
        if (t >= windowStart) { pollsInWindow++; lastPollEnd = t; }
        if (r.status !== 200) { errors++; countErr(errs, r.error || `http_${r.status}`); await sleep(10); continue; }
        let obj;
        try { obj = JSON.parse(r.body); } catch { errors++; countErr(errs, 'bad_json'); continue; }
        const msgs = Array.isArray(obj.messages) ? obj.messages : [];
        if (msgs.length === 0 && t >= windowStart) empty++;
        for (const m of msgs) {
          const txt = m && typeof m.text === 'string' ? m.text : '';
          if (!txt.startsWith(mark)) continue;
          const p = parseMarkerAt(txt, mark.length, txt.length);
          if (!p || p[0] < 0 || p[0] >= M) continue;
          if (seen[p[0]]) { dups++; continue; }
          seen[p[0]] = 1; got++; delivered++;
          lat.push(t - p[1]);
          latSeq.push(p[0]);
          if (t < firstRecv) firstRecv = t;
          lastRecv = t;
        }
        if (obj.next !== undefined && obj.next !== null) cursor = obj.next;
        else if (typeof cursor === 'number') cursor += msgs.length;
      }
      finished++;
    }

    const progress = setInterval(() => {
      port.postMessage({ type: 'progress', delivered, finished, polls });
    }, 100);

    port.on('message', (msg) => {
      if (msg.cmd === 'warm') {
        // Establish the keep-alive sockets first so that connection set-up (and, on a server
        // with a tiny listen backlog, SYN retransmits) stays out of the measured window.
        warmAgents(agents);
      } else if (msg.cmd === 'start') {
        for (let i = 0; i < n; i++) poller(msg.cursor, agents[i]);
      } else if (msg.cmd === 'window') {
        windowStart = msg.windowStart;
      } else if (msg.cmd === 'finish') {
        stopping = true;
        clearInterval(progress);
        for (const req of live) { try { req.destroy(); } catch {} }
        const out = Float64Array.from(lat);
        const outSeq = Uint32Array.from(latSeq);
        port.postMessage({ type: 'result', lat: out, seq: outSeq, delivered, dups, polls, pollsInWindow, lastPollEnd, empty, errors, errs, finished, firstRecv, lastRecv }, [out.buffer, outSeq.buffer]);
        for (const a of agents) a.destroy();
      }
    });
    port.postMessage({ type: 'up' });
  }

  // ---- concurrent POST senders ---------------------------------------------
  function postWorker() {
    const n = wd.count;
    const agents = clientAgents(n);
    const lat = [];
    let ok = 0, errors = 0, seq = 0, all = 0;
    const statuses = {}, errs = {};

    async function sender(id, warmupEnd, end) {
      const agent = agents[id];
      const name = `bench-${wd.workerIndex}-${id}`;
      while (true) {
        const t = now();
        if (t >= end) break;
        const body = postBody(name, makeText(wd.runId, `w${wd.workerIndex}s${seq++}`, t, wd.size));
        const r = await doRequest(ep, { method: 'POST', path: '/messages', headers: postHeaders(wd.password, body), body, agent });
        all++;
        if (t < warmupEnd) continue;
        countErr(statuses, r.status || r.error);
        if (r.status === 200 || r.status === 201) { ok++; lat.push(r.ms); } else { errors++; countErr(errs, r.error || `http_${r.status}`); if (!r.status) await sleep(5); }
      }
    }

    port.on('message', async (msg) => {
      if (msg.cmd === 'warm') {
        await warmAgents(agents);
      } else if (msg.cmd === 'start') {
        await Promise.all(Array.from({ length: n }, (_, i) => sender(i, msg.warmupEnd, msg.end)));
        const out = Float64Array.from(lat);
        port.postMessage({ type: 'result', lat: out, ok, errors, statuses, errs, all }, [out.buffer]);
        for (const a of agents) a.destroy();
      }
    });
    port.postMessage({ type: 'up' });
  }
}

// ============================================================== main side ==

if (isMainThread) {
  const args = parseArgs(process.argv.slice(2));
  if (!args.scenario || args.help) {
    process.stderr.write(`usage: node chatbench.mjs --scenario post|fanout|idle|poll|history [--base URL] [--password PW] [--pid PID]
  common:  --workers 1 --size 100 --max-seconds 60 --label TEXT --auth header|query --keepalive 1|0
  post:    --concurrency 16 --duration 10 --warmup 1
  fanout:  --subscribers 100 --messages 500 --rate 200 --warmup-msgs 50 --sender-conns 16 --drain 15 --connect-concurrency 8
  idle:    --connections 1000 --settle 2 --connect-concurrency 8
  poll:    --pollers 100 --messages 500 --rate 200 --warmup-msgs 50 --drain 15
  history: --history 10000 --concurrency 16 --repeat 5
`);
    process.exit(args.help ? 0 : 2);
  }

  const num = (k, d) => (args[k] !== undefined ? Number(args[k]) : d);
  const cfg = {
    base: args.base || 'http://127.0.0.1:18765',
    password: args.password ?? 'PW',
    scenario: args.scenario,
    pid: args.pid ? Number(args.pid) : 0,
    label: args.label || '',
    workers: Math.max(1, num('workers', 1)),
    size: num('size', 100),
    maxSeconds: num('max-seconds', 60),
    authQuery: (args.auth || 'header') === 'query',
    concurrency: num('concurrency', 16),
    duration: num('duration', 10),
    warmup: num('warmup', 1),
    subscribers: num('subscribers', 100),
    messages: num('messages', 500),
    rate: num('rate', 200),
    senderConns: num('sender-conns', 16),
    drain: num('drain', 15),
    connectConcurrency: num('connect-concurrency', 8),
    connectTimeout: num('connect-timeout', 16),
    connectPhase: num('connect-phase', 25),
    connections: num('connections', 1000),
    settle: num('settle', 2),
    pollers: num('pollers', 100),
    history: num('history', 10000),
    repeat: num('repeat', 5),
    warmupMsgs: num('warmup-msgs', 50),
    keepAlive: !['0', 'false', 'no'].includes(String(args.keepalive ?? '1')),
  };

  const hrBase = process.hrtime.bigint();
  const now = makeClock(hrBase);
  const ep = endpoint(cfg.base);
  const runId = Math.random().toString(36).slice(2, 8);
  const tStart = now();
  const cpu0 = process.cpuUsage();
  const srv0 = procInfo(cfg.pid);
  const busy0 = machineBusyS();
  let aborted = false;
  const workers = [];
  const log = (...a) => process.stderr.write(`[chatbench ${((now() - tStart) / 1000).toFixed(1)}s] ${a.join(' ')}\n`);
  const softDeadline = setTimeout(() => { aborted = true; log(`soft deadline ${cfg.maxSeconds}s reached: wrapping up`); }, cfg.maxSeconds * 1000);
  softDeadline.unref();
  const hardDeadline = setTimeout(() => {
    process.stdout.write(JSON.stringify({ scenario: cfg.scenario, base: cfg.base, label: cfg.label, aborted: true, error: 'hard deadline' }) + '\n');
    process.exit(3);
  }, (cfg.maxSeconds + 10) * 1000);
  hardDeadline.unref();

  const until = async (cond, timeoutMs, stepMs = 20) => {
    const end = now() + timeoutMs;
    while (!cond()) {
      if (aborted || now() >= end) return false;
      await sleep(stepMs);
    }
    return true;
  };

  const split = (total) => {
    const w = Math.min(cfg.workers, Math.max(1, total));
    return Array.from({ length: w }, (_, i) => Math.floor(total / w) + (i < total % w ? 1 : 0));
  };

  function spawnWorkers(mode, total, extra = {}) {
    const counts = split(total);
    return Promise.all(counts.map((count, i) => new Promise((resolve, reject) => {
      const w = new Worker(SELF, {
        workerData: { mode, count, workerIndex: i, base: cfg.base, password: cfg.password, hrBase: hrBase.toString(), runId,
          messages: cfg.messages, size: cfg.size, authQuery: cfg.authQuery, keepAlive: cfg.keepAlive,
          connectConcurrency: Math.max(1, Math.ceil(cfg.connectConcurrency / counts.length)), ...extra },
      });
      const st = { w, count, last: {}, result: null, connected: null, warmed: null };
      w.on('message', (m) => {
        if (m.type === 'up') resolve(st);
        else if (m.type === 'progress') st.last = m;
        else if (m.type === 'connected') st.connected = m;
        else if (m.type === 'warmed') st.warmed = m;
        else if (m.type === 'result') st.result = m;
      });
      w.on('error', (e) => { log(`worker ${i} error: ${e.stack || e}`); reject(e); });
      workers.push(st);
    })));
  }

  async function finishWorkers(group, timeoutMs = 5000) {
    for (const s of group) s.w.postMessage({ cmd: 'finish' });
    await until(() => group.every((s) => s.result), timeoutMs, 10);
    for (const s of group) s.w.terminate();
    return group.map((s) => s.result).filter(Boolean);
  }

  const sum = (group, f) => group.reduce((a, s) => a + (f(s) || 0), 0);

  async function warmGroup(group) {
    const t0 = now();
    for (const s of group) s.w.postMessage({ cmd: 'warm' });
    await until(() => group.every((s) => s.warmed), 25000, 10);
    const ok = sum(group, (s) => s.warmed?.ok);
    const ms = stats(concatF64(group.map((s) => s.warmed?.ms || new Float64Array(0))));
    log(`warmed ${ok}/${sum(group, (s) => s.count)} keep-alive connections in ${round(now() - t0, 1)} ms (p99 ${ms.p99} ms)`);
    return { warmOk: ok, warmMs: ms };
  }

  // Latency p50/p99 per tenth of the message sequence: shows warm-up effects and queue build-up.
  function byTenth(res, M) {
    const buckets = Array.from({ length: 10 }, () => []);
    for (const r of res) {
      if (!r.seq) continue;
      for (let i = 0; i < r.seq.length; i++) buckets[Math.min(9, Math.floor((r.seq[i] * 10) / M))].push(r.lat[i]);
    }
    return { p50: buckets.map((b) => stats(b).p50 ?? null), p99: buckets.map((b) => stats(b).p99 ?? null) };
  }

  // Open (and keep) `conns` keep-alive connections in `agent` before a measured phase.
  async function warmAgent(agent, conns) {
    const rs = await Promise.all(Array.from({ length: conns }, () => doRequest(ep, { path: '/health', agent, timeoutMs: 20000 })));
    return stats(rs.map((r) => r.ms));
  }

  async function health() {
    const r = await doRequest(ep, { path: '/health', timeoutMs: 5000 });
    return r;
  }

  // Paced open-loop sender: message i is issued at t0 + i/rate (or immediately if late).
  async function newSender() {
    const agent = new ep.mod.Agent({ keepAlive: cfg.keepAlive, maxSockets: cfg.senderConns });
    const warmMs = cfg.keepAlive ? await warmAgent(agent, cfg.senderConns) : null;
    return { agent, warmMs };
  }

  async function pacedSend(M, rate, sender, makeSeq = (i) => i) {
    if (!sender) sender = await newSender();
    const agent = sender.agent;
    const senderWarmMs = sender.warmMs;
    const interval = 1000 / rate;
    const postLat = [];
    const queueWait = [];
    let tLastDone = NaN;
    const errs = {};
    let errors = 0, sent = 0;
    const inflight = new Set();
    const t0 = now();
    let tFirst = NaN, tLast = NaN;
    for (let i = 0; i < M; i++) {
      if (aborted) break;
      const wait = t0 + i * interval - now();
      if (wait >= 1) await sleep(wait);
      const ts = now();
      if (i === 0) tFirst = ts;
      tLast = ts;
      const body = postBody('bench-sender', makeText(runId, makeSeq(i), ts, cfg.size));
      const onReq = (req) => req.once('socket', () => queueWait.push(now() - ts));
      const p = doRequest(ep, { method: 'POST', path: '/messages', headers: postHeaders(cfg.password, body), body, agent, onReq }).then((r) => {
        tLastDone = now();
        if (r.status === 200 || r.status === 201) postLat.push(r.ms); else { errors++; countErr(errs, r.error || `http_${r.status}`); }
      });
      sent++;
      inflight.add(p);
      p.finally(() => inflight.delete(p));
    }
    await Promise.race([Promise.all([...inflight]), sleep(15000)]);
    const sendSpan = (tLast - tFirst) / 1000;
    const doneSpan = (tLastDone - tFirst) / 1000;
    return { sent, errors, errs, postLatencyMs: stats(postLat), senderQueueMs: stats(queueWait), senderWarmMs, tFirst, tLast,
      achievedRate: sent > 1 && sendSpan > 0 ? round((sent - 1) / sendSpan, 1) : null,
      acceptedRate: postLat.length > 1 && doneSpan > 0 ? round(postLat.length / doneSpan, 1) : null };
  }

  async function postProbe() {
    const body = postBody('bench-probe', makeText(runId, 'r', now(), 0));
    return doRequest(ep, { method: 'POST', path: '/messages', headers: postHeaders(cfg.password, body), body, timeoutMs: 10000 });
  }

  function envelope(extra) {
    const srv1 = procInfo(cfg.pid);
    const cpu = process.cpuUsage(cpu0);
    const wall = (now() - tStart) / 1000;
    const o = { scenario: cfg.scenario, base: cfg.base, label: cfg.label, runId, date: new Date().toISOString(), node: process.version, ...extra,
      wallS: round(wall), clientCpuS: round((cpu.user + cpu.system) / 1e6) };
    if (srv0 && srv1 && Number.isFinite(srv0.cpuS) && Number.isFinite(srv1.cpuS)) o.serverCpuS = round(srv1.cpuS - srv0.cpuS);
    const busy1 = machineBusyS();
    if (busy0 && busy1) {
      // Everything busy on the machine during the run (ceiling: machineCores x wallS), and the
      // softirq part (loopback TCP). Coarse (10 ms ticks; in a VM /proc/stat can lag): use it to
      // see whether the machine was saturated, not to attribute CPU to other processes.
      o.machineCores = os.cpus().length;
      o.machineBusyS = round(busy1.busy - busy0.busy);
      o.softirqS = round(busy1.softirq - busy0.softirq);
    }
    if (srv1 && srv1.error) o.pidError = srv1.error;
    if (aborted) o.aborted = true;
    return o;
  }

  // ---------------------------------------------------------------- post --
  async function scenarioPost() {
    const group = await spawnWorkers('post', cfg.concurrency);
    const warm = cfg.keepAlive ? await warmGroup(group) : {};
    const rss0 = procInfo(cfg.pid);
    const t = now();
    const warmupEnd = t + cfg.warmup * 1000;
    const end = warmupEnd + Math.min(cfg.duration, cfg.maxSeconds - cfg.warmup - 5) * 1000;
    log(`post: ${cfg.concurrency} senders x ${cfg.duration}s (+${cfg.warmup}s warmup) on ${group.length} worker(s)`);
    for (const s of group) s.w.postMessage({ cmd: 'start', warmupEnd, end });
    await until(() => group.every((s) => s.result), (end - now()) + 35000, 50);
    const res = group.map((s) => s.result).filter(Boolean);
    for (const s of group) s.w.terminate();
    const measuredS = (end - warmupEnd) / 1000;
    const ok = res.reduce((a, r) => a + r.ok, 0);
    const errors = res.reduce((a, r) => a + r.errors, 0);
    const errs = {};
    for (const r of res) for (const [k, v] of Object.entries(r.errs)) errs[k] = (errs[k] || 0) + v;
    const rss1 = procInfo(cfg.pid);
    return envelope({ concurrency: cfg.concurrency, keepAlive: cfg.keepAlive, ...warm, durationS: round(measuredS), ok, errors, errs,
      msgsPerSec: round(ok / measuredS, 1), latencyMs: stats(concatF64(res.map((r) => r.lat))),
      rssBeforeKB: rss0?.rssKB, rssAfterKB: rss1?.rssKB });
  }

  // ------------------------------------------------------ SSE connecting --
  async function connectSse(total) {
    const cc = Math.max(1, Math.ceil(cfg.connectConcurrency / Math.min(cfg.workers, total)));
    const group = await spawnWorkers('sse', total, { connectConcurrency: cc, connectTimeoutMs: cfg.connectTimeout * 1000,
      connectPhaseMs: Math.min(cfg.connectPhase, cfg.maxSeconds / 2) * 1000 });
    const t0 = now();
    for (const s of group) s.w.postMessage({ cmd: 'connect' });
    let lastLog = now();
    await until(() => {
      if (now() - lastLog > 2000) { lastLog = now(); log(`connecting... ${sum(group, (s) => s.connected?.ok)} done-workers=${group.filter((s) => s.connected).length}/${group.length}`); }
      return group.every((s) => s.connected);
    }, cfg.connectPhase * 1000 + cfg.connectTimeout * 1000 + 5000, 20);
    const connectPhaseMs = round(now() - t0, 1);
    const errs = {};
    for (const s of group) for (const [k, v] of Object.entries(s.connected?.errs || {})) errs[k] = (errs[k] || 0) + v;
    const info = {
      connected: sum(group, (s) => s.connected?.ok),
      connectFailed: sum(group, (s) => s.connected?.failed),
      notAttempted: sum(group, (s) => s.connected?.notAttempted),
      connectErrors: errs,
      connectPhaseMs,
      connectConcurrency: cfg.connectConcurrency,
      connectMs: stats(concatF64(group.map((s) => s.connected?.connectTimes || new Float64Array(0)))),
    };
    log(`connected ${info.connected}/${total} in ${connectPhaseMs} ms; failed ${info.connectFailed} ${JSON.stringify(errs)}`);
    return { group, info };
  }

  async function probeReady(group, expect, timeoutMs) {
    const t0 = now();
    let probes = 0;
    while (!aborted) {
      const r = await postProbe();
      probes++;
      if (r.status !== 200 && r.status !== 201) log(`probe POST failed: ${r.status} ${r.error || ''}`);
      const ok = await until(() => sum(group, (s) => s.last.ready) >= expect, Math.min(2000, Math.max(0, timeoutMs - (now() - t0))));
      if (ok || now() - t0 >= timeoutMs) break;
    }
    await sleep(150); // let the last progress reports arrive
    return { ready: sum(group, (s) => s.last.ready), probes, probeMs: round(now() - t0, 1) };
  }

  // -------------------------------------------------------------- fanout --
  async function scenarioFanout() {
    const S = cfg.subscribers, M = cfg.messages;
    const rss0 = procInfo(cfg.pid);
    const { group, info } = await connectSse(S);
    const rssConnected = procInfo(cfg.pid);
    const probe = await probeReady(group, info.connected, 8000);
    const sender = await newSender();
    let warmupDelivered = null;
    if (cfg.warmupMsgs > 0) {
      // Warm-up messages (JIT, buffers, sockets); wait until they are all delivered so the
      // measured messages do not queue behind them.
      await pacedSend(cfg.warmupMsgs, cfg.rate, sender, (i) => `w${i}`);
      await until(() => sum(group, (s) => s.last.warm) >= probe.ready * cfg.warmupMsgs, 10000, 10);
      await sleep(200);
      warmupDelivered = sum(group, (s) => s.last.warm);
    }
    log(`ready ${probe.ready}/${info.connected} after ${probe.probes} probe(s) + ${cfg.warmupMsgs} warm-up msgs; sending ${M} msgs at ${cfg.rate}/s`);
    const send = await pacedSend(M, cfg.rate, sender);
    const expectedConnected = info.connected * M;
    const sendDone = now();
    let lastLog = now();
    await until(() => {
      if (now() - lastLog > 2000) { lastLog = now(); log(`draining... delivered ${sum(group, (s) => s.last.delivered)}/${expectedConnected}`); }
      return sum(group, (s) => s.last.delivered) >= expectedConnected;
    }, cfg.drain * 1000, 10);
    const drainMs = round(now() - sendDone, 1);
    const res = await finishWorkers(group);
    const rss1 = procInfo(cfg.pid);
    const delivered = res.reduce((a, r) => a + r.delivered, 0);
    const lastRecv = Math.max(...res.map((r) => r.lastRecv), 0);
    const endReasons = {};
    for (const r of res) for (const [k, v] of Object.entries(r.endReasons || {})) endReasons[k] = (endReasons[k] || 0) + v;
    const expected = S * M;
    return envelope({ subscribers: S, messages: M, rate: cfg.rate, ...info, ready: probe.ready, probes: probe.probes,
      warmupMsgs: cfg.warmupMsgs, warmupDelivered,
      sent: send.sent, achievedSendRate: send.achievedRate, acceptedRate: send.acceptedRate, postErrors: send.errors, postErrs: send.errs,
      postLatencyMs: send.postLatencyMs, senderQueueMs: send.senderQueueMs, senderWarmMs: send.senderWarmMs, keepAlive: cfg.keepAlive,
      expected, delivered, lost: expected - delivered, lostPct: round((100 * (expected - delivered)) / expected, 3),
      lostOfConnected: expectedConnected - delivered, dups: res.reduce((a, r) => a + r.dups, 0),
      subsWithLoss: res.reduce((a, r) => a + (r.subsWithLoss || 0), 0),
      streamsEnded: res.reduce((a, r) => a + r.ended, 0), endReasons,
      latencyMs: stats(concatF64(res.map((r) => r.lat))), latencyByTenthMs: byTenth(res, M),
      deliveriesPerSec: delivered && lastRecv > send.tFirst ? round(delivered / ((lastRecv - send.tFirst) / 1000), 0) : 0,
      drainMs, rssBeforeKB: rss0?.rssKB, rssConnectedKB: rssConnected?.rssKB, rssAfterKB: rss1?.rssKB, serverThreads: rssConnected?.threads });
  }

  // ---------------------------------------------------------------- idle --
  async function scenarioIdle() {
    const K = cfg.connections;
    for (let i = 0; i < 20; i++) await health();
    await sleep(500);
    const before = procInfo(cfg.pid);
    const { group, info } = await connectSse(K);
    await sleep(cfg.settle * 1000);
    const after = procInfo(cfg.pid);
    const hl = [];
    let healthErrors = 0;
    // A NEW client while K streams are open: fresh connection per request (agent:false).
    for (let i = 0; i < 20 && !aborted; i++) {
      const r = await doRequest(ep, { path: '/health', agent: false, timeoutMs: 5000 });
      if (r.status === 200) hl.push(r.ms); else healthErrors++;
    }
    const probe = info.connected ? await probeReady(group, info.connected, 10000) : { ready: 0, probes: 0, probeMs: 0 };
    log(`probe reached ${probe.ready}/${info.connected} in ${probe.probeMs} ms`);
    const stillOpen = info.connected - sum(group, (s) => s.last.ended);
    const res = await finishWorkers(group);
    await sleep(2000);
    const afterClose = procInfo(cfg.pid);
    const endReasons = {};
    for (const r of res) for (const [k, v] of Object.entries(r.endReasons || {})) endReasons[k] = (endReasons[k] || 0) + v;
    const dRss = after && before ? after.rssKB - before.rssKB : NaN;
    return envelope({ connections: K, ...info, allConnected: info.connected === K, stillOpenAtEnd: stillOpen, endReasons,
      rssBeforeKB: before?.rssKB, rssAfterKB: after?.rssKB, kbPerConn: info.connected ? round(dRss / info.connected, 2) : null,
      threadsBefore: before?.threads, threadsAfter: after?.threads, rssAfterCloseKB: afterClose?.rssKB,
      healthWhileOpenMs: stats(hl), healthErrors, probeReached: probe.ready, probeMs: probe.probeMs });
  }

  // ---------------------------------------------------------------- poll --
  async function scenarioPoll() {
    const P = cfg.pollers, M = cfg.messages;
    const rss0 = procInfo(cfg.pid);
    // Prime so that after=0 returns at once even on a holding (long-poll) server, then take its cursor.
    await postProbe();
    const first = await doRequest(ep, { path: '/messages/poll?after=0', headers: { 'X-Room-Password': cfg.password }, timeoutMs: 10000 });
    if (first.status !== 200) throw new Error(`initial poll failed: ${first.status} ${first.error || first.body}`);
    const cursor = JSON.parse(first.body).next;
    log(`initial cursor ${JSON.stringify(cursor)}; starting ${P} pollers`);
    const group = await spawnWorkers('poll', P, { pollTimeoutMs: 40000 });
    const warm = cfg.keepAlive ? await warmGroup(group) : {};
    const sender = await newSender();
    for (const s of group) s.w.postMessage({ cmd: 'start', cursor });
    await sleep(1000);
    if (cfg.warmupMsgs > 0) { await pacedSend(cfg.warmupMsgs, cfg.rate, sender, (i) => `w${i}`); await sleep(500); }
    const windowStart = now();
    for (const s of group) s.w.postMessage({ cmd: 'window', windowStart });
    const send = await pacedSend(M, cfg.rate, sender);
    const sendDone = now();
    await until(() => sum(group, (s) => s.last.finished) >= P, cfg.drain * 1000, 10);
    const drainMs = round(now() - sendDone, 1);
    const res = await finishWorkers(group);
    const rss1 = procInfo(cfg.pid);
    const delivered = res.reduce((a, r) => a + r.delivered, 0);
    const polls = res.reduce((a, r) => a + r.pollsInWindow, 0);
    const lastPollEnd = Math.max(...res.map((r) => r.lastPollEnd), windowStart);
    const windowS = (lastPollEnd - windowStart) / 1000;
    const empty = res.reduce((a, r) => a + r.empty, 0);
    const errs = {};
    for (const r of res) for (const [k, v] of Object.entries(r.errs || {})) errs[k] = (errs[k] || 0) + v;
    const expected = P * M;
    return envelope({ pollers: P, messages: M, rate: cfg.rate, keepAlive: cfg.keepAlive, ...warm, sent: send.sent, achievedSendRate: send.achievedRate,
      acceptedRate: send.acceptedRate, postErrors: send.errors, postLatencyMs: send.postLatencyMs, senderQueueMs: send.senderQueueMs,
      expected, delivered, lost: expected - delivered, lostPct: round((100 * (expected - delivered)) / expected, 3),
      dups: res.reduce((a, r) => a + r.dups, 0), latencyMs: stats(concatF64(res.map((r) => r.lat))), latencyByTenthMs: byTenth(res, M),
      pollRequests: polls, pollWindowS: round(windowS), pollRps: windowS > 0 ? round(polls / windowS, 0) : null,
      emptyPolls: empty, pollErrors: res.reduce((a, r) => a + r.errors, 0), pollErrs: errs,
      pollersDone: res.reduce((a, r) => a + r.finished, 0), drainMs, rssBeforeKB: rss0?.rssKB, rssAfterKB: rss1?.rssKB,
      serverThreads: rss1?.threads });
  }

  // ------------------------------------------------------------- history --
  async function scenarioHistory() {
    const N = cfg.history;
    const pw = { 'X-Room-Password': cfg.password };
    for (let i = 0; i < 20; i++) await health();
    const g0 = await doRequest(ep, { path: '/messages', headers: pw });
    const countBefore = g0.status === 200 ? (JSON.parse(g0.body).messages || []).length : NaN;
    await sleep(500);
    const before = procInfo(cfg.pid);
    const agent = new ep.mod.Agent({ keepAlive: cfg.keepAlive, maxSockets: cfg.concurrency });
    if (cfg.keepAlive) await warmAgent(agent, cfg.concurrency);
    let next = 0, errors = 0;
    const errs = {};
    const t0 = now();
    const postLimit = t0 + (cfg.maxSeconds - 15) * 1000;
    await Promise.all(Array.from({ length: cfg.concurrency }, async () => {
      while (next < N && now() < postLimit && !aborted) {
        const i = next++;
        const body = postBody('bench-history', makeText(runId, i, now(), cfg.size));
        const r = await doRequest(ep, { method: 'POST', path: '/messages', headers: postHeaders(cfg.password, body), body, agent });
        if (r.status !== 200 && r.status !== 201) { errors++; countErr(errs, r.error || `http_${r.status}`); }
      }
    }));
    const posted = next - errors;
    const postS = (now() - t0) / 1000;
    log(`stored ${posted} messages in ${postS.toFixed(2)} s`);
    await sleep(1000);
    const afterPosts = procInfo(cfg.pid);
    const times = [];
    let bytes = 0, returned = NaN, getErrors = 0;
    for (let i = 0; i < cfg.repeat && !aborted; i++) {
      const r = await doRequest(ep, { path: '/messages', headers: pw, agent, timeoutMs: 30000 });
      if (r.status !== 200) { getErrors++; continue; }
      times.push(r.ms);
      bytes = r.bytes;
      if (i === 0) returned = (JSON.parse(r.body).messages || []).length;
    }
    agent.destroy();
    await sleep(500);
    const afterGets = procInfo(cfg.pid);
    const expectedTotal = countBefore + posted;
    const dKB = afterPosts && before ? afterPosts.rssKB - before.rssKB : NaN;
    return envelope({ history: N, keepAlive: cfg.keepAlive, posted, postErrors: errors, postErrs: errs, postsPerSec: round(posted / postS, 1), countBefore,
      getMessagesMs: stats(times), getErrors, bytes, returned, expectedTotal, bounded: Number.isFinite(returned) ? returned < expectedTotal : null,
      rssBeforeKB: before?.rssKB, rssAfterPostsKB: afterPosts?.rssKB, rssAfterGetsKB: afterGets?.rssKB,
      rssBytesPerMsg: posted ? round((dKB * 1024) / posted, 1) : null, textBytes: cfg.size });
  }

  const scenarios = { post: scenarioPost, fanout: scenarioFanout, idle: scenarioIdle, poll: scenarioPoll, history: scenarioHistory };
  const fn = scenarios[cfg.scenario];
  if (!fn) { process.stderr.write(`unknown scenario ${cfg.scenario}\n`); process.exit(2); }

  (async () => {
    const h = await health();
    if (h.status !== 200) {
      process.stdout.write(JSON.stringify({ scenario: cfg.scenario, base: cfg.base, label: cfg.label, error: `health check failed: ${h.status} ${h.error || ''}` }) + '\n');
      process.exit(1);
    }
    let out;
    try {
      out = await fn();
    } catch (e) {
      out = envelope({ error: String(e && e.stack || e) });
    }
    process.stdout.write(JSON.stringify(out) + '\n');
    for (const s of workers) s.w.terminate();
    process.exit(out.error ? 1 : 0);
  })();
}
