import { Command, CommanderError, Option } from 'commander';
import type { CommonFlags } from './config.js';
import type { ContextOptions } from './context.js';
import { gitCommit, version } from './install.js';

function withCommonOptions(cmd: Command): Command {
  return cmd
    .option('--db <path>', 'SQLite database file (PAIRBOT_DB, default ./data/pairbot.db)')
    .option('--program <name>', 'program inside the database (PAIRBOT_PROGRAM, default "default")')
    .option('--config <file>', 'JSON config file of settings (PAIRBOT_CONFIG)')
    .option('--date <YYYY-MM-DD>', 'act as if today were this date, in PAIRBOT_TIMEZONE (overrides PAIRBOT_NOW)')
    .option('--verbose', 'log details to stderr')
    .option('--quiet', 'log only errors');
}

type Run = (flags: CommonFlags, options: ContextOptions, body: Parameters<typeof import('./context.js').withContext>[2]) => Promise<number>;

/**
 * Builds the commander program. Each action lazily imports its command, runs it
 * in a context, and reports its exit code through `setExit`.
 */
export function buildCli(setExit: (code: number) => void): Command {
  const program: Command = withCommonOptions(new Command('pairbot'))
    .description('Pairs the members of a chat community for regular 1-on-1 meetings. Run by cron; each command does one job and exits.')
    // Only the version, as SPEC §3 says; `status` adds the git commit it was built from.
    .option('-V, --version', 'print the version')
    .on('option:version', () => {
      process.stdout.write(`${version()}\n`);
      throw new CommanderError(0, 'commander.version', version());
    })
    // commander's own usage errors ("error: unknown option …") get the prefix every other error has;
    // subcommands inherit this, and the hint below is written without it.
    .configureOutput({ outputError: (text, write) => write(`[pairbot] ${text}`) })
    .showHelpAfterError('(run with --help for usage)')
    .addHelpText(
      'after',
      `
Exit codes: 0 done, 1 failed, 2 usage/config error, 3 partly delivered (the next run retries), 75 another run holds the lock.
Settings come from flags, then environment variables (PAIRBOT_*, MATTERMOST_*, DISCORD_*), then PAIRBOT_CONFIG, then .env. See README.md.`,
    );
  // Common options are accepted before the command name too (`pairbot --verbose pair`).
  const run: Run = async (flags, options, body) => {
    const { withContext } = await import('./context.js');
    return withContext({ ...(program.opts() as CommonFlags), ...flags }, options, body);
  };
  // A command that writes or sends reports its start and exit code to PAIRBOT_HEALTHCHECK_URL;
  // a dry run does neither, so it is not pinged.
  const pinged = async (command: string, flags: CommonFlags & { dryRun?: boolean }, action: () => Promise<number>): Promise<number> => {
    if (flags.dryRun) return action();
    const { withHealthcheck } = await import('./healthcheck.js');
    return withHealthcheck(command, { ...(program.opts() as CommonFlags), ...flags }, action);
  };
  // Commands that only read the database: no platform, no lock, the file read in place.
  const read = async (
    flags: CommonFlags,
    body: (ctx: import('./reader.js').ReadContext) => Promise<number>,
    options: { anyProgram?: boolean } = {},
  ): Promise<number> => {
    const { withReader } = await import('./reader.js');
    return withReader({ ...(program.opts() as CommonFlags), ...flags }, body, process.env, options);
  };

  withCommonOptions(program.command('pair'))
    .description("form this period's groups, store the round and DM every group")
    .option('--dry-run', 'print the groups; write and send nothing')
    .option('--json', 'print one JSON document on stdout')
    .option('--seed <n>', 'random seed, to replay a pairing')
    .option('--catch-up', 'mid-period: group late joiners and members whose partner left, touching nobody else')
    .option(
      '--accept-roster',
      'take a roster that lost everyone or more than half of the active members as it is (otherwise refused as a fault)',
    )
    .action(async (opts: CommonFlags & { dryRun?: boolean; json?: boolean; seed?: string; catchUp?: boolean; acceptRoster?: boolean }) => {
      setExit(
        await pinged(opts.catchUp ? 'catch-up' : 'pair', opts, async () => {
          const { pair, parseSeed } = await import('./commands/pair.js');
          const command = opts.catchUp ? (await import('./commands/catch-up.js')).catchUp : pair;
          const seed = parseSeed(opts.seed);
          return run(opts, { mode: opts.dryRun ? 'dry-run' : 'write', connectFirst: true }, (ctx) => command(ctx, { ...opts, seed }));
        }),
      );
    });

  withCommonOptions(program.command('optout'))
    .description('post the announcement for the next round; members react ❌ to sit it out')
    .option('--dry-run', 'print the announcement; post nothing')
    .action(async (opts: CommonFlags & { dryRun?: boolean }) => {
      setExit(
        await pinged('optout', opts, async () => {
          const { optout } = await import('./commands/optout.js');
          return run(opts, { mode: opts.dryRun ? 'dry-run' : 'write', connectFirst: true }, (ctx) => optout(ctx, opts));
        }),
      );
    });

  withCommonOptions(program.command('collect-feedback'))
    .description('ask each group of the last round whether they met (once), and tally the answers so far')
    .option('--dry-run', 'tally and show what would be asked; store and send nothing')
    .option('--json', 'print one JSON document on stdout')
    .action(async (opts: CommonFlags & { dryRun?: boolean; json?: boolean }) => {
      setExit(
        await pinged('collect-feedback', opts, async () => {
          const { collectFeedback } = await import('./commands/collect-feedback.js');
          return run(opts, { mode: opts.dryRun ? 'dry-run' : 'write', connectFirst: true }, (ctx) => collectFeedback(ctx, opts));
        }),
      );
    });

  withCommonOptions(program.command('prune'))
    .description('remove members who missed PAIRBOT_MAX_MISSES meetings in a row (kindly), delete history past retention')
    .option('--dry-run', 'list what would happen; change and send nothing')
    .option('--json', 'print one JSON document on stdout')
    .action(async (opts: CommonFlags & { dryRun?: boolean; json?: boolean }) => {
      setExit(
        await pinged('prune', opts, async () => {
          const { prune } = await import('./commands/prune.js');
          return run(opts, { mode: opts.dryRun ? 'dry-run' : 'write', connectFirst: true }, (ctx) => prune(ctx, opts));
        }),
      );
    });

  withCommonOptions(program.command('status'))
    .description('version, program, platform, member counts, last and next round, pending deliveries')
    .option('--json', 'print one JSON document on stdout')
    .action(async (opts: CommonFlags & { json?: boolean }) => {
      const { status } = await import('./commands/status.js');
      setExit(
        await run(opts, { mode: 'inspect', stored: true }, (ctx) =>
          status(ctx, { json: opts.json, version: version(), commit: gitCommit() }),
        ),
      );
    });

  withCommonOptions(program.command('members'))
    .description("the roster with each member's state, frequency, pause and last partner")
    .option('--json', 'print one JSON document on stdout')
    .option('--accept-roster', 'show a roster that lost everyone or more than half of the active members (otherwise refused as a fault)')
    .action(async (opts: CommonFlags & { json?: boolean; acceptRoster?: boolean }) => {
      const { members } = await import('./commands/members.js');
      setExit(await run(opts, { mode: 'inspect', connectFirst: true }, (ctx) => members(ctx, opts)));
    });

  const member = program.command('member').description('look at or change one member (<who> is a user id, username or @username)');
  withCommonOptions(member.command('show').argument('<who>'))
    .description('one member: current group, previous partners, preferences, misses')
    .option('--json', 'print one JSON document on stdout')
    .action(async (who: string, opts: CommonFlags & { json?: boolean }) => {
      const { showMember } = await import('./commands/member.js');
      setExit(await run(opts, { mode: 'inspect', stored: true }, (ctx) => showMember(ctx, who, opts)));
    });
  withCommonOptions(member.command('set').argument('<who>'))
    .description("change a member's settings on their behalf")
    .option('--frequency <n>', 'meet every N periods (1 = every round)')
    .option('--pause-until <YYYY-MM-DD>', 'skip every round formed on or before this date (paired again the day after)')
    .option('--resume', 'end a pause; also lets a removed or kicked member back in')
    .option('--prefer <who>', 'pair with this person at the first round both are due')
    .option('--avoid <who>', 'never pair with this person (hard constraint, both ways)')
    .addOption(new Option('--timezone <tz>', "override the member's IANA time zone"))
    .action(async (who: string, opts: CommonFlags & import('./commands/member.js').SetOptions) => {
      setExit(
        await pinged('member-set', opts, async () => {
          const { setMember, validateSet } = await import('./commands/member.js');
          const changes = validateSet(opts);
          return run(opts, { mode: 'write' }, (ctx) => setMember(ctx, who, opts, changes));
        }),
      );
    });
  withCommonOptions(member.command('kick').argument('<who>'))
    .description('remove a member from the program (until `member set <who> --resume`)')
    .action(async (who: string, opts: CommonFlags) => {
      const { kickMember } = await import('./commands/member.js');
      setExit(await pinged('member-kick', opts, () => run(opts, { mode: 'write' }, (ctx) => kickMember(ctx, who))));
    });
  withCommonOptions(member.command('add-partner').argument('<who>').argument('<partner>'))
    .description('record a past meeting by hand, so the two are not paired again soon')
    .action(async (who: string, partner: string, opts: CommonFlags) => {
      const { addPartner } = await import('./commands/member.js');
      setExit(await pinged('member-add-partner', opts, () => run(opts, { mode: 'write' }, (ctx) => addPartner(ctx, who, partner))));
    });
  withCommonOptions(member.command('forget').argument('<who>'))
    .description('delete everything stored about a person, in every program of the database')
    .action(async (who: string, opts: CommonFlags) => {
      const { forgetMember } = await import('./commands/member.js');
      setExit(await pinged('member-forget', opts, () => run(opts, { mode: 'write' }, (ctx) => forgetMember(ctx, who))));
    });

  withCommonOptions(member.command('export').argument('<who>'))
    .description('everything stored about one person, in every program of the database, as one JSON document')
    .action(async (who: string, opts: CommonFlags) => {
      const { exportMember } = await import('./commands/export.js');
      setExit(await read(opts, (ctx) => exportMember(ctx, who), { anyProgram: true }));
    });

  withCommonOptions(program.command('report'))
    .description('write a self-contained HTML report of the program: participation, outcomes, who met whom, members at risk')
    .option('--out <file>', 'where to write the page', './pairbot-report.html')
    .option('--since <YYYY-MM-DD>', 'only rounds from this date on')
    .action(async (opts: CommonFlags & { out: string; since?: string }) => {
      const { report, validateReport } = await import('./commands/report.js');
      const options = validateReport(opts);
      setExit(await read(opts, (ctx) => report(ctx, options)));
    });

  withCommonOptions(program.command('export'))
    .description("the program's rounds, groups, members and meeting outcomes, for spreadsheets and scripts")
    .option('--format <format>', 'json (one document) or csv (one file per table)', 'json')
    .option('--out <path>', 'json: the file to write (default: stdout); csv: the folder for the files')
    .action(async (opts: CommonFlags & { format?: string; out?: string }) => {
      const { exportProgram, validateExport } = await import('./commands/export.js');
      const options = validateExport(opts);
      setExit(await read(opts, (ctx) => exportProgram(ctx, options)));
    });

  withCommonOptions(program.command('doctor'))
    .description('check the whole set-up, one line per check with ✓/✗ and the fix for each ✗; writes and sends nothing')
    .option('--json', 'print one JSON document on stdout')
    .action(async (opts: CommonFlags & { json?: boolean }) => {
      const { doctor } = await import('./commands/doctor.js');
      setExit(await doctor({ ...(program.opts() as CommonFlags), ...opts }, opts));
    });

  withCommonOptions(program.command('crontab'))
    .description('print the crontab lines for the configured cadence, time zone and install directory')
    .option('--dir <path>', 'directory each job runs in, where .env lives (default: the install directory)')
    .option('--log <file>', "file each job appends its output to; '-' for none", '/var/log/pairbot.log')
    .action(async (opts: CommonFlags & { dir?: string; log: string }) => {
      const [{ jobSettings, renderCrontab, checkLogOption, crontabProblems }, { packageRoot }, { createLogger }] = await Promise.all([
        import('./commands/crontab.js'),
        import('./install.js'),
        import('./log.js'),
      ]);
      const flags = { ...(program.opts() as CommonFlags), ...opts };
      const installDir = packageRoot() ?? process.cwd();
      const where = { dir: opts.dir ?? installDir, log: checkLogOption(opts.log) };
      // The schedule the jobs will follow: DIR/.env and the flags passed on, not this shell's environment.
      const { config, warnings } = jobSettings(process.env, flags, where.dir);
      process.stdout.write(renderCrontab(config, flags, { ...where, installDir, node: process.execPath }));
      const logger = createLogger(config.quiet ? 'quiet' : 'normal', config.secrets);
      for (const problem of [...crontabProblems(where), ...warnings]) logger.warn(problem);
      setExit(0);
    });

  withCommonOptions(program.command('inbox'))
    .description(
      'read what members and moderators wrote to the bot since the last run, apply each command once and reply (cron: every few minutes)',
    )
    .option('--dry-run', 'show what would be done and answered; store and send nothing')
    .option('--json', 'print one JSON document on stdout')
    .action(async (opts: CommonFlags & { dryRun?: boolean; json?: boolean }) => {
      setExit(
        await pinged('inbox', opts, async () => {
          const { inbox } = await import('./commands/inbox.js');
          return run(opts, { mode: opts.dryRun ? 'dry-run' : 'write', connectFirst: true }, (ctx) => inbox(ctx, opts));
        }),
      );
    });

  const local = program.command('local').description('the embedded local platform: see and react to what the bot posted');
  withCommonOptions(local.command('messages'))
    .description('show what the bot posted and DMed, with reactions')
    .option('--json', 'print one JSON document on stdout')
    .action(async (opts: CommonFlags & { json?: boolean }) => {
      const { localMessages } = await import('./commands/local.js');
      setExit(await run(opts, { mode: 'inspect' }, (ctx) => localMessages(ctx, opts)));
    });
  withCommonOptions(
    local.command('react').argument('<post-id>').argument('<who>').argument('<emoji>', 'x / ❌, white_check_mark / ✅, calendar / 📅'),
  )
    .description('react to a post as a member would')
    .option('--remove', 'take the reaction back')
    .action(async (postId: string, who: string, emoji: string, opts: CommonFlags & { remove?: boolean }) => {
      const { localReact } = await import('./commands/local.js');
      setExit(await run(opts, { mode: 'inspect' }, (ctx) => localReact(ctx, postId, who, emoji, opts)));
    });

  withCommonOptions(local.command('say').argument('<who>').argument('<text...>'))
    .description('write to the bot as a member would: a direct message, or with --in in the conversation of a post (what `inbox` reads)')
    .option('--in <post-id>', 'write in the channel (`--in channel`) or in the conversation of this post instead of a direct message')
    .action(async (who: string, text: string[], opts: CommonFlags & { in?: string }) => {
      const { localSay } = await import('./commands/local.js');
      setExit(await run(opts, { mode: 'inspect' }, (ctx) => localSay(ctx, who, text.join(' '), opts)));
    });

  withCommonOptions(local.command('rejoin').argument('<who>'))
    .description('put a member removed from the local channel back, as if they rejoined it')
    .action(async (who: string, opts: CommonFlags) => {
      const { localRejoin } = await import('./commands/local.js');
      setExit(await run(opts, { mode: 'inspect' }, (ctx) => localRejoin(ctx, who)));
    });

  return program;
}
