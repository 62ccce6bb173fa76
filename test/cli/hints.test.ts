// The commands a CLI prints for the agent to copy ("Next:" after join, "run … first") repeat the invite's form. Run
// through npx, that is the pinned `npx -y agent-chat@X.Y.Z`: two fresh agents copying a bare `npx -y agent-chat …`
// hint would have fetched whatever the registry serves under that name (or failed offline).
import { readFileSync } from "node:fs";
import { afterAll, afterEach, beforeAll, expect, it } from "vitest";
import { useRooms } from "../support/room.js";
import { ROOT, run, tempHome } from "../support/cli.js";

const rooms = useRooms(afterEach);
const version = (JSON.parse(readFileSync(`${ROOT}/package.json`, "utf8")) as { version: string }).version;
let h: ReturnType<typeof tempHome>;
beforeAll(() => void (h = tempHome()));
afterAll(() => h.cleanup());

it("through npx, join's Next: lines carry the pinned version; run directly, the bare command", async () => {
  const room = await rooms();
  const viaNpx = await run(["join", "--url", room.url, "--password", room.password, "--name", "npx-bot"], { home: h.home, env: { npm_command: "exec" } });
  expect(viaNpx.code).toBe(0);
  const next = viaNpx.stdout.slice(viaNpx.stdout.indexOf("Next:")).split("\n").filter((l) => l.startsWith("  "));
  expect(next.length).toBeGreaterThan(2);
  for (const l of next) expect(l.trimStart().startsWith(`npx -y agent-chat@${version} `)).toBe(true);

  const direct = await run(["join", "--url", room.url, "--password", room.password, "--name", "bin-bot"], { home: h.home });
  const lines = direct.stdout.slice(direct.stdout.indexOf("Next:")).split("\n").filter((l) => l.startsWith("  "));
  for (const l of lines) expect(l.trimStart().startsWith("agent-chat ")).toBe(true);
});
