import type { Context } from './context.js';
import { AuthError, EXIT, PlatformError } from './errors.js';
import { count } from './core/messages.js';
import { reactionToken } from './core/reactions.js';
import {
  markAttemptFailed,
  markReactionsAdded,
  markSendStarted,
  recordSent,
  countPending,
  type DeliveredPart,
  pendingMessages,
  postsAwaitingReactions,
  recordDelivery,
  type OutboxMessage,
} from './store/outbox.js';
import { recordThread, threadsOf } from './store/threads.js';
import { writeTransaction } from './store/db.js';
import { stopPoint } from './interrupt.js';
import type { PostRef } from './core/types.js';
import type { ChannelMessage, DeliveryRecorder, GroupMessage } from './platforms/types.js';

/** Long deliveries (rate limits!) report progress about every tenth of the way. */
const PROGRESS_FROM = 50;

/** Pending messages are read this many at a time: a round's 50,000 are never all in memory at once. */
const PAGE = 500;

/** After this many failed attempts across runs a message is given up on and reported. */
const MAX_ATTEMPTS = 10;

export interface DeliveryReport {
  sent: number;
  pending: number;
  failed: number;
  unreachable: string[];
  /** Posts still lacking some of the bot's own reactions (the next run adds them). */
  reactionsPending: number;
  /**
   * Why delivery stopped early, when an error no retry can fix (a rejected token) ended it:
   * logged as an error, and the run exits 3 with the rest pending for the next run.
   */
  stopped?: string;
}

/**
 * What the command decides about delivering. Delivery itself only sends what is pending and
 * records what the platform did; who is named how and what follows a message are the policy's.
 */
export interface DeliveryPolicy {
  /** How a person is named in logs and in the title of a group's own conversation. */
  nameOf(userId: string): string;
  /** How a person is named in a warning: as operators know them (`@name`), the id only where no name is known. */
  describe(userId: string): string;
  /** The title of the conversation a group's message opens (a Discord thread). */
  threadName(message: OutboxMessage): string;
  /**
   * Recipients not to message any more, each with the reason (e.g. they left the program
   * after the message was queued): they count as unreachable, like someone the platform refuses.
   */
  notToMessage(message: OutboxMessage): ReadonlyMap<string, string>;
  /**
   * Runs in the transaction that marks a message sent, with the recipients it could not
   * reach: what it queues (e.g. a note to the rest of a group) is sent in the same run.
   */
  afterSent(message: OutboxMessage, unreachable: readonly string[]): void;
}

/** Exit code after delivering: 3 when something is still pending or was given up on. */
export function exitCodeFor(delivery: DeliveryReport | undefined): number {
  if (!delivery) return EXIT.ok;
  return delivery.stopped !== undefined || delivery.pending > 0 || delivery.failed > 0 || delivery.reactionsPending > 0
    ? EXIT.partial
    : EXIT.ok;
}

/** "; 2 messages not delivered yet, the next run retries them" */
function notDeliveredYet(pending: number): string {
  return `; ${count(pending, 'message')} not delivered yet, the next run retries ${pending === 1 ? 'it' : 'them'}`;
}

/**
 * A `--quiet` run's one line with what its hidden warnings said about delivery (why it exits 3),
 * before the line's closing full stop: every command that delivers ends its quiet line with it.
 */
export function quietLine(line: string, delivery: DeliveryReport | undefined): string {
  const summary = undeliveredSummary(delivery);
  if (!summary) return line;
  return line.endsWith('.') ? `${line.slice(0, -1)}${summary}.` : `${line}${summary}`;
}

/** What `--quiet` hides in warnings and a cron log still needs: why the run exits 3. */
function undeliveredSummary(delivery: DeliveryReport | undefined): string {
  if (!delivery) return '';
  const { pending, failed, unreachable, reactionsPending } = delivery;
  return [
    pending ? notDeliveredYet(pending) : '',
    failed ? `; ${count(failed, 'message')} given up after ${MAX_ATTEMPTS} attempts` : '',
    unreachable.length ? `; could not message ${count(new Set(unreachable).size, 'member')}` : '',
    reactionsPending ? `; the bot's reactions missing on ${count(reactionsPending, 'post')}, the next run adds them` : '',
  ].join('');
}

/**
 * Sends every pending outbox message of the program, then adds the bot's reactions that
 * posts still lack. Exactly once rests on three records: the intent (written before a
 * message's first attempt), each delivered part (written as soon as the platform answers),
 * and the reactions a post still needs. A message whose earlier attempt was not recorded
 * is looked for on the platform before it is sent again. A platform that remembers keys
 * (local) finds a message sent again under its key by itself: there no intent is written and
 * the records of many messages share a commit (DeliveryRecords). A transient fault leaves the
 * message pending for the next run; an error no retry can fix (e.g. a rejected token)
 * stops the delivery (`stopped`, exit 3), and the command still prints what it did.
 */
export async function deliverPending(ctx: Context, policy: DeliveryPolicy): Promise<DeliveryReport> {
  const report: DeliveryReport = { sent: 0, pending: 0, failed: 0, unreachable: [], reactionsPending: 0 };
  const records = new DeliveryRecords(ctx);
  let transientFailures = 0;
  const total = countPending(ctx.db, ctx.program.id);
  const progressEvery = total >= PROGRESS_FROM ? Math.ceil(total / 10) : Infinity;
  let tried = 0;
  // In id order, a page at a time, each message tried once. What delivering queues (the
  // policy's follow-ups, written with the records) comes later in that order, so it is sent
  // in this run too.
  let after = 0;
  sending: for (;;) {
    records.write();
    // Everything sent so far is recorded: a stop signal ends the run here at the latest.
    await stopPoint();
    // When the platform keeps failing, stop hammering it: the next run retries.
    if (transientFailures >= 3) {
      report.pending += countPending(ctx.db, ctx.program.id, after);
      break;
    }
    const page = pendingMessages(ctx.db, ctx.program.id, after, PAGE);
    if (page.length === 0) break;
    await ctx.connect();
    const threads = threadsOf(ctx.db, [...new Set(page.flatMap((m) => (m.groupId === null ? [] : [m.groupId])))]);
    for (const message of page) {
      if (transientFailures >= 3) break;
      after = message.id;
      if (tried > 0 && tried % progressEvery === 0) ctx.log.info(`delivering: ${tried} of ${Math.max(total, tried)} messages done`);
      tried++;
      try {
        const unreachable = await deliverOne(ctx, policy, message, { report, records, threads });
        report.sent++;
        ctx.log.debug(() => {
          const reached = message.recipients.filter((id) => !unreachable.includes(id));
          return `delivered ${message.kind} #${message.id} to ${message.recipients.length ? reached.map(policy.nameOf).join(', ') || 'nobody' : 'the channel'}`;
        });
      } catch (err) {
        // What was delivered before the fault is on disk before anything else happens.
        records.write();
        if (!(err instanceof PlatformError)) throw err;
        if (!err.transient) {
          report.pending += countPending(ctx.db, ctx.program.id, message.id) + 1;
          stop(ctx, report, err);
          break sending;
        }
        transientFailures++;
        const giveUp = message.attempts + 1 >= MAX_ATTEMPTS;
        markAttemptFailed(ctx.db, message.id, err.message, giveUp);
        if (giveUp) {
          report.failed++;
          ctx.log.error(`giving up on ${message.kind} message #${message.id} after ${MAX_ATTEMPTS} attempts: ${err.message}`);
        } else {
          report.pending++;
          ctx.log.warn(`${message.kind} message #${message.id} not delivered yet (${err.message}); the next run retries it`);
        }
      }
    }
  }
  if (transientFailures < 3 && report.stopped === undefined) await addMissingReactions(ctx, report);
  else report.reactionsPending = postsAwaitingReactions(ctx.db, ctx.program.id).length;
  if (report.sent + report.pending + report.failed > 0) {
    ctx.log.info(
      `delivered ${count(report.sent, 'message')}${report.pending ? `, ${report.pending} still pending (the next run retries)` : ''}${report.failed ? `, ${report.failed} given up` : ''}`,
    );
  }
  return report;
}

/** A fault that ends the delivery: what was stored stays pending for the next run (exit 3), and the error says so. */
function stop(ctx: Context, report: DeliveryReport, err: PlatformError): void {
  const pending = countPending(ctx.db, ctx.program.id);
  const reactions = postsAwaitingReactions(ctx.db, ctx.program.id).length;
  const rest = pending > 0 ? notDeliveredYet(pending) : reactions > 0 ? `; the bot's reactions missing on ${count(reactions, 'post')}` : '';
  report.stopped = `${err.message}${rest}`;
  ctx.log.error(report.stopped);
}

/**
 * Adds the bot's own reactions each recorded post still lacks (the ❌ members click on an
 * announcement, ✅ / ❌ / 📅 on an ask). A post is recorded before its reactions, so a failed
 * reaction is retried here on every run and never makes the post be sent again.
 */
async function addMissingReactions(ctx: Context, report: DeliveryReport): Promise<void> {
  const posts = postsAwaitingReactions(ctx.db, ctx.program.id);
  if (posts.length === 0) return;
  await ctx.connect();
  let failures = 0;
  for (const post of posts) {
    if (failures >= 3) {
      report.reactionsPending++;
      continue;
    }
    try {
      await ctx.platform.addReactions(post, post.reactions.map(reactionToken));
      markReactionsAdded(ctx.db, post.rowId);
    } catch (err) {
      if (!(err instanceof PlatformError)) throw err;
      if (err instanceof AuthError) {
        report.reactionsPending = postsAwaitingReactions(ctx.db, ctx.program.id).length;
        stop(ctx, report, err);
        return;
      }
      failures++;
      report.reactionsPending++;
      ctx.log.warn(
        `the bot's reactions on ${post.kind} message #${post.outboxId} are not all added yet (${err.message}); the next run adds them`,
      );
    }
  }
}

/** Sends one message; returns the recipients who could not be reached. */
async function deliverOne(
  ctx: Context,
  policy: DeliveryPolicy,
  message: OutboxMessage,
  { report, records, threads }: { report: DeliveryReport; records: DeliveryRecords; threads: Map<number, string> },
): Promise<string[]> {
  const key = `outbox-${message.id}`;
  const uncertainSince = message.sendStartedAt ?? undefined;
  // The intent is on disk before anything can reach the platform: a run killed from here on
  // leaves a message the next run looks for before sending. The wall clock, not the configured
  // "now": the platform is searched from this instant on. A platform that remembers keys finds
  // a message sent again by its key alone: there the intent would only cost a commit.
  if (!ctx.platform.remembersKeys) markSendStarted(ctx.db, message.id, new Date().toISOString());
  if (uncertainSince)
    ctx.log.debug(
      `${message.kind} message #${message.id}: an attempt since ${uncertainSince} was not recorded; looking for it before sending`,
    );
  // Object literals, not spreads, on this per-message path: V8 copies a spread's properties generically.
  const target: ChannelMessage = { text: message.body, key, uncertainSince };
  if (message.conversationId !== null) {
    const post = await deliverReply(ctx, message, target);
    records.done(message, { parts: [{ memberIds: message.recipients, post }] });
    return [];
  }
  if (message.recipients.length === 0) {
    const post = await ctx.platform.postToChannel(target);
    records.done(message, { parts: [{ memberIds: [], post }] });
    return [];
  }
  const delivered = new Set(message.delivered);
  const notTo = policy.notToMessage(message);
  const skipped = [...notTo].filter(([userId]) => !delivered.has(userId));
  const memberIds = message.recipients.filter((id) => delivered.has(id) || !notTo.has(id));
  const result = memberIds.some((id) => !delivered.has(id))
    ? await ctx.platform.sendToGroup(
        {
          text: target.text,
          key,
          uncertainSince,
          memberIds,
          ownTexts: message.ownBodies ?? undefined,
          thread: groupThread(ctx, policy, message, threads),
        },
        delivered,
        records.recorder(message),
      )
    : { unreachable: [] };
  const notReached = [...skipped.map(([userId, reason]) => ({ userId, reason })), ...result.unreachable];
  const unreachable = notReached.map((u) => u.userId);
  for (const u of notReached) ctx.log.warn(`could not message ${policy.describe(u.userId)}: ${u.reason}`);
  records.done(message, { unreachable, after: () => policy.afterSent(message, unreachable) });
  report.unreachable.push(...unreachable);
  return unreachable;
}

/** On a platform that remembers keys, the records of up to this many delivered messages share one commit. */
const MESSAGES_PER_COMMIT = 100;

/**
 * Writes what the platform delivered. On a platform that forgets keys (Mattermost, Discord)
 * each part is written the moment the platform answers, and a message's "sent" (with what
 * the policy queues after it) as soon as it is done, each in a transaction of its own: the
 * next run can find an unrecorded post only by looking on the platform, which that record
 * spares it. On a platform that remembers keys (local) the records wait in memory and the
 * records of up to MESSAGES_PER_COMMIT messages are written in one transaction: a kill
 * loses at most those records, and the next run's sends under the same keys come back as
 * the same posts, so nothing is sent twice and nothing is lost. Records are written only
 * after the platform made its sends permanent (commitSends: the local platform commits its
 * posts a batch at a time), so a record never names a post that a kill took back.
 */
class DeliveryRecords {
  private readonly waiting: (() => void)[] = [];
  private messages = 0;
  private readonly perCommit: number;
  /** Parts of the message being sent that wait for its record (a platform that remembers keys). */
  private readonly parts: (DeliveredPart & { message: OutboxMessage })[] = [];
  private readonly sentAt: string;

  constructor(private readonly ctx: Context) {
    this.perCommit = ctx.platform.remembersKeys ? MESSAGES_PER_COMMIT : 1;
    this.sentAt = ctx.config.now.toISOString();
  }

  /** What `sendToGroup` calls for each delivered part of `message`. */
  recorder(message: OutboxMessage): DeliveryRecorder {
    return (memberIds, post) => {
      if (this.perCommit > 1) this.parts.push({ message, memberIds, post });
      else this.writeNow([() => recordDelivery(this.ctx.db, message.id, memberIds, post, message.reactions)]);
    };
  }

  /**
   * `message` is delivered: recorded as sent with its parts not recorded yet and `unreachable`,
   * in the transaction where `after` writes what follows it; now, or with the next messages.
   */
  done(
    message: OutboxMessage,
    { parts = [], unreachable = [], after }: { parts?: DeliveredPart[]; unreachable?: string[]; after?: () => void },
  ): void {
    const unrecorded = [...this.parts.splice(0).map(({ memberIds, post }) => ({ memberIds, post })), ...parts];
    this.waiting.push(() => {
      recordSent(this.ctx.db, message, unrecorded, unreachable, this.sentAt);
      after?.();
    });
    if (++this.messages >= this.perCommit) this.write();
  }

  /** Writes every record still waiting, with the parts of a message a fault interrupted. */
  write(): void {
    this.messages = 0;
    // Parts left here were delivered before the send of their message failed: it stays pending.
    for (const { message, memberIds, post } of this.parts.splice(0))
      this.waiting.push(() => recordDelivery(this.ctx.db, message.id, memberIds, post, message.reactions));
    this.writeNow(this.waiting.splice(0));
  }

  /** Writes in one transaction, once the platform's sends are permanent. */
  private writeNow(writes: (() => void)[]): void {
    if (writes.length === 0) return;
    this.ctx.platform.commitSends?.();
    writeTransaction(this.ctx.db, () => {
      for (const write of writes) write();
    });
  }
}

/** An inbox reply goes back to the conversation the message came from, pinging only its sender. */
function deliverReply(ctx: Context, message: OutboxMessage, target: ChannelMessage): Promise<PostRef> {
  const platform = ctx.platform;
  if (!platform.replyInConversation) throw new PlatformError(platform.kind, `cannot answer in conversations (reply #${message.id})`);
  return platform.replyInConversation({
    ...target,
    conversationId: message.conversationId!,
    to: message.recipients[0]!,
    ...(message.replyTo ? { replyTo: message.replyTo } : {}),
    ...(message.threadId ? { thread: message.threadId } : {}),
  });
}

/** Messages to a whole group go to its own conversation where the platform opens one (SPEC §10); messages to one person stay DMs. */
const GROUP_KINDS: readonly OutboxMessage['kind'][] = ['intro', 'feedback-ask'];

function groupThread(ctx: Context, policy: DeliveryPolicy, message: OutboxMessage, threads: Map<number, string>): GroupMessage['thread'] {
  const groupId = message.groupId;
  if (groupId === null || !GROUP_KINDS.includes(message.kind)) return undefined;
  return {
    // Composed only where the platform reads it (Discord opening a thread), not for every message of a round.
    get name() {
      return policy.threadName(message);
    },
    id: threads.get(groupId),
    onOpened: (threadId) => {
      recordThread(ctx.db, groupId, threadId);
      threads.set(groupId, threadId);
    },
  };
}
