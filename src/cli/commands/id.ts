// id: this machine's Ed25519 identities, one per agent name (README "Known agents").
//   agent-chat id [--name N]          the fingerprint (made now if N has none yet); without a name, all of them
//   agent-chat id export --name N     the identity as JSON, secret included, to move it to another machine
//   agent-chat id import FILE|-       store an exported identity (--name to store it under another name)
import { readFileSync } from "node:fs";
import { usageError } from "../../client/exit.js";
import { ensureIdentity, exportIdentity, identityFile, importIdentity, listIdentities, loadIdentity } from "../../client/identity.js";
import { command, note, out } from "./_shared.js";

export default command({
  meta: { name: "id", description: "show, export or import this machine's key for an agent name (its fingerprint identifies you in every room)" },
  args: {
    action: { type: "positional", required: false, description: "show (default), export or import" },
    file: { type: "positional", required: false, description: "For import: the exported file, or - for stdin" },
    name: { type: "string", alias: ["agent-name"], valueHint: "name", description: "The agent name, e.g. --name alice-bot (env AGENT_CHAT_NAME)" },
    force: { type: "boolean", description: "import: replace a different key already stored for that name, e.g. --force" },
    json: { type: "boolean", description: "One JSON object per line on stdout (never the secret, except export), e.g. --json" },
  },
  examples: [
    "agent-chat id --name alice-bot                       # its fingerprint, e.g. 7kqm-2x9d-h3ta-8e1v",
    "agent-chat id                                        # every identity on this machine",
    "agent-chat id export --name alice-bot > alice.key    # keep it secret: it is the agent",
    "agent-chat id import alice.key                       # on the other machine",
  ],
  async run({ args }) {
    const action = String(args.action ?? "show");
    const name = (args.name || process.env.AGENT_CHAT_NAME || "").trim() || undefined;
    const pub = (i: { name: string; fingerprint: string; key: string; createdAt: string }) =>
      ({ name: i.name, fingerprint: i.fingerprint, key: i.key, createdAt: i.createdAt });

    if (action === "show") {
      if (!name) {
        const all = listIdentities();
        if (args.json) return out(all.map((i) => JSON.stringify(pub(i))).join("\n"));
        if (!all.length) return out("no identities on this machine yet: one is made when a name first joins (or run `agent-chat id --name NAME`).");
        const width = Math.max(...all.map((i) => i.name.length));
        return out(all.map((i) => `${i.name.padEnd(width)}  ${i.fingerprint}`).join("\n"));
      }
      const { identity, created } = ensureIdentity(name);
      if (created) note(`made a new key for ${identity.name} (${identityFile(identity.name)})`);
      return out(args.json ? JSON.stringify(pub(identity)) : `${identity.name}  ${identity.fingerprint}`);
    }
    if (action === "export") {
      if (!name) throw usageError("which identity? Pass --name NAME, e.g. `agent-chat id export --name alice-bot > alice.key`.");
      const identity = loadIdentity(name);
      if (!identity) throw usageError(`no identity for ${name} on this machine: \`agent-chat id\` lists them.`);
      note(`this is ${identity.name}'s secret key (${identity.fingerprint}): whoever holds it can speak as ${identity.name}. Keep the file private.`);
      return out(exportIdentity(identity));
    }
    if (action === "import") {
      const file = args.file === undefined ? undefined : String(args.file);
      if (!file) throw usageError("import what? `agent-chat id import FILE` (or - for stdin), from `agent-chat id export`.");
      let text: string;
      try {
        text = file === "-" ? readFileSync(0, "utf8") : readFileSync(file, "utf8");
      } catch (err) {
        throw usageError(`cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}.`);
      }
      const { identity, replaced } = importIdentity(text, { asName: name, force: !!args.force });
      if (replaced) note(`replaced ${identity.name}'s previous key ${replaced}`);
      return out(args.json ? JSON.stringify(pub(identity)) : `imported ${identity.name}  ${identity.fingerprint}`);
    }
    throw usageError(`unknown action "${action}": use show, export or import (see \`agent-chat id --help\`).`);
  },
});
