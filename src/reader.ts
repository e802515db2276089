import { loadConfig, type CommonFlags, type Config } from './config.js';
import { createLogger, type Logger } from './log.js';
import { openDatabase, type DB } from './store/db.js';
import { findProgram, requireDatabase, requireProgram, type ProgramRow } from './store/programs.js';
import { localDate, periodOf, type Period } from './core/periods.js';

/**
 * What a command that only reads the database works with (report, export,
 * member export): no platform, no lock, and the file opened read-only in place,
 * so a large database is neither copied nor changed.
 */
export interface ReadContext {
  config: Config;
  log: Logger;
  db: DB;
  /** The program's row; only a reader of every program (`anyProgram`) may find none. */
  program: ProgramRow | undefined;
  /** The program's name and platform, whether or not it has a row yet. */
  programName: string;
  platformName: string;
  today: string;
  period: Period;
  print(text: string): void;
}

/**
 * A database that does not exist is exit 2 (a mistyped path is never shown as an empty
 * program), and so is a program it does not hold, unless the command reads every program
 * (`anyProgram`: member export).
 */
export async function withReader(
  flags: CommonFlags,
  body: (ctx: ReadContext) => Promise<number>,
  env: NodeJS.ProcessEnv = process.env,
  options: { anyProgram?: boolean } = {},
): Promise<number> {
  const config = loadConfig(env, flags);
  const log = createLogger(config.quiet ? 'quiet' : config.verbose ? 'verbose' : 'normal', config.secrets);
  requireDatabase(config.db);
  const db = openDatabase(config.db, { readOnly: true, setting: config.dbSetting });
  try {
    const program = options.anyProgram ? findProgram(db, config.program) : requireProgram(db, config.db, config.program);
    log.debug(
      `program ${config.program}${program ? ` on ${program.platform}` : ' (not in the database yet)'}, database ${config.db} (read-only)`,
    );
    return await body({
      config,
      log,
      db,
      program,
      programName: config.program,
      // The database knows where a program runs: reading it needs no platform settings.
      platformName: program?.platform ?? config.platform,
      today: localDate(config.now, config.timezone),
      period: periodOf(config.now, config.cadence, config.timezone),
      print: (text) => process.stdout.write(text.endsWith('\n') ? text : `${text}\n`),
    });
  } finally {
    db.close();
  }
}
