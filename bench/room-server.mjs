#!/usr/bin/env node
// bench/room-server.mjs - our room server, started the way the benchmark needs it:
//   node bench/room-server.mjs --port 18767 --password PW [--host 127.0.0.1] [--history 20000]
// It runs the built server (dist/, from `npm run build`) with the per-sender rate limit and the loop guard
// turned off (the harness posts from one sender name, thousands of agent messages in a row), and a history
// large enough for the `history` scenario. Prints one "listening" line on stderr; exits 0 on SIGINT/SIGTERM.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const argv = process.argv.slice(2);
const opt = (k, d) => { const i = argv.indexOf(`--${k}`); return i !== -1 && argv[i + 1] !== undefined ? argv[i + 1] : d; };

const entry = new URL('../dist/server/index.js', import.meta.url);
if (!existsSync(fileURLToPath(entry))) {
  process.stderr.write(`room-server: ${fileURLToPath(entry)} is missing: run \`npm run build\` first.\n`);
  process.exit(2);
}
const { startRoomServer } = await import(entry.href);

const server = await startRoomServer({
  port: Number(opt('port', 18767)),
  host: opt('host', '127.0.0.1'),
  password: opt('password', 'PW'),
  history: Number(opt('history', 20000)),
  rateLimit: 0,
  loopGuard: 0,
  log: (line) => process.stderr.write(`room-server: ${line}\n`),
});
process.stderr.write(`room-server listening on ${server.url} pid=${process.pid}\n`);

let stopping = false;
for (const sig of ['SIGINT', 'SIGTERM']) {
  process.on(sig, () => {
    if (stopping) return;
    stopping = true;
    // The benchmark does not measure shutdown: give close() a moment, then go.
    setTimeout(() => process.exit(0), 1000).unref();
    server.close().then(() => process.exit(0), () => process.exit(0));
  });
}
