// ngrok through its in-process SDK (no child process: it lives and dies with the host by construction).
// `@ngrok/ngrok` is an optional dependency with a native module, so it is imported only when asked for, through a
// variable specifier: TypeScript then does not require it to be installed, and tests can point at a missing module.

import { ROOM_STILL_UP, TunnelError } from "./errors.js";
import type { Tunnel, TunnelOptions } from "./index.js";

/** The part of @ngrok/ngrok 1.7 we use. */
interface NgrokListener {
  url(): string | null;
  close(): Promise<void>;
}
interface NgrokModule {
  forward(config: Record<string, unknown>): Promise<NgrokListener>;
}

const NGROK_MODULE = "@ngrok/ngrok";

export async function openNgrok(
  opts: TunnelOptions,
  moduleName: string = NGROK_MODULE,
  env: NodeJS.ProcessEnv = process.env,
): Promise<Tunnel> {
  const log = opts.log ?? (() => {});
  const tokenHint =
    "Get a token at https://dashboard.ngrok.com/get-started/your-authtoken and export it: " +
    "NGROK_AUTHTOKEN=... agent-chat serve --tunnel ngrok. Or use --tunnel cloudflared, which needs no account.";
  let ngrok: NgrokModule;
  try {
    const mod = (await import(moduleName)) as NgrokModule & { default?: NgrokModule };
    ngrok = typeof mod.forward === "function" ? mod : mod.default!;
  } catch (err) {
    const also = env.NGROK_AUTHTOKEN ? "" : " You will also need NGROK_AUTHTOKEN set (see https://dashboard.ngrok.com).";
    throw new TunnelError("NO_BINARY", `The ngrok SDK (${moduleName}) could not be loaded: ${(err as Error).message}`,
      `Install it next to agent-chat: npm install @ngrok/ngrok.${also} Or use --tunnel cloudflared. ${ROOM_STILL_UP}`);
  }
  if (!env.NGROK_AUTHTOKEN) {
    throw new TunnelError("NO_TOKEN", "NGROK_AUTHTOKEN is not set; ngrok refuses to open a tunnel without it.",
      `${tokenHint} ${ROOM_STILL_UP}`);
  }

  log(`ngrok: opening a tunnel to http://127.0.0.1:${opts.port}`);
  let listener: NgrokListener;
  try {
    // A "host:port" address rather than the bare port: the SDK turns a port into localhost:PORT, which may resolve
    // to ::1 while the room listens on IPv4 only.
    listener = await withTimeout(
      ngrok.forward({ addr: `127.0.0.1:${opts.port}`, authtoken_from_env: true }),
      opts.startTimeoutMs ?? 30_000,
    );
  } catch (err) {
    if (err instanceof TunnelError) throw err;
    const message = (err as Error).message ?? String(err);
    const hint = /authtoken|authentication|ERR_NGROK_1/i.test(message)
      ? `ngrok rejected NGROK_AUTHTOKEN: check the token. ${tokenHint}`
      : "Check the network connection (offline, ngrok fails at once with \"failed to connect session\") and try again, " +
        "or use --tunnel cloudflared.";
    throw new TunnelError("START_FAILED", `ngrok could not open a tunnel: ${message}`, `${hint} ${ROOM_STILL_UP}`);
  }
  const url = listener.url();
  if (!url) {
    await listener.close().catch(() => {});
    throw new TunnelError("START_FAILED", "ngrok opened a listener without a public URL.", `Try again. ${ROOM_STILL_UP}`);
  }
  let closed: Promise<void> | undefined;
  return {
    provider: "ngrok",
    url,
    close: () => (closed ??= listener.close().catch(() => {})),
  };
}

/** forward() with a deadline; a listener that shows up after the deadline is closed rather than leaked. */
function withTimeout(pending: Promise<NgrokListener>, ms: number): Promise<NgrokListener> {
  return new Promise<NgrokListener>((resolve, reject) => {
    let late = false;
    const timer = setTimeout(() => {
      late = true;
      reject(new TunnelError("TIMEOUT", `ngrok did not open a tunnel within ${Math.round(ms / 1000)} s.`,
        `The network may be slow or blocking ngrok; try again, or use --tunnel cloudflared. ${ROOM_STILL_UP}`));
    }, ms);
    pending.then(
      (listener) => {
        clearTimeout(timer);
        if (late) void listener.close().catch(() => {});
        else resolve(listener);
      },
      (err: unknown) => {
        clearTimeout(timer);
        reject(err);
      },
    );
  });
}
