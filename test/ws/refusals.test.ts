// Upgrades refused before the handshake harm nothing: a client that resets its connection while being refused does
// not take the server down (Node removes its own error handler from an upgrading socket).
import { connect } from "node:net";
import { afterEach, expect, it } from "vitest";
import { useRooms } from "../support/room.js";

const start = useRooms(afterEach);

it("clients that reset while their upgrade is refused (404, 403 origin) leave the server answering", async () => {
  const room = await start();
  const rounds = Array.from({ length: 60 }, (_, i) =>
    new Promise<void>((resolve) => {
      const s = connect(room.port, "127.0.0.1", () => {
        const path = i % 2 ? "/nope/ws" : "/ws";
        s.write(
          `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nOrigin: https://evil.example\r\n` +
            `Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n`,
        );
        s.resetAndDestroy(); // RST: the server's refusal is written to a connection that is gone
      });
      s.on("error", () => {});
      s.on("close", () => resolve());
    }),
  );
  await Promise.all(rounds);
  const r = await fetch(`${room.url}/health`);
  expect(r.status).toBe(200);
});
