#!/usr/bin/env node
// What the worst-case inputs of issue 12 cost the server, measured in a room process of its own (built dist/):
//   1. the history filled with texts built to grow under JSON escaping and to force two-byte strings;
//   2. then READERS SSE readers of ?after=0 that never read a byte.
// Prints one table and one JSON line. Usage: npm run build && node scripts/measure-memory.mjs [--readers 1000]
//   [--posts 2000] [--typical] (typical: 10,000 short messages instead of the worst case).
import { fork } from "node:child_process";
import net from "node:net";
import { fileURLToPath } from "node:url";

const arg = (name, dflt) => {
  const i = process.argv.indexOf(`--${name}`);
  return i === -1 ? dflt : Number(process.argv[i + 1]);
};

if (process.argv[2] === "--server") {
  // The room process: start a room with default limits (rate limit off so the fill is fast), answer memory asks.
  const { startRoomServer } = await import("../dist/server/index.js");
  const server = await startRoomServer({ port: 0, host: "127.0.0.1", password: "measure-pass", rateLimit: 0, loopGuard: 0 });
  const mem = async () => {
    for (let i = 0; i < 3; i++) global.gc?.(), await new Promise((r) => setImmediate(r));
    const m = process.memoryUsage();
    return { rss: m.rss, heapUsed: m.heapUsed, external: m.external, arrayBuffers: m.arrayBuffers, history: server.room.history.size, historyBytes: server.room.history.bytes, streams: server.stats().streams };
  };
  process.on("message", async (m) => {
    if (m === "mem") process.send({ mem: await mem() });
    if (m === "close") await server.close(), process.exit(0);
  });
  process.send({ port: server.port });
} else {
  const READERS = arg("readers", 1000);
  const typical = process.argv.includes("--typical");
  const POSTS = arg("posts", typical ? 10_000 : 2000);
  const child = fork(fileURLToPath(import.meta.url), ["--server"], { execArgv: ["--expose-gc"] });
  const next = () => new Promise((r) => child.once("message", r));
  const { port } = await next();
  const ask = async () => (child.send("mem"), (await next()).mem);
  const url = `http://127.0.0.1:${port}`;
  const headers = { "x-room-password": "measure-pass", "content-type": "application/json" };

  const base = await ask();
  // Worst case: '"' (doubles under JSON escaping) as many as a 64 KiB request body carries, and one U+2028 (makes
  // the stored string two-byte): ~131 KB of memory per message for 32 KB of text.
  const text = typical ? "a typical message of about sixty characters, nothing special." : '"'.repeat(32_700) + "\u2028";
  const body = JSON.stringify({ agent: "filler", text });
  let refused = 0;
  for (let i = 0; i < POSTS; i += 20) {
    const statuses = await Promise.all(Array.from({ length: Math.min(20, POSTS - i) }, () => fetch(`${url}/messages`, { method: "POST", headers, body }).then(async (r) => (await r.arrayBuffer(), r.status))));
    refused += statuses.filter((s) => s !== 201).length;
  }
  if (refused) console.error(`${refused} posts refused`);
  const filled = await ask();

  // Readers that ask for everything and never read: raw sockets, paused at once.
  const sockets = [];
  for (let i = 0; i < READERS; i++) {
    const s = net.connect(port, "127.0.0.1");
    s.on("error", (e) => process.env.DEBUG && console.error(`reader ${i}: ${e.code}`));
    s.write(`GET /messages/stream?after=0&password=measure-pass HTTP/1.1\r\nHost: x\r\n\r\n`);
    s.pause();
    sockets.push(s);
    if (i % 100 === 99) await new Promise((r) => setTimeout(r, 50));
  }
  // Let the server write what it will: until its numbers stop moving.
  let last = 0;
  let stalled;
  for (let i = 0; i < 480; i++) {
    await new Promise((r) => setTimeout(r, 500));
    stalled = await ask();
    if (process.env.DEBUG) console.error(`streams ${stalled.streams}, rss ${(stalled.rss / 2 ** 20).toFixed(1)} MB, closed ${sockets.filter((x) => x.destroyed).length}`);
    // Every reader connected and replaying, and the server's numbers no longer moving.
    if (Math.abs(stalled.rss - last) < 2 * 2 ** 20 && stalled.streams === READERS) break;
    last = stalled.rss;
  }
  for (const s of sockets) s.destroy();
  child.send("close");

  const mb = (n) => (n / 2 ** 20).toFixed(1);
  const rows = [
    ["started", base],
    [`after ${POSTS} ${typical ? "typical" : "worst-case"} posts`, filled],
    [`+ ${READERS} never-reading ?after=0 readers`, stalled],
  ];
  console.log("| state | RSS MB | heap MB | external MB | history kept | history MB |");
  console.log("| --- | --- | --- | --- | --- | --- |");
  for (const [what, m] of rows) console.log(`| ${what} | ${mb(m.rss)} | ${mb(m.heapUsed)} | ${mb(m.external)} | ${m.history} | ${mb(m.historyBytes)} |`);
  const perReader = (stalled.rss - filled.rss) / Math.max(1, stalled.streams);
  console.log(`per open stream: ${(perReader / 1024).toFixed(0)} KB of RSS (${stalled.streams} of ${READERS} streams open)`);
  console.log(JSON.stringify({ posts: POSTS, typical, readers: READERS, rssMB: { base: +mb(base.rss), filled: +mb(filled.rss), readers: +mb(stalled.rss) }, perReaderKB: Math.round(perReader / 1024) }));
}
