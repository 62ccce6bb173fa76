// Which cloudflared `serve --tunnel` runs: one found on this machine (find-binary.ts: flag, AGENT_CHAT_CLOUDFLARED,
// PATH, the npm package's copy, our cached download), else a fresh download (download.ts) — but only when someone
// can see it happen or asked for it: a script or an agent without a terminal gets a clear error naming the flag,
// never an executable fetched from the internet behind its back.
import { cancelled, downloadCloudflared, type DownloadOptions } from "./download.js";
import { ROOM_STILL_UP, TunnelError } from "./errors.js";
import { lookupCloudflared, MANUAL_INSTALL, notFound } from "./find-binary.js";

export interface InstallOptions extends Omit<DownloadOptions, "log" | "signal"> {
  /** May a missing cloudflared be downloaded now (see downloadPolicy)? */
  allowed: boolean;
  /** Why not, when not allowed: said in the error. */
  refusal?: string;
}

/** AGENT_CHAT_INSTALL_CLOUDFLARED values. */
const YES = /^(1|true|yes|on)$/i;
const NO = /^(0|false|no|off)$/i;

/**
 * Whether serve may download cloudflared: --install-cloudflared / --no-install-cloudflared first, then
 * AGENT_CHAT_INSTALL_CLOUDFLARED=1|0, else only when stderr is a terminal (a person is there to see it).
 */
export function downloadPolicy(flag: boolean | undefined, env: NodeJS.ProcessEnv, terminal: boolean): { allowed: boolean; refusal?: string } {
  if (flag === true) return { allowed: true };
  if (flag === false) return { allowed: false, refusal: "downloading it is turned off (--no-install-cloudflared)" };
  const v = env.AGENT_CHAT_INSTALL_CLOUDFLARED?.trim() ?? "";
  if (YES.test(v)) return { allowed: true };
  if (NO.test(v)) return { allowed: false, refusal: `downloading it is turned off (AGENT_CHAT_INSTALL_CLOUDFLARED=${v})` };
  if (terminal) return { allowed: true };
  return { allowed: false, refusal: "it is not downloaded without a terminal to show it (this looks like a script or an agent)" };
}

export async function resolveCloudflared(
  flagPath: string | undefined,
  install: InstallOptions | undefined,
  log: (line: string) => void,
  signal?: AbortSignal,
  env: NodeJS.ProcessEnv = install?.env ?? process.env,
  cwd: string = process.cwd(),
): Promise<string> {
  const found = lookupCloudflared(flagPath, env, cwd, install?.dir);
  if (found) return found;
  if (!install) throw new TunnelError("NO_BINARY", `${notFound()}.`, `${MANUAL_INSTALL} ${ROOM_STILL_UP}`);
  if (!install.allowed) {
    throw new TunnelError("NO_BINARY", `${notFound(install.dir)}, and ${install.refusal ?? "downloading it is not allowed here"}.`,
      `To let agent-chat download it now (from GitHub's cloudflared releases into ${install.dir}, size and SHA-256 checked): ` +
        `run serve again with --install-cloudflared, or set AGENT_CHAT_INSTALL_CLOUDFLARED=1. Otherwise: ${MANUAL_INSTALL} ${ROOM_STILL_UP}`);
  }
  if (signal?.aborted) throw cancelled();
  log("cloudflared: not installed on this machine; fetching it once (later rooms reuse the copy)");
  return downloadCloudflared({ ...install, env, log, signal });
}
