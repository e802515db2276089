import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { loadConfig, settingsOnlyInEnvironment, type CommonFlags, type Config } from '../config.js';
import { scheduledJobs } from '../core/schedule.js';
import { UsageError } from '../errors.js';
import { isFolder, whyNotWritable } from '../files.js';

export interface CrontabOptions {
  /** The folder cron changes to before each run: where .env (and data/) live. */
  dir: string;
  /** The folder pairbot is installed in (holds bin/pairbot.js). */
  installDir: string;
  /** File each run appends its output to; '-' for none (cron mails it, or a container logs it). */
  log: string;
  /** The node running this command (process.execPath): cron's PATH must find it. */
  node: string;
}

/** cron's PATH: the usual folders, after the one holding the node pairbot runs on when it is elsewhere (nvm, /opt/node). */
const CRON_PATH = ['/usr/local/bin', '/usr/bin', '/bin'];

/** A word for /bin/sh, with cron's `%` (a newline to cron) escaped. */
function shellWord(word: string): string {
  const quoted = /^[A-Za-z0-9_@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
  return quoted.replace(/%/g, '\\%');
}

/**
 * What cron's jobs will read, which the crontab must follow: each job goes to `dir` and reads
 * its .env, the config file and the flags passed on (files as absolute paths), never the
 * environment of the shell running `pairbot crontab` (cron gives a job only the crontab's own
 * variables). A setting only that environment gives is named in a warning with how to make
 * the jobs see it; its value is never shown (it may be a token or the health-check URL) nor
 * copied into the crontab.
 */
export function jobSettings(env: NodeJS.ProcessEnv, flags: CommonFlags, dir: string): { config: Config; warnings: string[] } {
  const folder = resolve(dir);
  const passed: CommonFlags = {
    ...flags,
    ...(flags.db !== undefined ? { db: resolve(flags.db) } : {}),
    ...(flags.config !== undefined ? { config: resolve(flags.config) } : {}),
  };
  const config = loadConfig({}, passed, folder);
  const dotenv = join(folder, '.env');
  const warnings = settingsOnlyInEnvironment(env, passed, folder).map(({ name, flag, instead }) => {
    const theirs = instead === undefined ? 'for them it is unset' : `they read it from ${instead === '.env' ? dotenv : instead}`;
    const carry = flag ? `, or give it as ${flag} to \`pairbot crontab\`, which passes it on to every job` : '';
    return `${name} is set in this shell's environment only: cron's jobs will not see it (${theirs}), and this crontab follows what they read. To make them use it, put ${name} in ${dotenv}${carry}`;
  });
  return { config, warnings };
}

/**
 * The crontab for the configured cadence and time zone (SPEC §9): every job of
 * core/schedule.ts, each going to `dir` and running the installed bin with --quiet.
 * Settings given as flags (--program, --db, --config) are passed on to every job, files as absolute paths.
 */
export function renderCrontab(config: Pick<Config, 'cadence' | 'timezone'>, flags: CommonFlags, options: CrontabOptions): string {
  const dir = resolve(options.dir);
  const installDir = resolve(options.installDir);
  const bin = dir === installDir ? 'node bin/pairbot.js' : `node ${shellWord(`${installDir}/bin/pairbot.js`)}`;
  const passed = [
    ...(flags.program !== undefined ? ['--program', flags.program] : []),
    // Files named here, where the command runs: cron runs each job after `cd` to another folder.
    ...(flags.db !== undefined ? ['--db', resolve(flags.db)] : []),
    ...(flags.config !== undefined ? ['--config', resolve(flags.config)] : []),
  ];
  const redirect = options.log === '-' ? '' : ` >> ${shellWord(resolve(options.log))} 2>&1`;
  const lines = [
    `# pairbot crontab (made by \`pairbot crontab\`): ${config.cadence} cycle, times in ${config.timezone}.`,
    '# Install with `crontab -e` as the user that owns the database. CRON_TZ needs cronie or',
    "# another cron that reads it; without it, cron fires in the machine's local time.",
    '# Each line goes to the install directory (where .env lives), runs one command and logs.',
    '# Every command is safe to re-run: it does its job once per round.',
    'SHELL=/bin/sh',
    `PATH=${[...(CRON_PATH.includes(dirname(options.node)) ? [] : [dirname(options.node)]), ...CRON_PATH].join(':')}`,
    `CRON_TZ=${config.timezone}`,
    '',
  ];
  for (const job of scheduledJobs(config.cadence)) {
    const args = [...job.args, ...passed, '--quiet'].map(shellWord).join(' ');
    lines.push(`# ${job.why}`, `${job.cron.padEnd(15)} cd ${shellWord(dir)} && ${bin} ${args}${redirect}`);
  }
  return `${lines.join('\n')}\n`;
}

/** `--log` must name a file (or '-'): an empty value is a mistake, not "no log". */
export function checkLogOption(log: string): string {
  if (log.trim() === '') throw new UsageError("--log: expected a file, or '-' for no log file");
  return log;
}

/**
 * What would stop every job of the crontab before pairbot starts, as warnings: a --dir that
 * is not a folder (each line begins with `cd` there), a log the shell could not open.
 */
export function crontabProblems(options: Pick<CrontabOptions, 'dir' | 'log'>): string[] {
  const dir = resolve(options.dir);
  const problems = isFolder(dir) ? [] : [`--dir ${dir}: no such folder: every line's cd would fail, so no job would run`];
  const log = logProblem(options.log);
  return log === undefined ? problems : [...problems, log];
}

/**
 * Why cron's shell could not open the log for appending as this user (the user whose
 * crontab `pairbot crontab | crontab -` replaces), or undefined. `>> FILE` that fails stops
 * the whole line before pairbot starts, so no job would run and nothing would say so.
 */
function logProblem(log: string): string | undefined {
  if (log === '-') return undefined;
  const file = resolve(log);
  const folder = dirname(file);
  const blocked = existsSync(file) ? file : existsSync(folder) ? folder : undefined;
  const denied = blocked === undefined ? undefined : whyNotWritable(blocked);
  const why =
    blocked === undefined
      ? `the folder ${folder} does not exist, and cron's shell does not create it`
      : denied && `${blocked} ${denied}${blocked === folder ? ', so the file cannot be created' : ''}`;
  return why === undefined
    ? undefined
    : `--log ${file}: ${why}: no job would run (the shell stops a line whose log it cannot open). Create the file for the user whose crontab this is (sudo install -m 600 -o "$USER" /dev/null ${file}), give --log a file that user may write, or --log - for none`;
}
