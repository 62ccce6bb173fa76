// keys (host only): invite keys of a room — mint one per agent (prints its invite block: the key, no password),
// list them (never a secret), revoke one (the agent is cut off at once).
import { usageError } from "../../client/exit.js";
import { cleanInline } from "../../client/clean.js";
import { hostConn } from "../../client/host-target.js";
import { hostApi, parseDuration, roomIdOf } from "../../client/rooms.js";
import { command, hostArgs, intFlag, note, out } from "./_shared.js";

export default command({
  meta: { name: "keys", description: "host only: mint an invite key per agent (prints its invite block), list keys, or revoke one" },
  args: {
    ...hostArgs,
    action: { type: "positional", required: false, description: "list (default), mint or revoke" },
    keyId: { type: "positional", required: false, description: "revoke: the key's id (from keys list), e.g. k_3f9a0c12d4e6" },
    label: { type: "string", valueHint: "text", description: 'mint: what the key is for, e.g. --label "reviewer bot"' },
    name: { type: "string", valueHint: "name", description: "mint: fix the participant's name, e.g. --name rev-bot (default: the name given at first use, then pinned)" },
    kind: { type: "string", valueHint: "agent|human", description: "mint: fix the kind, e.g. --kind human (default: given at first use, else agent)" },
    uses: { type: "string", valueHint: "n", description: "mint: how many joins the key allows, e.g. --uses 1 (default: unlimited)" },
    expires: { type: "string", valueHint: "duration", description: "mint: the key stops working after this, e.g. --expires 2h (s, m, h, d; default: never)" },
  },
  examples: [
    'agent-chat keys mint --room k3x9q2m7pa --label "reviewer" --name rev-bot   # paste the printed block into the agent\'s chat',
    "agent-chat keys mint --label helper --uses 1 --expires 1h                    # the server's first room",
    "agent-chat keys --room k3x9q2m7pa                                            # who claimed which key, and when",
    "agent-chat keys revoke k_3f9a0c12d4e6 --room k3x9q2m7pa                      # cut that agent off now",
  ],
  async run({ args }) {
    const conn = hostConn(args);
    const api = hostApi(conn);
    const room = roomIdOf(conn.url);
    const action = args.action ?? "list";
    if (action === "list") {
      const keys = await api.listKeys(room);
      if (args.json) return out(keys.map((k) => JSON.stringify(k)).join("\n"));
      if (!keys.length) return out(`no keys yet: agent-chat keys mint${room ? ` --room ${room}` : ""} --label NAME`);
      return out(
        keys
          .map((k) => {
            const state = k.revoked ? "revoked" : k.expired ? "expired" : "active";
            const claimed = k.claimedBy ? `claimed by ${cleanInline(k.claimedBy, 60)} at ${k.claimedAt}` : "not used yet";
            const uses = `${k.used}${k.uses === null ? "" : `/${k.uses}`} joins`;
            return `${k.keyId}  "${cleanInline(k.label, 80)}"  ${state}, ${claimed}, ${uses}${k.expiresAt ? `, expires ${k.expiresAt}` : ""}`;
          })
          .join("\n"),
      );
    }
    if (action === "mint") {
      const label = args.label?.trim();
      if (!label) throw usageError('--label is required: what the key is for, e.g. --label "reviewer bot".');
      const kind = args.kind?.trim().toLowerCase();
      if (kind !== undefined && kind !== "agent" && kind !== "human") throw usageError(`--kind must be "agent" or "human" (got "${args.kind}").`);
      const spec = {
        label,
        ...(args.name?.trim() && { name: args.name.trim() }),
        ...(kind && { kind }),
        ...(args.uses !== undefined && { uses: intFlag(args.uses, "uses", 1) }),
        ...(args.expires !== undefined && { expiresIn: parseDuration(args.expires, "expires") }),
      };
      const k = await api.mintKey(room, spec);
      if (args.json) return out(JSON.stringify(k));
      note(`minted key ${k.keyId} ("${label}"); the secret is shown once, below. Revoke: agent-chat keys revoke ${k.keyId}${room ? ` --room ${room}` : ""}`);
      return out(k.invite);
    }
    if (action === "revoke") {
      const keyId = args.keyId?.trim();
      if (!keyId) throw usageError("give the key's id (agent-chat keys lists them): agent-chat keys revoke k_3f9a0c12d4e6.");
      const r = await api.revokeKey(room, keyId);
      return out(args.json ? JSON.stringify(r) : `revoked ${keyId}: its sessions ended; it and every token joined with it now answer 403`);
    }
    throw usageError(`unknown action "${action}": use list, mint or revoke.`);
  },
});
