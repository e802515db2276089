import { format } from 'date-fns';
import type { Context } from '../context.js';
import { EXIT } from '../errors.js';
import { renderOptOutAnnouncement } from '../core/messages.js';
import { nextPeriod, type Cadence, type Period } from '../core/periods.js';
import { exitCodeFor, quietLine } from '../delivery.js';
import { deliver } from '../rounds.js';
import { enqueue, findByKey, outboxKey } from '../store/outbox.js';

/** "Monday 23 November" for a weekly or daily round, "November 2026" for a monthly one. */
function describeStart(period: Period, cadence: Cadence): string {
  const [y, m, d] = period.start.split('-').map(Number) as [number, number, number];
  const date = new Date(y, m - 1, d);
  return cadence === 'monthly' ? `the first days of ${format(date, 'MMMM yyyy')}` : format(date, 'EEEE d MMMM');
}

/**
 * Posts the announcement for the next round in the program's channel, with the
 * bot's own ❌ so members only have to click it. Once per round.
 */
export async function optout(ctx: Context, options: { dryRun?: boolean }): Promise<number> {
  const next = nextPeriod(ctx.period, ctx.config.cadence);
  const key = outboxKey.optOut(ctx.program.id, next.key);
  const text = renderOptOutAnnouncement(
    next,
    describeStart(next, ctx.config.cadence),
    ctx.config.cadence,
    ctx.platform.kind,
    ctx.config.templates,
  );
  if (options.dryRun && findByKey(ctx.db, key)) {
    ctx.print(`Round ${next.key} was already announced; nothing would be posted.`);
    return EXIT.ok;
  }
  if (options.dryRun) {
    ctx.print(`Would post in the program channel for round ${next.key} (with the bot's ❌ reaction):\n\n${text}`);
    return EXIT.ok;
  }
  enqueue(ctx.db, {
    programId: ctx.program.id,
    dedupeKey: key,
    kind: 'optout',
    period: next.key,
    recipients: [],
    body: text,
    reactions: ['skip'],
    createdAt: ctx.config.now.toISOString(),
  });
  // Stored by an earlier run that could not post it: this run posts it.
  const postedBefore = findByKey(ctx.db, key)?.status === 'sent';
  if (postedBefore) ctx.log.info(`the opt-out announcement for round ${next.key} was already made; nothing new to post`);
  const delivery = await deliver(ctx);
  const posted = findByKey(ctx.db, key);
  const line =
    posted?.status === 'sent'
      ? !postedBefore
        ? `Posted the opt-out announcement for round ${next.key}.`
        : `Round ${next.key} was already announced.`
      : // Said only with --quiet: without it the warnings say why it is not posted.
        ctx.config.quiet
        ? `The opt-out announcement for round ${next.key} is stored, not posted yet.`
        : undefined;
  if (line) ctx.print(ctx.config.quiet ? quietLine(line, delivery) : line);
  return exitCodeFor(delivery);
}
