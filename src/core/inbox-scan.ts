/**
 * Which of the bot's direct conversations an `inbox` run reads, where reading one costs a
 * request and the platform offers no bulk "what changed" signal (Discord's DMs over REST).
 *
 * - A conversation in use is read every run: the bot answered a member's message there
 *   within the last RECENT_DAYS (a member who writes once often writes again: `forget me`
 *   then `confirm`), or delivered there (an intro, a feedback ask) within the last FRESH_MS,
 *   when a member who answers the intro with `skip` or `pause` usually does.
 * - The others — with weekly rounds that is every member's DM, so reading them all every
 *   run would cost a request per member every few minutes — are read in rotation, those checked longest ago (or never) first,
 *   so many per run that each is read at least once per ROTATION_MS whatever the cron
 *   cadence: a run `elapsed` after the previous one reads that share of them (all when an
 *   hour or more has passed). At the 5-minute cadence that is a twelfth of them a run.
 *
 * A message in a dormant conversation is therefore answered within about an hour; one in a
 * recent conversation, or a mention of the bot in the program channel, at the next run.
 */

/** How long after the bot last answered there a direct conversation is read every run. */
const RECENT_DAYS = 14;
/** How long after the bot last delivered there (intro, ask) a direct conversation is read every run. */
const FRESH_MS = 2 * 3600_000;
/** How often, at least, a dormant direct conversation is read. */
const ROTATION_MS = 3600_000;

export interface DirectConversation {
  id: string;
  /** When the bot last delivered there (anything), ISO. */
  deliveredAt: string;
  /** When the bot last answered a member's message there, ISO; undefined if never. */
  repliedAt?: string | undefined;
  /** When an inbox run last read it, ISO; undefined if never. */
  checkedAt?: string | undefined;
}

/** The ids of the direct conversations this run reads; `lastRun`: the previous inbox run, if any. */
export function dueConversations(conversations: readonly DirectConversation[], now: Date, lastRun: Date | undefined): Set<string> {
  const recentSince = new Date(now.getTime() - RECENT_DAYS * 86_400_000).toISOString();
  const freshSince = new Date(now.getTime() - FRESH_MS).toISOString();
  const due = new Set<string>();
  const dormant: DirectConversation[] = [];
  for (const c of conversations) {
    if (c.deliveredAt >= freshSince || (c.repliedAt !== undefined && c.repliedAt >= recentSince)) due.add(c.id);
    else dormant.push(c);
  }
  const elapsed = lastRun ? now.getTime() - lastRun.getTime() : ROTATION_MS;
  const share = Math.min(1, Math.max(0, elapsed) / ROTATION_MS);
  const budget = Math.ceil(dormant.length * share);
  // Never read first, then the longest unread; ties by id so runs agree on the order.
  dormant.sort((a, b) => (a.checkedAt ?? '').localeCompare(b.checkedAt ?? '') || a.id.localeCompare(b.id));
  for (const c of dormant.slice(0, budget)) due.add(c.id);
  return due;
}
