// Where cloudflared is looked for: --cloudflared, AGENT_CHAT_CLOUDFLARED, PATH, node_modules/cloudflared/bin.
import { chmodSync, mkdirSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { openTunnel, TunnelError } from "../../src/tunnel/index.js";
import { findCloudflared } from "../../src/tunnel/find-binary.js";
import { FAKE_CF, tempDir } from "./helpers.js";

let tmp: ReturnType<typeof tempDir>;
beforeEach(() => (tmp = tempDir()));
afterEach(() => tmp.cleanup());

function noBinary(fn: () => unknown): TunnelError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(TunnelError);
    expect((err as TunnelError).code).toBe("NO_BINARY");
    return err as TunnelError;
  }
  throw new Error("expected NO_BINARY");
}

describe("finding cloudflared", () => {
  it("takes the flag first, then AGENT_CHAT_CLOUDFLARED, then PATH, then the npm package's copy", () => {
    const onPath = join(tmp.dir, "bin");
    mkdirSync(onPath);
    symlinkSync(FAKE_CF, join(onPath, "cloudflared"));
    const project = join(tmp.dir, "project", "sub");
    const pkgBin = join(tmp.dir, "project", "node_modules", "cloudflared", "bin");
    mkdirSync(project, { recursive: true });
    mkdirSync(pkgBin, { recursive: true });
    writeFileSync(join(pkgBin, "cloudflared"), "#!/bin/sh\n");
    chmodSync(join(pkgBin, "cloudflared"), 0o755);

    const env = { AGENT_CHAT_CLOUDFLARED: FAKE_CF, PATH: onPath };
    expect(findCloudflared(FAKE_CF, { PATH: onPath }, project)).toBe(FAKE_CF);
    expect(findCloudflared(undefined, env, project)).toBe(FAKE_CF);
    expect(findCloudflared(undefined, { PATH: `/nonexistent:${onPath}` }, project)).toBe(join(onPath, "cloudflared"));
    expect(findCloudflared(undefined, { PATH: "/nonexistent" }, project)).toBe(join(pkgBin, "cloudflared"));
  });

  it("a flag or variable naming a missing or non-executable file is an error, not a silent fallback", () => {
    const plain = join(tmp.dir, "not-executable");
    writeFileSync(plain, "");
    const flag = noBinary(() => findCloudflared(join(tmp.dir, "nope"), { PATH: "" }, tmp.dir));
    expect(flag.message).toContain(`--cloudflared points to ${join(tmp.dir, "nope")}, which is not an executable file`);
    const env = noBinary(() => findCloudflared(undefined, { AGENT_CHAT_CLOUDFLARED: plain, PATH: "" }, tmp.dir));
    expect(env.message).toContain(`AGENT_CHAT_CLOUDFLARED points to ${plain}`);
  });

  it("nothing anywhere: NO_BINARY saying how to get the binary", () => {
    const err = noBinary(() => findCloudflared(undefined, { PATH: "" }, tmp.dir));
    expect(err.message).toContain("cloudflared was not found");
    expect(err.hint).toContain("https://developers.cloudflare.com/cloudflare-one/connections/connect-networks/downloads/");
    expect(err.hint).toContain("npx cloudflared bin install");
    expect(err.hint).toContain("--cloudflared PATH");
    expect(err.hint).toContain("AGENT_CHAT_CLOUDFLARED");
    expect(err.hint).toContain("The room keeps running locally");
  });

  it("openTunnel rejects (never throws synchronously) with NO_BINARY", async () => {
    const pending = openTunnel({ provider: "cloudflared", port: 8765, cloudflaredPath: join(tmp.dir, "nope") });
    await expect(pending).rejects.toMatchObject({ name: "TunnelError", code: "NO_BINARY" });
  });
});
