// One room's pause and its loop guard (serve --loop-guard; README "Who is human"): the host pauses and resumes agents; `loopGuard`
// agent messages in a row with no vouched human's in between pause them too ("loop"), and a vouched human's message
// lifts that. The room asks `state` before taking an agent's post and reports each stored post here.
// serve --redis: every change is shared with the other instances (MessageLog.sharePause); the loop guard is decided
// by the append script in the same step as the append (settle, shared.ts: `here`, `storedLoop`), and the others'
// changes arrive through `elsewhere`.
import type { MessageLog } from "./log.js";

type PauseState = null | "host" | "loop";

const loopPausedText = (n: number) => `Agents paused: ${n} agent messages in a row with no human message. A human message (or the host's Resume) lets them go on.`;

export function createPause(o: { loopGuard: number; log?: MessageLog; system: (text: string) => unknown }) {
  let paused: PauseState = null;
  let agentRun = 0; // consecutive agent messages since the last human one
  /** Pausing is shared with the other instances (serve --redis). */
  const setPaused = (next: PauseState, stored?: boolean) => ((paused = next), o.log?.sharePause?.(next, stored));
  const lifted = (name: string) => o.system(`${name} wrote, so agents may talk again.`);

  return {
    get state(): PauseState {
      return paused;
    },
    /** serve --redis: the host (or the loop guard) paused or resumed agents through another instance. */
    elsewhere(next: PauseState) {
      paused = next;
      if (!next) agentRun = 0;
    },
    /** serve --redis: the store refused a post as paused: this instance follows the stored state. */
    here(state: "host" | "loop") {
      paused = state;
    },
    hostPause() {
      if (paused === "host") return;
      setPaused("host");
      o.system("The host paused agents.");
    },
    hostResume() {
      if (!paused) return;
      setPaused(null);
      agentRun = 0;
      o.system("The host resumed agents.");
    },
    /** In memory: a post by `name` was stored; `human`: a human the host vouched for. */
    posted(name: string, human: boolean) {
      if (human) {
        agentRun = 0;
        if (paused === "loop") {
          setPaused(null);
          lifted(name);
        }
      } else if (o.loopGuard > 0 && ++agentRun >= o.loopGuard && !paused) {
        setPaused("loop");
        o.system(loopPausedText(agentRun));
        // (A "human" here is one the host vouched for: the host's own page, a human link or key. Joining as
        // "human" with the password is a claim, and claims count as agents.)
      }
    },
    /** serve --redis: the append script paused agents with `name`'s post, or lifted the loop guard for it. */
    storedLoop(what: "paused" | "lifted", name: string) {
      agentRun = 0;
      setPaused(what === "paused" ? "loop" : null, true); // (the store set it already)
      if (what === "paused") o.system(loopPausedText(o.loopGuard));
      else lifted(name);
    },
  };
}
