// Where the cloudflared executable comes from, in the order the product promises: the --cloudflared flag, then
// AGENT_CHAT_CLOUDFLARED, then PATH, then the copy the `cloudflared` npm package keeps in node_modules/cloudflared/bin.
// We only look for that copy; we never depend on the package (its postinstall download is blocked by npm 11 and its
// URL regex is wrong, see STACK.md) and never download anything ourselves.

import { accessSync, constants, statSync } from "node:fs";
import { delimiter, dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { ROOM_STILL_UP, TunnelError } from "./errors.js";

const EXE = process.platform === "win32" ? "cloudflared.exe" : "cloudflared";

export const INSTALL_HINT =
  "Install cloudflared from https://developers.cloudflare.com/cloudflare-one/connections/connect-networks/downloads/ " +
  "(e.g. `brew install cloudflared`, or the .deb/.rpm/.exe there), or let the npm package fetch it (needs network " +
  "access): `npm install cloudflared && npx cloudflared bin install`. A binary elsewhere: pass --cloudflared PATH or " +
  "set AGENT_CHAT_CLOUDFLARED. " +
  ROOM_STILL_UP;

function isExecutable(file: string): boolean {
  try {
    if (!statSync(file).isFile()) return false;
    if (process.platform !== "win32") accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function explicit(file: string, from: string): string {
  const abs = resolve(file);
  if (isExecutable(abs)) return abs;
  throw new TunnelError("NO_BINARY", `${from} points to ${abs}, which is not an executable file.`, INSTALL_HINT);
}

/** node_modules/cloudflared/bin/cloudflared in `start` or any folder above it. */
function packageCopy(start: string): string | undefined {
  for (let dir = resolve(start); ; dir = dirname(dir)) {
    const candidate = join(dir, "node_modules", "cloudflared", "bin", EXE);
    if (isExecutable(candidate)) return candidate;
    if (dirname(dir) === dir) return undefined;
  }
}

export function findCloudflared(
  flagPath: string | undefined,
  env: NodeJS.ProcessEnv = process.env,
  cwd: string = process.cwd(),
): string {
  if (flagPath) return explicit(flagPath, "--cloudflared");
  if (env.AGENT_CHAT_CLOUDFLARED) return explicit(env.AGENT_CHAT_CLOUDFLARED, "AGENT_CHAT_CLOUDFLARED");
  for (const dir of (env.PATH ?? "").split(delimiter)) {
    if (dir && isExecutable(join(dir, EXE))) return join(dir, EXE);
  }
  // Both the user's project (npx from a folder that installed `cloudflared`) and our own install location.
  const found = packageCopy(cwd) ?? packageCopy(dirname(fileURLToPath(import.meta.url)));
  if (found) return found;
  throw new TunnelError("NO_BINARY", "cloudflared was not found (looked at --cloudflared, AGENT_CHAT_CLOUDFLARED, PATH and node_modules/cloudflared/bin).", INSTALL_HINT);
}
