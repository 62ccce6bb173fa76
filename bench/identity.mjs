#!/usr/bin/env node
// bench/identity.mjs - what checking Ed25519 signatures costs POST /messages (README "Known agents", issue 17).
// One server process (test/support/room-process.mjs over IPC, the built dist/) and two rooms on it, each with two
// participants: one joined with a key proof (every POST signed, the server verifies the signature, the chain position
// and the nonce), one joined without (plain POSTs).
// - "bare": the default room with no readers: the cheapest possible POST, so the signature check weighs most.
// - "fanout": a created room with --readers SSE readers (default 100) attached: every POST is also written to each.
// The same number of keep-alive senders post as fast as answers come back, in alternating phases (plain, signed,
// signed, plain, …) on the same server, so machine load drifts hit both alike. Bodies are signed before a phase
// starts: the figure is the server's, not the client's signing. Medians over rounds; target per room: signed >= 0.7x
// plain messages/s (two verdicts, each against its own plain figure).
//
//   node bench/identity.mjs [--rounds 3] [--messages 3000] [--senders 16] [--readers 100] [--only bare|fanout]
//                           [--verify-threads N]   (passed to the server: serve --verify-threads)
//
// A benchmark, not a test: exits 0 when a target is missed (and says so); 1 when it cannot run.
import { fork } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { Worker } from 'node:worker_threads';

const BENCH = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(BENCH, '..');
const ROOM_PROCESS = path.join(ROOT, 'test', 'support', 'room-process.mjs');
const SIGNING = path.join(ROOT, 'dist', 'protocol', 'signing.js');
const PASSWORD = 'bench-pw';

const argv = process.argv.slice(2);
const raw = (k) => { const i = argv.indexOf(`--${k}`); return i !== -1 ? argv[i + 1] : undefined; };
const opt = (k, d) => (raw(k) !== undefined ? Number(raw(k)) : d);
const ROUNDS = Math.max(1, opt('rounds', 3));
const N = Math.max(100, opt('messages', 3000));
const SENDERS = Math.max(1, opt('senders', 16));
const READERS = Math.max(1, opt('readers', 100));
const ONLY = raw('only');
const VERIFY_THREADS = raw('verify-threads') === undefined ? undefined : Number(raw('verify-threads'));
const ROOMS = ONLY ? [ONLY] : ['bare', 'fanout'];
const log = (s) => process.stderr.write(`[identity-bench] ${s}\n`);

if (!existsSync(SIGNING)) {
  log('dist/ is missing: run `npm run build` first');
  process.exit(1);
}
if (!ROOMS.every((r) => r === 'bare' || r === 'fanout')) {
  log('--only takes bare or fanout');
  process.exit(1);
}
const { generateKeyPair, joinPayload, messagePayload, privateKeyObject, signBytes } = await import(SIGNING);

const agent = new http.Agent({ keepAlive: true, maxSockets: SENDERS + 4 });
function request(url, { method = 'GET', headers = {}, body } = {}) {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method, agent, headers: { ...headers, ...(body && { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) }) } }, (res) => {
      let data = '';
      res.setEncoding('utf8');
      res.on('data', (c) => (data += c));
      res.on('end', () => resolve({ status: res.statusCode, body: data }));
    });
    req.on('error', reject);
    req.end(body);
  });
}
const json = async (r) => JSON.parse((await r).body);

const loadAvg = () => os.loadavg().map((x) => x.toFixed(2)).join(' ');
const startLoad = loadAvg();
const child = fork(ROOM_PROCESS, [], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
const server = await new Promise((resolve, reject) => {
  child.once('error', reject);
  child.on('message', (m) => m.type === 'ready' && resolve(m.value));
  // History large enough that every signed body's `prev` is still in the chain when it is posted.
  child.send({ type: 'start', options: { port: 0, host: '127.0.0.1', password: PASSWORD, rateLimit: 0, loopGuard: 0, joinLimit: 0, history: (ROUNDS * 2 + 2) * N + 100, quiet: true, ...(VERIFY_THREADS !== undefined && { verifyThreads: VERIFY_THREADS }) } });
});

/** A room's two participants: `signer` (joined with a key proof) and `plain` (without). */
async function participants(url, pw) {
  const kp = generateKeyPair();
  const priv = privateKeyObject(kp);
  const ch = await json(request(`${url}/challenge`, { method: 'POST', headers: pw, body: JSON.stringify({ name: 'signer' }) }));
  const identity = { key: kp.key, challenge: ch.challenge, url, sig: signBytes(joinPayload({ room: ch.room, url, name: 'signer', challenge: ch.challenge }), priv) };
  const signer = await json(request(`${url}/join`, { method: 'POST', headers: pw, body: JSON.stringify({ name: 'signer', identity }) }));
  const plain = await json(request(`${url}/join`, { method: 'POST', headers: pw, body: JSON.stringify({ name: 'plain' }) }));
  if (!signer.token || !signer.participant?.fingerprint || !plain.token) {
    log(`could not join: ${JSON.stringify({ signer, plain })}`);
    process.exit(1);
  }
  return { url, roomId: ch.room, priv, signer, plain };
}

/**
 * `count` SSE readers of `url`, in a worker thread (their reading is the client's work, kept off the senders' event
 * loop). They only drain their sockets: the server's cost of writing to each is what the fan-out room adds.
 */
function startReaders(url, password, count) {
  const w = new Worker(`
    const http = require('node:http');
    const { parentPort, workerData: { url, password, count } } = require('node:worker_threads');
    let open = 0, bytes = 0, ended = 0;
    for (let i = 0; i < count; i++) {
      http.get(url + '/messages/stream', { headers: { 'x-room-password': password }, agent: false }, (res) => {
        if (res.statusCode !== 200) return parentPort.postMessage({ error: 'reader got ' + res.statusCode });
        res.on('data', (c) => (bytes += c.length));
        res.on('close', () => ended++);
        if (++open === count) parentPort.postMessage({ open });
      }).on('error', (e) => parentPort.postMessage({ error: String(e) }));
    }
    parentPort.on('message', (m) => m === 'bytes' ? parentPort.postMessage({ bytes, ended }) : process.exit(0));
  `, { eval: true, workerData: { url, password, count } });
  const next = () => new Promise((resolve, reject) => w.once('message', (m) => (m.error ? reject(new Error(m.error)) : resolve(m))));
  return { ready: next(), stats: () => (w.postMessage('bytes'), next()), stop: () => w.terminate() };
}

const rooms = {};
if (ROOMS.includes('bare')) rooms.bare = await participants(server.url, { 'x-room-password': PASSWORD });
let readers;
if (ROOMS.includes('fanout')) {
  const made = await json(request(`${server.url}/rooms`, { method: 'POST', headers: { authorization: `Bearer ${server.hostToken}` }, body: JSON.stringify({ title: 'fan-out' }) }));
  rooms.fanout = await participants(made.room.url, { 'x-room-password': made.room.password });
  readers = startReaders(made.room.url, made.room.password, READERS);
  await readers.ready;
}
const text = 'x'.repeat(120);

/** N bodies for a phase: plain ones, or signed ones naming the newest message as prev (signed now, not timed). */
async function bodies(room, signed) {
  if (!signed) return Array.from({ length: N }, () => JSON.stringify({ text }));
  const last = (await json(request(`${room.url}/messages?limit=1`, { headers: { authorization: `Bearer ${room.signer.token}` } }))).messages.at(-1);
  const out = [];
  for (let i = 0; i < N; i++) {
    const f = { sentAt: new Date().toISOString(), nonce: randomBytes(16).toString('base64url'), prev: last.hash, prevId: last.id };
    out.push(JSON.stringify({ text, ...f, sig: signBytes(messagePayload({ room: room.roomId, name: 'signer', text, ...f }), room.priv) }));
  }
  return out;
}

/** The server process's CPU seconds (user + system), from /proc: a figure the machine's other load hardly moves.
 * `mainOnly`: its main thread's alone (without the verify threads, libuv's pool, GC helpers). */
function cpuS(mainOnly = false) {
  try {
    const stat = readFileSync(mainOnly ? `/proc/${child.pid}/task/${child.pid}/stat` : `/proc/${child.pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (+f[11] + +f[12]) / 100;
  } catch { return NaN; }
}

/** Post every body with SENDERS concurrent keep-alive senders; messages/s, server CPU µs per message, non-201s. */
async function phase(room, signed) {
  const list = await bodies(room, signed);
  const headers = { authorization: `Bearer ${(signed ? room.signer : room.plain).token}` };
  let next = 0;
  let bad = 0;
  let firstBad;
  const t0 = process.hrtime.bigint();
  const c0 = cpuS();
  const m0 = cpuS(true);
  const l0 = process.cpuUsage();
  await Promise.all(Array.from({ length: SENDERS }, async () => {
    while (next < list.length) {
      const r = await request(`${room.url}/messages`, { method: 'POST', headers, body: list[next++] });
      if (r.status !== 201) (bad++, (firstBad ??= r.body));
    }
  }));
  const s = Number(process.hrtime.bigint() - t0) / 1e9;
  return { perS: list.length / s, cpuUs: ((cpuS() - c0) * 1e6) / list.length, mainUs: ((cpuS(true) - m0) * 1e6) / list.length, loadUs: loadGenUs(l0) / list.length, bad, firstBad };
}

/** CPU µs this process (the senders, and the fan-out room's reader thread) used since `from`: the load generator's
 * share of the machine's two cores. */
function loadGenUs(from) {
  const u = process.cpuUsage(from);
  return u.user + u.system;
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const results = Object.fromEntries(ROOMS.map((r) => [r, { plain: [], signed: [], cpuPlain: [], cpuSigned: [], mainPlain: [], mainSigned: [], loadPlain: [], loadSigned: [] }]));
for (const r of ROOMS) {
  await phase(rooms[r], false); // warm-up (JIT, sockets), not counted
  await phase(rooms[r], true);
}
for (let round = 0; round < ROUNDS; round++) {
  // Alternate which side goes first, so a drift in machine load favours neither.
  for (const r of ROOMS) {
    for (const signed of round % 2 ? [true, false] : [false, true]) {
      const p = await phase(rooms[r], signed);
      const side = signed ? 'signed' : 'plain';
      if (p.bad) log(`${r} round ${round + 1} ${side}: ${p.bad} non-201 answers, e.g. ${p.firstBad}`);
      results[r][side].push(p.perS);
      results[r][signed ? 'cpuSigned' : 'cpuPlain'].push(p.cpuUs);
      results[r][signed ? 'mainSigned' : 'mainPlain'].push(p.mainUs);
      results[r][signed ? 'loadSigned' : 'loadPlain'].push(p.loadUs);
      log(`${r.padEnd(6)} round ${round + 1} ${side.padEnd(6)}: ${p.perS.toFixed(0)} msg/s, ${p.cpuUs.toFixed(0)} µs server CPU per message, ${p.mainUs.toFixed(0)} on its main thread (load ${loadAvg()})`);
    }
  }
}
const { bytes: readBytes = 0, ended: readersEnded = 0 } = readers ? await readers.stats() : {};
// A reader the server dropped (a slow consumer) would make the fan-out room cheaper than it claims to be.
if (readersEnded) log(`WARNING: ${readersEnded} of ${READERS} readers were disconnected during the run; the fan-out figures are not for ${READERS} readers`);
await readers?.stop();
child.send({ type: 'close' });
await Promise.race([new Promise((r) => child.once('exit', r)), sleep(5000)]);
if (child.exitCode === null) child.kill('SIGKILL');
agent.destroy();

const summary = {};
const lines = [`## identity — POST /messages, ${SENDERS} keep-alive senders, ${N} messages per phase, ${ROUNDS} rounds (medians); server --verify-threads ${VERIFY_THREADS ?? 'default'}; load average ${startLoad} at start, ${loadAvg()} at end`];
for (const r of ROOMS) {
  const x = results[r];
  const plainMed = median(x.plain);
  const signedMed = median(x.signed);
  const ratio = signedMed / plainMed;
  const cpuPlain = median(x.cpuPlain);
  const cpuSigned = median(x.cpuSigned);
  const mainPlain = median(x.mainPlain);
  const mainSigned = median(x.mainSigned);
  const loadPlain = median(x.loadPlain);
  const loadSigned = median(x.loadSigned);
  summary[r] = { plainMed, signedMed, ratio, pass: ratio >= 0.7, cpuPlain, cpuSigned, mainPlain, mainSigned, loadPlain, loadSigned, ...x };
  lines.push(
    '',
    r === 'bare' ? '### bare room (no readers: the cheapest POST)' : `### fan-out room (${READERS} SSE readers: every POST is written to each; ${(readBytes / 1e6).toFixed(0)} MB read in all; ${readersEnded} readers dropped)`,
    'metric                     plain    signed   ratio  target   result',
    `messages/s              ${plainMed.toFixed(0).padStart(8)}  ${signedMed.toFixed(0).padStart(8)}  ${ratio.toFixed(2)}x  >= 0.70x  ${ratio >= 0.7 ? 'PASS' : `MISS by ${((1 - ratio / 0.7) * 100).toFixed(0)}%`}`,
    `server CPU µs/message    ${cpuPlain.toFixed(0).padStart(8)}  ${cpuSigned.toFixed(0).padStart(8)}  ${(cpuSigned / cpuPlain).toFixed(2)}x  (diagnosis: what a signed POST costs the server, all threads)`,
    `  of it main thread      ${mainPlain.toFixed(0).padStart(8)}  ${mainSigned.toFixed(0).padStart(8)}  ${(mainSigned / mainPlain).toFixed(2)}x  (1e6 / this: the most messages/s one event loop can take)`,
    `bench client CPU µs/msg  ${loadPlain.toFixed(0).padStart(8)}  ${loadSigned.toFixed(0).padStart(8)}         (the load generator, on the same 2 cores)`,
    `rounds plain:  ${x.plain.map((v) => v.toFixed(0)).join(', ')}`,
    `rounds signed: ${x.signed.map((v) => v.toFixed(0)).join(', ')}`,
  );
}
process.stdout.write(lines.join('\n') + '\n');
mkdirSync(path.join(BENCH, 'results'), { recursive: true });
writeFileSync(path.join(BENCH, 'results', 'identity-latest.json'), JSON.stringify({ rounds: ROUNDS, messages: N, senders: SENDERS, readers: READERS, verifyThreads: VERIFY_THREADS ?? null, load: { start: startLoad, end: loadAvg() }, rooms: summary, at: new Date().toISOString() }, null, 2) + '\n');
