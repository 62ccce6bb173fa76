#!/usr/bin/env node
// bench/run.mjs - `npm run bench`: the shared baseline (../shared/bench/baseline-sse.mjs, the thinnest raw node:http
// room) and our room server (test/support/room-process.mjs on dist/, the load kit's server process) through the same chatbench scenarios, in one run,
// alternating which goes first, a fresh server process per scenario run. Medians over rounds, ratio ours/baseline,
// against the targets of issue 2. Progress on stderr, the tables on stdout, everything in bench/results/latest.json.
//
//   node bench/run.mjs [--rounds 3] [--quick] [--only post,fanout500,...] [--settle-max 6] [--verbose]
//
// Plain Node, built-ins only. Exits 0 even when a target is missed (a benchmark, not a test); 1 when it cannot run.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync, createWriteStream } from 'node:fs';
import net from 'node:net';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';

const BENCH = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(BENCH, '..');
// ../shared/bench beside the repository; SHARED_BENCH=dir points elsewhere (e.g. from a git worktree).
const SHARED = process.env.SHARED_BENCH ? path.resolve(process.env.SHARED_BENCH) : path.resolve(ROOT, '..', 'shared', 'bench');
const BASELINE = path.join(SHARED, 'baseline-sse.mjs');
const HARNESS = path.join(SHARED, 'chatbench.mjs');
// Our server as the bench needs it, from the load kit shared with the robustness suites and the soak.
const ROOM_SERVER = path.join(ROOT, 'test', 'support', 'room-process.mjs');
// WebSocket scenarios: our own harness (the shared one speaks HTTP only) and the raw `ws` baseline (devDependency).
const WS_HARNESS = path.join(BENCH, 'ws-bench.mjs');
const WS_BASELINE = path.join(BENCH, 'ws-baseline.mjs');
const DIST_ENTRY = path.join(ROOT, 'dist', 'server', 'index.js');
const RESULTS = path.join(BENCH, 'results');
const LOGS = path.join(RESULTS, 'logs');
const PASSWORD = 'bench-pw';
const NOFILE = 20000;

// ------------------------------------------------------------------ args --
const argv = process.argv.slice(2);
const flag = (k) => argv.includes(`--${k}`);
const opt = (k, d) => { const i = argv.indexOf(`--${k}`); return i !== -1 && argv[i + 1] !== undefined ? argv[i + 1] : d; };
if (flag('help') || flag('h')) {
  process.stdout.write(`usage: npm run bench -- [--rounds N] [--quick] [--only name,name] [--settle-max S] [--verbose]
  --rounds N   rounds per scenario and server (default 3; --quick: 1); medians are taken over rounds
  --quick      1 round, smaller sizes (about 3 minutes)
  --only LIST  a subset of: ${'post,fanout500,fanout1000,idle,poll,history,wsfanout500,wsfanout1000,wssend,wsidle'}
  --verbose    pass the harness's progress lines through to stderr
  --settle-max S  before each run, wait up to S s for other processes to leave a core free (default 6; quick 3)
`);
  process.exit(0);
}
const QUICK = flag('quick');
const ROUNDS = Math.max(1, Number(opt('rounds', QUICK ? 1 : 3)) || 1);
const VERBOSE = flag('verbose');
// Before each run, wait (at most this long) for other processes to leave at least one core free.
const SETTLE_MAX_S = Math.max(0, Number(opt('settle-max', QUICK ? 3 : 6)) || 0);

// ------------------------------------------------------------- scenarios --
// Each scenario: chatbench arguments, then the rows of its table. A row reads one number from each run's JSON;
// the medians over rounds are compared (ratio = ours / baseline). `lost` rows sum over all rounds instead: one
// lost message in any round is a miss.
const Q = (full, quick) => String(QUICK ? quick : full);
const get = (p) => (r) => p.split('.').reduce((o, k) => (o == null ? undefined : o[k]), r);
const perK = (num, den, k = 1000) => (r) => (Number.isFinite(get(num)(r)) && get(den)(r) > 0 ? (get(num)(r) * k) / get(den)(r) : undefined);

const SCENARIOS = [
  {
    name: 'fanout500',
    title: `fan-out: 500 SSE subscribers, ${Q(500, 200)} msgs at 200 msg/s`,
    args: ['--scenario', 'fanout', '--subscribers', '500', '--messages', Q(500, 200), '--rate', '200'],
    rows: [
      { label: 'lost deliveries (sum of rounds)', value: get('lost'), agg: 'sum', target: { kind: 'zero' } },
      { label: 'p99 delivery latency ms', value: get('latencyMs.p99'), better: 'low', target: { kind: 'max', ratio: 2 } },
      { label: 'p50 delivery latency ms', value: get('latencyMs.p50') },
      { label: 'max delivery latency ms', value: get('latencyMs.max') },
      { label: 'server CPU s', value: get('serverCpuS') },
      { label: 'server RSS connected MB', value: (r) => r.rssConnectedKB / 1024 },
      { label: 'server RSS after MB', value: (r) => r.rssAfterKB / 1024 },
    ],
  },
  {
    name: 'fanout1000',
    title: `fan-out: 1000 SSE subscribers, ${Q(500, 200)} msgs at 200 msg/s`,
    args: ['--scenario', 'fanout', '--subscribers', '1000', '--messages', Q(500, 200), '--rate', '200'],
    rows: [
      { label: 'deliveries/s', value: get('deliveriesPerSec'), better: 'high', target: { kind: 'min', ratio: 0.8 } },
      { label: 'lost deliveries (sum of rounds)', value: get('lost'), agg: 'sum' },
      { label: 'p99 delivery latency ms', value: get('latencyMs.p99') },
      { label: 'server CPU ms per 1k deliveries', value: perK('serverCpuS', 'delivered', 1e6) },
      { label: 'machine busy CPU s (2 cores)', value: get('machineBusyS') },
    ],
  },
  {
    name: 'post',
    title: `POST throughput: 16 keep-alive senders, ${Q(10, 3)} s`,
    args: ['--scenario', 'post', '--concurrency', '16', '--duration', Q(10, 3)],
    rows: [
      { label: 'messages/s', value: get('msgsPerSec'), better: 'high', target: { kind: 'min', ratio: 0.5 } },
      { label: 'errors (sum of rounds)', value: get('errors'), agg: 'sum' },
      { label: 'p50 POST latency ms', value: get('latencyMs.p50') },
      { label: 'p99 POST latency ms', value: get('latencyMs.p99') },
      { label: 'server CPU ms per 1k posts', value: perK('serverCpuS', 'ok', 1e6) },
      { label: 'server RSS after MB', value: (r) => r.rssAfterKB / 1024 },
    ],
  },
  {
    name: 'idle',
    title: `idle SSE connections: ${Q(5000, 2000)} open streams`,
    args: ['--scenario', 'idle', '--connections', Q(5000, 2000), '--connect-concurrency', '16'],
    rows: [
      { label: 'KB per connection (RSS delta)', value: get('kbPerConn'), better: 'low', target: { kind: 'max', ratio: 1.5 } },
      { label: 'connected', value: get('connected') },
      { label: 'connect p99 ms', value: get('connectMs.p99') },
      { label: 'new-client /health p50 ms', value: get('healthWhileOpenMs.p50') },
      { label: 'probe reached (of connected)', value: get('probeReached') },
      { label: 'server RSS open MB', value: (r) => r.rssAfterKB / 1024 },
      { label: 'server RSS after close MB', value: (r) => r.rssAfterCloseKB / 1024 },
    ],
  },
  {
    name: 'poll',
    title: `long-poll: 100 pollers, ${Q(500, 200)} msgs at 200 msg/s`,
    args: ['--scenario', 'poll', '--pollers', '100', '--messages', Q(500, 200), '--rate', '200'],
    rows: [
      { label: 'lost deliveries (sum of rounds)', value: get('lost'), agg: 'sum', target: { kind: 'zero' } },
      { label: 'p99 delivery latency ms', value: get('latencyMs.p99'), better: 'low', target: { kind: 'max', ratio: 2 } },
      { label: 'p50 delivery latency ms', value: get('latencyMs.p50') },
      { label: 'poll requests/s', value: get('pollRps') },
      { label: 'poll errors (sum of rounds)', value: get('pollErrors'), agg: 'sum' },
      { label: 'server CPU s', value: get('serverCpuS') },
    ],
  },
  {
    name: 'history',
    title: `history: store ${Q(10000, 2000)} messages, then GET /messages (informational)`,
    args: ['--scenario', 'history', '--history', Q(10000, 2000)],
    rows: [
      { label: 'posts/s while filling', value: get('postsPerSec'), better: 'high' },
      { label: 'GET /messages p50 ms', value: get('getMessagesMs.p50'), better: 'low' },
      { label: 'GET /messages max ms', value: get('getMessagesMs.max') },
      { label: 'response KB', value: (r) => r.bytes / 1024 },
      { label: 'RSS bytes per stored message', value: get('rssBytesPerMsg') },
      { label: 'post errors (sum of rounds)', value: get('postErrors'), agg: 'sum' },
    ],
  },
  // WebSocket (issue 15): against the raw `ws` baseline speaking the same frames (bench/ws-baseline.mjs).
  ...[500, 1000].map((n) => ({
    name: `wsfanout${n}`,
    title: `WebSocket fan-out: ${n} sockets, one sender socket, ${Q(500, 200)} msgs at 200 msg/s`,
    harness: WS_HARNESS,
    baseline: WS_BASELINE,
    args: ['--scenario', 'fanout', '--sockets', String(n), '--messages', Q(500, 200), '--rate', '200'],
    rows: [
      { label: 'lost deliveries (sum of rounds)', value: get('lost'), agg: 'sum', target: { kind: 'zero' } },
      { label: 'p99 delivery latency ms', value: get('latencyMs.p99'), better: 'low', target: { kind: 'max', ratio: 1.3 } },
      { label: 'deliveries/s', value: get('deliveriesPerSec'), better: 'high', target: { kind: 'min', ratio: 0.9 } },
      { label: 'p50 delivery latency ms', value: get('latencyMs.p50') },
      { label: 'server CPU ms per 1k deliveries', value: perK('serverCpuS', 'delivered', 1e6) },
      { label: 'server RSS connected MB', value: (r) => r.rssConnectedKB / 1024 },
    ],
  })),
  {
    name: 'wssend',
    title: `WebSocket sends: 16 sockets, each sends on its last \`sent\`, ${Q(10, 3)} s`,
    harness: WS_HARNESS,
    baseline: WS_BASELINE,
    args: ['--scenario', 'send', '--senders', '16', '--duration', Q(10, 3)],
    rows: [
      { label: 'sends/s', value: get('sendsPerSec'), better: 'high', target: { kind: 'min', ratio: 0.8 } },
      { label: 'errors (sum of rounds)', value: get('errors'), agg: 'sum' },
      { label: 'p50 send→sent ms', value: get('latencyMs.p50') },
      { label: 'p99 send→sent ms', value: get('latencyMs.p99') },
      { label: 'server CPU ms per 1k sends', value: perK('serverCpuS', 'ok', 1e6) },
    ],
  },
  {
    name: 'wsidle',
    title: `WebSocket idle: ${Q(2000, 1000)} joined sockets`,
    harness: WS_HARNESS,
    baseline: WS_BASELINE,
    args: ['--scenario', 'idle', '--sockets', Q(2000, 1000)],
    rows: [
      { label: 'KB per socket (RSS delta)', value: get('kbPerConn'), better: 'low', target: { kind: 'max', ratio: 1.2 } },
      { label: 'connected', value: get('connected') },
      { label: 'server RSS connected MB', value: (r) => r.rssConnectedKB / 1024 },
    ],
  },
];

// Every table ends with how much CPU other processes took during the runs (the machine is shared): the median
// of (machine busy - server - harness - softirq, i.e. loopback TCP) CPU seconds. A large value: a disturbed run.
const noiseS = (r) => Math.max(0, r.machineBusyS - r.serverCpuS - r.clientCpuS - (r.softirqS || 0));
for (const sc of SCENARIOS) sc.rows.push({ label: "other processes' CPU s (noise)", value: noiseS, noRatio: true });

const only = opt('only', '') ? opt('only', '').split(',').map((s) => s.trim()).filter(Boolean) : null;
if (only) {
  const unknown = only.filter((n) => !SCENARIOS.some((s) => s.name === n));
  if (unknown.length) { process.stderr.write(`unknown scenario(s): ${unknown.join(', ')}\n`); process.exit(1); }
}
const scenarios = only ? SCENARIOS.filter((s) => only.includes(s.name)) : SCENARIOS;

// -------------------------------------------------------------- servers --
const SERVERS = {
  baseline: { script: BASELINE, args: (port) => ['--port', String(port), '--password', PASSWORD, '--host', '127.0.0.1'] },
  // rate limit and loop guard off: the harness posts thousands of agent messages from one name; history 20,000:
  // the history scenario stores 10,000.
  ours: { script: ROOM_SERVER, args: (port) => ['--port', String(port), '--password', PASSWORD, '--host', '127.0.0.1', '--history', '20000', '--rate-limit', '0', '--loop-guard', '0', '--ws-frames-per-second', '1000000000'] },
};

const t0 = Date.now();
const log = (...a) => process.stderr.write(`[bench ${((Date.now() - t0) / 1000).toFixed(0).padStart(4)}s] ${a.join(' ')}\n`);

function fail(msg) {
  process.stderr.write(`bench: ${msg}\n`);
  process.exit(1);
}

// Run `node <script> <args>` with a raised open-file limit (thousands of sockets), exec'd so the pid is node's.
function spawnNode(script, args, outStream) {
  const q = (s) => `'${String(s).replace(/'/g, `'\\''`)}'`;
  const cmd = `ulimit -n ${NOFILE} 2>/dev/null || ulimit -n "$(ulimit -Hn)"; exec ${q(process.execPath)} ${[script, ...args].map(q).join(' ')}`;
  const child = spawn('bash', ['-c', cmd], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  if (outStream) { child.stdout.pipe(outStream, { end: false }); child.stderr.pipe(outStream, { end: false }); }
  child.exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  return child;
}

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.unref();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => resolve(port)); });
  });
}

function healthOk(port) {
  return new Promise((resolve) => {
    const req = http.get({ host: '127.0.0.1', port, path: '/health', agent: false, timeout: 1000 }, (res) => { res.resume(); resolve(res.statusCode === 200); });
    req.on('error', () => resolve(false));
    req.on('timeout', () => { req.destroy(); resolve(false); });
  });
}

async function startServer(kind, logStream, sc) {
  const port = await freePort();
  const s = SERVERS[kind];
  const script = kind === 'baseline' && sc.baseline ? sc.baseline : s.script;
  const child = spawnNode(script, s.args(port), logStream);
  let tail = '';
  child.stderr.on('data', (c) => { tail = (tail + c).slice(-2000); });
  let exited = null;
  child.exited.then((e) => { exited = e; });
  const deadline = Date.now() + 15000;
  while (Date.now() < deadline) {
    if (exited) throw new Error(`${kind} server exited (${exited.code ?? exited.signal}) before answering /health:\n${tail}`);
    if (await healthOk(port)) return { child, port, pid: child.pid, tail: () => tail };
    await sleep(100);
  }
  child.kill('SIGKILL');
  throw new Error(`${kind} server did not answer /health on port ${port} within 15 s:\n${tail}`);
}

async function stopServer(srv) {
  if (srv.child.exitCode !== null || srv.child.signalCode !== null) return;
  srv.child.kill('SIGTERM');
  const r = await Promise.race([srv.child.exited, sleep(5000).then(() => null)]);
  if (!r) { srv.child.kill('SIGKILL'); await srv.child.exited; }
}

// Machine-wide busy fraction (0..1 of all cores) over `ms`, from /proc/stat; null off Linux.
async function busyFraction(ms) {
  const read = () => {
    try {
      const l = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
      const idle = l[3] + (l[4] || 0);
      return { idle, total: l.reduce((a, b) => a + b, 0) };
    } catch { return null; }
  };
  const a = read();
  await sleep(ms);
  const b = read();
  return a && b && b.total > a.total ? 1 - (b.idle - a.idle) / (b.total - a.total) : null;
}

// Nothing of ours runs between runs: wait until others leave at least a core free (or SETTLE_MAX_S passes).
async function settle() {
  const t = Date.now();
  let busy = await busyFraction(500);
  while (busy !== null && busy > 0.5 && Date.now() - t < SETTLE_MAX_S * 1000) busy = await busyFraction(500);
  return { busyBefore: busy === null ? null : +busy.toFixed(2), settleS: +((Date.now() - t) / 1000).toFixed(1) };
}

// One harness run against one fresh server. Resolves with the harness's JSON (or {error}).
async function runOnce(sc, kind, round) {
  const logFile = path.join(LOGS, `${sc.name}-${kind}-r${round}.log`);
  const logStream = createWriteStream(logFile);
  let srv;
  try {
    srv = await startServer(kind, logStream, sc);
  } catch (e) {
    logStream.end();
    return { error: String(e.message || e) };
  }
  const args = [...sc.args, '--base', `http://127.0.0.1:${srv.port}`, '--password', PASSWORD, '--pid', String(srv.pid), '--label', `${kind}-r${round}`];
  const h = spawnNode(sc.harness ?? HARNESS, args, null);
  let out = '';
  h.stdout.on('data', (c) => { out += c; });
  h.stderr.on('data', (c) => { logStream.write(c); if (VERBOSE) process.stderr.write(`    ${String(c).replace(/\n(?=.)/g, '\n    ')}`); });
  const killer = setTimeout(() => h.kill('SIGKILL'), 150_000);
  const ex = await h.exited;
  clearTimeout(killer);
  const serverAlive = srv.child.exitCode === null && srv.child.signalCode === null;
  await stopServer(srv);
  logStream.end();
  const line = out.trim().split('\n').filter(Boolean).pop();
  let res;
  try { res = JSON.parse(line); } catch { res = { error: `harness printed no JSON (exit ${ex.code ?? ex.signal}); see ${path.relative(ROOT, logFile)}` }; }
  if (!serverAlive) res.error = (res.error ? res.error + '; ' : '') + `server died during the run: ${srv.tail().slice(-500)}`;
  res.serverPort = srv.port;
  res.log = path.relative(ROOT, logFile);
  return res;
}

// ---------------------------------------------------------------- stats --
const finite = (xs) => xs.filter((x) => typeof x === 'number' && Number.isFinite(x));
function median(xs) {
  const a = finite(xs).sort((p, q) => p - q);
  if (!a.length) return undefined;
  const m = a.length >> 1;
  return a.length % 2 ? a[m] : (a[m - 1] + a[m]) / 2;
}
const sumOf = (xs) => { const a = finite(xs); return a.length ? a.reduce((p, q) => p + q, 0) : undefined; };

function fmt(x) {
  if (x === undefined || x === null || !Number.isFinite(x)) return 'n/a';
  const a = Math.abs(x);
  if (Number.isInteger(x) && a < 10000) return String(x);
  if (a >= 10000) return Math.round(x).toLocaleString('en-US');
  if (a >= 100) return x.toFixed(0);
  if (a >= 10) return x.toFixed(1);
  return x.toFixed(2);
}

function evaluate(row, base, ours) {
  const ratio = Number.isFinite(base) && Number.isFinite(ours) && base !== 0 ? ours / base : undefined;
  const t = row.target;
  if (!t) return { ratio, target: '', verdict: '' };
  if (t.kind === 'zero') {
    if (!Number.isFinite(ours)) return { ratio, target: 'ours = 0', verdict: 'MISS', why: 'no data' };
    return { ratio, target: 'ours = 0', verdict: ours === 0 ? 'PASS' : 'MISS', why: ours === 0 ? '' : `${ours} lost` };
  }
  const target = `${t.kind === 'max' ? '<=' : '>='} ${t.ratio.toFixed(2)}x`;
  if (ratio === undefined) return { ratio, target, verdict: 'MISS', why: 'no data' };
  const ok = t.kind === 'max' ? ratio <= t.ratio : ratio >= t.ratio;
  const by = t.kind === 'max' ? ratio / t.ratio : t.ratio / ratio;
  return { ratio, target, verdict: ok ? 'PASS' : 'MISS', why: ok ? '' : `${ratio.toFixed(2)}x vs ${target} (off by ${((by - 1) * 100).toFixed(0)}%)` };
}

function table(sc, runs) {
  const showBest = ROUNDS > 1;
  const headers = ['metric', 'baseline', 'ours', 'ratio', ...(showBest ? ['best/best'] : []), 'target', 'result'];
  const lines = [];
  const verdicts = [];
  for (const row of sc.rows) {
    const vals = (kind) => runs[kind].filter((r) => !r.error).map((r) => { try { return row.value(r); } catch { return undefined; } });
    const agg = row.agg === 'sum' ? sumOf : median;
    const b = agg(vals('baseline'));
    const o = agg(vals('ours'));
    const ev = row.noRatio ? { target: '', verdict: '' } : evaluate(row, b, o);
    // Interference only makes a run worse, so the best round of each side is a second, less noisy estimate.
    const best = (xs) => { const a = finite(xs); return a.length ? (row.better === 'high' ? Math.max(...a) : Math.min(...a)) : undefined; };
    const bestRatio = row.better && row.agg !== 'sum' && best(vals('baseline')) ? best(vals('ours')) / best(vals('baseline')) : undefined;
    row.result = { baseline: b, ours: o, ratio: ev.ratio, bestRatio, target: ev.target, verdict: ev.verdict,
      baselineRuns: vals('baseline'), oursRuns: vals('ours') };
    if (ev.verdict) verdicts.push({ scenario: sc.name, metric: row.label, verdict: ev.verdict, why: ev.why, ratio: ev.ratio, bestRatio });
    const x = (r) => (r === undefined || !Number.isFinite(r) ? '-' : `${r.toFixed(2)}x`);
    lines.push([row.label, fmt(b), fmt(o), x(ev.ratio), ...(showBest ? [x(bestRatio)] : []), ev.target, ev.verdict]);
  }
  const w = headers.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i].length)));
  const pad = (l) => l.map((c, i) => (i === 0 || i >= headers.length - 2 ? c.padEnd(w[i]) : c.padStart(w[i]))).join('  ').trimEnd();
  const out = [pad(headers), w.map((n) => '-'.repeat(n)).join('  '), ...lines.map(pad)];
  for (const kind of ['baseline', 'ours']) {
    const errs = runs[kind].filter((r) => r.error);
    for (const e of errs) out.push(`  ! ${kind} ${e.label || ''} failed: ${String(e.error).split('\n')[0].slice(0, 300)}`);
  }
  return { text: out.join('\n'), verdicts };
}

// ----------------------------------------------------------------- main --
// The harness and the baseline are not copied into the repository: they live in the shared bench directory beside it
// (../shared/bench/, present on CI and every machine), so every project measures with the same harness.
for (const [what, file] of [['the load harness', HARNESS], ['the baseline server', BASELINE]]) {
  if (!existsSync(file)) fail(`${what} is missing: ${file}\n(expected the shared bench directory ../shared/bench/ beside the repository root ${ROOT}, or SHARED_BENCH=dir)`);
}
if (!existsSync(DIST_ENTRY)) fail(`${path.relative(ROOT, DIST_ENTRY)} is missing: run \`npm run build\` first, then \`npm run bench\` again.`);
mkdirSync(LOGS, { recursive: true });

let gitCommit = null;
try {
  const { execFileSync } = await import('node:child_process');
  gitCommit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
} catch {}

const load0 = os.loadavg();
const meta = {
  startedAt: new Date().toISOString(), node: process.version, cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model,
  loadavgStart: load0.map((x) => +x.toFixed(2)), rounds: ROUNDS, quick: QUICK, gitCommit,
  distBuiltAt: statSync(DIST_ENTRY).mtime.toISOString(), baseline: BASELINE, harness: HARNESS,
};
log(`load average at start ${meta.loadavgStart.join(' ')} on ${meta.cpus} cores; ${ROUNDS} round(s)${QUICK ? ' (quick sizes)' : ''}; ` +
  `scenarios ${scenarios.map((s) => s.name).join(', ')}; logs in ${path.relative(ROOT, LOGS)}/`);

const results = Object.fromEntries(scenarios.map((s) => [s.name, { title: s.title, args: s.args, runs: { baseline: [], ours: [] } }]));
const writeResults = (extra = {}) => writeFileSync(path.join(RESULTS, 'latest.json'), JSON.stringify({ ...meta, ...extra, scenarios: results }, null, 1) + '\n');

let step = 0;
for (let round = 1; round <= ROUNDS; round++) {
  for (const [si, sc] of scenarios.entries()) {
    // Alternate who goes first, by round and by scenario, so a drift in machine load does not favour one side.
    const order = (round + si) % 2 ? ['baseline', 'ours'] : ['ours', 'baseline'];
    for (const kind of order) {
      step++;
      const quiet = await settle();
      const t = Date.now();
      const r = await runOnce(sc, kind, round);
      Object.assign(r, quiet);
      results[sc.name].runs[kind].push(r);
      const brief = r.error ? `ERROR ${String(r.error).split('\n')[0].slice(0, 200)}` : summaryLine(sc, r);
      const noise = Number.isFinite(r.machineBusyS) ? `  (others' CPU ${noiseS(r).toFixed(1)} s; machine busy before ${quiet.busyBefore ?? '?'}${quiet.settleS > 0.6 ? ` after waiting ${quiet.settleS} s` : ''})` : '';
      log(`round ${round}/${ROUNDS} ${sc.name.padEnd(10)} ${kind.padEnd(8)} ${((Date.now() - t) / 1000).toFixed(1).padStart(5)}s  ${brief}${noise}`);
      writeResults();
    }
  }
}

function summaryLine(sc, r) {
  return sc.rows.slice(0, 3).map((row) => { let v; try { v = row.value(r); } catch {} return `${row.label.replace(/ \(sum of rounds\)/, '')}=${fmt(v)}`; }).join('  ');
}

const load1 = os.loadavg();
meta.loadavgEnd = load1.map((x) => +x.toFixed(2));
meta.wallS = Math.round((Date.now() - t0) / 1000);

const out = [];
out.push(`agent-chat bench — ${meta.startedAt}  node ${meta.node}  ${meta.cpus} cores  commit ${gitCommit ?? '?'}  (dist built ${meta.distBuiltAt})`);
out.push(`load average at start: ${meta.loadavgStart.join(' ')}   at end: ${meta.loadavgEnd.join(' ')}   ` +
  `rounds: ${ROUNDS}${QUICK ? ' (--quick: smaller sizes)' : ''}   wall: ${meta.wallS} s`);
out.push('values are medians over rounds (lost/errors: sums); ratio = ours / baseline' + (ROUNDS > 1 ? '; best/best = best round of ours / best round of baseline' : ''));
out.push("the machine is shared: see each table's last row (other processes' CPU during the runs) before trusting a ratio");
const allVerdicts = [];
for (const sc of scenarios) {
  const { text, verdicts } = table(sc, results[sc.name].runs);
  results[sc.name].summary = sc.rows.map((row) => ({ metric: row.label, ...row.result }));
  allVerdicts.push(...verdicts);
  out.push('', `## ${sc.name} — ${sc.title}`, text);
}
out.push('', '## targets');
for (const v of allVerdicts) {
  const best = v.bestRatio !== undefined && Number.isFinite(v.bestRatio) ? ` [best round vs best round: ${v.bestRatio.toFixed(2)}x]` : '';
  out.push(`${v.verdict === 'PASS' ? 'PASS' : 'MISS'}  ${v.scenario}: ${v.metric}${v.why ? ` — ${v.why}` : ''}${v.verdict === 'PASS' ? '' : best}`);
}
const misses = allVerdicts.filter((v) => v.verdict !== 'PASS').length;
out.push(misses ? `${misses} of ${allVerdicts.length} targets MISSED` : `all ${allVerdicts.length} targets met`);
writeResults({ verdicts: allVerdicts });
process.stdout.write(out.join('\n') + '\n');
log(`full results in ${path.relative(ROOT, path.join(RESULTS, 'latest.json'))}`);
process.exit(0);
