// A room server in its own process, driven over IPC by test/robustness/helpers.ts: its timing and memory are then
// the server's own, not shared with the load the tests generate. Runs the built server (dist/).
import { monitorEventLoopDelay } from "node:perf_hooks";
import { startRoomServer } from "../../dist/server/index.js";

let server;
const loop = monitorEventLoopDelay({ resolution: 10 });
loop.enable();

process.on("message", async (m) => {
  if (m.type === "start") {
    server = await startRoomServer({ ...m.options, log: (line) => process.send({ type: "log", line }) });
    process.send({ type: "ready", value: { url: server.url, port: server.port, password: m.options.password, hostToken: server.hostToken } });
  } else if (m.type === "stats") {
    const value = { ...server.stats(), loopMaxMs: loop.max / 1e6, loopP99Ms: loop.percentile(99) / 1e6 };
    loop.reset();
    process.send({ type: "reply", id: m.id, value });
  } else if (m.type === "mem") {
    global.gc?.();
    await new Promise((r) => setImmediate(r));
    global.gc?.();
    process.send({ type: "reply", id: m.id, value: process.memoryUsage() });
  } else if (m.type === "close") {
    await server?.close();
    process.exit(0);
  }
});
// The test process went away (a crashed or killed run): do not outlive it.
process.on("disconnect", () => process.exit(0));
