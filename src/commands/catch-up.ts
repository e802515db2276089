import { randomInt } from 'node:crypto';
import type { Context } from '../context.js';
import { count, listItem, renderWaiting, type WaitReason } from '../core/messages.js';
import { activeConstraints, ageMeetings, firstRoundFrom, groupToJoin, joinLimit } from '../core/round.js';
import { exitCodeFor, quietLine } from '../delivery.js';
import { nextPeriod } from '../core/periods.js';
import { applyRosterSync, getMember, listPreferences, recordSitOut } from '../store/members.js';
import { icebreakerOf } from '../store/icebreakers.js';
import { enqueue, outboxKey } from '../store/outbox.js';
import {
  addToGroup,
  clearExclusion,
  excludeFromRound,
  findRound,
  insertGroup,
  lastGroupedIndex,
  meetingsOnPlatform,
} from '../store/rounds.js';
import { writeTransaction } from '../store/db.js';
import {
  activeOf,
  addressee,
  catchUpView,
  introText,
  queueRoundMessages,
  logRosterSync,
  readRosterSync,
  runEngine,
  toRosterEntry,
  type RoundOptions,
  deliver,
} from '../rounds.js';

/**
 * Mid-period catch-up: groups members who joined after the round and members
 * whose partners all left, with each other — or, alone, into the smallest
 * fitting group — touching nobody else. Nobody is placed twice by catch-up.
 */
export async function catchUp(ctx: Context, options: RoundOptions): Promise<number> {
  const requestedSeed = options.seed;
  const round = findRound(ctx.db, ctx.program.id, ctx.period.key);
  if (!round) {
    // Still deliver what earlier runs left pending, so an hourly catch-up is also the retry job.
    const delivery = await deliver(ctx);
    // The result line, --quiet included: a cron log gets a line a run.
    if (!options.json)
      ctx.print(quietLine(`Catch-up for ${ctx.period.key}: no round yet, so nothing to add to (run \`pairbot pair\` first).`, delivery));
    else
      ctx.print(
        JSON.stringify(
          {
            program: ctx.program.name,
            round: ctx.period.key,
            dryRun: ctx.dryRun,
            catchUp: true,
            groups: [],
            joined: [],
            unpaired: [],
            unreachable: [...new Set(delivery?.unreachable ?? [])],
          },
          null,
          2,
        ),
      );
    return exitCodeFor(delivery);
  }
  // Read: the roster sync is computed here and written with the new groups.
  const sync = await readRosterSync(ctx, options);
  const active = activeOf(sync);
  const lastIndex = lastGroupedIndex(ctx.db, ctx.program.id);
  const { stillActive, groups, placement, current, waiting } = await catchUpView(
    ctx,
    round,
    active.map((m) => toRosterEntry(m, lastIndex)),
  );

  const seed = requestedSeed ?? randomInt(0, 0xffffffff);
  ctx.log.info(`catch-up for ${round.period}: ${waiting.length} waiting, seed ${seed} (replay with --seed ${seed})`);
  const meetings = meetingsOnPlatform(ctx.db, ctx.program.platform);
  const preferences = listPreferences(ctx.db, ctx.program.id);
  const result =
    waiting.length >= 2
      ? runEngine(ctx, waiting, seed, { preferences, meetings })
      : { groups: [], satOut: [], unpaired: waiting.map((w) => w.id) };
  const { avoid } = activeConstraints(preferences, meetings);
  const history = ageMeetings(meetings, ctx.period, ctx.config.cadence);
  const formed: string[][] = result.groups;
  const joined: { userId: string; groupId: number }[] = [];
  const left: string[] = [];
  // Pairs under PAIRBOT_ODD=sit-out never grow into a trio: a lone one waits for someone to pair
  // with (a late joiner) or the next round, which gives whoever sat out priority.
  const maxSize = joinLimit(ctx.config.groupSize, ctx.config.odd);
  for (const id of [...result.satOut, ...result.unpaired]) {
    const target = groupToJoin(id, current, stillActive, avoid, history, maxSize);
    if (target) {
      joined.push({ userId: id, groupId: target.id });
      (target.memberIds as string[]).push(id);
    } else left.push(id);
  }
  // No pair grows into a trio: who waits is told why, once a round (who sat out was told by pair).
  // Their partner left when someone placed with them is out of the program now; otherwise they were
  // the one away (joined or came back) while the round, their partner included, was paired.
  const byId = new Map(groups.map((g) => [g.id, g]));
  const partnerLeft = (id: string): boolean =>
    byId.get(placement.get(id) ?? -1)?.memberIds.some((other) => other !== id && !stillActive.has(other)) ?? false;
  const satOutNow = new Set(waiting.filter((w) => w.lastSatOut === round.periodIndex).map((w) => w.id));
  const told: { id: string; why: WaitReason }[] =
    maxSize === 0
      ? left
          .map((id) => ({ id, why: partnerLeft(id) ? ('partnerLeft' as const) : ('late' as const) }))
          .filter(({ id, why }) => why === 'partnerLeft' || !satOutNow.has(id))
      : [];

  // The round a waiting member is in next: who was grouped this round (then away) and meets every few
  // rounds is not due in the next one.
  const waitingById = new Map(waiting.map((w) => [w.id, w]));
  const dueIn = (id: string) => {
    const entry = waitingById.get(id)!;
    return { round: firstRoundFrom(entry, nextPeriod(ctx.period, ctx.config.cadence), ctx.config.cadence), every: entry.frequency };
  };
  const createdAt = ctx.config.now.toISOString();
  writeTransaction(ctx.db, () => {
    applyRosterSync(ctx.db, ctx.program.id, sync);
    for (const members of formed) insertGroup(ctx.db, ctx.program.id, round.id, ctx.today, 'catch-up', members, createdAt);
    for (const j of joined) {
      addToGroup(ctx.db, j.groupId, [j.userId]);
      const group = current.find((g) => g.id === j.groupId)!;
      const extra = { joined: addressee(ctx, j.userId), icebreaker: icebreakerOf(ctx.db, j.groupId) };
      enqueue(ctx.db, {
        programId: ctx.program.id,
        dedupeKey: outboxKey.join(j.groupId, j.userId),
        kind: 'intro',
        period: round.period,
        groupId: j.groupId,
        recipients: group.memberIds,
        ...introText(ctx, group.memberIds, ctx.period, extra),
        createdAt,
      });
    }
    for (const id of [...formed.flat(), ...joined.map((j) => j.userId)]) clearExclusion(ctx.db, round.id, id);
    for (const { id, why } of told) {
      const queued = enqueue(ctx.db, {
        programId: ctx.program.id,
        dedupeKey: outboxKey.leftOut(why, round.id, id),
        kind: why === 'partnerLeft' ? 'sit-out' : 'unpaired',
        period: round.period,
        recipients: [id],
        body: renderWaiting(addressee(ctx, id), ctx.period, ctx.config.cadence, why, dueIn(id), ctx.config.templates),
        createdAt,
      });
      if (why !== 'partnerLeft') continue;
      // Someone whose partner left is out of that group: not asked about it, and not silently back in
      // it if the partner returns (the two are paired anew). The priority a sit-out gives, once:
      // catch-up runs hourly.
      excludeFromRound(ctx.db, round.id, id, 'satOut');
      if (queued) recordSitOut(ctx.db, ctx.program.id, id, round.periodIndex);
    }
    // The new groups' intros are committed with them.
    queueRoundMessages(ctx, round);
  });
  logRosterSync(ctx, sync);
  const delivery = await deliver(ctx);

  const name = (id: string): string => getMember(ctx.db, ctx.program.id, id)?.name ?? id;
  const shown = (m: { name: string }): string => listItem(m.name);
  const report = {
    program: ctx.program.name,
    round: round.period,
    dryRun: ctx.dryRun,
    catchUp: true,
    seed: String(seed),
    groups: formed.map((g) => ({ members: g.map((id) => ({ id, name: name(id) })) })),
    joined: joined.map((j) => ({
      id: j.userId,
      name: name(j.userId),
      group: current.find((g) => g.id === j.groupId)!.memberIds.map((id) => ({ id, name: name(id) })),
    })),
    unpaired: left,
    unreachable: [...new Set(delivery?.unreachable ?? [])],
  };
  if (options.json) ctx.print(JSON.stringify(report, null, 2));
  else {
    const headline = `Catch-up for round ${report.round}${ctx.dryRun ? ' (dry run: nothing stored or sent)' : ''}: ${count(formed.length, 'new group')}, ${joined.length} joined an existing group`;
    const lines = [`${headline}.`];
    for (const g of report.groups) lines.push(`  new: ${g.members.map(shown).join(' + ')}`);
    for (const j of report.joined)
      lines.push(
        `  ${shown(j)} joins ${j.group
          .filter((m) => m.id !== j.id)
          .map(shown)
          .join(' + ')}`,
      );
    if (left.length) lines.push(`Still waiting (nobody to pair with yet): ${left.map((id) => listItem(name(id))).join(', ')}`);
    if (report.unreachable.length) lines.push(`Could not be messaged: ${report.unreachable.map((id) => listItem(name(id))).join(', ')}`);
    if (waiting.length === 0) lines.push('Nobody is waiting.');
    // A cron log gets one line a run, not a line per group.
    ctx.print(ctx.config.quiet ? quietLine(`${headline}; ${left.length} still waiting.`, delivery) : lines.join('\n'));
  }
  return exitCodeFor(delivery);
}
