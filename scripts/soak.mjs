#!/usr/bin/env node
// Soak: hours of normal use compressed into minutes, against the built server (dist/) in its own process.
//
//   npm run build && npm run soak                 # 5 minutes
//   node scripts/soak.mjs --minutes 2             # shorter; --participants N (150), --fault-every S (30)
//
// Participants join and leave all the time (each stays 20–120 s), read by SSE or long-poll, reconnect now and
// then (politely or by crashing), a quarter of them post at the per-sender rate limit (one a second), and every
// `--fault-every` seconds a fault is injected: streams killed, readers that never read, a connection burst,
// slowloris drips, half-open connections, the tunnel dying. Every reader checks every id it gets (no gap, no
// duplicate, same text for everyone), and each leaves only once it has everything accepted before it left.
// Loopback only; every loop is bounded by the clock and the whole run stops by itself (hard stop at N + 3 min).
// Prints a table and, last, one JSON line. Exit 0 when nothing was lost and the server survived; else 1.
import http from "node:http";
import os from "node:os";
// The load kit the robustness suites use: the room in its own process, id-checking readers, figures; the relay.
import { Hist, Ledger, PollReader, request as kitRequest, rawSocket, sleep, SseReader, startRoomProcess } from "../test/support/load.mjs";
import { tcpProxy } from "../test/support/proxy.mjs";

function args() {
  const a = process.argv.slice(2);
  const get = (name, dflt) => {
    const i = a.indexOf(name);
    if (i === -1) return dflt;
    const v = Number(a[i + 1]);
    if (!Number.isFinite(v) || v <= 0) throw new Error(`${name} needs a positive number`);
    return v;
  };
  if (a.includes("--help") || a.includes("-h")) {
    console.log("usage: node scripts/soak.mjs [--minutes 5] [--participants 150] [--fault-every 30]");
    process.exit(0);
  }
  return { minutes: get("--minutes", 5), participants: get("--participants", 150), faultEvery: get("--fault-every", 30) };
}

const now = () => performance.now();

/** The kit's request, but never throwing: status 0 and the error's code on a transport error. */
const request = (base, path, opts = {}) =>
  kitRequest(base, path, { timeoutMs: 10_000, ...opts }).catch((e) => ({ status: 0, text: e.code ?? String(e), json: undefined }));

async function main() {
  const opt = args();
  const RUN_MS = opt.minutes * 60_000;
  const password = "soak-" + Math.random().toString(36).slice(2, 12);
  const hardStop = setTimeout(() => {
    console.error("soak: hard stop (run took far longer than planned)");
    process.exit(1);
  }, RUN_MS + 180_000);
  hardStop.unref();

  // --- server process: every limit at its default (history 10,000, 60 messages/min per sender, loop guard 50,
  // 10,000 connections) ---
  const server = await startRoomProcess({ password, quiet: true });
  const { port } = server;
  const base = server.url;
  /** Server figures, or undefined when it does not answer within 5 s (or crashed). */
  const stats = (gc = false) =>
    Promise.race([
      Promise.all([server.stats(), gc ? server.mem() : undefined]).then(([s, m]) => (m ? { ...s, rss: m.rss, heapUsed: m.heapUsed } : s)),
      sleep(5000).then(() => undefined),
    ]).catch(() => undefined);

  // --- the tunnel stand-in: a TCP relay a third of the readers go through ---
  const relay = await tcpProxy(port);
  const viaRelay = relay.url;

  // --- figures ---
  const f = {
    joined: 0,
    left: 0,
    accepted: 0,
    rateLimited: 0,
    paused: 0,
    postErrors: 0,
    errorSamples: [],
    deliveries: 0,
    lost: 0,
    faults: [],
    peakSockets: 0,
    peakStreams: 0,
    peakPolls: 0,
    serverLoopMaxMs: 0,
    rss: [],
  };
  const latSse = new Hist();
  const latPoll = new Hist();
  const latFault = new Hist();
  const healthNormal = new Hist();
  const healthFault = new Hist();
  let faultUntil = 0; // performance.now() until which we count as "during a fault"
  const inFault = () => now() < faultUntil;

  const sentAt = new Map(); // text → t0
  // Every reader checks every id: no gap, no duplicate, same text for everyone (counted in the ledger).
  const ledger = new Ledger();
  let maxAccepted = 0;
  const postAgent = new http.Agent({ keepAlive: true, maxSockets: 64 });

  // --- readers: the kit's, by SSE or long-poll, directly or through the relay ---
  const allReaders = new Set();
  function reader_(name, auth, start, mode, viaTunnel) {
    // A refusal (503 during a connection burst) is expected here: retried after 1–3 s. An agent thinks a little
    // between waits.
    const o = { refusalIsError: false, reconnectMs: 500, pollTimeoutS: 25, thinkMs: 300 };
    const url = viaTunnel ? viaRelay : base;
    const r = mode === "sse" ? new SseReader(name, url, auth, start, ledger, o) : new PollReader(name, url, auth, start, ledger, o);
    r.mode = mode;
    r.viaTunnel = viaTunnel;
    r.onMessage = (m, t) => {
      f.deliveries++;
      const t0 = sentAt.get(m.text);
      if (t0 === undefined) return;
      const ms = t - t0;
      (mode === "sse" ? latSse : latPoll).add(ms);
      if (inFault()) latFault.add(ms);
    };
    allReaders.add(r);
    return r;
  }

  // --- participants: join, read, maybe send, leave after 20–120 s, and someone new comes ---
  const active = new Set();
  let running = true;
  let serial = 0;
  async function participantLife() {
    const n = serial++;
    const kind = n % 4 === 0 ? "human" : "agent";
    const name = `${kind === "human" ? "person" : "bot"}-${n}`;
    const j = await request(base, "/join", { method: "POST", agent: postAgent, headers: { "x-room-password": password, "content-type": "application/json" }, body: JSON.stringify({ name, kind }) });
    if (j.status !== 201) return void (f.postErrors++, f.errorSamples.length < 5 && f.errorSamples.push(`join ${j.status} ${j.text.slice(0, 100)}`));
    f.joined++;
    const auth = { authorization: `Bearer ${j.json.token}` };
    const reader = reader_(name, auth, j.json.next, Math.random() < 0.6 ? "sse" : "poll", Math.random() < 0.33);
    active.add(reader);
    reader.connect();
    const sends = Math.random() < 0.25;
    const leaveAt = now() + 20_000 + Math.random() * 100_000;
    let k = 0;
    let nextChurn = now() + 5000 + Math.random() * 15_000;
    while (running && now() < leaveAt) {
      if (sends) {
        const text = `${name} #${k++}`;
        sentAt.set(text, now());
        const r = await request(base, "/messages", { method: "POST", agent: postAgent, headers: { ...auth, "content-type": "application/json" }, body: JSON.stringify({ text }) });
        if (r.status === 201) (f.accepted++, (maxAccepted = Math.max(maxAccepted, r.json.message.id)));
        else if (r.status === 429) (f.rateLimited++, sentAt.delete(text));
        else if (r.status === 423) (f.paused++, sentAt.delete(text));
        else (f.postErrors++, sentAt.delete(text), f.errorSamples.length < 5 && f.errorSamples.push(`post ${r.status} ${r.text.slice(0, 100)}`));
      }
      await sleep(1000); // one message a second: the default per-sender rate limit
      if (now() > nextChurn) {
        Math.random() < 0.5 ? reader.drop() : reader.kill();
        nextChurn = now() + 5000 + Math.random() * 15_000;
      }
    }
    if (!running) return; // the end of the run checks those still here
    // Before leaving: everything accepted so far must have arrived.
    const target = maxAccepted;
    if (!(await reader.reachedOrWait(target, 15_000))) f.lost += target - reader.cursor;
    reader.stop();
    active.delete(reader);
    await request(base, "/leave", { method: "POST", agent: postAgent, headers: auth });
    f.left++;
  }
  const lives = new Set();
  const t0 = now();
  const population = (async () => {
    // ramp up over the first 10 s, then keep the population steady
    while (running) {
      while (lives.size < opt.participants && running) {
        const p = participantLife().finally(() => lives.delete(p));
        lives.add(p);
        if (now() - t0 < 10_000) await sleep(10_000 / opt.participants);
      }
      await sleep(200);
    }
  })();

  // --- /health probe ---
  const healthAgent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  let healthFailures = 0;
  const probe = (async () => {
    while (running) {
      const t = now();
      const r = await request(base, "/health", { agent: healthAgent, timeoutMs: 5000 });
      const ms = now() - t;
      if (r.status !== 200) healthFailures++;
      (inFault() ? healthFault : healthNormal).add(ms);
      await sleep(100);
    }
  })();

  // --- server figures every second; RSS every 10 s ---
  const watch = (async () => {
    let k = 0;
    while (running) {
      await sleep(1000);
      const s = await stats();
      if (!s) continue;
      f.peakSockets = Math.max(f.peakSockets, s.sockets);
      f.peakStreams = Math.max(f.peakStreams, s.streams);
      f.peakPolls = Math.max(f.peakPolls, s.polls);
      f.serverLoopMaxMs = Math.max(f.serverLoopMaxMs, s.loopMaxMs);
      if (++k % 10 === 0) f.rss.push({ s: Math.round((now() - t0) / 1000), rssMB: Math.round(s.rss / 2 ** 20), heapMB: Math.round(s.heapUsed / 2 ** 20) });
      // forget send times nobody can still be waiting for
      if (k % 10 === 0) for (const [text, t] of sentAt) if (now() - t > 60_000) sentAt.delete(text);
    }
  })();

  // --- faults ---
  /** Wait until the server's socket count is back near `before`; say how long it took, or how many it still holds. */
  async function serverLetsGo(before, count, maxMs) {
    const started = now();
    await sleep(1000);
    let s = await stats();
    while (s && s.sockets > before + 50 && now() - started < maxMs) (await sleep(500), (s = await stats()));
    const held = s ? Math.min(count, s.sockets - before) : "?";
    return s && s.sockets <= before + 50 ? `the server let go within ${Math.round((now() - started) / 1000)} s` : `the server still held ~${held} of them after ${Math.round(maxMs / 1000)} s`;
  }
  const faultKinds = [
    async function killStreams() {
      const victims = [...active].filter(() => Math.random() < 0.3);
      for (const r of victims) r.kill();
      return `${victims.length} readers killed`;
    },
    async function slowReaders() {
      const socks = Array.from({ length: 40 }, () => rawSocket(port, `GET /messages/stream HTTP/1.1\r\nHost: x\r\nX-Room-Password: ${password}\r\n\r\n`));
      for (const s of socks) s.pause();
      await sleep(20_000);
      for (const s of socks) s.destroy();
      return "40 never-reading subscribers for 20 s";
    },
    async function connectionBurst() {
      const N = 1500;
      const by = {};
      await Promise.all(
        Array.from({ length: N }, () =>
          new Promise((resolve) => {
            const s = rawSocket(port, "GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
            let head = "";
            s.on("data", (d) => (head ||= String(d).slice(9, 12)));
            s.on("close", () => ((by[head || "none"] = (by[head || "none"] ?? 0) + 1), resolve()));
            setTimeout(() => s.destroy(), 15_000);
          }),
        ),
      );
      return `burst of ${N}: ${JSON.stringify(by)}`;
    },
    async function slowloris() {
      // 200 clients that drip a byte a second and never read: the server should cut each and let go of its socket
      const before = (await stats())?.sockets ?? 0;
      const socks = [];
      for (let i = 0; i < 200; i++) {
        const body = i % 2 === 0;
        const s = rawSocket(port, body ? `POST /messages HTTP/1.1\r\nHost: x\r\nX-Room-Password: ${password}\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{` : "GET /room HTTP/1.1\r\n");
        s.pause();
        const t = setInterval(() => (s.destroyed ? clearInterval(t) : s.write(body ? " " : "X")), 1000);
        socks.push({ s, t });
      }
      const r = await serverLetsGo(before, 200, 45_000);
      for (const x of socks) (clearInterval(x.t), x.s.destroy());
      return `200 one-byte-a-second drips that never read: ${r}`;
    },
    async function halfOpen() {
      const before = (await stats())?.sockets ?? 0;
      const socks = Array.from({ length: 500 }, () => rawSocket(port, "GET /messages/str"));
      for (const s of socks) s.pause(); // never read, never close
      const r = await serverLetsGo(before, 500, 30_000);
      for (const s of socks) s.destroy();
      return `500 half-open connections that never read: ${r}`;
    },
    async function tunnelDies() {
      const through = relay.connections;
      await relay.kill();
      await sleep(1000);
      await relay.restore();
      return `relay with ${through} connections killed, back after 1 s`;
    },
  ];
  const faults = (async () => {
    let k = 0;
    await sleep(Math.min(opt.faultEvery * 1000, RUN_MS / 4));
    while (running && now() - t0 < RUN_MS - 10_000) {
      const fault = faultKinds[k++ % faultKinds.length];
      const at = Math.round((now() - t0) / 1000);
      faultUntil = now() + 15_000;
      const started = now();
      const what = await fault().catch((e) => `failed: ${e}`);
      faultUntil = Math.max(faultUntil, now() + 2000);
      f.faults.push({ at, fault: fault.name, what, ms: Math.round(now() - started) });
      process.stderr.write(`soak: ${at}s ${fault.name}: ${what}\n`);
      await sleep(Math.max(0, opt.faultEvery * 1000 - (now() - started)));
    }
  })();

  // progress
  const progress = setInterval(() => {
    process.stderr.write(
      `soak: ${Math.round((now() - t0) / 1000)}s  participants ${active.size}  accepted ${f.accepted}  deliveries ${f.deliveries}  lost ${f.lost + ledger.gaps}  rss ${f.rss.at(-1)?.rssMB ?? "?"} MB\n`,
    );
  }, 30_000);

  await sleep(RUN_MS);
  running = false;
  clearInterval(progress);
  await Promise.all([faults, probe, watch, population]);
  await Promise.all([...lives]);

  // --- the end: everyone still here must have everything ---
  const room = await request(base, "/room", { headers: { "x-room-password": password } });
  const lastId = room.json?.lastId ?? maxAccepted;
  const shortfalls = await Promise.all([...active].map(async (r) => ((await r.reachedOrWait(lastId, 20_000)) ? 0 : lastId - r.cursor)));
  f.lost += shortfalls.reduce((a, b) => a + b, 0) + ledger.gaps; // never delivered + ids skipped on the way
  const reconnects = [...allReaders].reduce((n, r) => n + r.reconnects, 0);
  for (const r of active) r.stop();
  postAgent.destroy();
  healthAgent.destroy();
  await relay.close();

  await sleep(1500);
  const end = await stats(true);
  // who the server still counts as connected (should be nobody)
  const after = await request(base, "/room", { headers: { "x-room-password": password } });
  const stillConnected = (after.json?.participants ?? []).filter((p) => p.connections > 0).map((p) => `${p.name}:${p.via}:${p.connections}`);
  for (const name of stillConnected.slice(0, 5)) {
    const r = [...allReaders].find((x) => x.name === name.split(":")[0]);
    if (r) process.stderr.write(`soak: still connected ${name}; reader closed=${r.closed} mode=${r.mode} via relay=${r.viaTunnel} req=${!!r.req}\n`);
  }

  const out = {
    minutes: opt.minutes,
    node: process.version,
    cpus: os.cpus().length,
    participantsJoined: f.joined,
    participantsLeft: f.left,
    concurrentParticipants: opt.participants,
    messagesAccepted: f.accepted,
    messagesPerSecond: +(f.accepted / (RUN_MS / 1000)).toFixed(1),
    rateLimited429: f.rateLimited,
    paused423: f.paused,
    otherErrors: f.postErrors,
    errorSamples: f.errorSamples,
    deliveries: f.deliveries,
    lost: f.lost,
    duplicates: ledger.duplicates,
    resets: ledger.resets,
    disagreements: ledger.disagreements,
    reconnects,
    deliveryMsSse: latSse.summary,
    deliveryMsPoll: latPoll.summary,
    deliveryMsDuringFaults: latFault.summary,
    healthMs: healthNormal.summary,
    healthMsDuringFaults: healthFault.summary,
    healthFailures,
    faults: f.faults.map((x) => `${x.at}s ${x.fault}: ${x.what}`),
    peakSockets: f.peakSockets,
    peakStreams: f.peakStreams,
    peakPolls: f.peakPolls,
    serverLoopDelayMaxMs: Math.round(f.serverLoopMaxMs),
    rssMB: f.rss.map((x) => x.rssMB),
    endRssMB: end ? Math.round(end.rss / 2 ** 20) : null,
    endHeapAfterGcMB: end ? +(end.heapUsed / 2 ** 20).toFixed(1) : null,
    endOpen: end ? { streams: end.streams, polls: end.polls, sockets: end.sockets } : null,
    endStillConnected: stillConnected,
    serverCrashed: server.crashed,
  };

  const ms = (h) => `p50 ${h.p50} · p99 ${h.p99} · max ${h.max} ms (n=${h.n})`;
  const rows = [
    ["run", `${opt.minutes} min, ${opt.participants} participants at a time, all server limits at their defaults; Node ${process.version}, ${out.cpus} CPUs`],
    ["participants joined / left", `${f.joined} / ${f.left}`],
    ["messages accepted", `${f.accepted} (${out.messagesPerSecond}/s); 429 ${f.rateLimited}, 423 ${f.paused}, other errors ${f.postErrors}`],
    ["deliveries", `${f.deliveries}`],
    ["lost / duplicates / resets", `${f.lost} / ${ledger.duplicates} / ${ledger.resets}${ledger.disagreements ? ` / ${ledger.disagreements} disagreements` : ""}`],
    ["reader reconnects", `${reconnects}`],
    ["delivery, SSE", ms(latSse.summary)],
    ["delivery, long-poll", ms(latPoll.summary)],
    ["delivery during faults", ms(latFault.summary)],
    ["/health", ms(healthNormal.summary)],
    ["/health during faults", `${ms(healthFault.summary)}; failures ${healthFailures}`],
    ["connections peak", `${f.peakSockets} sockets (${f.peakStreams} streams, ${f.peakPolls} polls)`],
    ["server event-loop delay max", `${out.serverLoopDelayMaxMs} ms`],
    ["RSS every 10 s (MB)", out.rssMB.join(" ")],
    ["at the end", `RSS ${out.endRssMB} MB, heap after GC ${out.endHeapAfterGcMB} MB, open ${JSON.stringify(out.endOpen)}${stillConnected.length ? `, still counted as connected: ${stillConnected.join(" ")}` : ""}`],
    ...f.errorSamples.map((e) => ["error sample", e]),
    ...f.faults.map((x) => [`fault at ${x.at}s`, `${x.fault}: ${x.what}`]),
  ];
  const w = Math.max(...rows.map((r) => r[0].length));
  console.log("\nagent-chat soak");
  for (const [k, v] of rows) console.log(`  ${k.padEnd(w)}  ${v}`);
  console.log(JSON.stringify(out));

  const crashed = server.crashed;
  await server.close();
  const ok = !crashed && f.lost === 0 && ledger.duplicates === 0 && ledger.resets === 0 && ledger.disagreements === 0 && healthFailures === 0;
  process.exit(ok ? 0 : 1);
}

await main();
