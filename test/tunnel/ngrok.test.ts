// ngrok: the SDK is loaded only when asked for; without it or without NGROK_AUTHTOKEN, errors say what to do.
// The SDK itself is replaced by a stand-in module (fixtures/tunnel/fake-ngrok.mjs): no network, no native module.
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { TunnelError } from "../../src/tunnel/index.js";
import { openNgrok } from "../../src/tunnel/ngrok.js";
import { FIXTURES, withEnv } from "./helpers.js";

const FAKE = pathToFileURL(join(FIXTURES, "fake-ngrok.mjs")).href;
const opts = { provider: "ngrok" as const, port: 8765 };
let restore = () => {};
afterEach(() => restore());

async function failure(p: Promise<unknown>): Promise<TunnelError> {
  const err = await p.then(() => undefined, (e: unknown) => e);
  expect(err).toBeInstanceOf(TunnelError);
  return err as TunnelError;
}

describe("ngrok tunnel", () => {
  it("without the SDK installed: NO_BINARY, telling to npm install @ngrok/ngrok (and about the token)", async () => {
    const err = await failure(openNgrok(opts, "agent-chat-test-no-such-module", {}));
    expect(err.code).toBe("NO_BINARY");
    expect(err.message).toContain("could not be loaded");
    expect(err.hint).toContain("npm install @ngrok/ngrok");
    expect(err.hint).toContain("NGROK_AUTHTOKEN");
    expect(err.hint).toContain("--tunnel cloudflared");
  });

  it("without NGROK_AUTHTOKEN: NO_TOKEN naming the variable, and forward() is never called", async () => {
    const { calls } = (await import(FAKE)) as { calls: unknown[] };
    calls.length = 0;
    const err = await failure(openNgrok(opts, FAKE, {}));
    expect(err.code).toBe("NO_TOKEN");
    expect(err.message).toContain("NGROK_AUTHTOKEN is not set");
    expect(err.hint).toContain("NGROK_AUTHTOKEN=");
    expect(err.hint).toContain("The room keeps running locally");
    expect(calls).toEqual([]);
  });

  it("with a token: forwards to 127.0.0.1:PORT with the token from the environment, and closes once", async () => {
    const { calls } = (await import(FAKE)) as { calls: unknown[] };
    calls.length = 0;
    const tunnel = await openNgrok(opts, FAKE, { NGROK_AUTHTOKEN: "test-token" });
    expect(tunnel).toMatchObject({ provider: "ngrok", url: "https://0123-abcd.ngrok-free.app" });
    expect(calls).toEqual([{ addr: "127.0.0.1:8765", authtoken_from_env: true }]);
    await Promise.all([tunnel.close(), tunnel.close()]);
    expect(calls.filter((c) => c === "closed")).toHaveLength(1);
  });

  it("offline: START_FAILED with the SDK's reason and a network hint", async () => {
    restore = withEnv({ FAKE_NGROK_FAIL: "failed to connect session" });
    const err = await failure(openNgrok(opts, FAKE, { NGROK_AUTHTOKEN: "test-token" }));
    expect(err.code).toBe("START_FAILED");
    expect(err.message).toContain("ngrok could not open a tunnel: failed to connect session");
    expect(err.hint).toContain("Check the network connection");
  });
});
