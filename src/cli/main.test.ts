// How a failure leaves the CLI: a CliError with its own code, citty's parse errors as usage (1), and anything else —
// a bug — as exit 70 with one line (never 1, which agents read as "fix your command").
import { afterEach, describe, expect, it, vi } from "vitest";
import { CliError, Exit } from "../client/exit.js";
import { report } from "./main.js";

afterEach(() => void vi.restoreAllMocks());

describe("report", () => {
  it("maps each kind of failure to its exit code and one stderr line", () => {
    const lines: string[] = [];
    vi.spyOn(process.stderr, "write").mockImplementation((s) => (lines.push(String(s)), true));
    expect(report(new CliError(Exit.NOT_CAUGHT_UP, "not sent: 1 unread message", "NOT_CAUGHT_UP"), "send")).toBe(6);
    expect(report(Object.assign(new Error("Missing required positional argument: TITLE"), { name: "CLIError" }), "title")).toBe(1);
    expect(report(new TypeError("Cannot read properties of undefined (reading 'id')"), "wait")).toBe(70);
    expect(lines).toEqual([
      "agent-chat send: not sent: 1 unread message\n",
      "agent-chat title: Missing required positional argument: TITLE Run `agent-chat title --help`.\n",
      "agent-chat wait: unexpected error (a bug in agent-chat): Cannot read properties of undefined (reading 'id') (set AGENT_CHAT_DEBUG=1 for details)\n",
    ]);
  });
});
