// `send` and `wait` run once per agent step: they must not load the server, h3, the QR code, consola or the tunnel.
// A module-resolution hook lists every file the real process loads.
import { spawn } from "node:child_process";
import { afterAll, beforeAll, expect, it } from "vitest";
import { startTestRoom, type TestRoom } from "../support/room.js";
import { BIN, ROOT, cliEnv, run, tempHome } from "./helpers.js";

const HOOK = `data:text/javascript,${encodeURIComponent(`
import { register } from "node:module";
register("data:text/javascript," + encodeURIComponent(\`export async function resolve(s, c, next) {
  const r = await next(s, c); if (r.url.startsWith("file:")) process.stderr.write("LOADED " + r.url + "\\\\n"); return r; }\`));
`)}`;

let room: TestRoom;
const h = tempHome();
beforeAll(async () => {
  room = await startTestRoom();
  await run(["join", "--url", room.url, "--password", room.password, "--name", "lazy-bot"], { home: h.home });
});
afterAll(async () => {
  await room.close();
  h.cleanup();
});

function loaded(args: string[]): Promise<string[]> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ["--import", HOOK, BIN, ...args], { env: cliEnv(h.home), stdio: ["ignore", "ignore", "pipe"] });
    let err = "";
    child.stderr.on("data", (c) => (err += c));
    child.on("close", () => resolve([...new Set([...err.matchAll(/^LOADED file:\/\/(.*)$/gm)].map((m) => m[1]!.replace(ROOT, "")))]));
  });
}

it.each([
  ["send", "lazy"],
  ["wait", "--timeout", "0"],
  ["read"],
])("%s loads only the client side", async (...args) => {
  const files = await loaded(args);
  expect(files).toContain(`dist/cli/commands/${args[0]}.js`);
  expect(files.filter((f) => /dist\/(server|room|tunnel|host)\/|node_modules\/(h3|srvx|uqr|consola)\//.test(f))).toEqual([]);
});
