import { describePerson } from './core/who.js';
import type { Context } from './context.js';
import { PlatformError } from './errors.js';
import type { ChatPlatform } from './platforms/types.js';
import { tally, type Tally } from './core/feedback.js';
import { formGroups, type MatchResult } from './core/matching/index.js';
import {
  cleanName,
  count,
  listItem,
  renderIntro,
  renderSitOut,
  renderUnpaired,
  renderUnreachableNote,
  type Addressee,
  type IntroOptions,
} from './core/messages.js';
import { periodFromIndex, type Period } from './core/periods.js';
import { reactionMeaning } from './core/reactions.js';
import { chooseIcebreakers, ICEBREAKER_MEMORY, type GivenPrompt } from './core/icebreakers.js';
import { seededRandom } from './core/random.js';
import { suspiciousRosterLoss } from './core/roster-guard.js';
import {
  activeConstraints,
  ageMeetings,
  currentGroups,
  selectWaiting,
  toCandidates,
  type DatedMeeting,
  type PreferenceEntry,
  type RosterEntry,
} from './core/round.js';
import { answersOf } from './store/feedback.js';
import { applyRosterSync, getMember, listPreferences, listStoredMembers, memberAddresses, type MemberChanges } from './store/members.js';
import { planRosterSync, type Member, type MemberAddress, type RosterSync } from './core/members.js';
import { icebreakerOf, recentIcebreakers, recordIcebreaker } from './store/icebreakers.js';
import { enqueue, findByKey, messagesOfKind, outboxKey, postsOf, type NewMessage, type OutboxMessage } from './store/outbox.js';
import { deliverPending, type DeliveryPolicy, type DeliveryReport } from './delivery.js';
import {
  exclusionsOfRound,
  findRound,
  groupsOfRound,
  lastGroupedIndex,
  meetingsOnPlatform,
  placementsOfRound,
  type RoundRow,
  type StoredGroup,
} from './store/rounds.js';
import { writeTransaction } from './store/db.js';
import { skipsOfPeriod } from './store/inbox.js';

/**
 * What the commands that form and tell rounds share: the roster read into the store,
 * opt-outs, the engine with everything it weighs, a round's messages, a round's feedback.
 * Commands import this module, never each other.
 */

export interface RoundOptions {
  dryRun?: boolean;
  json?: boolean;
  /** Validated by parseSeed before anything opens. */
  seed?: number;
  /** Take a roster that lost everyone or most of the members as it is (the safety valve's confirmation). */
  acceptRoster?: boolean;
}

/** What the engine weighs besides the candidates, read from the store before it runs. */
export interface PairingHistory {
  /** The period index of the last group of each member paired less often than every round (frequency > 1). */
  lastIndex: Map<string, number>;
  preferences: PreferenceEntry[];
  meetings: DatedMeeting[];
}

/**
 * The history a new round weighs. A new round comes after every stored one, so a member paired
 * every round (frequency 1) is due whenever they were last paired: only the last round of members
 * paired less often is read (the whole program's took 0.2-0.5 s at 100,000 members).
 */
export function readPairingHistory(ctx: Context, active: readonly Member[]): PairingHistory {
  const spaced = active.filter((m) => m.frequency > 1).map((m) => m.userId);
  return {
    lastIndex: spaced.length > 0 ? lastGroupedIndex(ctx.db, ctx.program.id, spaced) : new Map(),
    preferences: listPreferences(ctx.db, ctx.program.id),
    meetings: meetingsOnPlatform(ctx.db, ctx.program.platform),
  };
}

/** Forms groups from candidates with everything the engine weighs: history, avoids, preferences. */
export function runEngine(
  ctx: Context,
  candidates: readonly RosterEntry[],
  seed: number,
  { preferences, meetings }: Pick<PairingHistory, 'preferences' | 'meetings'>,
): MatchResult {
  const { avoid, prefer } = activeConstraints(preferences, meetings);
  const request = {
    candidates: toCandidates(candidates, ctx.config.now),
    history: ageMeetings(meetings, ctx.period, ctx.config.cadence),
    avoid,
    prefer,
    groupSize: ctx.config.groupSize,
    odd: ctx.config.odd,
    ...(ctx.config.attributeRule ? { attributeRule: ctx.config.attributeRule } : {}),
    random: seededRandom(seed),
  };
  const started = performance.now();
  const cpuBefore = process.cpuUsage();
  const result = formGroups(request);
  // `npm run bench` reads this line to tell the engine's time (wall and CPU) from the rest of the run:
  // the engine is formGroups alone; preparing its input counts as the CLI's own cost.
  const cpu = process.cpuUsage(cpuBefore);
  ctx.log.debug(
    `engine: ${count(result.groups.length, 'group')} from ${count(candidates.length, 'candidate')} in ${((performance.now() - started) / 1000).toFixed(2)} s (${((cpu.user + cpu.system) / 1e6).toFixed(2)} s CPU)`,
  );
  return result;
}

/**
 * Reads the platform's roster into the members table; returns the active members, in list order.
 * A roster that loses everyone or more than half of the active members is refused
 * (exit 1, nothing changed) unless the operator confirms it with --accept-roster.
 */
export async function syncRoster(ctx: Context, options: { acceptRoster?: boolean } = {}): Promise<Member[]> {
  const sync = await readRosterSync(ctx, options);
  writeTransaction(ctx.db, () => applyRosterSync(ctx.db, ctx.program.id, sync));
  logRosterSync(ctx, sync);
  return activeOf(sync);
}

/** The members a roster sync leaves active (paused ones included), in list order. */
export function activeOf(sync: RosterSync): Member[] {
  return sync.members.filter((m) => m.state === 'active');
}

/**
 * The roster sync, computed and not yet written (syncRoster writes it at once; `pair` writes it
 * with its round): the platform's roster read and checked against what is stored.
 */
export async function readRosterSync(ctx: Context, options: { acceptRoster?: boolean } = {}): Promise<RosterSync> {
  await ctx.connect();
  const users = await ctx.platform.listMembers();
  const stored = listStoredMembers(ctx.db, ctx.program.id);
  const before = new Map(stored.filter((s) => s.member.state === 'active').map((s) => [s.member.userId, s.member.name]));
  if (users.length === 0 && before.size === 0 && !options.acceptRoster) {
    // A first sync that finds nobody would store an empty round that then stands for the period.
    throw new PlatformError(
      ctx.platform.kind,
      'the roster is empty: nobody to pair, so nothing was stored. Check the channel, role or roster file; ' +
        'if the program really has no members yet, rerun this command with --accept-roster.',
    );
  }
  const missing = suspiciousRosterLoss([...before.keys()], new Set(users.map((u) => u.id)));
  if (missing) {
    const name = (id: string): string => listItem(before.get(id) ?? id);
    const shown =
      missing.length > 5 ? `${missing.slice(0, 5).map(name).join(', ')} and ${missing.length - 5} more` : missing.map(name).join(', ');
    const what =
      missing.length === before.size
        ? `the roster lists none of the ${count(before.size, 'active member')}${users.length ? ` (it lists ${count(users.length, 'other user')})` : ''}`
        : `${missing.length} of the ${count(before.size, 'active member')} are missing from the roster (${shown})`;
    if (!options.acceptRoster) {
      throw new PlatformError(
        ctx.platform.kind,
        `${what}. That looks like a fault — a wrong channel or role, an emptied roster file, an API answering an empty list — so nothing was changed. ` +
          'If they really left, rerun this command with --accept-roster to take the roster as it is.',
      );
    }
    ctx.log.warn(`${what}; --accept-roster: taking the roster as it is`);
  }
  return planRosterSync(stored, users, ctx.today);
}

/** Says who joined, rejoined and left, once the sync is written (or, in a dry run, would be). */
export function logRosterSync(ctx: Context, sync: RosterSync): void {
  if (sync.joined.length + sync.rejoined.length + sync.left.length === 0) return;
  const [join, rejoin, leave] = ctx.scratch ? ['would join', 'would rejoin', 'would leave'] : ['joined', 'rejoined', 'left'];
  ctx.log.info(
    `roster: ${sync.listed} in place; ${sync.joined.length} ${join}, ${sync.rejoined.length} ${rejoin}, ${sync.left.length} ${leave}`,
  );
}

/** A kicked or removed member let back in: what to store, and `place` when they had left the place (channel, role) too. */
export interface LetBackIn {
  changes: MemberChanges;
  /** `added`: put back in the place; otherwise they are back once they join it (the kick is lifted, state left). */
  place?: { added: boolean; place: string };
}

/**
 * A kicked or removed member let back in (a moderator's `resume @x`, `member set --resume`).
 * `sync` reads the roster first: they may have left the place since the last run read it.
 * Still in the place, they are active at once; out of it too, they are added back where the
 * bot may, as `join` does, otherwise the kick is lifted (state left) and the roster sync takes
 * them in once they are back there, so no round drops someone just said to be back.
 */
export async function letBackIn(
  ctx: Context,
  platform: ChatPlatform,
  userId: string,
  day: string,
  sync: () => Promise<unknown>,
): Promise<LetBackIn> {
  const active: MemberChanges = { state: 'active', joinedOn: day, leftOn: null };
  await sync();
  if (!getMember(ctx.db, ctx.program.id, userId)?.leftOn) return { changes: active };
  const change = ctx.scratch ? 'done' : platform.addMember ? await platform.addMember(userId) : 'not-permitted';
  const added = change === 'done';
  const place = platform.place?.().name ?? "the program's place";
  return { changes: added ? active : { state: 'left' }, place: { added, place } };
}

export function toRosterEntry(m: Member, lastIndex: ReadonlyMap<string, number>): RosterEntry {
  const last = lastIndex.get(m.userId);
  return {
    id: m.userId,
    frequency: m.frequency,
    sitOuts: m.sitOuts,
    ...(m.pauseUntil ? { pauseUntil: m.pauseUntil } : {}),
    ...(last !== undefined ? { lastGroupedIndex: last } : {}),
    ...(m.lastSatOut !== undefined ? { lastSatOut: m.lastSatOut } : {}),
    ...(m.timezone ? { timezone: m.timezone } : {}),
    attributes: m.attributes,
  };
}

/** Members who reacted ❌ on this round's announcement or wrote `skip` to the bot for it. */
export async function readOptOuts(ctx: Context): Promise<Set<string>> {
  const out = new Set<string>(skipsOfPeriod(ctx.db, ctx.program.id, ctx.period.key));
  for (const id of await reactedOptOuts(ctx, ctx.period.key)) out.add(id);
  return out;
}

/**
 * This period's round as `pair --catch-up` finds it now: its groups as formed and as they stand,
 * where each member is, and who among `active` waits for a group (what a late `join` is told too).
 */
export async function catchUpView(ctx: Context, round: RoundRow, active: readonly RosterEntry[]) {
  const stillActive = new Set(active.map((m) => m.id));
  const onPurpose = new Set(
    exclusionsOfRound(ctx.db, round.id)
      .filter((e) => e.reason === 'optedOut' || e.reason === 'paused' || e.reason === 'notDue')
      .map((e) => e.userId),
  );
  const groups = groupsOfRound(ctx.db, round.id);
  const placement = placementsOfRound(ctx.db, round.id);
  for (const id of await readOptOuts(ctx)) onPurpose.add(id);
  const waiting = selectWaiting(active, groups, placement, onPurpose, stillActive, ctx.period, ctx.today);
  // The round as it stands: a lone member joins a group as it is now, not as it was formed.
  return { stillActive, groups, placement, current: currentGroups(groups, placement), waiting };
}

/** Members who have ❌ on the opt-out announcement of `period` (nobody when none was posted). */
export async function reactedOptOuts(ctx: Context, period: string): Promise<Set<string>> {
  const out = new Set<string>();
  const announcement = findByKey(ctx.db, outboxKey.optOut(ctx.program.id, period));
  if (!announcement) {
    ctx.log.debug(`no opt-out announcement for ${period}: nobody opted out`);
    return out;
  }
  for (const post of postsOf(ctx.db, announcement.id)) {
    for (const r of await ctx.platform.readReactions(post)) if (reactionMeaning('optout', r.token) === 'skip') out.add(r.userId);
  }
  return out;
}

/** How a member is addressed in a message; `members` (by id) saves a lookup per member in a large round. */
export function addressee(ctx: Context, userId: string, members?: ReadonlyMap<string, MemberAddress>): Addressee {
  const m = members ? members.get(userId) : getMember(ctx.db, ctx.program.id, userId);
  const name = m?.name ?? userId;
  return { mention: ctx.platform.mention({ id: userId, name }), timezone: m?.timezone || undefined };
}

/**
 * Queues every message of a round; idempotent, so it also repairs a round stored by an
 * older pairbot without them. Inside the caller's transaction when there is one.
 */
export function queueRoundMessages(ctx: Context, round: RoundRow): void {
  writeTransaction(ctx.db, () => {
    const groups = groupsOfRound(ctx.db, round.id);
    // Someone left out with a group in the round was taken out of it by catch-up, which told them why.
    const grouped = new Set(groups.flatMap((g) => g.memberIds));
    const leftOut = exclusionsOfRound(ctx.db, round.id).filter(
      (e): e is LeftOut => (e.reason === 'satOut' || e.reason === 'unpaired') && !grouped.has(e.userId),
    );
    const prompts = icebreakersOfRound(
      ctx,
      round,
      groups.filter((g) => g.source !== 'manual'),
    );
    const members = memberAddresses(ctx.db, ctx.program.id);
    for (const m of roundMessages(ctx, round, groups, leftOut, members, prompts)) enqueue(ctx.db, m);
  });
}

/** Someone a round left without a group, and why. */
interface LeftOut {
  userId: string;
  reason: 'satOut' | 'unpaired';
}

/**
 * Every message of a round, composed from plain data (no store lookups): each formed group's intro,
 * with its prompt, and the notice of each member left without a group. Yielded one at a time, so a
 * large round's messages are stored as they are composed instead of all being held at once.
 */
export function* roundMessages(
  ctx: Context,
  round: Pick<RoundRow, 'id' | 'period' | 'periodIndex'>,
  groups: readonly { id: number; memberIds: readonly string[]; source?: StoredGroup['source'] }[],
  leftOut: readonly LeftOut[],
  members: ReadonlyMap<string, MemberAddress>,
  prompts: ReadonlyMap<number, string>,
): Generator<NewMessage> {
  const period: Period = periodFromIndex(round.periodIndex, ctx.config.cadence);
  const programId = ctx.program.id;
  const createdAt = ctx.config.now.toISOString();
  // Object literals, not spreads: composing is per message, and a spread of a few properties
  // cost a 5,000-group round ~100 ms more (V8 copies them generically).
  for (const g of groups) {
    // A meeting recorded by hand (member add-partner) is not introduced, nor a group with one
    // member left (the others' data deleted since, `forget`): catch-up regroups that one.
    if (g.source === 'manual' || g.memberIds.length < 2) continue;
    const { body, ownBodies } = introText(ctx, g.memberIds, period, { icebreaker: prompts.get(g.id) }, members);
    yield {
      programId,
      period: round.period,
      createdAt,
      dedupeKey: outboxKey.intro(g.id),
      kind: 'intro',
      groupId: g.id,
      recipients: g.memberIds,
      body,
      ownBodies,
    };
  }
  const alone = groups.length === 0 && leftOut.length === 1;
  for (const e of leftOut) {
    const who = addressee(ctx, e.userId, members);
    yield {
      programId,
      period: round.period,
      createdAt,
      dedupeKey: outboxKey.leftOut(e.reason, round.id, e.userId),
      kind: e.reason === 'satOut' ? 'sit-out' : 'unpaired',
      recipients: [e.userId],
      body:
        e.reason === 'satOut'
          ? renderSitOut(who, period, ctx.config.cadence, ctx.config.templates)
          : renderUnpaired(who, period, alone, ctx.config.templates),
    };
  }
}

/**
 * The prompt of each new group, chosen from the round's seed and what each member got recently
 * (`recent`, read before): pure, so `pair` computes it before it writes.
 */
export function chooseRoundIcebreakers(
  ctx: Context,
  seed: string,
  groups: readonly { id: number; memberIds: readonly string[] }[],
  recent: ReadonlyMap<string, readonly GivenPrompt[]>,
  taken: Iterable<string> = [],
): Map<number, string> {
  if (groups.length === 0 || ctx.config.icebreakers.length === 0) return new Map();
  // Its own stream from the round's seed, so the prompts never shift the pairing's draws.
  const random = seededRandom((Number(seed) ^ 0x1ceb4ea7) >>> 0);
  return chooseIcebreakers(ctx.config.icebreakers, groups, recent, random, taken);
}

/** What members got recently, for choosing the prompts of new groups (nothing when prompts are off). */
export function readRecentIcebreakers(ctx: Context, memberIds: readonly string[]): Map<string, GivenPrompt[]> {
  return ctx.config.icebreakers.length === 0 ? new Map() : recentIcebreakers(ctx.db, ctx.program.id, memberIds, ICEBREAKER_MEMORY);
}

/**
 * A group's intro, with everything the program's settings add to it. Where each member
 * gets (or may get) their own copy (Discord DMs, a Mattermost group message the server
 * refuses), a copy says to message the others directly and tells the meeting time in its
 * reader's local time first: those copies are stored with the message (`ownBodies`), so a
 * retry sends the very text an earlier attempt may have sent.
 */
export function introText(
  ctx: Context,
  memberIds: readonly string[],
  period: Period,
  extra: Pick<IntroOptions, 'icebreaker' | 'joined'> = {},
  members?: ReadonlyMap<string, MemberAddress>,
): { body: string; ownBodies?: Record<string, string> } {
  const addressees = memberIds.map((id) => addressee(ctx, id, members));
  const form = ctx.platform.deliveryForm(memberIds.length);
  const options: IntroOptions = {
    icebreaker: extra.icebreaker,
    joined: extra.joined,
    shared: form !== 'own',
    workingHours: ctx.config.workingHours,
    templates: ctx.config.templates,
  };
  const body = renderIntro(addressees, period, ctx.config.cadence, options);
  if (form === 'shared') return { body, ownBodies: undefined };
  const ownBodies: Record<string, string> = {};
  memberIds.forEach((id, i) => {
    const own = renderIntro(addressees, period, ctx.config.cadence, {
      icebreaker: options.icebreaker,
      joined: options.joined,
      shared: false,
      reader: addressees[i]!.mention,
      workingHours: options.workingHours,
      templates: options.templates,
    });
    if (own !== body) ownBodies[id] = own;
  });
  return { body, ownBodies: Object.keys(ownBodies).length > 0 ? ownBodies : undefined };
}

/**
 * The prompt of each group of the round: the one stored when its intro was first queued,
 * or a new one chosen from the round's seed and stored with the intro.
 */
function icebreakersOfRound(ctx: Context, round: RoundRow, groups: readonly StoredGroup[]): Map<number, string> {
  const out = new Map<number, string>();
  const fresh: StoredGroup[] = [];
  for (const g of groups) {
    const stored = icebreakerOf(ctx.db, g.id);
    if (stored !== undefined) out.set(g.id, stored);
    else if (!findByKey(ctx.db, outboxKey.intro(g.id))) fresh.push(g);
  }
  if (fresh.length === 0 || ctx.config.icebreakers.length === 0) return out;
  const recent = readRecentIcebreakers(
    ctx,
    fresh.flatMap((g) => g.memberIds),
  );
  for (const [groupId, prompt] of chooseRoundIcebreakers(ctx, round.seed, fresh, recent, out.values())) {
    recordIcebreaker(ctx.db, groupId, prompt);
    out.set(groupId, prompt);
  }
  return out;
}

/** Outcomes of a round's groups that were asked. */
export function tallyRound(ctx: Pick<Context, 'db'>, round: RoundRow): Tally {
  const groups = groupsOfRound(ctx.db, round.id).filter((g) => findByKey(ctx.db, outboxKey.ask(g.id)));
  const answers = answersOf(
    ctx.db,
    groups.map((g) => g.id),
  );
  return tally(groups.map((g) => ({ memberIds: g.memberIds, answers: answers.get(g.id)! })));
}

/** The latest round whose groups were asked for feedback. */
export function lastAskedRound(ctx: Pick<Context, 'db' | 'program'>): RoundRow | undefined {
  const lastAsk = messagesOfKind(ctx.db, ctx.program.id, 'feedback-ask').at(-1);
  return lastAsk?.period ? findRound(ctx.db, ctx.program.id, lastAsk.period) : undefined;
}

/**
 * Sends what is pending (nothing in a dry run) under the program's rules: people named as the
 * members table knows them, a group's conversation titled after the round and its members,
 * and an intro some members could not receive followed by a note telling the rest.
 */
export function deliver(ctx: Context, members?: ReadonlyMap<string, Pick<Member, 'name' | 'state'>>): Promise<DeliveryReport | undefined> {
  if (ctx.dryRun) return Promise.resolve(undefined);
  // A few messages look their recipients up one by one; a round's thousands read every member
  // once, or use `members`, every member of the program as the caller has just written them.
  const known = new Map<string, Pick<Member, 'name' | 'state'> | undefined>();
  let everyone = members;
  const memberOf = (userId: string): Pick<Member, 'name' | 'state'> | undefined => {
    if (everyone) return everyone.get(userId);
    if (known.size >= LOOKUPS_ONE_BY_ONE) {
      everyone = memberAddresses(ctx.db, ctx.program.id);
      return everyone.get(userId);
    }
    if (!known.has(userId)) known.set(userId, getMember(ctx.db, ctx.program.id, userId));
    return known.get(userId);
  };
  const nameOf = (userId: string): string => memberOf(userId)?.name ?? userId;
  const policy: DeliveryPolicy = {
    nameOf,
    describe: (userId) => describePerson(userId, memberOf(userId)?.name),
    threadName: (message) => {
      const members = message.recipients.map((id) => cleanName(nameOf(id))).join(', ');
      return `${`☕ ${message.period ?? ''} · ${members}`.slice(0, 80)} · ${ctx.program.name} #${message.groupId}`;
    },
    notToMessage: (message) => {
      const gone = new Map<string, string>();
      if (!ROUND_KINDS.includes(message.kind)) return gone;
      for (const id of message.recipients) {
        const state = memberOf(id)?.state;
        if (state !== 'active') gone.set(id, `no longer in the program (${state ?? 'forgotten'})`);
      }
      return gone;
    },
    afterSent: (message, unreachable) => {
      if (message.kind === 'intro' && unreachable.length > 0) queueUnreachableNote(ctx, message, unreachable, nameOf);
    },
  };
  return deliverPending(ctx, policy);
}

/** Members the delivery policy looks up one query each before it reads all of them at once. */
const LOOKUPS_ONE_BY_ONE = 100;

/**
 * A round's messages go only to members still in the program when they are sent: someone who
 * left (deactivated, lost the role, kicked) after the round was formed gets nothing, neither the
 * intro nor the feedback ask, and the rest of their group gets the intro and a note, as for
 * someone the platform will not let the bot message.
 */
const ROUND_KINDS: readonly OutboxMessage['kind'][] = ['intro', 'sit-out', 'unpaired', 'feedback-ask'];

/** Tells the rest of a group that a partner could not be messaged, so they reach out themselves. */
function queueUnreachableNote(ctx: Context, message: OutboxMessage, unreachable: readonly string[], nameOf: (id: string) => string): void {
  const rest = message.recipients.filter((id) => !unreachable.includes(id));
  if (rest.length === 0 || !message.period) return;
  const round = findRound(ctx.db, ctx.program.id, message.period);
  const period = round ? periodFromIndex(round.periodIndex, ctx.config.cadence) : ctx.period;
  const addressees = unreachable.map((id) => ({ mention: ctx.platform.mention({ id, name: nameOf(id) }) }));
  enqueue(ctx.db, {
    programId: ctx.program.id,
    dedupeKey: outboxKey.unreachableNote(message.id),
    kind: 'unreachable-note',
    period: message.period,
    ...(message.groupId !== null ? { groupId: message.groupId } : {}),
    recipients: rest,
    body: renderUnreachableNote(addressees, period, ctx.config.templates),
    createdAt: ctx.config.now.toISOString(),
  });
}
