import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { knownSecrets, loadConfig, readTemplates, redact, type CommonFlags, type Config } from '../config.js';
import { TEMPLATE_NAMES } from '../core/templates.js';
import { EXIT, UsageError } from '../errors.js';
import { unusableFile } from '../files.js';
import { createLogger } from '../log.js';
import { createPlatform } from '../platforms/index.js';
import type { SetupCheck } from '../platforms/types.js';
import { openDatabase, SCHEMA_VERSION, schemaVersionOf, type DB } from '../store/db.js';
import { findProgram, latestPeriod, programMismatch, programNames } from '../store/programs.js';

/**
 * `doctor --json` (SPEC §9). `fix` is null for a check that passed cleanly; a check that
 * passed with a fix is a warning (something missing that has a fallback; exit 0 still).
 */
export interface DoctorReport {
  ok: boolean;
  checks: { name: string; ok: boolean; detail: string; fix: string | null }[];
}

/**
 * Checks the whole set-up in SPEC §9's order and prints one line per check, each ✗
 * followed by its fix. Exit 0 when all pass; 2 when the settings or a set-up check
 * fail; 1 when the platform cannot be reached at all. Writes and sends nothing.
 */
export async function doctor(flags: CommonFlags, options: { json?: boolean }, env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const checks: SetupCheck[] = [];
  let config: Config | undefined;
  try {
    config = loadConfig(env, flags, undefined, undefined, { templates: false });
    // The adapter checks its own required settings (a missing MATTERMOST_URL is a settings error).
    const platform = await createPlatform(
      config,
      createLogger(config.quiet ? 'quiet' : config.verbose ? 'verbose' : 'normal', config.secrets),
    );
    checks.push(checkSettings(config));
    const database = checkDatabase(config.dbSetting, config.db);
    checks.push(database);
    if (database.ok) checks.push(checkProgram(config));
    try {
      checks.push(...(await platform.checkSetup()));
    } finally {
      await platform.close();
    }
    checks.push(checkTemplates(env, flags));
  } catch (err) {
    if (checks.length > 0) throw err;
    checks.push({
      name: 'settings valid',
      ok: false,
      detail: (err as Error).message,
      fix:
        permissionFix(err) ??
        'set the variable named above to what it expects (environment, PAIRBOT_CONFIG or .env; see example.env), then run `pairbot doctor` again',
    });
  }
  const secrets = [...(config?.secrets ?? []), ...knownSecrets];
  const report: DoctorReport = {
    ok: checks.every((c) => c.ok),
    checks: checks.map((c) => ({
      name: c.name,
      ok: c.ok,
      detail: redact(c.detail, secrets),
      fix: c.fix === undefined ? null : redact(c.fix, secrets),
    })),
  };
  if (options.json) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  else process.stdout.write(renderDoctor(report));
  const failed = checks.filter((c) => !c.ok);
  if (failed.length === 0) return EXIT.ok;
  return failed.every((c) => c.unreachable) ? EXIT.failed : EXIT.usage;
}

/**
 * Valid settings; PAIRBOT_NOW (for backfills and rehearsals) is a warning: every scheduled run
 * takes that fixed date as now, so `pair` never reaches a new period and pairs nobody new.
 */
function checkSettings(config: Config): SetupCheck {
  const name = 'settings valid';
  const detail = `${config.platform} platform, program "${config.program}", ${config.cadence} cadence, times in ${config.timezone}`;
  const fixed = config.fixedNow;
  if (!fixed) return { name, ok: true, detail };
  const where = fixed.source === '.env' ? resolve('.env') : fixed.source.replace(/^config file /, '');
  return {
    name,
    ok: true,
    detail: `${detail}; PAIRBOT_NOW=${fixed.value} (from ${fixed.source}) is taken as now by every run: a scheduled pair never pairs a new round, nor does optout announce one`,
    fix:
      fixed.source === 'environment'
        ? 'unset PAIRBOT_NOW in the environment pairbot runs in (it is for backfills and rehearsals; give one command --date instead)'
        : `remove PAIRBOT_NOW from ${where} (it is for backfills and rehearsals; give one command --date instead)`,
  };
}

function renderDoctor(report: DoctorReport): string {
  const lines = report.checks.flatMap((c) =>
    c.fix === null ? [`✓ ${c.name}: ${c.detail}`] : [`${c.ok ? '!' : '✗'} ${c.name}: ${c.detail}`, `    fix: ${c.fix}`],
  );
  const failed = report.checks.filter((c) => !c.ok).length;
  const warned = report.checks.filter((c) => c.ok && c.fix !== null).length;
  const warnings = warned === 1 ? '1 warning' : `${warned} warnings`;
  lines.push(
    failed > 0
      ? `${failed === 1 ? 'A check' : `${failed} checks`} failed: fix it and run \`pairbot doctor\` again.`
      : warned > 0
        ? `All checks passed, with ${warnings}: pairbot works, and the fix above makes it do more.`
        : 'All checks passed.',
  );
  return `${lines.join('\n')}\n`;
}

/** PAIRBOT_TEMPLATES_DIR: only template files, each using only its message's placeholders. */
function checkTemplates(env: NodeJS.ProcessEnv, flags: CommonFlags): SetupCheck {
  const name = 'templates valid';
  try {
    const { dir, templates } = readTemplates(env, flags);
    if (!dir) return { name, ok: true, detail: 'built-in texts (PAIRBOT_TEMPLATES_DIR is not set)' };
    const replaced = Object.keys(templates);
    return {
      name,
      ok: true,
      detail: `${dir}: ${replaced.length ? replaced.join(', ') : 'no templates'} replace the built-in text${replaced.length === 1 ? '' : 's'}`,
    };
  } catch (err) {
    const { code, path } = causeOf(err);
    const missing =
      path === undefined
        ? undefined
        : code === 'ENOENT'
          ? `create the folder ${path} and put the templates in it, set PAIRBOT_TEMPLATES_DIR to the folder that holds them, or unset it for the built-in texts`
          : code === 'ENOTDIR'
            ? `${path} is not a folder: set PAIRBOT_TEMPLATES_DIR to the folder that holds the templates, or unset it for the built-in texts`
            : undefined;
    return {
      name,
      ok: false,
      detail: (err as Error).message,
      fix:
        missing ??
        permissionFix(err) ??
        `rename or fix the file named above: the templates are ${TEMPLATE_NAMES.join(', ')}, and README lists the placeholders each may use`,
    };
  }
}

/** The file error behind a setting's error (a UsageError's cause), with the path it names. */
function causeOf(err: unknown): { code?: string; path?: string } {
  const cause = (err as Error | undefined)?.cause as NodeJS.ErrnoException | undefined;
  return { ...(cause?.code ? { code: cause.code } : {}), ...(cause?.path ? { path: cause.path } : {}) };
}

/** The fix for a file or folder a setting names that this user may not read, or undefined for another error. */
function permissionFix(err: unknown): string | undefined {
  const { code, path } = causeOf(err);
  if ((code !== 'EACCES' && code !== 'EPERM') || path === undefined) return undefined;
  return `give the user that runs pairbot read permission on ${path} (e.g. \`chown USER ${path}\`; a folder needs r and x), or run pairbot as its owner`;
}

/** Usable (the file, or the folder that will hold it and SQLite's journal files) and a schema this pairbot knows. */
function checkDatabase(setting: string, path: string): SetupCheck {
  const name = 'database writable';
  const unusable = unusableFile(setting, path);
  if (unusable) return { name, ok: false, ...unusable };
  if (!existsSync(path)) return { name, ok: true, detail: `${path} does not exist yet; the first run creates it (mode 0600)` };
  let version: number;
  try {
    version = schemaVersionOf(path);
  } catch (err) {
    const message = (err as Error).message;
    // No SQLite header at all: some other file, as every run says (not pairbot's database damaged).
    if (/file is not a database$/.test(message)) return notPairbots(setting, path, 'it is not a SQLite file');
    if (DAMAGED.test(message)) return damaged(path, message.replace(/^cannot read database [^:]*: /, ''));
    return { name, ok: false, detail: message, fix: `restore ${path} from a backup, or set PAIRBOT_DB to a new file` };
  }
  if (version > SCHEMA_VERSION) {
    return {
      name,
      ok: false,
      detail: `${path} has schema version ${version}, newer than this pairbot (${SCHEMA_VERSION})`,
      fix: 'upgrade pairbot to the version that wrote this database',
    };
  }
  let damage: string | undefined;
  try {
    damage = damageOf(path);
  } catch (err) {
    // Another program's SQLite file, or the local state: the refusal every run gives (refuseForeign).
    if (err instanceof UsageError) return notPairbots(setting, path, /\(([^)]*)\)/.exec(err.message)?.[1] ?? 'another kind of SQLite file');
    return {
      name,
      ok: false,
      detail: (err as Error).message,
      fix: readAgain(path),
    };
  }
  if (damage) return damaged(path, damage);
  const schema =
    version === SCHEMA_VERSION
      ? `schema version ${version}, current`
      : `schema version ${version}; the next run updates it to ${SCHEMA_VERSION}`;
  return { name, ok: true, detail: `${path} (${schema}, intact)` };
}

/**
 * The program as stored can run with these settings: every run refuses a program stored on
 * another platform, or paired in another cadence (exit 2, the same message). A name the
 * database does not hold is a new program, and the ones it holds are named (a typo shows).
 */
function checkProgram(config: Config): SetupCheck {
  const name = 'program matches the settings';
  const settings = `on ${config.platform}, pairing ${config.cadence}`;
  if (!existsSync(config.db)) return { name, ok: true, detail: `program "${config.program}" is new: the first run stores it, ${settings}` };
  let db: DB | undefined;
  try {
    db = openDatabase(config.db, { readOnly: true });
    const found = findProgram(db, config.program);
    if (!found) {
      const held = programNames(db);
      const holds = held.length > 0 ? ` (the database holds ${held.join(', ')})` : '';
      return { name, ok: true, detail: `program "${config.program}" is new: the first run stores it, ${settings}${holds}` };
    }
    const mismatch = programMismatch(db, found, config.platform, config.cadence);
    if (mismatch) return { name, ok: false, detail: `${mismatch.problem}: every run stops on it (exit 2)`, fix: mismatch.fix };
    const latest = latestPeriod(db, found);
    return { name, ok: true, detail: `program "${found.name}" ${settings}${latest ? ` (latest round ${latest})` : ''}` };
  } catch (err) {
    return {
      name,
      ok: false,
      detail: (err as Error).message,
      fix: readAgain(config.db),
    };
  } finally {
    db?.close();
  }
}

/** The fix for a database doctor could not read for another reason than damage (a lock held, a full disk). */
const readAgain = (path: string): string =>
  `run \`pairbot doctor\` again once no pairbot job is running; if this stays, check the free space (df) and ${path}'s permissions`;

/** SQLite's words for a file that is not (or no longer) a database. */
const DAMAGED = /malformed|not a database/i;

/** A file that is not pairbot's database at all: nothing to restore, the setting names the wrong file. */
function notPairbots(setting: string, path: string, why: string): SetupCheck {
  return {
    name: 'database writable',
    ok: false,
    detail: `${path} is not a pairbot database (${why}): every run stops on it (exit 2)`,
    fix: `set ${setting} to pairbot's database file, or to a new file`,
  };
}

function damaged(path: string, why: string): SetupCheck {
  return {
    name: 'database writable',
    ok: false,
    detail: `${path} is damaged (${why}): every run would fail on it`,
    fix: `stop the cron jobs and restore ${path} from a backup; with none, \`sqlite3 ${path} .recover | sqlite3 NEW.db\` may save part of it (check NEW.db with \`pairbot doctor --db NEW.db\` before setting PAIRBOT_DB to it), or set PAIRBOT_DB to a new file to start over without history`,
  };
}

/**
 * What SQLite's quick_check (every page and record readable, without checking indexes against
 * tables, so cheap) finds wrong with the file, or undefined when nothing: a file cut short or
 * overwritten keeps a valid header, and every run then fails with "database disk image is
 * malformed". Read as `status` reads: nothing is written or left beside the file.
 */
function damageOf(path: string): string | undefined {
  let db: DB | undefined;
  try {
    db = openDatabase(path, { readOnly: true });
    const found = (db.pragma('quick_check(3)') as { quick_check: string }[]).map((row) => row.quick_check).filter((line) => line !== 'ok');
    return found.length > 0 ? `SQLite's quick_check: ${found.join('; ')}` : undefined;
  } catch (err) {
    const message = (err as Error).message;
    if (!DAMAGED.test(message)) throw err;
    return message.replace(/^cannot open database [^:]*: /, '');
  } finally {
    db?.close();
  }
}
