// A proxy in front of a room that loses the answer to the first POST …/messages — what a client sees when the instance
// behind a balancer dies with its request in hand (serve --redis): the connection drops after the message was
// stored, or before it reached the room, or the balancer answers 502 as nginx does, or no answer ever comes.
// Everything else passes through; WebSocket upgrades are answered 502 (clients fall back to the event stream).
import { request, createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";

export type Mode = "stored, then cut" | "cut before it arrives" | "stored, then 502" | "stored, no answer" | "held, no answer";

/** An HTTP proxy in front of the room that loses the answer to the first POST …/messages, in the way `mode` says. */
export async function losingProxy(target: string, mode: Mode) {
  const to = new URL(target);
  let posts = 0;
  const server: Server = createServer((req, res) => {
    const isPost = req.method === "POST" && req.url?.split("?")[0] === "/messages";
    const first = isPost && ++posts === 1;
    if (first && mode === "cut before it arrives") return void req.socket.destroy();
    if (first && mode === "held, no answer") return; // a frozen instance: the request neither stored nor answered
    const up = request({ host: to.hostname, port: to.port, method: req.method, path: req.url, headers: req.headers }, (answer: IncomingMessage) => {
      if (first) {
        // The room stored it and answered; the answer never gets back.
        answer.resume();
        answer.on("end", () => {
          if (mode === "stored, then cut") req.socket.destroy();
          else if (mode === "stored, no answer") return; // stored, and the answer never comes
          else res.writeHead(502, { "content-type": "text/html" }).end("<html><body><center><h1>502 Bad Gateway</h1></center><hr><center>nginx</center></body></html>");
        });
        return;
      }
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    up.on("error", () => req.socket.destroy());
    req.pipe(up);
  });
  // Said, not left to chance: without this the upgrade went through Node's request path and hung, so a CLI client
  // fell back only after its open timeout (30 s in the test kit) instead of at once, as behind a balancer without
  // WebSocket support.
  server.on("upgrade", (_req, socket) => socket.end("HTTP/1.1 502 Bad Gateway\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"));
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    get posts() {
      return posts;
    },
    close: () => new Promise<void>((r) => (server.closeAllConnections(), server.close(() => r()))),
  };
}

