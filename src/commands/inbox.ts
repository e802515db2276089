import type { Context } from '../context.js';
import { AuthError, PlatformError, UsageError } from '../errors.js';
import { canonicalTimeZone } from '../config.js';
import { isModeratorCommand, parseInboxMessage, type InboxCommand, type ParsedMessage, type Target } from '../core/inbox-commands.js';
import * as reply from '../core/inbox-replies.js';
import { dueConversations } from '../core/inbox-scan.js';
import { count, renderInboxHelp } from '../core/messages.js';
import { neutraliseAllMentions } from '../core/mentions.js';
import { resolveWho, whoKey } from '../core/who.js';
import { addDays, addMonths, localDate, nextPeriod, periodOfDate, type Period } from '../core/periods.js';
import { exitCodeFor, quietLine } from '../delivery.js';
import { catchUpView, deliver, letBackIn, reactedOptOuts, toRosterEntry } from '../rounds.js';
import type { ChatPlatform, IncomingMessage, InboxBatch, InboxReply, InboxRequest, PlaceChange } from '../platforms/types.js';
import { writeTransaction } from '../store/db.js';
import {
  addSkip,
  clearSkips,
  isHandled,
  lastInboxRun,
  markHandled,
  pendingSkips,
  readCursors,
  recordInboxRun,
  saveCursors,
} from '../store/inbox.js';
import {
  forgetPerson,
  getMember,
  joinMember,
  listMembers,
  listPreferences,
  removePreference,
  setPreference,
  storedAbout,
  syncMembers,
  updateMember,
  type MemberChanges,
} from '../store/members.js';
import { countMembers, lastPausedDay, pauseProblem, pauseUntilAfter, type Member } from '../core/members.js';
import { countByStatus, deliveredConversations, enqueue, findByKey, outboxKey } from '../store/outbox.js';
import {
  findRound,
  groupsOfMember,
  lastGroupedIndex,
  lastRound,
  currentGroupsOfRound,
  placementOf,
  type RoundRow,
} from '../store/rounds.js';
import { firstRoundFrom, groupToJoin, joinLimit, type RosterEntry } from '../core/round.js';

export interface InboxOptions {
  dryRun?: boolean;
  json?: boolean;
}

/** SPEC §7: what `inbox --json` prints. */
export interface InboxReport {
  program: string;
  handled: { message: string; from: string; command: string; ok: boolean }[];
  ignored: number;
}

/** The first run answers what was written in the last day (SPEC §7). */
const FIRST_WINDOW_MS = 24 * 3600 * 1000;

/** An adapter that can read and answer messages. */
type InboxPlatform = ChatPlatform & {
  readMessagesToBot(request: InboxRequest): Promise<InboxBatch>;
  replyInConversation(reply: InboxReply): Promise<unknown>;
  addMember(userId: string): Promise<PlaceChange>;
  place(): { name: string; joinHowTo: string; leaveHowTo: string };
};

function inboxPlatform(platform: ChatPlatform): InboxPlatform {
  if (!platform.readMessagesToBot || !platform.replyInConversation || !platform.addMember || !platform.place) {
    throw new UsageError(`inbox does not work on ${platform.kind} yet`);
  }
  return platform as InboxPlatform;
}

/** A name that matches several members, none of them exactly. */
const AMBIGUOUS = Symbol('ambiguous');

/** What handling one message does: the reply, and the change stored in the same transaction as "handled". */
interface Outcome {
  ok: boolean;
  reply: string;
  /** The reply is a template that already greets the sender (the help): sent as it is. */
  addressed?: boolean;
  write?: () => void;
}

/** One message in context: who wrote it, on which local day and in which period. */
interface Incoming {
  message: IncomingMessage;
  sender: Member | undefined;
  day: string;
  period: Period;
}

export async function inbox(ctx: Context, options: InboxOptions): Promise<number> {
  const platform = inboxPlatform(ctx.platform);
  const botId = await ctx.connect();
  const nowIso = ctx.config.now.toISOString();
  const last = lastInboxRun(ctx.db, ctx.program.id);
  const since = last ? new Date(last) : new Date(ctx.config.now.getTime() - FIRST_WINDOW_MS);
  const cursors = readCursors(ctx.db, ctx.program.id);
  const delivered = deliveredConversations(ctx.db, ctx.program.id);
  const due = dueConversations(
    delivered.filter((c) => !c.thread),
    ctx.config.now,
    last ? new Date(last) : undefined,
  );
  const batch = await platform.readMessagesToBot({
    cursors,
    conversations: delivered.map((c) => ({ id: c.id, recipients: c.recipients, thread: c.thread, due: c.thread || due.has(c.id) })),
    since,
  });
  const handler = new Handler(ctx, platform);
  const report: InboxReport = { program: ctx.program.name, handled: [], ignored: 0 };
  const messages = [...batch.messages].sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : 0));
  for (const message of messages) {
    if (message.fromId === botId) continue;
    // A conversation read before is read from its cursor on (a dormant DM's turn may come after
    // later runs); one never read before, from the first window or the last run on.
    const beforeWindow = !cursors.has(message.conversationId) && message.at < since.toISOString();
    if (!message.toBot || message.fromBot || beforeWindow) {
      report.ignored++;
      continue;
    }
    if (isHandled(ctx.db, ctx.program.id, message.id)) continue;
    const parsed = parseInboxMessage(message.text, batch.bot, ctx.config.cadence);
    const incoming = await handler.incoming(message);
    const outcome = await handler.handle(incoming, parsed);
    // Only the sender's mention may ping: the reply's own text is made inert, even `@name` in an example.
    const text = outcome.addressed
      ? outcome.reply
      : (message.shared ? `${platform.mention({ id: message.fromId, name: message.fromName })} ` : '') +
        neutraliseAllMentions(outcome.reply);
    // The effect, "handled" and the reply are one transaction: a kill before it leaves the
    // message unhandled (the next run answers it), after it the reply is in the outbox.
    const done = writeTransaction(ctx.db, () => {
      if (!markHandled(ctx.db, ctx.program.id, message.id, parsed.name, outcome.ok, nowIso)) return false;
      outcome.write?.();
      enqueue(ctx.db, {
        programId: ctx.program.id,
        dedupeKey: outboxKey.inboxReply(ctx.program.id, message.id),
        kind: 'inbox-reply',
        recipients: [message.fromId],
        body: text,
        conversationId: message.conversationId,
        replyTo: message.id,
        ...(message.thread ? { threadId: message.thread } : {}),
        createdAt: nowIso,
      });
      return true;
    });
    if (!done) continue;
    report.handled.push({ message: message.id, from: message.fromId, command: parsed.name, ok: outcome.ok });
    ctx.log.info(`${ctx.scratch ? 'would answer' : 'answered'} ${message.fromName}: ${parsed.name}${outcome.ok ? '' : ' (not done)'}`);
    ctx.log.debug(`reply to ${message.id}: ${text}`);
  }
  saveCursors(ctx.db, ctx.program.id, batch.cursors, nowIso);
  recordInboxRun(ctx.db, ctx.program.id, nowIso, report.handled.length, report.ignored);
  const delivery = await deliver(ctx);
  if (options.json) ctx.print(JSON.stringify(report, null, 2));
  else {
    const verb = ctx.dryRun ? 'would answer' : 'answered';
    const line = `inbox of program "${ctx.program.name}": ${verb} ${count(report.handled.length, 'message')}, ${report.ignored} not for the bot${ctx.dryRun ? ' (dry run: nothing stored or sent)' : ''}`;
    ctx.print(ctx.config.quiet ? quietLine(line, delivery) : line);
  }
  return exitCodeFor(delivery);
}

/** Applies commands; one per run, so lookups (roster sync, the bot's name) are made once. */
class Handler {
  private synced = false;
  /** Who has ❌ on each period's announcement, read once a run. */
  private readonly reacted = new Map<string, Set<string>>();
  /** Messages waiting when the run began: a moderator's `status` must not count this run's own replies. */
  private readonly pendingAtStart: number;

  constructor(
    private readonly ctx: Context,
    private readonly platform: InboxPlatform,
  ) {
    this.pendingAtStart = countByStatus(ctx.db, ctx.program.id).pending;
  }

  async incoming(message: IncomingMessage): Promise<Incoming> {
    const at = message.at < this.ctx.config.now.toISOString() ? new Date(message.at) : this.ctx.config.now;
    const day = localDate(at, this.ctx.config.timezone);
    return { message, sender: await this.member(message.fromId), day, period: periodOfDate(day, this.ctx.config.cadence) };
  }

  /** A stored member; someone in the place whom no run has stored yet is stored first. */
  private async member(who: string): Promise<Member | undefined> {
    const found = await this.named(who);
    return found === AMBIGUOUS ? undefined : found;
  }

  /** The member a command names; AMBIGUOUS when several match and none exactly (`@BOB` with `bob` and `Bob`). */
  private async named(who: string): Promise<Member | typeof AMBIGUOUS | undefined> {
    const stored = this.stored(who);
    if (stored) return stored;
    await this.sync();
    return this.stored(who);
  }

  /**
   * The member `who` names, as every command reads `<who>`: an exact id or name wins, else one
   * match whatever the case; a name several people share (and none exactly) names nobody.
   */
  private stored(who: string): Member | typeof AMBIGUOUS | undefined {
    // An exact id wins (resolveWho's first rule): one row, not the whole roster per message.
    const byId = getMember(this.ctx.db, this.ctx.program.id, whoKey(who));
    if (byId) return byId;
    const members = listMembers(this.ctx.db, this.ctx.program.id).map((m) => ({ id: m.userId, name: m.name, member: m }));
    try {
      return resolveWho(who, members)?.member;
    } catch (err) {
      if (err instanceof UsageError) return AMBIGUOUS;
      throw err;
    }
  }

  /** Reads the place's roster once per run, only when someone unknown writes or is named. */
  private async sync(): Promise<void> {
    if (this.synced) return;
    this.synced = true;
    syncMembers(this.ctx.db, this.ctx.program.id, await this.platform.listMembers(), this.ctx.today);
  }

  private async isModerator(message: IncomingMessage): Promise<boolean> {
    const admins = this.ctx.config.admins.map((a) => a.toLowerCase());
    if (admins.includes(message.fromId.toLowerCase()) || admins.includes(message.fromName.toLowerCase())) return true;
    const role = this.ctx.config.adminRole;
    return role !== undefined && this.platform.holdsRole !== undefined && (await this.platform.holdsRole(message.fromId, role));
  }

  async handle(m: Incoming, parsed: ParsedMessage): Promise<Outcome> {
    if (parsed.name === 'unknown') return this.help(m, false);
    if (parsed.name === 'thanks') return { ok: true, reply: reply.replyThanks(parsed.thanked) };
    if ('malformed' in parsed) return { ok: false, reply: reply.replyMalformed(parsed.name, parsed.problem) };
    const forSelf = await this.ownTarget(m, parsed);
    if (isModeratorCommand(forSelf)) {
      if (!(await this.isModerator(m.message))) return { ok: false, reply: reply.replyModeratorsOnly(moderatorAction(forSelf)) };
      return this.moderate(m, forSelf);
    }
    return this.member_(m, forSelf);
  }

  /** `pause @me 2 weeks` is the member's own pause, not a moderator's. */
  private async ownTarget(m: Incoming, c: InboxCommand): Promise<InboxCommand> {
    if ((c.name !== 'pause' && c.name !== 'resume' && c.name !== 'frequency') || !c.target) return c;
    const target = await this.member(c.target.who);
    if (target && target.userId === m.message.fromId) {
      const { target: _self, ...own } = c;
      return own as InboxCommand;
    }
    return c;
  }

  private async member_(m: Incoming, c: InboxCommand): Promise<Outcome> {
    const { ctx } = this;
    const pid = ctx.program.id;
    switch (c.name) {
      case 'help':
        return this.help(m, true);
      case 'join':
        return this.join(m);
      case 'leave':
        return this.leave(m);
      case 'forget me':
        return this.forget(m, c.confirmed);
      case 'my data': {
        const stored = storedAbout(ctx.db, m.message.fromId);
        const member = m.sender;
        return {
          ok: true,
          reply: reply.replyMyData({
            ...stored,
            name: member?.name ?? m.message.fromName,
            ...(member?.timezone ? { timezone: member.timezone } : {}),
          }),
        };
      }
      default:
        break;
    }
    const me = m.sender;
    if (!me) return { ok: false, reply: reply.replyNotInProgram() };
    // Changing one's rounds means nothing while out of the program.
    if (me.state !== 'active' && (c.name === 'skip' || c.name === 'pause' || c.name === 'resume' || c.name === 'frequency')) {
      return { ok: false, reply: reply.replyOutOfProgram(me.state === 'kicked') };
    }
    switch (c.name) {
      case 'skip': {
        const period = this.nextUnpaired(m.period);
        if (pendingSkips(ctx.db, pid, me.userId, period.key).includes(period.key))
          return { ok: true, reply: reply.replySkipAgain(period.key) };
        return {
          ok: true,
          reply: reply.replySkip(period.key, period.start, m.day) + this.pairedMeanwhile(m, me),
          write: () => void addSkip(ctx.db, pid, me.userId, period.key, ctx.config.now.toISOString()),
        };
      }
      case 'pause': {
        const until = pauseUntil(m.day, c.span);
        const problem = pauseProblem(m.day, until);
        if (problem) return { ok: false, reply: reply.replyMalformed('pause', problem) };
        return {
          ok: true,
          reply: reply.replyPaused(lastPausedDay(until), m.day) + this.pairedMeanwhile(m, me, true),
          write: () => updateMember(ctx.db, pid, me.userId, { pauseUntil: until }),
        };
      }
      case 'resume': {
        const from = this.nextUnpaired(m.period).key;
        const paused = me.pauseUntil !== undefined && me.pauseUntil > m.day;
        const skipping = pendingSkips(ctx.db, pid, me.userId, from).length > 0;
        // An ❌ on the announcement is the member's own to take back: resume cannot.
        const reacted = await this.reactedOptOut(me, from);
        const standing = this.standing({ ...me, pauseUntil: undefined }, m, new Set(reacted ? [from] : []));
        return {
          ok: true,
          reply: reply.replyResumed(paused || skipping, standing, ctx.config.cadence) + (reacted ? ` ${reply.reactedOptOut(from)}` : ''),
          write: () => {
            updateMember(ctx.db, pid, me.userId, { pauseUntil: null });
            clearSkips(ctx.db, pid, me.userId, from);
          },
        };
      }
      case 'frequency':
        return {
          ok: true,
          reply: reply.replyFrequency(c.every, ctx.config.cadence),
          write: () => updateMember(ctx.db, pid, me.userId, { frequency: c.every }),
        };
      case 'prefer':
      case 'avoid':
      case 'unavoid': {
        const other = await this.named(c.target.who);
        if (other === AMBIGUOUS) return { ok: false, reply: reply.replyAmbiguousPerson(c.target.who) };
        if (!other) return { ok: false, reply: reply.replyUnknownPerson(c.target.who) };
        if (other.userId === me.userId) return { ok: false, reply: reply.replyNotYourself(c.name) };
        if (c.name === 'unavoid') {
          const had = listPreferences(ctx.db, pid).some((p) => p.userId === me.userId && p.otherId === other.userId && p.kind === 'avoid');
          return {
            ok: true,
            reply: reply.replyUnavoid(had, m.message.shared),
            write: () => void removePreference(ctx.db, pid, me.userId, other.userId, 'avoid'),
          };
        }
        // One preference per person (setPreference): the new one replaces the opposite one.
        const kind = c.name;
        const mine = listPreferences(ctx.db, pid).filter((p) => p.userId === me.userId && p.otherId === other.userId);
        const replacing = mine.some((p) => p.kind !== kind);
        const write = (): void => void setPreference(ctx.db, pid, { userId: me.userId, otherId: other.userId, kind, createdOn: m.day });
        // Said only in a direct message: in a shared conversation it would tell the group whom the avoid is of.
        const together =
          kind === 'avoid' && !m.message.shared
            ? this.roundsFrom(m.period).rounds.find((r) => placementOf(ctx.db, r.id, me.userId)?.partners.includes(other.userId))
            : undefined;
        const text =
          kind === 'prefer'
            ? reply.replyPrefer(other.name, replacing && !m.message.shared, other.state !== 'active')
            : reply.replyAvoid(m.message.shared, replacing, together?.period);
        return { ok: true, reply: text, write };
      }
      case 'timezone': {
        const zone = canonicalTimeZone(c.zone);
        if (!zone) return { ok: false, reply: reply.replyBadTimezone(c.zone) };
        return {
          ok: true,
          reply: reply.replyTimezone(zone),
          write: () => updateMember(ctx.db, pid, me.userId, { timezoneOverride: zone }),
        };
      }
      case 'partner': {
        const round = findRound(ctx.db, pid, m.period.key);
        // The group as it stands, as `member show` tells it: not one catch-up moved them out of.
        const partners = round ? this.partnersIn(round, me.userId)?.map((id) => this.nameOf(id)) : undefined;
        return { ok: true, reply: reply.replyPartner(m.period.key, partners, !!round) };
      }
      case 'history': {
        const entries = groupsOfMember(ctx.db, pid, me.userId)
          .slice(0, 10)
          .map((g) => ({ on: g.formedOn, with: g.memberIds.filter((id) => id !== me.userId).map((id) => this.nameOf(id)) }));
        return { ok: true, reply: reply.replyHistory(entries) };
      }
      case 'me': {
        const mine = listPreferences(ctx.db, pid).filter((p) => p.userId === me.userId);
        const paused = me.pauseUntil !== undefined && me.pauseUntil > m.day;
        return {
          ok: true,
          reply: reply.replyMe(
            {
              state: me.state,
              frequency: me.frequency,
              ...(paused ? { pausedThrough: lastPausedDay(me.pauseUntil!) } : {}),
              ...(me.timezone ? { timezone: me.timezone } : {}),
              prefers: mine.filter((p) => p.kind === 'prefer').map((p) => this.nameOf(p.otherId)),
              // Only one's own avoids: who avoids *you* is never said.
              avoids: mine.filter((p) => p.kind === 'avoid').map((p) => this.nameOf(p.otherId)),
              skips: await this.skipsOf(me, m),
            },
            ctx.config.cadence,
            m.day,
            m.message.shared,
          ),
        };
      }
      default:
        return this.help(m, false);
    }
  }

  private async moderate(m: Incoming, c: InboxCommand): Promise<Outcome> {
    const { ctx } = this;
    const pid = ctx.program.id;
    if (c.name === 'status') {
      const counts = countMembers(listMembers(ctx.db, pid), m.day);
      const last = lastRound(ctx.db, pid);
      return {
        ok: true,
        reply: reply.replyStatus({
          program: ctx.program.name,
          active: counts.active,
          paused: counts.paused,
          out: counts.left + counts.removed + counts.kicked,
          ...(last ? { lastRound: { round: last.period, groups: currentGroupsOfRound(ctx.db, last.id).length } } : {}),
          nextRound: this.nextUnpaired(m.period).key,
          pending: this.pendingAtStart,
        }),
      };
    }
    if (c.name === 'members') {
      await this.sync();
      return { ok: true, reply: reply.replyMembers(listMembers(ctx.db, pid).map((x) => ({ name: x.name, state: x.state }))) };
    }
    const named: Target | undefined = 'target' in c ? c.target : undefined;
    const target = named ? await this.named(named.who) : undefined;
    if (named && target === AMBIGUOUS) return { ok: false, reply: reply.replyAmbiguousPerson(named.who) };
    if (!named || !target || target === AMBIGUOUS) return { ok: false, reply: reply.replyUnknownPerson(named?.who ?? '') };
    // A pause or frequency means nothing while out of the program: `resume @x` (or their own `join`) comes first.
    if ((c.name === 'pause' || c.name === 'frequency') && target.state !== 'active')
      return { ok: false, reply: reply.replyModTargetOut(target.name, target.state) };
    switch (c.name) {
      case 'kick':
        if (target.userId === m.message.fromId) return { ok: false, reply: reply.replyKickSelf() };
        return {
          ok: true,
          reply: reply.replyKicked(target.name),
          write: () => updateMember(ctx.db, pid, target.userId, { state: 'kicked' }),
        };
      case 'pause': {
        const until = pauseUntil(m.day, c.span);
        const problem = pauseProblem(m.day, until);
        if (problem) return { ok: false, reply: reply.replyMalformed('pause', problem) };
        const next = this.nextUnpaired(m.period);
        const round = this.groupedIn(m, target);
        const grouped = round ? { round, ...(until <= next.start ? { endsBefore: next.key } : {}) } : undefined;
        return {
          ok: true,
          reply: reply.replyModPaused(target.name, lastPausedDay(until), m.day, grouped),
          write: () => updateMember(ctx.db, pid, target.userId, { pauseUntil: until }),
        };
      }
      case 'resume': {
        // As `member set --resume`: it also lets a kicked or removed member back in.
        const out = target.state === 'kicked' || target.state === 'removed';
        const paused = target.pauseUntil !== undefined && target.pauseUntil > m.day;
        if (!out && !paused) return { ok: true, reply: reply.replyModNotPaused(target.name, target.state === 'left') };
        // Out of the place too (they left the channel or lost the role): back in the program only once back there.
        const back = out ? await letBackIn(ctx, this.platform, target.userId, m.day, () => this.sync()) : undefined;
        const changes: MemberChanges = { pauseUntil: null, ...back?.changes };
        return {
          ok: true,
          reply: reply.replyModResumed(target.name, back?.place),
          write: () => updateMember(ctx.db, pid, target.userId, changes),
        };
      }
      case 'frequency':
        return {
          ok: true,
          reply: reply.replyModFrequency(target.name, c.every),
          write: () => updateMember(ctx.db, pid, target.userId, { frequency: c.every }),
        };
      default:
        return this.help(m, false);
    }
  }

  /** What the bot understands (the `inbox-help.md` template), with the moderators' commands for them. */
  private async help(m: Incoming, ok: boolean): Promise<Outcome> {
    const sender = { mention: this.platform.mention({ id: m.message.fromId, name: m.message.fromName }) };
    return {
      ok,
      reply: renderInboxHelp(sender, await this.isModerator(m.message), this.platform.kind, this.ctx.config.templates),
      addressed: true,
    };
  }

  private async join(m: Incoming): Promise<Outcome> {
    const me = m.sender;
    if (me?.state === 'active') return { ok: true, reply: reply.replyAlreadyIn() };
    if (me?.state === 'kicked') return { ok: false, reply: reply.replyJoinKicked() };
    const place = this.platform.place();
    // The place changes before the database: a kill in between is repaired by the rerun, as adding is idempotent.
    const change: PlaceChange = this.ctx.scratch ? 'done' : await this.platform.addMember(m.message.fromId);
    if (change === 'not-permitted') return { ok: false, reply: reply.replyJoinNeedsPlace(place.joinHowTo) };
    const user = { id: m.message.fromId, name: m.message.fromName };
    // A member who comes back keeps their frequency, pause and skips.
    const standing = me ? this.standing(me, m, new Set(await this.skipsOf(me, m))) : { next: true as const };
    const late = 'next' in standing ? await this.lateJoin(me ? { ...me, state: 'active' } : undefined, user.id) : undefined;
    return {
      ok: true,
      reply: reply.replyJoined(standing, this.ctx.config.cadence, m.day, late),
      write: () => joinMember(this.ctx.db, this.ctx.program.id, user, m.day),
    };
  }

  /**
   * For someone joining once this period's round is paired: whether `pair --catch-up` may still
   * group them in it (they wait for a group, and someone else waits too or a group may take
   * them), as catch-up decides. Undefined while this period has no round (its `pair` takes them).
   */
  private async lateJoin(me: Member | undefined, userId: string): Promise<reply.LateJoin | undefined> {
    const { ctx } = this;
    const round = findRound(ctx.db, ctx.program.id, ctx.period.key);
    if (!round) return undefined;
    // One who left and comes back in the same period keeps the group they have in its round.
    const partners = me ? (this.partnersIn(round, userId)?.length ?? 0) : 0;
    if (partners > 0) return { grouped: round.period, partners };
    const lastIndex = lastGroupedIndex(ctx.db, ctx.program.id);
    const joiner: RosterEntry = me ? toRosterEntry(me, lastIndex) : { id: userId, frequency: 1, sitOuts: 0 };
    const others = listMembers(ctx.db, ctx.program.id).filter((x) => x.state === 'active' && x.userId !== userId);
    let view: Awaited<ReturnType<typeof catchUpView>>;
    try {
      view = await catchUpView(ctx, round, [...others.map((x) => toRosterEntry(x, lastIndex)), joiner]);
    } catch (err) {
      // Without the announcement's reactions nothing is promised for this period.
      if (!(err instanceof PlatformError) || err instanceof AuthError) throw err;
      ctx.log.warn(`could not read the reactions on the announcement of ${ctx.period.key}: ${err.message}`);
      return 'next';
    }
    if (!view.waiting.some((w) => w.id === userId)) return 'next';
    if (view.waiting.length >= 2) return 'may';
    const avoid = listPreferences(ctx.db, ctx.program.id)
      .filter((p) => p.kind === 'avoid')
      .map((p) => [p.userId, p.otherId] as const);
    const stillActive = new Set([...view.stillActive, userId]);
    const maxSize = joinLimit(ctx.config.groupSize, ctx.config.odd);
    return groupToJoin(userId, view.current, stillActive, avoid, [], maxSize) ? 'may' : 'next';
  }

  private async leave(m: Incoming): Promise<Outcome> {
    const me = m.sender;
    if (me?.state !== 'active') return { ok: true, reply: reply.replyNotIn(me?.state === 'kicked') };
    const place = this.platform.place();
    const change = this.ctx.scratch ? 'removed' : await this.platform.removeMember(me.userId);
    const removed = change === 'removed';
    // Still in the place, "removed" without a leaving date keeps them out of the next syncs (as prune does).
    const changes: MemberChanges = removed ? { state: 'left', leftOn: m.day } : { state: 'removed', leftOn: null };
    return {
      ok: true,
      reply: reply.replyLeft(removed, place.name, place.leaveHowTo),
      write: () => updateMember(this.ctx.db, this.ctx.program.id, me.userId, changes),
    };
  }

  private forget(m: Incoming, confirmed: boolean): Outcome {
    if (!confirmed) return { ok: true, reply: reply.replyForgetAsk() };
    const stillIn = m.sender?.state === 'active';
    return { ok: true, reply: reply.replyForgotten(stillIn), write: () => forgetPerson(this.ctx.db, m.message.fromId) };
  }

  /** The rounds not paired yet that the member sits out: by `skip`, or by ❌ on the next one's announcement. */
  private async skipsOf(me: Member, m: Incoming): Promise<string[]> {
    const from = this.nextUnpaired(m.period).key;
    const skips = pendingSkips(this.ctx.db, this.ctx.program.id, me.userId, from);
    return !skips.includes(from) && (await this.reactedOptOut(me, from)) ? [from, ...skips] : skips;
  }

  /**
   * Whether the member has ❌ on the announcement of `period`; each announcement is read once a run.
   * Reactions the platform will not give leave the replies without them, not the run unanswered.
   */
  private async reactedOptOut(me: Member, period: string): Promise<boolean> {
    let reacted = this.reacted.get(period);
    if (!reacted) {
      try {
        reacted = await reactedOptOuts(this.ctx, period);
      } catch (err) {
        if (!(err instanceof PlatformError) || err instanceof AuthError) throw err;
        this.ctx.log.warn(`could not read the reactions on the announcement of ${period}, so replies leave them out: ${err.message}`);
        reacted = new Set();
      }
      this.reacted.set(period, reacted);
    }
    return reacted.has(me.userId);
  }

  /** When `me` is paired next, as the next rounds will select them (selectCandidates). */
  private standing(me: Member, m: Incoming, skipped: ReadonlySet<string>): reply.Standing {
    if (me.pauseUntil !== undefined && me.pauseUntil > m.day) return { pausedThrough: lastPausedDay(me.pauseUntil) };
    const from = this.nextUnpaired(m.period);
    const last = lastGroupedIndex(this.ctx.db, this.ctx.program.id, [me.userId]).get(me.userId);
    const facts = {
      frequency: me.frequency,
      ...(last !== undefined ? { lastGroupedIndex: last } : {}),
      ...(me.lastSatOut !== undefined ? { lastSatOut: me.lastSatOut } : {}),
    };
    const round = firstRoundFrom(facts, from, this.ctx.config.cadence, skipped);
    return round.key === from.key ? { next: true } : { round: round.key, every: me.frequency };
  }

  /** A note for a member in a round paired after they wrote and before this run read it (a late-read skip or pause). */
  private pairedMeanwhile(m: Incoming, me: Member, pausing = false): string {
    const partners = (round: RoundRow): number => this.partnersIn(round, me.userId)?.length ?? 0;
    const { rounds } = this.roundsFrom(m.period);
    const meanwhile = rounds.find((round) => round.createdAt > m.message.at && partners(round) > 0);
    if (meanwhile) return ` ${reply.pairedBeforeRead(meanwhile.period, partners(meanwhile))}`;
    // A pause from mid-round on: the round's group stands.
    const current = rounds.find((round) => round.period === m.period.key);
    return pausing && current && partners(current) > 0 ? ` ${reply.stillInGroup(current.period, partners(current))}` : '';
  }

  /** The latest round paired already, from the message's period on, that has `member` in a group (which a pause leaves as it is). */
  private groupedIn(m: Incoming, member: Member): string | undefined {
    return this.roundsFrom(m.period)
      .rounds.filter((round) => this.hasGroup(round, member.userId))
      .at(-1)?.period;
  }

  /**
   * The partners of `userId` in their group of `round` as it stands (`member show` tells the same:
   * not one catch-up moved them out of), without those who left the program since: they are no
   * partner to reach until catch-up regroups. Undefined without a group in the round.
   */
  private partnersIn(round: RoundRow, userId: string): string[] | undefined {
    return placementOf(this.ctx.db, round.id, userId)?.partners.filter(
      (id) => getMember(this.ctx.db, this.ctx.program.id, id)?.state === 'active',
    );
  }

  /** Whether `userId` has a group in `round` with someone still in the program. */
  private hasGroup(round: RoundRow, userId: string): boolean {
    return (this.partnersIn(round, userId)?.length ?? 0) > 0;
  }

  /** This period when it has no round yet, otherwise the first one after it without a round (see roundsFrom). */
  private nextUnpaired(period: Period): Period {
    return this.roundsFrom(period).next;
  }

  /**
   * The rounds of `period` (a message's) and after, and the first period from now on without a
   * round: a message written before a round and read after it was paired is for the round after.
   * A period whose successor's round is announced already (`optout` stored its announcement) is
   * over without a round too: `optout` announces the next round, after this one's `pair`, so a
   * period never paired by then (the program's first weeks, a skipped week) will not be.
   */
  private roundsFrom(period: Period): { rounds: RoundRow[]; next: Period } {
    const rounds: RoundRow[] = [];
    for (let p = period; ; ) {
      const round = findRound(this.ctx.db, this.ctx.program.id, p.key);
      const after = nextPeriod(p, this.ctx.config.cadence);
      if (round) rounds.push(round);
      else if (p.index >= this.ctx.period.index && !this.announced(after)) return { rounds, next: p };
      p = after;
    }
  }

  /** Whether `optout` stored the announcement of `period`'s round (posted, or waiting for the next run to post it). */
  private announced(period: Period): boolean {
    return findByKey(this.ctx.db, outboxKey.optOut(this.ctx.program.id, period.key)) !== undefined;
  }

  private nameOf(userId: string): string {
    return getMember(this.ctx.db, this.ctx.program.id, userId)?.name ?? userId;
  }
}

/** What a non-moderator tried, for "only moderators can …". */
function moderatorAction(c: InboxCommand): string {
  switch (c.name) {
    case 'kick':
      return 'kick members';
    case 'status':
      return 'see the program status';
    case 'members':
      return 'list the members';
    case 'pause':
      return 'pause someone else';
    case 'resume':
      return 'resume someone else';
    case 'frequency':
      return "change someone else's frequency";
    default:
      return 'do that';
  }
}

/** The first day paired again (the pause's `pauseUntil`). */
function pauseUntil(day: string, span: { days: number } | { months: number } | { until: string }): string {
  if ('until' in span) return pauseUntilAfter(span.until);
  if ('days' in span) return addDays(day, span.days);
  return addMonths(day, span.months);
}
