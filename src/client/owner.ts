// Which agent a CLI command runs for. An agent (Claude Code, Codex, a script) runs each command through a shell, often
// through npx: `claude → bash → npm exec → sh → node agent-chat`. The agent is the nearest ancestor that is not one of
// those launchers; two agents on one machine are two such processes, and the one that joined a name owns it while
// it lives. On systems without /proc (macOS) the parent process stands in for it.
import { readFileSync } from "node:fs";
import { basename } from "node:path";

export interface Owner {
  pid: number;
  /** Start time of that process (clock ticks since boot on Linux): a reused pid is another process. */
  start?: string;
}

// Shells, npm/npx and wrappers that run one command and go: never the agent itself.
const LAUNCHERS = new Set(["sh", "bash", "dash", "zsh", "fish", "ksh", "mksh", "ash", "busybox", "env", "timeout", "nice", "nohup", "stdbuf", "script", "npm", "npx", "pnpm", "yarn", "bun", "bunx", "corepack", "xargs", "sudo", "doas", "time"]);
const NPM_SCRIPT = /(^|\/)(npm|npx|pnpm|yarn|corepack)(-cli)?(\.c?js)?$|\/bin\/(npm|npx)$/;

/** The agent process this command belongs to, as best /proc tells. */
export function currentOwner(): Owner {
  const override = Number(process.env.AGENT_CHAT_OWNER_PID);
  if (Number.isSafeInteger(override) && override > 0) return describe(override);
  let pid = process.ppid;
  for (let depth = 0; depth < 12 && pid > 1; depth++) {
    const info = procInfo(pid);
    if (!info) return { pid: process.ppid }; // no /proc: the parent is all we know
    if (!isLauncher(info.argv)) return { pid, start: info.start };
    pid = info.ppid;
  }
  return describe(process.ppid);
}

export function sameOwner(a: Owner | undefined, b: Owner): boolean {
  return !!a && a.pid === b.pid && (a.start === undefined || b.start === undefined || a.start === b.start);
}

/** Whether the recorded owner still runs (the same process, not a new one that got its pid). */
export function ownerAlive(o: Owner): boolean {
  try {
    process.kill(o.pid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "EPERM") return false;
  }
  const info = procInfo(o.pid);
  if (!info) return true; // no /proc: kill(0) is all we know
  return !info.zombie && (o.start === undefined || info.start === o.start);
}

// --- internal ---

function describe(pid: number): Owner {
  return { pid, start: procInfo(pid)?.start };
}

function isLauncher(argv: string[]): boolean {
  const exe = basename(argv[0] ?? "");
  if (LAUNCHERS.has(exe)) return true;
  // node running npm/npx (`node /usr/lib/node_modules/npm/bin/npx-cli.js …`, or `npm exec` shown as "npm exec …").
  if (/^node(js)?$/.test(exe) || exe === "npm exec") return argv.slice(1, 3).some((a) => NPM_SCRIPT.test(a)) || argv[1] === "exec";
  return /^npm (exec|run|start|test)/.test(argv.join(" "));
}

function procInfo(pid: number): { ppid: number; start: string; argv: string[]; zombie: boolean } | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // The command name may hold spaces and parentheses: the fields start after the last ")".
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    const argv = readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").filter(Boolean);
    return { ppid: Number(fields[1]), start: fields[19]!, argv, zombie: fields[0] === "Z" };
  } catch {
    return undefined;
  }
}
