// A WebSocket test client on the `ws` package (Node 20 has no WebSocket without a flag): next() resolves with the
// next frame, so ordering tests read as "send, then expect the next frame to be it"; `closed` resolves with the
// close code and reason.
import WebSocket from "ws";

export interface WsFrame {
  type: string;
  [k: string]: any;
}

export interface TestSocket {
  ws: WebSocket;
  /** The next frame (any type, or the next of `type`, skipping others) — rejects if the socket closes first. */
  next(type?: string): Promise<WsFrame>;
  /** Every frame received so far, in order. */
  frames: WsFrame[];
  send(frame: unknown): void;
  closed: Promise<{ code: number; reason: string }>;
  close(): void;
}

export function wsUrl(httpUrl: string, path = "/ws") {
  return httpUrl.replace(/^http/, "ws") + path;
}

export async function openWs(url: string, opts: { origin?: string; headers?: Record<string, string> } = {}): Promise<TestSocket> {
  const ws = new WebSocket(url, { origin: opts.origin, headers: opts.headers, perMessageDeflate: false });
  const frames: WsFrame[] = [];
  let read = 0;
  const waiters: (() => void)[] = [];
  let closeInfo: { code: number; reason: string } | undefined;
  const closed = new Promise<{ code: number; reason: string }>((resolve) => {
    ws.on("close", (code, reason) => {
      closeInfo = { code, reason: reason.toString() };
      resolve(closeInfo);
      for (const w of waiters.splice(0)) w();
    });
  });
  ws.on("message", (data, isBinary) => {
    frames.push(isBinary ? { type: "<binary>" } : JSON.parse(data.toString()));
    for (const w of waiters.splice(0)) w();
  });
  await new Promise<void>((resolve, reject) => {
    ws.once("open", () => resolve());
    ws.once("error", reject);
    ws.once("unexpected-response", (_req, res) => {
      let body = "";
      res.on("data", (c: Buffer) => (body += c));
      res.on("end", () => reject(Object.assign(new Error(`upgrade refused: ${res.statusCode} ${body}`), { status: res.statusCode, body })));
    });
  });
  ws.on("error", () => {}); // the close event reports what matters

  async function next(type?: string): Promise<WsFrame> {
    for (;;) {
      while (read < frames.length) {
        const f = frames[read++]!;
        if (!type || f.type === type) return f;
      }
      if (closeInfo) throw new Error(`socket closed (${closeInfo.code} ${closeInfo.reason}) while waiting for ${type ?? "a frame"}`);
      await new Promise<void>((r) => waiters.push(r));
    }
  }

  return {
    ws,
    next,
    frames,
    send: (f) => ws.send(typeof f === "string" ? f : JSON.stringify(f)),
    closed,
    close: () => ws.close(),
  };
}

/** Open a socket and join with the room password (and a name, when given); resolves after `joined`. */
export async function joinWs(httpUrl: string, join: Record<string, unknown>, path = "/ws") {
  const s = await openWs(wsUrl(httpUrl, path));
  s.send({ type: "join", ...join });
  const joined = await s.next();
  if (joined.type !== "joined") throw new Error(`expected joined, got ${JSON.stringify(joined)}`);
  return Object.assign(s, { joined });
}

// A proxy without WebSocket support (every upgrade 502): the tests' shared one.
export { upgradeRefusingProxy } from "../support/proxy.mjs";

/**
 * A TCP relay that can freeze: nothing moves either way, but no connection is closed — a phone that changed networks,
 * a tunnel that stopped forwarding. Only silence tells a client the link is dead.
 */
export async function freezingProxy(targetPort: number) {
  const { connect, createServer } = await import("node:net");
  const pairs = new Set<[import("node:net").Socket, import("node:net").Socket]>();
  let frozen = false;
  const server = createServer((client) => {
    const upstream = connect(targetPort, "127.0.0.1");
    const pair: [typeof client, typeof upstream] = [client, upstream];
    pairs.add(pair);
    for (const s of pair) s.on("error", () => {});
    client.pipe(upstream);
    upstream.pipe(client);
    if (frozen) (client.pause(), upstream.pause());
    const end = () => (client.destroy(), upstream.destroy(), pairs.delete(pair));
    client.on("close", end);
    upstream.on("close", end);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as { port: number }).port;
  return {
    port,
    url: `http://127.0.0.1:${port}`,
    freeze() {
      frozen = true;
      for (const [a, b] of pairs) (a.pause(), b.pause());
    },
    thaw() {
      frozen = false;
      for (const [a, b] of pairs) (a.resume(), b.resume());
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const [a, b] of pairs) (a.destroy(), b.destroy());
        server.close(() => resolve());
      }),
  };
}
