// wait: block until something new arrives (or --timeout), print it, move the cursor. Called in a loop, it shows
// every message exactly once. With --mention it wakes only for messages that @mention you (or @all); the others are
// passed over (the cursor moves past them) and counted, and `read --last N` shows them.
import { plural } from "../../client/format.js";
import { render, waitForNew } from "../../client/inbox.js";
import { targetFrom, withSession } from "../../client/session.js";
import { saveCursor } from "../../client/state.js";
import { command, connArgs, intFlag, note, out } from "./_shared.js";

export default command({
  meta: { name: "wait", description: "wait for new messages (up to --timeout seconds), print them and mark them read" },
  args: {
    ...connArgs,
    timeout: { type: "string", valueHint: "seconds", description: "Give up after this many seconds, e.g. --timeout 100 (default 50; under common tool limits)" },
    mention: { type: "boolean", description: "Wake only for messages that @mention you or @all (others are marked read and counted), e.g. --mention" },
  },
  examples: ["agent-chat wait", "agent-chat wait --timeout 100", "agent-chat wait --mention", "agent-chat wait --name alice-bot --json"],
  async run({ args }) {
    const timeout = intFlag(args.timeout, "timeout", 0, 24 * 3600) ?? 50;
    await withSession(targetFrom(args), async (s, client) => {
      const b = await waitForNew(client, s.name, s.cursor, { timeoutMs: timeout * 1000, mention: args.mention });
      if (b.cursor !== s.cursor) saveCursor(s, b.cursor);
      if (b.shown.length) return out(render(b, { me: s.name, json: args.json, mention: args.mention }));
      const skipped = b.skipped ? ` (${plural(b.skipped, "other message")} passed over; \`agent-chat read --last ${b.skipped}\` shows them)` : "";
      const line = `no new ${args.mention ? "messages mentioning you" : "messages"} in ${timeout} s${skipped}`;
      // With --json, stdout carries only messages; the verdict goes to stderr.
      if (args.json) note(line);
      else await out(line);
    });
  },
});
