// The room server in a process of its own, so its timing and memory are its own and not shared with the load a
// test generates. Part of the load kit (load.mjs), used three ways:
// - forked with IPC by startRoomProcess() (robustness suites, the soak): {type:"start", options} starts it, then
//   "stats" (open streams/polls/sockets, memory, event-loop delay since the last call), "mem" (memory after two
//   full GCs; fork with --expose-gc) and "close";
// - run as a command by the benchmark: node test/support/room-process.mjs --port P --password PW [--host H]
//   [--history N] [--rate-limit N] [--loop-guard N] [--ws-frames-per-second N]; prints one "listening" line on stderr; SIGINT/SIGTERM exit 0.
// Runs the built server (dist/: `npm run build` first).
import { existsSync } from "node:fs";
import { monitorEventLoopDelay } from "node:perf_hooks";
import { fileURLToPath } from "node:url";

const entry = new URL("../../dist/server/index.js", import.meta.url);
if (!existsSync(fileURLToPath(entry))) {
  process.stderr.write(`room-process: ${fileURLToPath(entry)} is missing: run \`npm run build\` first.\n`);
  process.exit(2);
}
const { startRoomServer } = await import(entry.href);

if (process.send) serveOverIpc();
else await serveFromArgs();

function serveOverIpc() {
  let server;
  const loop = monitorEventLoopDelay({ resolution: 10 });
  loop.enable();
  const send = (m) => process.connected && process.send(m);
  process.on("message", async (m) => {
    if (m.type === "start") {
      const { quiet, ...options } = m.options;
      server = await startRoomServer({ ...options, log: quiet ? () => {} : (line) => send({ type: "log", line }) });
      send({ type: "ready", value: { url: server.url, port: server.port, password: options.password, hostToken: server.hostToken } });
    } else if (m.type === "stats") {
      const mem = process.memoryUsage();
      const value = { ...server.stats(), rss: mem.rss, heapUsed: mem.heapUsed, loopMaxMs: loop.max / 1e6, loopP99Ms: loop.percentile(99) / 1e6 };
      loop.reset();
      send({ type: "reply", id: m.id, value });
    } else if (m.type === "mem") {
      global.gc?.();
      await new Promise((r) => setImmediate(r));
      global.gc?.();
      send({ type: "reply", id: m.id, value: process.memoryUsage() });
    } else if (m.type === "close") {
      await server?.close();
      process.exit(0);
    }
  });
  // The parent went away (a crashed or killed run): do not outlive it.
  process.on("disconnect", () => process.exit(0));
}

async function serveFromArgs() {
  const argv = process.argv.slice(2);
  const opt = (k, d) => {
    const i = argv.indexOf(`--${k}`);
    return i !== -1 && argv[i + 1] !== undefined ? argv[i + 1] : d;
  };
  const num = (k) => (opt(k) === undefined ? {} : { [k.replace(/-(\w)/g, (_, c) => c.toUpperCase())]: Number(opt(k)) });
  const server = await startRoomServer({
    port: Number(opt("port", 0)),
    host: opt("host", "127.0.0.1"),
    password: opt("password", "PW"),
    ...num("history"),
    ...num("rate-limit"),
    ...num("loop-guard"),
    ...num("ws-frames-per-second"), // the bench's WebSocket send scenario: thousands of frames/s from one socket
    log: (line) => process.stderr.write(`room-process: ${line}\n`),
  });
  process.stderr.write(`room-process listening on ${server.url} pid=${process.pid}\n`);
  let stopping = false;
  for (const sig of ["SIGINT", "SIGTERM"]) {
    process.on(sig, () => {
      if (stopping) return;
      stopping = true;
      // A benchmark does not measure shutdown: give close() a moment, then go.
      setTimeout(() => process.exit(0), 1000).unref();
      server.close().then(
        () => process.exit(0),
        () => process.exit(0),
      );
    });
  }
}
