import type { Cadence } from './periods.js';

/** One scheduled pairbot run: a 5-field cron pattern, read in PAIRBOT_TIMEZONE. */
export interface ScheduledJob {
  cron: string;
  /** The pairbot command and its options, e.g. ['pair', '--catch-up']. */
  args: readonly string[];
  /** Why it runs then, for the crontab's comment. */
  why: string;
}

/**
 * The one list of what runs when, for each cadence: `pairbot crontab` prints it and the
 * container's scheduler runs it, so the two cannot drift apart. The order of a cycle is
 * announce (optout) → tally and re-ask (collect-feedback) → prune → pair → ask; no two jobs
 * start in the same minute.
 */
export function scheduledJobs(cadence: Cadence): ScheduledJob[] {
  // No two jobs start in the same minute: the run that finds the program's lock held exits 75
  // and does nothing, and a `pair` that lost to an inbox run would leave the period unpaired.
  const catchUp: ScheduledJob = {
    cron: '20 10-20 * * *',
    args: ['pair', '--catch-up'],
    why: 'Hourly 10:20-20:20: pair late joiners and people whose partner left, and deliver anything an outage left pending (exit 3 = still pending). Catch-up never creates a round by itself.',
  };
  const inbox: ScheduledJob = {
    cron: '2-59/5 * * * *',
    args: ['inbox'],
    why: 'Every 5 minutes (2, 7, 12 … past the hour, apart from the other jobs): answer what members and moderators wrote to the bot (skip, pause, help, …); a run finding another holding the lock exits 75 and the next one catches up.',
  };
  switch (cadence) {
    case 'weekly':
      return [
        {
          cron: '0 10 * * 6',
          args: ['optout'],
          why: "Saturday 10:00: announce Monday's round in the channel; members react ❌ to sit it out.",
        },
        {
          cron: '30 8 * * 1',
          args: ['collect-feedback'],
          why: "Monday 08:30: tally last week's answers, re-ask groups that said 📅 scheduled.",
        },
        {
          cron: '45 8 * * 1',
          args: ['prune'],
          why: 'Monday 08:45: remove (kindly) members who missed PAIRBOT_MAX_MISSES meetings in a row; apply retention.',
        },
        { cron: '0 9 * * 1', args: ['pair'], why: "Monday 09:00: pair this week's groups and message each group." },
        {
          cron: '0 16 * * 4',
          args: ['collect-feedback'],
          why: "Thursday 16:00: ask this week's groups whether they met (✅ met, ❌ didn't, 📅 scheduled).",
        },
        catchUp,
        inbox,
      ];
    case 'daily':
      return [
        { cron: '0 18 * * *', args: ['optout'], why: "Every day 18:00: announce tomorrow's round; members react ❌ to sit it out." },
        {
          cron: '30 8 * * *',
          args: ['collect-feedback'],
          why: "Every day 08:30: ask yesterday's groups whether they met and tally the answers so far.",
        },
        {
          cron: '45 8 * * *',
          args: ['prune'],
          why: 'Every day 08:45: remove (kindly) members who missed PAIRBOT_MAX_MISSES meetings in a row; apply retention.',
        },
        { cron: '0 9 * * *', args: ['pair'], why: "Every day 09:00: pair today's groups and message each group." },
        catchUp,
        inbox,
      ];
    case 'monthly':
      return [
        { cron: '0 10 28 * *', args: ['optout'], why: "The 28th 10:00: announce next month's round; members react ❌ to sit it out." },
        {
          cron: '30 8 1 * *',
          args: ['collect-feedback'],
          why: "The 1st 08:30: tally last month's answers, re-ask groups that said 📅 scheduled.",
        },
        {
          cron: '45 8 1 * *',
          args: ['prune'],
          why: 'The 1st 08:45: remove (kindly) members who missed PAIRBOT_MAX_MISSES meetings in a row; apply retention.',
        },
        { cron: '0 9 1 * *', args: ['pair'], why: "The 1st 09:00: pair this month's groups and message each group." },
        {
          cron: '0 16 22 * *',
          args: ['collect-feedback'],
          why: "The 22nd 16:00: ask this month's groups whether they met (✅ met, ❌ didn't, 📅 scheduled).",
        },
        catchUp,
        inbox,
      ];
  }
}
