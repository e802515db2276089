import { existsSync, rmSync } from 'node:fs';
import { dirname } from 'node:path';
import { loadConfig, type CommonFlags, type Config } from './config.js';
import { isDatabaseBusy } from './errors.js';
import { requireUsableFile } from './files.js';
import { createLogger, type Logger } from './log.js';
import { diskWriteFailure, lockedFailure, openDatabase, type DB } from './store/db.js';
import { ensureProgram, requireDatabase, requireProgram, type ProgramRow } from './store/programs.js';
import { getMember } from './store/members.js';
import { acquireLock } from './store/lock.js';
import { throwIfInterrupted } from './interrupt.js';
import { createPlatform } from './platforms/index.js';
import type { ChatPlatform } from './platforms/types.js';
import { localDate, periodOf, type Period } from './core/periods.js';

/** Everything a command works with, set up the same way for every command. */
export interface Context {
  config: Config;
  log: Logger;
  db: DB;
  program: ProgramRow;
  platform: ChatPlatform;
  /** Connects on first use and returns the bot's user id. */
  connect(): Promise<string>;
  /** Local date of "now" in the program's time zone. */
  today: string;
  /** The period containing "now". */
  period: Period;
  /** Writes a result line to stdout. */
  print(text: string): void;
  mode: RunMode;
  /** mode 'dry-run': nothing is sent. */
  dryRun: boolean;
  /** Nothing this run writes is kept (mode 'dry-run' or 'inspect'): logs say "would". */
  scratch: boolean;
}

/**
 * How a command uses the database and the platform:
 * - `write` changes the database and sends; the program's run lock is held for the run;
 * - `dry-run` does the same work on a scratch copy of the database and sends nothing;
 * - `inspect` only shows things: it reads a scratch copy and never creates or changes the file.
 */
type RunMode = 'write' | 'dry-run' | 'inspect';

export interface ContextOptions {
  mode: RunMode;
  /** Connect to the platform (and read the roster) before a new database is created, so platform problems surface first. */
  connectFirst?: boolean;
  /** Mode 'inspect' of what is stored: a database or program that does not exist is exit 2, never an empty program. */
  stored?: boolean;
  /** Environment to read settings from (tests pass their own). */
  env?: NodeJS.ProcessEnv;
}

/**
 * Loads config (before anything connects: a bad setting is exit 2 with nothing
 * written), opens the store, takes the lock, runs `body`, and always cleans up.
 */
export async function withContext(flags: CommonFlags, options: ContextOptions, body: (ctx: Context) => Promise<number>): Promise<number> {
  const config = loadConfig(options.env ?? process.env, flags);
  const log = createLogger(config.quiet ? 'quiet' : config.verbose ? 'verbose' : 'normal', config.secrets);
  if (options.mode === 'write') {
    // Files the run writes, checked before anything connects or is written: a place no file can
    // be made, or this user may not write, is exit 2 naming the setting, never a failure mid-run.
    requireUsableFile(config.dbSetting, config.db);
    if (config.platform === 'local') requireUsableFile('PAIRBOT_LOCAL_STATE', config.localState);
  }
  const platform = await createPlatform(config, log, options.mode === 'write');
  const dryRun = options.mode === 'dry-run';
  let botUserId: Promise<string> | undefined;
  const connect = (): Promise<string> => (botUserId ??= platform.connect().then((r) => r.botUserId));
  try {
    // On a first run, platform problems (unknown channel, bad roster) surface before a
    // database is created; later runs connect only when they need the platform, so a
    // re-run with nothing to do succeeds even while the platform is down.
    if (options.stored) requireDatabase(config.db);
    if (options.connectFirst && !existsSync(config.db)) await connect();
    const scratch = options.mode !== 'write';
    const created = !scratch && !existsSync(config.db);
    const dirCreated = created && !existsSync(dirname(config.db));
    const db = openDatabase(config.db, { scratch, setting: config.dbSetting });
    let release: (() => void) | undefined;
    try {
      if (options.mode === 'write') release = acquireLock(db, config.program);
      if (options.stored) requireProgram(db, config.db, config.program);
      const program = ensureProgram(db, config.program, platform.kind, config.cadence, config.now);
      platform.useProgramNames((userId) => getMember(db, program.id, userId)?.name);
      const ctx: Context = {
        config,
        log,
        db,
        program,
        platform,
        connect,
        today: localDate(config.now, config.timezone),
        period: periodOf(config.now, config.cadence, config.timezone),
        print: (text) => process.stdout.write(text.endsWith('\n') ? text : `${text}\n`),
        mode: options.mode,
        dryRun,
        scratch,
      };
      log.debug(`program ${program.name} on ${platform.kind}, database ${config.db}${scratch ? ' (read-only: scratch copy)' : ''}`);
      throwIfInterrupted();
      const code = await body(ctx);
      release?.();
      release = undefined;
      return code;
    } catch (err) {
      // A run that fails before storing anything leaves nothing behind: not even the database it
      // created (a refused roster would otherwise leave the program pinned to this platform).
      // Decided by what the file holds, whatever the error: data this run committed is kept.
      if (created) {
        try {
          release?.();
        } catch {
          // The lock row stays, so the file is kept (holdsOnlyProgram); the run's own failure is reported.
        }
        release = undefined;
        if (holdsOnlyProgram(db)) {
          db.close();
          for (const suffix of ['', '-wal', '-shm']) rmSync(`${config.db}${suffix}`, { force: true });
          if (dirCreated) rmSync(dirname(config.db), { recursive: true, force: true });
        }
      }
      // A lock held too long that nothing below named: the local state file's are named where they happen.
      throw diskWriteFailure(err, config.db) ?? (isDatabaseBusy(err) ? lockedFailure(config.db, err) : err);
    } finally {
      try {
        release?.();
      } catch {
        // After the run failed: its own failure is the one reported (a full disk fails this write
        // too), and the next run takes over the lock of a process that has exited.
      }
      if (db.open) db.close();
    }
  } finally {
    await platform.close();
  }
}

/** Tables that hold no data of a program's own: its row, run locks (released by then), the next outbox id. */
const BOOKKEEPING = new Set(['programs', 'locks', 'outbox_ids']);

/**
 * Whether `db` holds one program's row and nothing else: no member, round, outbox row or any
 * other data, nor another program (another process's run, which may be writing).
 */
function holdsOnlyProgram(db: DB): boolean {
  try {
    if ((db.prepare('SELECT count(*) FROM programs').pluck().get() as number) > 1) return false;
    if ((db.prepare('SELECT count(*) FROM locks').pluck().get() as number) > 0) return false;
    const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'").pluck().all() as string[];
    return tables.every((t) => BOOKKEEPING.has(t) || db.prepare(`SELECT 1 FROM "${t}" LIMIT 1`).get() === undefined);
  } catch {
    // Unreadable (a full disk, a lock): kept, as anything not known to be empty is.
    return false;
  }
}
