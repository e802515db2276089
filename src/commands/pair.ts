import { randomInt } from 'node:crypto';
import type { Context } from '../context.js';
import { EXIT, UsageError } from '../errors.js';
import type { MatchResult } from '../core/matching/index.js';
import { count, listItem } from '../core/messages.js';
import type { GivenPrompt } from '../core/icebreakers.js';
import { selectCandidates, type Exclusions } from '../core/round.js';
import { exitCodeFor, quietLine, type DeliveryReport } from '../delivery.js';
import { countByStatus, enqueue } from '../store/outbox.js';
import { recordIcebreaker } from '../store/icebreakers.js';
import { applyRosterSync, memberAddresses, recordSitOut } from '../store/members.js';
import { compareIds, type Member, type RosterSync } from '../core/members.js';
import {
  currentGroupsOfRound,
  exclusionsOfRound,
  findRound,
  insertRound,
  lastRound,
  type ExclusionReason,
  type RoundRow,
} from '../store/rounds.js';
import { writeTransaction } from '../store/db.js';
import {
  activeOf,
  chooseRoundIcebreakers,
  deliver,
  logRosterSync,
  queueRoundMessages,
  readOptOuts,
  readPairingHistory,
  readRosterSync,
  type PairingHistory,
  readRecentIcebreakers,
  roundMessages,
  runEngine,
  syncRoster,
  toRosterEntry,
  type RoundOptions,
} from '../rounds.js';

/** SPEC §5: the JSON document `pair --json` prints. */
export interface PairReport {
  program: string;
  round: string;
  dryRun: boolean;
  existing: boolean;
  seed: string;
  groups: { members: { id: string; name: string }[] }[];
  excluded: Exclusions;
  unpaired: string[];
  satOut: string[];
  /** Members a message of this run could not reach (DMs closed, gone from the platform or the program); their groups were told. */
  unreachable: string[];
}

export function parseSeed(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value) || Number(value) > 0xffffffff)
    throw new UsageError(`--seed: expected a whole number from 0 to 4294967295, got ${JSON.stringify(value)}`);
  return Number(value);
}

export async function pair(ctx: Context, options: RoundOptions): Promise<number> {
  const requestedSeed = options.seed;
  const existing = findRound(ctx.db, ctx.program.id, ctx.period.key);
  if (existing) {
    ctx.log.info(`round ${existing.period} already exists (seed ${existing.seed}); pairing nobody new`);
    queueRoundMessages(ctx, existing);
    // Someone may have left since the round was formed: what is still to send goes only to
    // members still in the program, so read the roster first (not when nothing is pending:
    // a rerun with nothing to do needs no platform).
    if (!ctx.dryRun && countByStatus(ctx.db, ctx.program.id).pending > 0) await syncRoster(ctx, options);
    const delivery = await deliver(ctx);
    const members = memberAddresses(ctx.db, ctx.program.id);
    printReport(ctx, storedRoundReport(ctx, existing, members, delivery), options.json, members, delivery);
    return exitCodeFor(delivery);
  }
  // A round for an earlier period would find everyone "not due" and stand, empty, for ever.
  const latest = lastRound(ctx.db, ctx.program.id);
  if (latest && latest.periodIndex > ctx.period.index) {
    throw new UsageError(
      `round ${ctx.period.key} is earlier than the latest round, ${latest.period}: rounds are paired forward in time, so nothing was stored (check --date / PAIRBOT_NOW)`,
    );
  }

  // Read, then compute: what is read goes straight into the computation (planRound), which keeps
  // only the roster sync and members' recent prompts, so the engine's history is garbage before
  // the messages are composed.
  const { sync, recent, ...plan } = planRound(ctx, await readRound(ctx, options), requestedSeed);
  const members = new Map(sync.members.map((m) => [m.userId, m]));
  const report = (delivery?: DeliveryReport): PairReport =>
    roundReport(ctx, { period: ctx.period.key, seed: String(plan.seed) }, plan.result.groups, plan.exclusions, members, false, delivery);
  if (ctx.dryRun) {
    // A dry run stops here: it shows the round and writes nothing, not even to its scratch copy.
    logRosterSync(ctx, sync);
    warnUnplaced(ctx, plan.result, members);
    printReport(ctx, report(), options.json, members);
    return EXIT.ok;
  }

  // Write: the roster, the round and its messages are committed together, before any message is
  // sent (SPEC §6): a round is never stored without the intros that tell its groups.
  writeTransaction(ctx.db, () => {
    applyRosterSync(ctx.db, ctx.program.id, sync);
    const { roundId, groupIds } = insertRound(ctx.db, {
      programId: ctx.program.id,
      period: ctx.period.key,
      periodIndex: ctx.period.index,
      seed: String(plan.seed),
      formedOn: ctx.today,
      groups: plan.result.groups,
      exclusions: plan.exclusions,
      createdAt: ctx.config.now.toISOString(),
    });
    for (const id of plan.result.satOut) recordSitOut(ctx.db, ctx.program.id, id, ctx.period.index);
    const prompts = chooseRoundIcebreakers(
      ctx,
      String(plan.seed),
      groupIds.map((id, i) => ({ id, memberIds: plan.result.groups[i]! })),
      recent,
    );
    for (const [groupId, prompt] of prompts) recordIcebreaker(ctx.db, groupId, prompt);
    const groups = plan.result.groups.map((memberIds, i) => ({ id: groupIds[i]!, memberIds }));
    const stored = { id: roundId, period: ctx.period.key, periodIndex: ctx.period.index };
    for (const m of roundMessages(ctx, stored, groups, plan.leftOut, members, prompts)) enqueue(ctx.db, m);
  });
  logRosterSync(ctx, sync);
  warnUnplaced(ctx, plan.result, members);

  // Deliver, then say what was done.
  const delivery = await deliver(ctx, members);
  printReport(ctx, report(delivery), options.json, members, delivery);
  return exitCodeFor(delivery);
}

/** Everything a new round depends on, read as plain data: the roster sync (not written yet), opt-outs, the engine's history, members' recent prompts. */
interface RoundInputs {
  sync: RosterSync;
  optedOut: Set<string>;
  history: PairingHistory;
  /** What members got recently, for choosing prompts (not read in a dry run, which shows none). */
  recent: Map<string, GivenPrompt[]>;
}

async function readRound(ctx: Context, options: RoundOptions): Promise<RoundInputs> {
  const sync = await readRosterSync(ctx, options);
  const active = activeOf(sync);
  warnIdleAttributeRule(ctx, active);
  const optedOut = await readOptOuts(ctx);
  const history = readPairingHistory(ctx, active);
  const recent = ctx.dryRun
    ? new Map<string, GivenPrompt[]>()
    : readRecentIcebreakers(
        ctx,
        active.map((m) => m.userId),
      );
  return { sync, optedOut, history, recent };
}

/** Who is paired now (the engine, once), and who is left out of the round and why; of the inputs, what writing the round needs. */
function planRound(ctx: Context, { sync, optedOut, history, recent }: RoundInputs, requestedSeed: number | undefined) {
  const active = activeOf(sync);
  const { candidates, excluded } = selectCandidates(
    active.map((m) => toRosterEntry(m, history.lastIndex)),
    ctx.period,
    ctx.today,
    optedOut,
  );
  const seed = requestedSeed ?? randomInt(0, 0xffffffff);
  ctx.log.info(
    `round ${ctx.period.key}: pairing ${candidates.length} of ${active.length} members with seed ${seed} (replay with --seed ${seed})`,
  );
  const result = runEngine(ctx, candidates, seed, history);
  // In the order a stored round lists them (by id), as a rerun would queue their notices.
  const leftOut = [
    ...result.satOut.map((userId) => ({ userId, reason: 'satOut' as const })),
    ...result.unpaired.map((userId) => ({ userId, reason: 'unpaired' as const })),
  ].sort((a, b) => compareIds(a.userId, b.userId));
  const exclusions: { userId: string; reason: ExclusionReason }[] = [
    ...excluded.optedOut.map((userId) => ({ userId, reason: 'optedOut' as const })),
    ...excluded.paused.map((userId) => ({ userId, reason: 'paused' as const })),
    ...excluded.notDue.map((userId) => ({ userId, reason: 'notDue' as const })),
    ...leftOut,
  ];
  return { sync, recent, result, exclusions, leftOut, seed };
}

/** A rule on a column nobody has a value in changes nothing: most likely a typo, so name the columns there are. */
function warnIdleAttributeRule(ctx: Context, active: readonly Member[]): void {
  const rule = ctx.config.attributeRule;
  if (!rule) return;
  const columns = [...new Set(active.flatMap((m) => Object.keys(m.attributes)))].sort();
  if (columns.includes(rule.key)) return;
  const known = columns.length
    ? `the roster's columns are ${columns.join(', ')}`
    : 'the roster has no columns besides id, name and timezone';
  ctx.log.warn(`PAIRBOT_ATTRIBUTE_RULE: no member has a "${rule.key}" value, so ${rule.mode}:${rule.key} changes nothing; ${known}`);
}

/** Members are told only that nobody could be paired with them; the operator learns why. */
function warnUnplaced(ctx: Context, result: MatchResult, members: ReadonlyMap<string, Member>): void {
  const alone = result.groups.length === 0 && result.unpaired.length + result.satOut.length === 1;
  if (result.unpaired.length === 0 || alone) return;
  const names = result.unpaired.map((id) => listItem(members.get(id)?.name ?? id)).join(', ');
  ctx.log.warn(
    `${count(result.unpaired.length, 'member')} ${ctx.scratch ? 'would get' : 'got'} no group in ${ctx.period.key} because avoids leave them no possible partner: ${names}. ` +
      'They are not told why; see `pairbot member show <who>` for their avoids.',
  );
}

/** The report of a stored round, as it stands (catch-up may have placed people since it was formed). */
function storedRoundReport(
  ctx: Context,
  round: RoundRow,
  members: ReadonlyMap<string, { name: string }>,
  delivery: DeliveryReport | undefined,
): PairReport {
  const groups = currentGroupsOfRound(ctx.db, round.id).map((g) => g.memberIds);
  return roundReport(ctx, round, groups, exclusionsOfRound(ctx.db, round.id), members, true, delivery);
}

/** SPEC §5's report of a round from plain data: the same document whether the round was just planned or read back from the store. */
function roundReport(
  ctx: Context,
  round: Pick<RoundRow, 'period' | 'seed'>,
  groups: readonly (readonly string[])[],
  exclusions: readonly { userId: string; reason: ExclusionReason }[],
  members: ReadonlyMap<string, { name: string }>,
  existing: boolean,
  delivery: DeliveryReport | undefined,
): PairReport {
  const name = (id: string): string => members.get(id)?.name ?? id;
  const excluded: Exclusions = { optedOut: [], paused: [], notDue: [] };
  const satOut: string[] = [];
  const unpaired: string[] = [];
  // By id, as the store lists them.
  for (const e of [...exclusions].sort((a, b) => compareIds(a.userId, b.userId))) {
    if (e.reason === 'satOut') satOut.push(e.userId);
    else if (e.reason === 'unpaired') unpaired.push(e.userId);
    else excluded[e.reason].push(e.userId);
  }
  return {
    program: ctx.program.name,
    round: round.period,
    dryRun: ctx.dryRun,
    existing,
    seed: round.seed,
    groups: groups.map((memberIds) => ({
      members: memberIds.map((id) => ({ id, name: name(id) })),
    })),
    excluded,
    // Everyone left without a group this round: sat out by policy or blocked by constraints.
    unpaired: [...satOut, ...unpaired],
    satOut,
    unreachable: [...new Set(delivery?.unreachable ?? [])],
  };
}

function printReport(
  ctx: Context,
  report: PairReport,
  json: boolean | undefined,
  members: ReadonlyMap<string, { name: string }>,
  delivery?: DeliveryReport,
): void {
  if (json) {
    ctx.print(JSON.stringify(report, null, 2));
    return;
  }
  const placed = report.groups.reduce((n, g) => n + g.members.length, 0);
  // A rerun that delivered what an earlier run left pending says so: a cron log shows the backlog cleared.
  const rerun = delivery?.sent
    ? `already paired; delivered ${count(delivery.sent, 'message')} an earlier run left pending`
    : 'already paired; nothing new';
  const label = report.dryRun ? ' (dry run: nothing stored or sent)' : report.existing ? ` (${rerun})` : '';
  const headline = `Round ${report.round} of program "${report.program}"${label}: ${count(report.groups.length, 'group')}, ${count(placed, 'member')}, seed ${report.seed}`;
  const satOut = new Set(report.satOut);
  const blocked = report.unpaired.filter((id) => !satOut.has(id));
  if (ctx.config.quiet) {
    // A cron log gets one line a run, not a line per group.
    const { optedOut, paused, notDue } = report.excluded;
    ctx.print(
      quietLine(
        `${headline}; opted out ${optedOut.length}, paused ${paused.length}, not due ${notDue.length}, sitting out ${report.satOut.length}, not placed ${blocked.length}`,
        delivery,
      ),
    );
    return;
  }
  const lines = [headline];
  report.groups.forEach((g, i) => lines.push(`  ${String(i + 1).padStart(3)}. ${g.members.map((m) => listItem(m.name)).join(' + ')}`));
  const name = (id: string): string => listItem(members.get(id)?.name ?? id);
  const listed = (ids: string[]): string => (ids.length ? ids.map(name).join(', ') : 'none');
  lines.push(
    `Opted out: ${listed(report.excluded.optedOut)}; paused: ${listed(report.excluded.paused)}; not due: ${listed(report.excluded.notDue)}`,
  );
  if (report.satOut.length) lines.push(`Sitting out (odd count or partner left): ${listed(report.satOut)}`);
  if (blocked.length) lines.push(`Could not be placed (avoid constraints): ${listed(blocked)}`);
  if (report.unreachable.length) lines.push(`Could not be messaged: ${listed(report.unreachable)}`);
  ctx.print(lines.join('\n'));
}
