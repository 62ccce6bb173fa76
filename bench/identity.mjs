#!/usr/bin/env node
// bench/identity.mjs - what checking Ed25519 signatures costs POST /messages (README "Known agents", issue 17).
// One server process (test/support/room-process.mjs over IPC, the built dist/), two participants: one joined with a
// key proof (every POST signed, the server verifies the signature, the chain position and the nonce), one joined
// without (plain POSTs). The same number of keep-alive senders post as fast as answers come back, in alternating
// phases (plain, signed, plain, signed, …) on the same server, so machine load drifts hit both alike. Bodies are
// signed before a phase starts: the figure is the server's, not the client's signing. Medians over rounds; target:
// signed >= 0.7x plain messages/s.
//
//   node bench/identity.mjs [--rounds 3] [--messages 3000] [--senders 16]
//
// A benchmark, not a test: exits 0 when the target is missed (and says so); 1 when it cannot run.
import { fork } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';

const BENCH = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(BENCH, '..');
const ROOM_PROCESS = path.join(ROOT, 'test', 'support', 'room-process.mjs');
const SIGNING = path.join(ROOT, 'dist', 'protocol', 'signing.js');
const PASSWORD = 'bench-pw';

const argv = process.argv.slice(2);
const opt = (k, d) => { const i = argv.indexOf(`--${k}`); return i !== -1 && argv[i + 1] !== undefined ? Number(argv[i + 1]) : d; };
const ROUNDS = Math.max(1, opt('rounds', 3));
const N = Math.max(100, opt('messages', 3000));
const SENDERS = Math.max(1, opt('senders', 16));
const log = (s) => process.stderr.write(`[identity-bench] ${s}\n`);

if (!existsSync(SIGNING)) {
  log('dist/ is missing: run `npm run build` first');
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

const child = fork(ROOM_PROCESS, [], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
const server = await new Promise((resolve, reject) => {
  child.once('error', reject);
  child.on('message', (m) => m.type === 'ready' && resolve(m.value));
  // History large enough that every signed body's `prev` is still in the chain when it is posted.
  child.send({ type: 'start', options: { port: 0, host: '127.0.0.1', password: PASSWORD, rateLimit: 0, loopGuard: 0, joinLimit: 0, history: (ROUNDS * 2 + 2) * N + 100, quiet: true } });
});
const url = server.url;
const pw = { 'x-room-password': PASSWORD };

// The two participants.
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
const text = 'x'.repeat(120);

/** N bodies for a phase: plain ones, or signed ones naming the newest message as prev (signed now, not timed). */
async function bodies(signed) {
  if (!signed) return Array.from({ length: N }, () => JSON.stringify({ text }));
  const last = (await json(request(`${url}/messages?limit=1`, { headers: { authorization: `Bearer ${signer.token}` } }))).messages.at(-1);
  const out = [];
  for (let i = 0; i < N; i++) {
    const f = { sentAt: new Date().toISOString(), nonce: randomBytes(16).toString('base64url'), prev: last.hash, prevId: last.id };
    out.push(JSON.stringify({ text, ...f, sig: signBytes(messagePayload({ room: ch.room, name: 'signer', text, ...f }), priv) }));
  }
  return out;
}

/** The server process's CPU seconds (user + system), from /proc: a figure the machine's other load hardly moves. */
function cpuS() {
  try {
    const stat = readFileSync(`/proc/${child.pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (+f[11] + +f[12]) / 100;
  } catch { return NaN; }
}

/** Post every body with SENDERS concurrent keep-alive senders; messages/s, server CPU µs per message, non-201s. */
async function phase(signed) {
  const list = await bodies(signed);
  const headers = { authorization: `Bearer ${(signed ? signer : plain).token}` };
  let next = 0;
  let bad = 0;
  let firstBad;
  const t0 = process.hrtime.bigint();
  const c0 = cpuS();
  await Promise.all(Array.from({ length: SENDERS }, async () => {
    while (next < list.length) {
      const r = await request(`${url}/messages`, { method: 'POST', headers, body: list[next++] });
      if (r.status !== 201) (bad++, (firstBad ??= r.body));
    }
  }));
  const s = Number(process.hrtime.bigint() - t0) / 1e9;
  return { perS: list.length / s, cpuUs: ((cpuS() - c0) * 1e6) / list.length, bad, firstBad };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const results = { plain: [], signed: [] };
const cpu = { plain: [], signed: [] };
await phase(false); // warm-up (JIT, sockets), not counted
await phase(true);
for (let r = 0; r < ROUNDS; r++) {
  // Alternate which side goes first, so a drift in machine load favours neither.
  for (const signed of r % 2 ? [true, false] : [false, true]) {
    const p = await phase(signed);
    if (p.bad) log(`round ${r + 1} ${signed ? 'signed' : 'plain'}: ${p.bad} non-201 answers, e.g. ${p.firstBad}`);
    results[signed ? 'signed' : 'plain'].push(p.perS);
    cpu[signed ? 'signed' : 'plain'].push(p.cpuUs);
    log(`round ${r + 1} ${signed ? 'signed' : 'plain '}: ${p.perS.toFixed(0)} msg/s, ${p.cpuUs.toFixed(0)} µs server CPU per message`);
  }
}
child.send({ type: 'close' });
await Promise.race([new Promise((r) => child.once('exit', r)), sleep(5000)]);
if (child.exitCode === null) child.kill('SIGKILL');
agent.destroy();

const plainMed = median(results.plain);
const signedMed = median(results.signed);
const ratio = signedMed / plainMed;
const pass = ratio >= 0.7;
const cpuPlain = median(cpu.plain);
const cpuSigned = median(cpu.signed);
const table = [
  `## identity — POST /messages, ${SENDERS} keep-alive senders, ${N} messages per phase, ${ROUNDS} rounds (medians)`,
  'metric                     plain    signed   ratio  target   result',
  `messages/s              ${plainMed.toFixed(0).padStart(8)}  ${signedMed.toFixed(0).padStart(8)}  ${ratio.toFixed(2)}x  >= 0.70x  ${pass ? 'PASS' : 'MISS'}`,
  `server CPU µs/message    ${cpuPlain.toFixed(0).padStart(8)}  ${cpuSigned.toFixed(0).padStart(8)}  ${(cpuSigned / cpuPlain).toFixed(2)}x  (diagnosis: what a signed POST costs the server)`,
  `rounds plain:  ${results.plain.map((x) => x.toFixed(0)).join(', ')}`,
  `rounds signed: ${results.signed.map((x) => x.toFixed(0)).join(', ')}`,
].join('\n');
process.stdout.write(table + '\n');
mkdirSync(path.join(BENCH, 'results'), { recursive: true });
writeFileSync(path.join(BENCH, 'results', 'identity-latest.json'), JSON.stringify({ rounds: ROUNDS, messages: N, senders: SENDERS, results, cpu, cpuPlain, cpuSigned, plainMed, signedMed, ratio, pass, at: new Date().toISOString() }, null, 2) + '\n');
