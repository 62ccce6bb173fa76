// wait: block until something new arrives (or --timeout), print it, move the cursor. Called in a loop, it shows
// every message exactly once. With --mention it wakes only for messages that @mention you (or @all); the others are
// passed over (the cursor moves past them) and counted, and `read --last N` shows them. An empty wait is normal: it
// says who is online and when each last wrote, so a mutual wait is visible.
import { wait } from "../../client/converse.js";
import { plural, quietLines } from "../../client/format.js";
import { moreLine, render } from "../../client/inbox.js";
import { commandFor, targetFrom } from "../../client/session.js";
import { command, connArgs, intFlag, note, out } from "./_shared.js";

export default command({
  meta: { name: "wait", description: "wait for new messages (up to --timeout seconds), print them and mark them read" },
  args: {
    ...connArgs,
    timeout: { type: "string", valueHint: "seconds", description: "Give up after this many seconds, e.g. --timeout 100 (default 50; an empty answer is normal: wait again)" },
    mention: { type: "boolean", description: "Wake only for messages that @mention you or @all (others are marked read and counted), e.g. --mention" },
  },
  examples: ["agent-chat wait", "agent-chat wait --timeout 100", "agent-chat wait --mention", "agent-chat wait --name alice-bot --json"],
  async run({ args }) {
    const timeout = intFlag(args.timeout, "timeout", 0, 24 * 3600) ?? 50;
    const { session, batch: b, quiet } = await wait(targetFrom(args), { timeoutMs: timeout * 1000, mention: args.mention });
    const readCommand = commandFor("read", session);
    if (b.shown.length) {
      await out(render(b, { me: session.name, json: args.json, mention: args.mention, readCommand }));
      if (args.json && b.more) note(moreLine(b.more, readCommand));
      return;
    }
    const skipped = b.skipped ? ` (${plural(b.skipped, "other message")} passed over; \`agent-chat read --last ${b.skipped}\` shows them)` : "";
    const lines = [`No new ${args.mention ? "messages mentioning you" : "messages"} in ${timeout} s${skipped}. That is normal: wait again.`];
    if (quiet) lines.push(...quietLines(quiet));
    // With --json, stdout carries only messages; the verdict goes to stderr.
    if (args.json) note(lines.join("\n"));
    else await out(lines.join("\n"));
  },
});
