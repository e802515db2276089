import { subDays } from 'date-fns';
import type { Context } from '../context.js';
import { count, renderRemoval } from '../core/messages.js';
import { groupsToDelete } from '../core/retention.js';
import { type DeliveryReport, exitCodeFor, quietLine } from '../delivery.js';
import { deliver } from '../rounds.js';
import { forgetPerson, listMembers, updateMember } from '../store/members.js';
import { enqueue, outboxKey } from '../store/outbox.js';
import { datedGroups, deleteGroups, longGoneMembers } from '../store/retention.js';
import { writeTransaction } from '../store/db.js';
import { missesOf } from '../member-info.js';

export interface PruneReport {
  program: string;
  dryRun: boolean;
  maxMisses: number;
  removed: { id: string; name: string; misses: number; removedFromPlace: boolean | null }[];
  retention: { cutoff: string; groupsDeleted: number; membersDeleted: string[] };
}

// `join` works on every platform (the bot adds the channel membership or role where it may, or says how): a Discord member holds a role, not a channel seat.
const REJOIN_HINT = 'Whenever you want to rejoin and meet people again, write `join` to me — you start with a clean slate.';

/**
 * Removes members charged with PAIRBOT_MAX_MISSES misses in a row (flagged in the
 * database always, taken out of the place where the bot may, and told kindly how
 * to rejoin), then deletes history past PAIRBOT_RETENTION_DAYS.
 */
export async function prune(ctx: Context, options: { json?: boolean }): Promise<number> {
  const { db, program, config } = ctx;
  const toRemove = listMembers(db, program.id)
    .filter((m) => m.state === 'active')
    .map((m) => ({ member: m, misses: missesOf(ctx, m) }))
    .filter((x) => x.misses >= config.maxMisses);

  const report: PruneReport = {
    program: program.name,
    dryRun: ctx.dryRun,
    maxMisses: config.maxMisses,
    removed: [],
    retention: { cutoff: '', groupsDeleted: 0, membersDeleted: [] },
  };
  for (const { member, misses } of toRemove) {
    // Out of the place first: if that fails the run stops with nothing flagged, and the next run retries.
    let removedFromPlace: boolean | null = null;
    if (!ctx.dryRun) {
      await ctx.connect();
      removedFromPlace = (await ctx.platform.removeMember(member.userId)) === 'removed';
      if (!removedFromPlace)
        ctx.log.warn(
          `the bot may not remove ${member.name} from the ${program.platform} channel/role: flagged as removed in pairbot only; remove them by hand if needed`,
        );
    }
    writeTransaction(db, () => {
      updateMember(db, program.id, member.userId, { state: 'removed', leftOn: removedFromPlace ? ctx.today : null });
      enqueue(db, {
        programId: program.id,
        dedupeKey: outboxKey.removal(member.userId, member.joinedOn),
        kind: 'removal',
        recipients: [member.userId],
        body: renderRemoval(
          { mention: ctx.platform.mention({ id: member.userId, name: member.name }) },
          misses,
          REJOIN_HINT,
          ctx.config.templates,
        ),
        createdAt: config.now.toISOString(),
      });
    });
    report.removed.push({ id: member.userId, name: member.name, misses, removedFromPlace });
  }

  const cutoffDate = subDays(new Date(`${ctx.today}T00:00:00Z`), config.retentionDays)
    .toISOString()
    .slice(0, 10);
  report.retention.cutoff = cutoffDate;
  const doomed = groupsToDelete(datedGroups(db, program.id), cutoffDate);
  const gone = longGoneMembers(db, program.id, cutoffDate);
  writeTransaction(db, () => {
    deleteGroups(db, program.id, doomed, `${cutoffDate}T00:00:00.000Z`);
    for (const id of gone) forgetPerson(db, id, program.id);
  });
  report.retention.groupsDeleted = doomed.length;
  report.retention.membersDeleted = gone;

  const delivery = await deliver(ctx);
  print(ctx, report, options.json, delivery);
  return exitCodeFor(delivery);
}

function print(ctx: Context, report: PruneReport, json: boolean | undefined, delivery: DeliveryReport | undefined): void {
  if (json) {
    ctx.print(JSON.stringify(report, null, 2));
    return;
  }
  const removed = report.removed.length
    ? `${report.dryRun ? 'Would remove' : 'Removed'} ${count(report.removed.length, 'member')} after ${report.maxMisses} missed meetings in a row:`
    : `Nobody has missed ${report.maxMisses} meetings in a row; nobody ${report.dryRun ? 'would be' : 'was'} removed.`;
  const byHand = ' — the bot may not remove them from the channel/role: do it by hand';
  const retention = `History before ${report.retention.cutoff}: ${report.dryRun ? 'would delete' : 'deleted'} ${count(report.retention.groupsDeleted, 'group')} and ${count(report.retention.membersDeleted.length, 'long-gone member')}, keeping everyone's 10 latest partners.`;
  if (ctx.config.quiet) {
    // A cron log gets one line a run, with everything the full output says.
    const who = report.removed.map((r) => `${r.name} (${r.id}, ${r.misses} misses${r.removedFromPlace === false ? byHand : ''})`);
    const head = report.removed.length ? `${removed} ${who.join(', ')}` : removed.replace(/\.$/, '');
    ctx.print(quietLine(`${head}; ${retention.charAt(0).toLowerCase()}${retention.slice(1)}`, delivery));
    return;
  }
  const lines = [
    removed,
    ...report.removed.map((r) => `  ${r.name} (${r.id}): ${r.misses} misses${r.removedFromPlace === false ? byHand : ''}`),
    retention,
  ];
  ctx.print(lines.join('\n'));
}
