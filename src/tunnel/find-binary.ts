// Where the cloudflared executable comes from, in the order the product promises: the --cloudflared flag, then
// AGENT_CHAT_CLOUDFLARED, then PATH, then the copy the `cloudflared` npm package keeps in node_modules/cloudflared/bin,
// then the copy we downloaded earlier into the state directory's bin/ (download.ts). We only look for the npm
// package's copy; we never depend on the package (its postinstall download is blocked by npm 11 and its URL regex is
// wrong: the README's "Left out" list). Downloading, when nothing is found, is install.ts's decision.

import { accessSync, constants, statSync } from "node:fs";
import { delimiter, dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { ROOM_STILL_UP, TunnelError } from "./errors.js";

const EXE = process.platform === "win32" ? "cloudflared.exe" : "cloudflared";

/** The file name of the cached download inside the cache directory. */
export const CACHED_EXE = EXE;

/** How to get cloudflared by hand; every "not found" and "could not download" error ends with it. */
export const MANUAL_INSTALL =
  "Install cloudflared from https://developers.cloudflare.com/cloudflare-one/connections/connect-networks/downloads/ " +
  "(e.g. `brew install cloudflared`, or the .deb/.rpm/.exe there), or let the npm package fetch it (needs network " +
  "access): `npm install cloudflared && npx cloudflared bin install`. A binary elsewhere: pass --cloudflared PATH or " +
  "set AGENT_CHAT_CLOUDFLARED.";

const INSTALL_HINT = `${MANUAL_INSTALL} ${ROOM_STILL_UP}`;

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

/**
 * Our own earlier download. Only trusted when it is ours and nobody else can have changed it (owner-only, as it was
 * written): another user able to replace it could run code as us the next time a room opens a tunnel.
 */
function cachedCopy(dir: string): string | undefined {
  const file = join(dir, EXE);
  if (!isExecutable(file)) return undefined;
  if (process.platform === "win32") return file;
  const st = statSync(file);
  return st.uid === process.getuid?.() && (st.mode & 0o022) === 0 ? file : undefined;
}

/** node_modules/cloudflared/bin/cloudflared in `start` or any folder above it. */
function packageCopy(start: string): string | undefined {
  for (let dir = resolve(start); ; dir = dirname(dir)) {
    const candidate = join(dir, "node_modules", "cloudflared", "bin", EXE);
    if (isExecutable(candidate)) return candidate;
    if (dirname(dir) === dir) return undefined;
  }
}

/**
 * The cloudflared to run, or undefined when there is none anywhere (then install.ts may download one into
 * `cacheDir`). A flag or variable naming a file that is not executable throws NO_BINARY: never a silent fallback.
 */
export function lookupCloudflared(
  flagPath: string | undefined,
  env: NodeJS.ProcessEnv = process.env,
  cwd: string = process.cwd(),
  cacheDir?: string,
): string | undefined {
  if (flagPath) return explicit(flagPath, "--cloudflared");
  if (env.AGENT_CHAT_CLOUDFLARED) return explicit(env.AGENT_CHAT_CLOUDFLARED, "AGENT_CHAT_CLOUDFLARED");
  for (const dir of (env.PATH ?? "").split(delimiter)) {
    if (dir && isExecutable(join(dir, EXE))) return join(dir, EXE);
  }
  // Both the user's project (npx from a folder that installed `cloudflared`) and our own install location.
  return packageCopy(cwd) ?? packageCopy(dirname(fileURLToPath(import.meta.url))) ?? (cacheDir ? cachedCopy(cacheDir) : undefined);
}

/** "cloudflared was not found (looked at …)", naming the cache directory too when there is one. */
export const notFound = (cacheDir?: string) =>
  `cloudflared was not found (looked at --cloudflared, AGENT_CHAT_CLOUDFLARED, PATH${cacheDir ? ", node_modules/cloudflared/bin and " + cacheDir : " and node_modules/cloudflared/bin"})`;

export function findCloudflared(
  flagPath: string | undefined,
  env: NodeJS.ProcessEnv = process.env,
  cwd: string = process.cwd(),
  cacheDir?: string,
): string {
  const found = lookupCloudflared(flagPath, env, cwd, cacheDir);
  if (found) return found;
  throw new TunnelError("NO_BINARY", `${notFound(cacheDir)}.`, INSTALL_HINT);
}
