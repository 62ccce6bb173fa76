// A send whose answer was lost. Behind a balancer (serve --redis, README "Running it for an organisation") the
// instance a POST reached may die after storing the message and before answering: the client sees the connection
// drop, or the balancer's 502. The message may or may not be in the room. So before failing, look: the message is
// among the room's newest from this name (after the read position) — then it was sent, once; it is not — then send it
// once more. Only when the room cannot be reached at all does the send fail as before. The page does the same with
// its outbox (public/composer.js): a send whose answer was lost is looked up before it is tried again.
import { foldName } from "../protocol/names.js";
import type { Message } from "../protocol/types.js";
import { CliError, Exit } from "./exit.js";
import { NoAnswerInTime } from "./http-errors.js";
import type { createClient } from "./http.js";

type Client = ReturnType<typeof createClient>;

/** How many of the room's newest messages are searched for the lost one (it is among the newest by far). */
const LOOK_BACK = 100;

const fold = (name: string | undefined) => (name === undefined ? undefined : foldName(name));

export async function postSurely(
  c: Client,
  sent: { name: string; after: number; text: string; replyTo?: number; to?: string },
  post: () => Promise<Message>,
): Promise<Message> {
  try {
    return await post();
  } catch (err) {
    // Only a failure that says nothing about the room (no room error code): refusals are answers, not lost ones.
    if (!(err instanceof CliError) || err.exitCode !== Exit.UNREACHABLE || (err.reason !== "UNREACHABLE" && err.reason !== "NOT_A_ROOM")) throw err;
    let newest: Message[];
    try {
      newest = (await c.messages(undefined, LOOK_BACK)).messages;
    } catch {
      throw err; // the room cannot be reached: the first failure says why
    }
    const stored = newest.find(
      (m) => m.id > sent.after && m.agent === sent.name && m.text === sent.text && m.replyTo === sent.replyTo && fold(m.to) === fold(sent.to),
    );
    if (stored) return stored;
    // No answer in time: the first request may still be running somewhere (a frozen instance): sending again could
    // post it twice later. Only a connection that ended (or a balancer's 5xx) proves that request is over.
    if (err instanceof NoAnswerInTime) throw err;
    return post();
  }
}
