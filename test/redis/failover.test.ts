// Failures behind a load balancer: three instances behind Debian's nginx running deploy/nginx.conf. One instance is
// SIGKILLed mid-stream: its SSE readers reconnect through nginx with Last-Event-ID to another instance and lose
// nothing. Redis restarts mid-run: posts answer 503 STORE_UNAVAILABLE meanwhile, streams stay open, and everyone
// catches up by themselves once it is back, with no accepted message lost and no id reused.
import { afterEach, beforeEach, expect, it, vi } from "vitest";
import { NGINX, REDIS_SERVER, describeRedis, postRetrying503, resumingStream, startInstance, startNginx, startRedis, tempDir, type Instance, type Msg, type TestRedis } from "./helpers.js";

const post = (url: string, password: string, agent: string, text: string) =>
  fetch(url + "/messages", { method: "POST", headers: { "x-room-password": password, "content-type": "application/json" }, body: JSON.stringify({ agent, text }) });

async function history(url: string, password: string): Promise<Msg[]> {
  const r = await fetch(url + "/messages", { headers: { "x-room-password": password } });
  expect(r.status).toBe(200);
  return ((await r.json()) as { messages: Msg[] }).messages;
}

describeRedis(
  "behind nginx",
  () => {
    let t: ReturnType<typeof tempDir>;
    let redis: TestRedis;
    let instances: Instance[] = [];
    beforeEach(async () => {
      t = tempDir();
      redis = await startRedis(t.dir, { persist: true });
      const first = await startInstance(redis.url, t.dir, ["--password", "pw"]);
      instances = [first, ...(await Promise.all([startInstance(redis.url, t.dir), startInstance(redis.url, t.dir)]))];
    });
    afterEach(async () => {
      await Promise.all(instances.map((i) => i.stop("SIGKILL")));
      await redis?.stop();
      t?.cleanup();
    });

    it("an instance killed with SIGKILL mid-stream: its readers reconnect through nginx to another and lose nothing", async () => {
      const lb = await startNginx(t.dir, instances.map((i) => i.port));
      try {
        // Six readers through nginx: round-robin spreads them over the three instances.
        const readers = Array.from({ length: 6 }, () => resumingStream(() => lb.url, "pw"));
        await vi.waitFor(() => expect(readers.every((r) => r.connects === 1)).toBe(true), 30_000);
        const victim = instances[0]!;
        let accepted = 0;
        let refused = 0;
        const writer = (async () => {
          for (let i = 0; i < 60; i++) {
            if (i === 20) await victim.stop("SIGKILL"); // mid-stream, between two posts
            const r = await post(lb.url, "pw", "p-writer", `w${i}`);
            if (r.status === 201) accepted++;
            else refused++;
          }
        })();
        await writer;
        // Every post went through: nginx skips the dead instance (the connection is refused before anything is sent).
        expect({ accepted, refused }).toEqual({ accepted: 60, refused: 0 });
        const survivor = instances[1]!;
        // nginx sent the last posts to either survivor; this one learns the other's from its subscription (in id
        // order, a gap fetched first), so read its copy once it has the last post, not at once.
        const log = await vi.waitFor(async () => {
          const got = await history(survivor.url, "pw");
          expect(got.some((m) => m.text === "w59")).toBe(true);
          return got;
        }, 30_000);
        expect(log.filter((m) => m.agent === "p-writer").map((m) => m.text)).toEqual(Array.from({ length: 60 }, (_, i) => `w${i}`));
        await vi.waitFor(() => expect(readers.every((r) => r.messages.length >= log.length)).toBe(true), 30_000);
        for (const r of readers) expect(r.messages).toEqual(log); // once each, in order, nothing missing
        // The killed instance's readers did reconnect (at least one reader was on it: 6 readers, 3 instances).
        expect(readers.some((r) => r.connects >= 2)).toBe(true);
        for (const r of readers) r.stop();
      } finally {
        await lb.stop();
      }
    });

    it("Redis restarted mid-run: 503 STORE_UNAVAILABLE meanwhile, streams stay open, then everyone catches up", async () => {
      const [a, b, c] = instances as [Instance, Instance, Instance];
      // One reader on each instance, straight (no balancer): the same connection must survive the outage.
      const readers = [a, b, c].map((i) => resumingStream(() => i.url, "pw"));
      await vi.waitFor(() => expect(readers.every((r) => r.connects === 1)).toBe(true), 30_000);
      for (let i = 0; i < 10; i++) expect((await post(a.url, "pw", "p-w", `before ${i}`)).status).toBe(201);
      await vi.waitFor(() => expect(readers.every((r) => r.messages.length >= 11)).toBe(true), 30_000);

      await redis.stop();
      const down = await post(b.url, "pw", "p-w", "during");
      expect(down.status).toBe(503);
      expect(((await down.json()) as { error: { code: string } }).error.code).toBe("STORE_UNAVAILABLE");
      expect(down.headers.get("retry-after")).toBe("2");
      // Reading what was already stored still works from each instance's copy.
      expect((await history(c.url, "pw")).length).toBe(11);

      await redis.restart();
      // Back by themselves: retry as a client would until a post is accepted.
      await vi.waitFor(async () => expect((await post(c.url, "pw", "p-w", "after 0")).status).toBe(201), { timeout: 30_000, interval: 200 });
      // Each instance reconnects on its own schedule (up to a second apart), so one that has not yet may still answer
      // 503 after c accepted: a client retries after Retry-After, and a 503 must mean "not stored" (the exact log
      // below would catch a duplicate).
      for (let i = 1; i < 10; i++) {
        const at = [a, b, c][i % 3]!.url;
        expect(await postRetrying503(() => post(at, "pw", "p-w", `after ${i}`))).toBe(201);
      }

      const log = await history(a.url, "pw");
      const texts = log.filter((m) => m.agent === "p-w").map((m) => m.text);
      // "after 0" may have been tried several times while Redis came back; only accepted ones are in the log.
      const expected = [...Array.from({ length: 10 }, (_, i) => `before ${i}`), ...Array.from({ length: 10 }, (_, i) => `after ${i}`)];
      expect(texts.filter((x) => x !== "after 0")).toEqual(expected.filter((x) => x !== "after 0"));
      expect(texts.filter((x) => x === "after 0").length).toBeGreaterThanOrEqual(1);
      expect(log.map((m) => m.id)).toEqual(Array.from({ length: log.length }, (_, k) => k + 1)); // no id reused or skipped
      await vi.waitFor(() => expect(readers.every((r) => r.messages.length >= log.length)).toBe(true), 30_000);
      for (const r of readers) expect(r.messages).toEqual(log);
      // The streams were never dropped: each reader connected once.
      expect(readers.map((r) => r.connects)).toEqual([1, 1, 1]);
      for (const r of readers) r.stop();
      for (const i of [b, c]) expect(await history(i.url, "pw")).toEqual(log);
      // With its append-only file Redis lost nothing: no instance found a room to put back (reseed.ts).
      for (const i of [a, b, c]) expect(i.stderr()).not.toMatch(/was gone from Redis/);
    });
  },
  [REDIS_SERVER, NGINX],
);
