import type { Context } from '../context.js';
import { AuthError, DeliveryStoppedError, EXIT, PlatformError } from '../errors.js';
import { groupOutcome, needsReminder, type Tally } from '../core/feedback.js';
import { count, renderFeedbackAsk } from '../core/messages.js';
import { addDays, localDate, periodFromIndex } from '../core/periods.js';
import { reactionMeaning } from '../core/reactions.js';
import { type DeliveryReport, exitCodeFor, quietLine } from '../delivery.js';
import { answersOf, recordAnswer } from '../store/feedback.js';
import { getMember, memberAddresses } from '../store/members.js';
import type { MemberAddress } from '../core/members.js';
import { enqueue, findByKey, messagesOfKind, postsOf, type OutboxMessage, outboxKey } from '../store/outbox.js';
import {
  currentGroupsOfRound,
  groupsOfRound,
  lastRound,
  lastRoundBefore,
  roundsSince,
  type RoundRow,
  type StoredGroup,
} from '../store/rounds.js';
import { writeTransaction } from '../store/db.js';
import { tallyRound, deliver } from '../rounds.js';

/** Rounds whose answers are still read and tallied. */
const TALLY_ROUNDS = 8;

export interface FeedbackReport extends Tally {
  program: string;
  /** The round asked about: the last one delivered before today. */
  round: string | null;
  dryRun: boolean;
  asked: number;
  reminded: number;
  /** Asks whose answers could not be read this run (warned about by name; the next run reads them again). */
  unreadable: number;
  rounds: ({ round: string } & Tally)[];
}

/**
 * Reads the answers given so far on earlier asks, asks each group of the last
 * delivered round once (and a 📅 group again, at most twice), and prints the tally.
 */
export async function collectFeedback(ctx: Context, options: { json?: boolean; dryRun?: boolean }): Promise<number> {
  const { db, program } = ctx;
  const recent = roundsSince(db, program.id, ctx.period.index - TALLY_ROUNDS);
  const allAsks = messagesOfKind(db, program.id, 'feedback-ask');
  const asks = allAsks.filter((m) => m.status === 'sent');
  if (asks.length > 0) await ctx.connect();
  let unreadable = 0;
  for (const ask of asks) if (!(await readAnswers(ctx, ask, ctx.config.now.toISOString()))) unreadable++;
  const asksByGroup = new Map<number, OutboxMessage[]>();
  for (const a of allAsks) if (a.groupId !== null) asksByGroup.set(a.groupId, [...(asksByGroup.get(a.groupId) ?? []), a]);

  const last = lastRoundBefore(db, program.id, ctx.today);
  let asked = 0;
  let reminded = 0;
  // The groups as they stand: someone catch-up moved is asked about the group they are in now,
  // not also about the one it dissolved.
  const groupsByRound = new Map(recent.map((r) => [r.id, currentGroupsOfRound(db, r.id)]));
  // Every member is read once, not looked up per member of each ask.
  const members = memberAddresses(db, program.id);
  writeTransaction(db, () => {
    for (const round of recent) {
      const groups = groupsByRound.get(round.id)!;
      const answers = answersOf(
        db,
        groups.map((g) => g.id),
      );
      for (const g of groups) {
        const askedOn = (asksByGroup.get(g.id) ?? []).map((m) => localDate(new Date(m.createdAt), ctx.config.timezone));
        if (
          needsReminder(groupOutcome(answers.get(g.id)!), askedOn, ctx.today) &&
          queueAsk(ctx, members, round, g, outboxKey.reminder(g.id, ctx.today), true)
        )
          reminded++;
      }
    }
    if (last) for (const g of currentGroupsOfRound(db, last.id)) if (queueFirstAsk(ctx, members, last, g)) asked++;
  });
  const delivery = await deliver(ctx);

  const rounds = recent
    .filter((r) => asks.some((a) => a.period === r.period) || r.id === last?.id)
    .map((r) => ({ round: r.period, ...tallyRound(ctx, r) }));
  const current = rounds.find((r) => r.round === last?.period) ?? { met: 0, missed: 0, scheduled: 0, unanswered: 0 };
  const report: FeedbackReport = {
    program: program.name,
    round: last?.period ?? null,
    dryRun: ctx.dryRun,
    asked,
    reminded,
    unreadable,
    met: current.met,
    missed: current.missed,
    scheduled: current.scheduled,
    unanswered: current.unanswered,
    rounds,
  };
  // A round paired today is asked about from tomorrow (only rounds delivered before today are): say so.
  const newest = lastRound(db, program.id);
  const pairedToday =
    newest && newest.id !== last?.id && groupsOfRound(db, newest.id).some((g) => g.formedOn === ctx.today) ? newest.period : undefined;
  print(ctx, report, options.json, pairedToday, delivery);
  // An ask whose answers could not be read leaves the tally incomplete: partly done.
  return unreadable > 0 ? Math.max(EXIT.partial, exitCodeFor(delivery)) : exitCodeFor(delivery);
}

/** Stores the answers group members gave by reacting to an ask (anyone else's reactions are ignored). */
/**
 * Returns false when the platform would not give an answer's reactions (a 500 after the
 * retries, a lasting 403): that ask is named in a warning and skipped, so one unreadable post
 * never blocks the tally of the rest nor the next round's asks. A rejected token stops the run.
 */
async function readAnswers(ctx: Context, ask: OutboxMessage, at: string): Promise<boolean> {
  if (ask.groupId === null) return true;
  const members = new Set(ask.recipients);
  let readable = true;
  for (const post of postsOf(ctx.db, ask.id)) {
    let reactions: Awaited<ReturnType<typeof ctx.platform.readReactions>>;
    try {
      reactions = await ctx.platform.readReactions(post);
    } catch (err) {
      if (err instanceof AuthError)
        throw new DeliveryStoppedError(`${err.message}; no answers read, the next run reads them`, { cause: err });
      if (!(err instanceof PlatformError)) throw err;
      const who = ask.recipients.map((id) => `@${getMember(ctx.db, ctx.program.id, id)?.name ?? id}`).join(', ');
      ctx.log.warn(
        `could not read the answers to the ${ask.period ?? ''} feedback ask #${ask.id} to ${who}: ${err.message}; skipped, the next run reads it again`,
      );
      readable = false;
      continue;
    }
    for (const r of reactions) {
      const answer = reactionMeaning('feedback-ask', r.token);
      if (answer && answer !== 'skip' && members.has(r.userId)) recordAnswer(ctx.db, ask.groupId, r.userId, answer, at);
    }
  }
  return readable;
}

/** Only groups whose intro went out are asked: they have a conversation to answer in. */
function wasIntroduced(ctx: Context, group: StoredGroup): boolean {
  return group.memberIds.length >= 2 && findByKey(ctx.db, outboxKey.intro(group.id))?.status === 'sent';
}

type Members = ReadonlyMap<string, MemberAddress>;

function queueFirstAsk(ctx: Context, members: Members, round: RoundRow, group: StoredGroup): boolean {
  if (group.formedOn >= ctx.today || !wasIntroduced(ctx, group)) return false;
  return queueAsk(ctx, members, round, group, outboxKey.ask(group.id), false);
}

/**
 * Asks the members of a group still in the program, naming only them: someone who left (or was
 * kicked, removed, deleted) is neither pinged nor named, and a group left with one member has no
 * meeting to ask about (catch-up regroups them), so it is not asked.
 */
function queueAsk(ctx: Context, members: Members, round: RoundRow, group: StoredGroup, dedupeKey: string, reminder: boolean): boolean {
  const period = periodFromIndex(round.periodIndex, ctx.config.cadence);
  const recipients = group.memberIds.filter((id) => members.get(id)?.state === 'active');
  if (recipients.length < 2) return false;
  const addressees = recipients.map((id) => ({ mention: ctx.platform.mention({ id, name: members.get(id)!.name }) }));
  return enqueue(ctx.db, {
    programId: ctx.program.id,
    dedupeKey,
    kind: 'feedback-ask',
    period: round.period,
    groupId: group.id,
    recipients,
    body: renderFeedbackAsk(addressees, period, reminder, ctx.config.templates),
    reactions: ['met', 'missed', 'scheduled'],
    createdAt: ctx.config.now.toISOString(),
  });
}

function print(
  ctx: Context,
  report: FeedbackReport,
  json: boolean | undefined,
  pairedToday: string | undefined,
  delivery: DeliveryReport | undefined,
): void {
  if (json) {
    ctx.print(JSON.stringify(report, null, 2));
    return;
  }
  const later = pairedToday
    ? `Round ${pairedToday} was paired today; its groups are asked from tomorrow (${addDays(ctx.today, 1)}).`
    : undefined;
  if (!report.round) {
    ctx.print(later ?? 'No delivered round to ask about yet.');
    return;
  }
  const [ask, remind] = report.dryRun ? ['would ask', 'remind'] : ['asked', 'reminded'];
  const headline = `Round ${report.round}${report.dryRun ? ' (dry run: nothing stored or sent)' : ''}: ${ask} ${count(report.asked, 'new group')} and ${remind} ${count(report.reminded, 'group')}`;
  const tally = (r: Tally): string => `${r.met} met, ${r.missed} missed, ${r.scheduled} scheduled, ${r.unanswered} unanswered`;
  const unreadable = report.unreadable
    ? `${count(report.unreadable, 'ask')} could not be read this time (see the warnings above); the next run reads ${report.unreadable === 1 ? 'it' : 'them'} again`
    : undefined;
  const earlier = report.rounds.filter((r) => r.round !== report.round);
  if (ctx.config.quiet) {
    // A cron log gets one line a run, with everything the full output says.
    const parts = [`${headline}; feedback so far: ${tally(report)}`];
    if (unreadable) parts.push(unreadable.replace(' (see the warnings above)', ''));
    if (earlier.length) parts.push(`earlier rounds: ${earlier.map((r) => `${r.round} (${tally(r)})`).join(', ')}`);
    if (later) parts.push(later.replace(/\.$/, '').replace(/^Round/, 'round'));
    ctx.print(quietLine(`${parts.join('; ')}.`, delivery));
    return;
  }
  const lines = [`${headline}.`, `Feedback so far: ${tally(report)}.`];
  if (unreadable) lines.push(`${unreadable}.`);
  if (earlier.length) lines.push('Earlier rounds:', ...earlier.map((r) => `  ${r.round}: ${tally(r)}`));
  if (later) lines.push(later);
  ctx.print(lines.join('\n'));
}
