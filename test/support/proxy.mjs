// @ts-check
// The tests' proxies between a client and the room (browser, CLI and robustness suites, and the soak):
// - tcpProxy: a TCP relay, a stand-in for a tunnel or a network path. cut() ends every connection it carries (as a
//   flaky network does), drop() also stops listening (the network is gone) until restore(), kill() resets them all
//   (RST, as when the tunnel process dies).
// - bufferingProxy: an HTTP proxy that holds Server-Sent Events back, as Cloudflare quick tunnels do;
// - upgradeRefusingProxy: an HTTP proxy without WebSocket support (every upgrade answered 502).
// The HTTP proxies refuse WebSocket upgrades (502, counted), so clients behind them fall back by themselves.
import { createServer as createHttpServer, request as httpRequest } from "node:http";
import { connect, createServer as createTcpServer } from "node:net";

/**
 * @param {number} targetPort the room's port on 127.0.0.1
 * @param {{ port?: number }} [o] listen on this port (default: any free one)
 */
export async function tcpProxy(targetPort, o = {}) {
  /** @type {Set<import("node:net").Socket>} */
  const sockets = new Set();
  /** @type {import("node:net").Server} */
  let server;
  const make = () =>
    createTcpServer((client) => {
      const upstream = connect(targetPort, "127.0.0.1");
      for (const s of [client, upstream]) {
        sockets.add(s);
        s.on("error", () => {});
      }
      client.pipe(upstream);
      upstream.pipe(client);
      // A relay closes the other side when one side goes, however it went.
      const end = () => {
        client.destroy();
        upstream.destroy();
        sockets.delete(client);
        sockets.delete(upstream);
      };
      client.on("close", end);
      upstream.on("close", end);
    });
  /** @param {number} port */
  const listen = (port) =>
    new Promise((resolve, reject) => {
      server = make();
      server.once("error", reject);
      server.listen(port, "127.0.0.1", () => resolve(/** @type {import("node:net").AddressInfo} */ (server.address()).port));
    });
  const port = /** @type {number} */ (await listen(o.port ?? 0));
  const stopListening = () => new Promise((resolve) => (server.listening ? server.close(() => resolve(undefined)) : resolve(undefined)));
  return {
    port,
    url: `http://127.0.0.1:${port}`,
    /** connections carried now */
    get connections() {
      return sockets.size / 2;
    },
    /** End every connection (FIN); keep listening. */
    cut() {
      for (const s of sockets) s.destroy();
    },
    /** Reset every connection (RST) and stop listening: the tunnel process died. */
    async kill() {
      const closed = stopListening();
      for (const s of sockets) s.resetAndDestroy();
      await closed;
    },
    /** Stop listening and end every connection: the network is gone. */
    async drop() {
      const closed = stopListening();
      for (const s of sockets) s.destroy();
      sockets.clear();
      await closed;
    },
    /** Listen again on the same port. */
    restore: () => listen(port),
    async close() {
      for (const s of sockets) s.destroy();
      await stopListening();
    },
  };
}

/**
 * An HTTP proxy that forwards everything but holds back event streams (text/event-stream answers):
 * - "body": the headers go through at once, the body only when the upstream ends (a buffering tunnel);
 * - "all": nothing at all until the upstream ends;
 * - "after-first": the headers and the first chunk (the opening comment) go through, then everything is held;
 * - "none": nothing is held (a plain proxy; with the upgrades refused, one without WebSocket support).
 * @param {number} targetPort
 * @param {{ mode?: "body" | "all" | "after-first" | "none" }} [o]
 */
export async function bufferingProxy(targetPort, o = {}) {
  const mode = o.mode ?? "body";
  let streamsHeld = 0;
  let refused = 0;
  const server = createHttpServer((req, res) => {
    const up = httpRequest({ host: "127.0.0.1", port: targetPort, method: req.method, path: req.url, headers: req.headers }, (ur) => {
      const status = ur.statusCode ?? 502;
      if (mode === "none" || !String(ur.headers["content-type"] ?? "").startsWith("text/event-stream")) {
        res.writeHead(status, ur.headers);
        ur.pipe(res);
        return;
      }
      /** @type {Buffer[]} */
      const held = [];
      let passFirst = mode === "after-first";
      if (mode !== "all") res.writeHead(status, ur.headers);
      if (!passFirst) streamsHeld++;
      ur.on("data", (/** @type {Buffer} */ c) => {
        if (!passFirst) return void held.push(c);
        passFirst = false;
        res.write(c);
        streamsHeld++;
      });
      ur.on("end", () => {
        if (!res.headersSent) res.writeHead(status, ur.headers);
        res.end(Buffer.concat(held));
      });
      ur.on("error", () => res.destroy());
    });
    up.on("error", () => res.destroy());
    req.pipe(up);
    res.on("close", () => up.destroy());
  });
  server.on("upgrade", (_req, socket) => {
    refused++;
    socket.end("HTTP/1.1 502 Bad Gateway\r\ncontent-length: 0\r\nconnection: close\r\n\r\n");
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve(undefined)));
  const port = /** @type {import("node:net").AddressInfo} */ (server.address()).port;
  return {
    port,
    url: `http://127.0.0.1:${port}`,
    /** Event streams being held back now or before (for "after-first": once the first chunk went through). */
    get streamsHeld() {
      return streamsHeld;
    },
    /** WebSocket upgrades answered 502. */
    get refused() {
      return refused;
    },
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve(undefined));
      }),
  };
}

/** A proxy that forwards every request but answers every WebSocket upgrade 502 (no WebSocket support). @param {number} targetPort */
export const upgradeRefusingProxy = (targetPort) => bufferingProxy(targetPort, { mode: "none" });
