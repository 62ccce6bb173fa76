// The watchdog: a tiny node process between the host and cloudflared, so cloudflared cannot outlive the host, even
// when the host is SIGKILLed and runs no exit handler. The host holds the watchdog's stdin pipe; the kernel closes it
// whenever the host dies, however it dies; on EOF the watchdog stops cloudflared (SIGINT to its process group, then
// SIGKILL after a grace period) and exits. The host stops a tunnel the same way: by ending that pipe.
//
// cloudflared runs `detached` (its own process group) so a Ctrl-C at the terminal does not hit it behind our back
// while the host is still deciding how to shut down, and so a wrapper script's children go down with it.
// The watchdog stays in the host's group but ignores SIGINT and SIGHUP: those are the host's to handle, and the host
// either closes the pipe or dies (which closes it too). Stopping on them would race the host's own shutdown and look
// like a crashed tunnel. A SIGTERM aimed at the watchdog itself stops cloudflared, and says so, so it is not restarted.
//
// It is shipped as source text run with `node -e` rather than as a file: vitest runs src/ as TypeScript, which node
// 20 cannot execute, while the build runs dist/ — one string works in both, with nothing to copy or locate.
// Protocol: argv[1] is JSON {cmd, args, graceMs}; cloudflared's stdout and stderr both go to the watchdog's stderr
// (fd 2, handed down as is); the watchdog's stdout carries one JSON object per line: {pid}, then {exit, signal} or
// {error}, preceded by {stopping: "SIGTERM"} when that is why it stopped.

export const WATCHDOG_SOURCE = String.raw`"use strict";
const { spawn } = require("node:child_process");
const { cmd, args, graceMs } = JSON.parse(process.argv[1]);
let exited = false;
let stopping = false;
const say = (msg, then) => process.stdout.write(JSON.stringify(msg) + "\n", then);
// spawn() reports a missing or non-executable file through "error", not by throwing.
const child = spawn(cmd, args, { detached: true, stdio: ["ignore", 2, 2], windowsHide: true });
const signalGroup = (sig) => {
  if (!child.pid) return;
  try { process.kill(-child.pid, sig); } catch { try { child.kill(sig); } catch {} }
};
const stop = () => {
  if (stopping || exited) return;
  stopping = true;
  signalGroup("SIGINT");
  setTimeout(() => signalGroup("SIGKILL"), graceMs);
};
child.on("error", (err) => { exited = true; say({ error: err.message }, () => process.exit(1)); });
child.on("spawn", () => say({ pid: child.pid }));
child.on("exit", (code, signal) => {
  exited = true;
  signalGroup("SIGKILL"); // whatever the child left behind in its group (a wrapper script's real binary)
  say({ exit: code, signal }, () => process.exit(0));
});
process.stdin.on("end", stop).on("close", stop).on("error", stop).resume();
process.on("SIGINT", () => {}).on("SIGHUP", () => {});
process.on("SIGTERM", () => { if (!stopping && !exited) say({ stopping: "SIGTERM" }); stop(); });
`;
