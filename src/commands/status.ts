import type { Context } from '../context.js';
import { EXIT } from '../errors.js';
import { count, listItem } from '../core/messages.js';
import { nextPeriod, periodFromIndex } from '../core/periods.js';
import { activeConstraints, ruledOutByAvoids } from '../core/round.js';
import { listMembers, listPreferences } from '../store/members.js';
import { countMembers } from '../core/members.js';
import { countByStatus, undeliveredMessages, unreachableInRound } from '../store/outbox.js';
import { exclusionsOfRound, currentGroupsOfRound, lastRound } from '../store/rounds.js';
import { lastAskedRound, tallyRound } from '../rounds.js';

export async function status(ctx: Context, options: { json?: boolean; version: string; commit?: string | undefined }): Promise<number> {
  const { config, db, program } = ctx;
  const members = listMembers(db, program.id);
  const counts = countMembers(members, ctx.today);
  const last = lastRound(db, program.id);
  const next =
    last && last.periodIndex >= ctx.period.index
      ? nextPeriod(periodFromIndex(last.periodIndex, config.cadence), config.cadence)
      : ctx.period;
  const deliveries = countByStatus(db, program.id);
  // Avoids can leave someone with nobody they may meet: members are never told why, so operators must be.
  const active = members.filter((m) => m.state === 'active');
  const named = (id: string): { id: string; name: string } => ({ id, name: members.find((m) => m.userId === id)?.name ?? id });
  const { avoid } = activeConstraints(listPreferences(db, program.id), []);
  const unpairable = ruledOutByAvoids(
    active.map((m) => m.userId),
    avoid,
  ).map(named);
  const unplaced = last
    ? exclusionsOfRound(db, last.id)
        .filter((e) => e.reason === 'unpaired')
        .map((e) => named(e.userId))
    : [];
  // Whom the last round could not message, and what is still to deliver: the operator acts on these.
  const byName = (a: { name: string }, b: { name: string }) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
  const unreachable = last ? unreachableInRound(db, program.id, last.period).map(named).sort(byName) : [];
  const undelivered = undeliveredMessages(db, program.id).map((m) => ({
    message: m.id,
    kind: m.kind,
    round: m.period,
    status: m.status,
    to: m.recipients.filter((id) => !m.delivered.includes(id)).map(named),
    attempts: m.attempts,
    error: m.lastError,
  }));
  const asked = lastAskedRound(ctx);
  const feedback = asked ? { round: asked.period, ...tallyRound(ctx, asked) } : null;
  const report = {
    version: options.version,
    /** The git commit pairbot was built from, when known (a checkout, or a build's record). */
    commit: options.commit ?? null,
    program: program.name,
    platform: program.platform,
    cadence: config.cadence,
    timezone: config.timezone,
    database: config.db,
    members: counts,
    lastRound: last
      ? { round: last.period, groups: currentGroupsOfRound(db, last.id).length, createdAt: last.createdAt, unplaced, unreachable }
      : null,
    unpairable,
    nextRound: { round: next.key, starts: next.start },
    deliveries,
    undelivered,
    feedback,
  };
  if (options.json) {
    ctx.print(JSON.stringify(report, null, 2));
    return EXIT.ok;
  }
  ctx.print(
    [
      `pairbot ${report.version}${report.commit ? ` (commit ${report.commit})` : ''}`,
      `program:    ${report.program} on ${report.platform} (${report.cadence}, ${report.timezone})`,
      `database:   ${report.database}`,
      `members:    ${counts.active} active, ${counts.paused} paused, ${counts.left} left, ${counts.removed} removed, ${counts.kicked} kicked`,
      `last round: ${last ? `${last.period} (${count(report.lastRound!.groups, 'group')}${unplaced.length ? `; ${unplaced.length} left without a group by avoids: ${unplaced.map((m) => listItem(m.name)).join(', ')}` : ''}${unreachable.length ? `; could not reach ${unreachable.map((m) => listItem(m.name)).join(', ')}` : ''})` : 'none yet'}`,
      `next round: ${next.key} (from ${next.start})`,
      `deliveries: ${deliveries.pending} pending, ${deliveries.failed} failed, ${deliveries.sent} sent`,
      ...undeliveredLines(undelivered),
      `feedback:   ${feedback ? `${feedback.round}: ${feedback.met} met, ${feedback.missed} missed, ${feedback.scheduled} scheduled, ${feedback.unanswered} unanswered` : 'none asked yet'}`,
      ...(unpairable.length
        ? [
            `warning:    avoids rule out every other active member for ${unpairable.map((m) => listItem(m.name)).join(', ')}: they are never paired until an avoid is lifted`,
          ]
        : []),
    ].join('\n'),
  );
  return EXIT.ok;
}

const UNDELIVERED_SHOWN = 10;

/** One line per message not delivered: what, for whom, and the last error (the rest counted). */
function undeliveredLines(
  list: { kind: string; round: string | null; status: string; to: { name: string }[]; attempts: number; error: string | null }[],
): string[] {
  const lines = list.slice(0, UNDELIVERED_SHOWN).map((u) => {
    const to = u.to.length ? ` to ${u.to.map((m) => listItem(m.name)).join(', ')}` : ' in the channel';
    const tries = u.attempts ? ` (${count(u.attempts, 'attempt')}${u.error ? `; last error: ${u.error}` : ''})` : ' (not tried yet)';
    return `  ${u.status}: ${u.kind}${u.round ? ` of ${u.round}` : ''}${to}${tries}`;
  });
  if (list.length > UNDELIVERED_SHOWN) lines.push(`  … and ${list.length - UNDELIVERED_SHOWN} more (status --json lists all)`);
  return lines;
}
