import { randomInt } from 'node:crypto';
import type { Context } from '../context.js';
import { UsageError } from '../errors.js';
import type { MatchResult } from '../core/matching/index.js';
import { count, listItem } from '../core/messages.js';
import type { GivenPrompt } from '../core/icebreakers.js';
import { currentGroups, selectCandidates, type Exclusions } from '../core/round.js';
import { exitCodeFor, type DeliveryReport } from '../delivery.js';
import { countByStatus, enqueue } from '../store/outbox.js';
import { recordIcebreaker } from '../store/icebreakers.js';
import { getMember, memberAddresses, recordSitOut, type Member } from '../store/members.js';
import { exclusionsOfRound, findRound, groupsOfRound, insertRound, lastRound, placementsOfRound, type RoundRow } from '../store/rounds.js';
import { writeTransaction } from '../store/db.js';
import {
  chooseRoundIcebreakers,
  deliver,
  queueRoundMessages,
  readOptOuts,
  readPairingHistory,
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
    printReport(ctx, roundReport(ctx, existing, true, delivery), options.json);
    return exitCodeFor(delivery);
  }
  // A round for an earlier period would find everyone "not due" and stand, empty, for ever.
  const latest = lastRound(ctx.db, ctx.program.id);
  if (latest && latest.periodIndex > ctx.period.index) {
    throw new UsageError(
      `round ${ctx.period.key} is earlier than the latest round, ${latest.period}: rounds are paired forward in time, so nothing was stored (check --date / PAIRBOT_NOW)`,
    );
  }

  // Read, then compute: what is read goes straight into the computation (planRound), so the
  // engine's history and members' recent prompts are garbage before the messages are composed.
  const { members, result, excluded, prompts, seed, leftOut } = planRound(ctx, await readRound(ctx, options), requestedSeed);

  // Write: the round and its messages are committed together, before any message is sent
  // (SPEC §6): a round is never stored without the intros that tell its groups.
  const round = writeTransaction(ctx.db, () => {
    const { roundId, groupIds } = insertRound(ctx.db, {
      programId: ctx.program.id,
      period: ctx.period.key,
      periodIndex: ctx.period.index,
      seed: String(seed),
      formedOn: ctx.today,
      groups: result.groups,
      exclusions: [
        ...excluded.optedOut.map((userId) => ({ userId, reason: 'optedOut' as const })),
        ...excluded.paused.map((userId) => ({ userId, reason: 'paused' as const })),
        ...excluded.notDue.map((userId) => ({ userId, reason: 'notDue' as const })),
        ...leftOut,
      ],
      createdAt: ctx.config.now.toISOString(),
    });
    for (const id of result.satOut) recordSitOut(ctx.db, ctx.program.id, id, ctx.period.index);
    for (const [i, prompt] of prompts) recordIcebreaker(ctx.db, groupIds[i]!, prompt);
    const groups = result.groups.map((memberIds, i) => ({ id: groupIds[i]!, memberIds }));
    const promptOf = new Map([...prompts].map(([i, prompt]) => [groupIds[i]!, prompt]));
    const stored = { id: roundId, period: ctx.period.key, periodIndex: ctx.period.index };
    for (const m of roundMessages(ctx, stored, groups, leftOut, members, promptOf)) enqueue(ctx.db, m);
    return findRound(ctx.db, ctx.program.id, ctx.period.key)!;
  });
  warnUnplaced(ctx, result, members);

  // Deliver, then say what was done.
  const delivery = await deliver(ctx);
  printReport(ctx, roundReport(ctx, round, false, delivery), options.json);
  return exitCodeFor(delivery);
}

/** Everything a new round depends on, read as plain data: the roster (synced into the store), opt-outs, the engine's history, members' recent prompts. */
interface RoundInputs {
  active: Member[];
  optedOut: Set<string>;
  history: PairingHistory;
  recent: Map<string, GivenPrompt[]>;
}

async function readRound(ctx: Context, options: RoundOptions): Promise<RoundInputs> {
  const active = await syncRoster(ctx, options);
  warnIdleAttributeRule(ctx, active);
  const optedOut = await readOptOuts(ctx);
  const history = readPairingHistory(ctx);
  const recent = readRecentIcebreakers(
    ctx,
    active.map((m) => m.userId),
  );
  return { active, optedOut, history, recent };
}

/** Who is paired now, the groups (the engine, once) and each group's prompt; of the inputs only the members are kept, to address the messages. */
function planRound(ctx: Context, { active, optedOut, history, recent }: RoundInputs, requestedSeed: number | undefined) {
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
  // Prompts by the group's place in the round until the groups have ids.
  const prompts = chooseRoundIcebreakers(
    ctx,
    String(seed),
    result.groups.map((memberIds, i) => ({ id: i, memberIds })),
    recent,
  );
  // In the order a stored round lists them (by id), as a rerun would queue their notices.
  const leftOut = [
    ...result.satOut.map((userId) => ({ userId, reason: 'satOut' as const })),
    ...result.unpaired.map((userId) => ({ userId, reason: 'unpaired' as const })),
  ].sort((a, b) => (a.userId < b.userId ? -1 : a.userId > b.userId ? 1 : 0));
  return { members: new Map(active.map((m) => [m.userId, m])), result, excluded, prompts, seed, leftOut };
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

function roundReport(ctx: Context, round: RoundRow, existing: boolean, delivery: DeliveryReport | undefined): PairReport {
  const members = memberAddresses(ctx.db, ctx.program.id);
  const name = (id: string): string => members.get(id)?.name ?? id;
  const excluded: Exclusions = { optedOut: [], paused: [], notDue: [] };
  const satOut: string[] = [];
  const unpaired: string[] = [];
  for (const e of exclusionsOfRound(ctx.db, round.id)) {
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
    groups: currentGroups(groupsOfRound(ctx.db, round.id), placementsOfRound(ctx.db, round.id)).map((g) => ({
      members: g.memberIds.map((id) => ({ id, name: name(id) })),
    })),
    excluded,
    // Everyone left without a group this round: sat out by policy or blocked by constraints.
    unpaired: [...satOut, ...unpaired],
    satOut,
    unreachable: [...new Set(delivery?.unreachable ?? [])],
  };
}

function printReport(ctx: Context, report: PairReport, json: boolean | undefined): void {
  if (json) {
    ctx.print(JSON.stringify(report, null, 2));
    return;
  }
  const placed = report.groups.reduce((n, g) => n + g.members.length, 0);
  const label = report.dryRun ? ' (dry run: nothing stored or sent)' : report.existing ? ' (already paired; nothing new)' : '';
  const headline = `Round ${report.round} of program "${report.program}"${label}: ${count(report.groups.length, 'group')}, ${count(placed, 'member')}, seed ${report.seed}`;
  const blocked = report.unpaired.filter((id) => !report.satOut.includes(id));
  if (ctx.config.quiet) {
    // A cron log gets one line a run, not a line per group.
    const { optedOut, paused, notDue } = report.excluded;
    ctx.print(
      `${headline}; opted out ${optedOut.length}, paused ${paused.length}, not due ${notDue.length}, sitting out ${report.satOut.length}, not placed ${blocked.length}`,
    );
    return;
  }
  const lines = [headline];
  report.groups.forEach((g, i) => lines.push(`  ${String(i + 1).padStart(3)}. ${g.members.map((m) => listItem(m.name)).join(' + ')}`));
  const name = (id: string): string => listItem(getMember(ctx.db, ctx.program.id, id)?.name ?? id);
  const listed = (ids: string[]): string => (ids.length ? ids.map(name).join(', ') : 'none');
  lines.push(
    `Opted out: ${listed(report.excluded.optedOut)}; paused: ${listed(report.excluded.paused)}; not due: ${listed(report.excluded.notDue)}`,
  );
  if (report.satOut.length) lines.push(`Sitting out (odd count): ${listed(report.satOut)}`);
  if (blocked.length) lines.push(`Could not be placed (avoid constraints): ${listed(blocked)}`);
  if (report.unreachable.length) lines.push(`Could not be messaged: ${listed(report.unreachable)}`);
  ctx.print(lines.join('\n'));
}
