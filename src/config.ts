import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { resolve, dirname, join } from 'node:path';
import { parseEnv } from 'node:util';
import { TZDate } from '@date-fns/tz';
import { fileProblem, UsageError } from './errors.js';
import { scanJson, utf8Text } from './file-text.js';
import { isFolder } from './files.js';
import type { Cadence } from './core/periods.js';
import type { AttributeRule, OddPolicy } from './core/matching-types.js';
import type { PlatformKind } from './core/types.js';
import { BUILT_IN_ICEBREAKERS, parseIcebreakers } from './core/icebreakers.js';
import { isTemplateName, TEMPLATE_NAMES, templateProblem, type TemplateName, type TemplateOverrides } from './core/templates.js';
import { Memo } from './core/memo.js';
import { DEFAULT_WORKING_HOURS, parseWorkingHours, type WorkingHours } from './core/meeting-time.js';

interface MattermostSettings {
  url?: string;
  token?: string;
  team?: string;
  channel?: string;
}

interface DiscordSettings {
  token?: string;
  guildId?: string;
  roleId?: string;
  channelId?: string;
  apiUrl: string;
  /** `dm`: each member of a group gets a DM; `thread`: one private thread per group in the channel. */
  delivery?: 'dm' | 'thread';
}

/** The local platform's state file, beside the database unless PAIRBOT_LOCAL_STATE says otherwise. */
export const DEFAULT_LOCAL_STATE = 'local-state.db';

export interface Config {
  platform: PlatformKind;
  db: string;
  /** The setting `db` came from, to name in errors: `--db`, or PAIRBOT_DB (environment, config file, .env or default). */
  dbSetting: '--db' | 'PAIRBOT_DB';
  program: string;
  cadence: Cadence;
  groupSize: number;
  odd: OddPolicy;
  maxMisses: number;
  retentionDays: number;
  timezone: string;
  /** The instant taken as "now" (from --date, PAIRBOT_NOW or the clock). */
  now: Date;
  /** PAIRBOT_NOW as given and where (`environment`, `.env`, `config file …`): every run without --date takes it as now. */
  fixedNow?: { value: string; source: string };
  roster: string;
  localState: string;
  attributeRule?: AttributeRule;
  /** Members' local working hours, for the meeting-time hint in intros. */
  workingHours: WorkingHours;
  /** Conversation prompts for intros; empty when PAIRBOT_ICEBREAKERS is `off`. */
  icebreakers: readonly string[];
  /** Message texts from PAIRBOT_TEMPLATES_DIR, by file name; the built-in text for the rest. */
  templates: TemplateOverrides;
  /** Moderators (SPEC §7): user ids or usernames, compared without `@` and case. */
  admins: readonly string[];
  /** Discord: holders of this role are moderators too. */
  adminRole?: string;
  mattermost: MattermostSettings;
  discord: DiscordSettings;
  /** Dead-man's-switch URL (a secret); `{command}` stands for the command's name. */
  healthcheckUrl?: string;
  verbose: boolean;
  quiet: boolean;
  /** Every secret value, so any text can be scrubbed before it is shown. */
  secrets: readonly string[];
}

/** Flags every command accepts. */
export interface CommonFlags {
  db?: string;
  program?: string;
  config?: string;
  date?: string;
  verbose?: boolean;
  quiet?: boolean;
}

type Env = Readonly<Record<string, string | undefined>>;

/** Every setting pairbot reads; a config file naming anything else is a typo. */
export const SETTINGS = [
  'PAIRBOT_PLATFORM',
  'PAIRBOT_DB',
  'PAIRBOT_PROGRAM',
  'PAIRBOT_CADENCE',
  'PAIRBOT_GROUP_SIZE',
  'PAIRBOT_ODD',
  'PAIRBOT_MAX_MISSES',
  'PAIRBOT_RETENTION_DAYS',
  'PAIRBOT_TIMEZONE',
  'PAIRBOT_NOW',
  'PAIRBOT_ROSTER',
  'PAIRBOT_LOCAL_STATE',
  'PAIRBOT_ATTRIBUTE_RULE',
  'PAIRBOT_WORKING_HOURS',
  'PAIRBOT_ICEBREAKERS',
  'PAIRBOT_TEMPLATES_DIR',
  'PAIRBOT_DISCORD_DELIVERY',
  'PAIRBOT_ADMINS',
  'PAIRBOT_ADMIN_ROLE',
  'MATTERMOST_URL',
  'MATTERMOST_TOKEN',
  'MATTERMOST_TEAM',
  'MATTERMOST_CHANNEL',
  'DISCORD_TOKEN',
  'DISCORD_GUILD_ID',
  'DISCORD_ROLE_ID',
  'DISCORD_CHANNEL_ID',
  'DISCORD_API_URL',
  'PAIRBOT_HEALTHCHECK_URL',
] as const;

export const DEFAULT_DISCORD_API = 'https://discord.com/api/v10';

/** One value with where it came from, so an error can say which source to fix. */
interface Sourced {
  value: string;
  source: string;
}

/**
 * A problem found in a source (.env, the config file): `key` when the problem is that key's
 * own (given twice, a value of the wrong type), so no value of it can be trusted.
 */
type Refuse = (problem: UsageError, key?: string) => void;

/**
 * One source's values. Strict (every run), its first problem is thrown. Lenient (the
 * health-check URL of a run that may be refused for its settings, SPEC §9), what can be read
 * is kept: an unreadable source is empty, a line or key with a problem is passed over, and a
 * key whose problem is its own has no value.
 */
function readSource(lenient: boolean, read: (refuse: Refuse) => Record<string, string>): Record<string, string> {
  if (!lenient)
    return read((problem) => {
      throw problem;
    });
  const unusable = new Set<string>();
  try {
    const values = read((_problem, key) => {
      if (key !== undefined) unusable.add(key);
    });
    for (const key of unusable) delete values[key];
    return values;
  } catch {
    return {};
  }
}

/**
 * Looks settings up in precedence order. Reading the sources strictly may throw a UsageError
 * (bad .env or config file); leniently, only what is readable is looked at (see readSource).
 */
function settingSources(
  env: Env,
  flags: CommonFlags,
  cwd: string,
  reading: 'strict' | 'lenient' = 'strict',
): (name: string, flag?: { name: string; value: string | undefined }) => Sourced | undefined {
  const lenient = reading === 'lenient';
  const dotenv = readSource(lenient, (refuse) => readDotEnv(cwd, refuse));
  if (flags.config !== undefined && flags.config.trim() === '' && !lenient)
    throw new UsageError('--config: expected a JSON file, got an empty string');
  let configPath = flags.config ?? env.PAIRBOT_CONFIG ?? dotenv.PAIRBOT_CONFIG;
  const configSource = flags.config !== undefined ? '--config' : env.PAIRBOT_CONFIG !== undefined ? 'environment' : `.env`;
  if (configSource === '.env' && configPath !== undefined && needsShell(configPath)) {
    if (!lenient) throw unexpandedPath('PAIRBOT_CONFIG', '.env');
    configPath = undefined;
  }
  const file = configPath ? readSource(lenient, (refuse) => readConfigFile(resolve(cwd, configPath), configSource, refuse)) : {};
  return (name, flag) => {
    if (flag?.value !== undefined) {
      // An empty flag is a mistake (an unset shell variable), never "use the default".
      if (flag.value.trim() === '') throw new UsageError(`--${flag.name}: expected a value, got an empty string`);
      return { value: flag.value, source: `--${flag.name}` };
    }
    const fromEnv = env[name];
    if (fromEnv !== undefined && fromEnv !== '') return { value: fromEnv, source: 'environment' };
    const fromFile =
      file[name] !== undefined && file[name] !== '' ? { value: file[name]!, source: `config file ${configPath}` } : undefined;
    const fromDot = dotenv[name] !== undefined && dotenv[name] !== '' ? { value: dotenv[name]!, source: '.env' } : undefined;
    const s = fromFile ?? fromDot;
    if (s && PATH_SETTINGS.includes(name) && needsShell(s.value)) throw unexpandedPath(name, s.source);
    return s;
  };
}

/** The settings whose value is a file or folder (PAIRBOT_CONFIG, which .env may give, too). */
const PATH_SETTINGS: readonly string[] = [
  'PAIRBOT_CONFIG',
  'PAIRBOT_DB',
  'PAIRBOT_ROSTER',
  'PAIRBOT_LOCAL_STATE',
  'PAIRBOT_ICEBREAKERS',
  'PAIRBOT_TEMPLATES_DIR',
];

/**
 * A path written for a shell to expand: `~…` or a `$NAME` / `${NAME}` in it. The shell expands
 * a value in the environment; one in .env or a config file is taken as written, so
 * `PAIRBOT_DB=~/pb/pairbot.db` would create `./~/pb/pairbot.db`.
 */
const needsShell = (path: string): boolean => /^~|\$[A-Za-z_{]/.test(path.trim());

function unexpandedPath(name: string, source: string): UsageError {
  return new UsageError(`${name}: ~ and $VARIABLES are not expanded in .env / config files; write the full path (from ${source})`);
}

/** The flag that gives the same setting, passed on by `pairbot crontab` to every job. */
const FLAG_OF: Readonly<Record<string, 'db' | 'program' | 'config'>> = {
  PAIRBOT_DB: 'db',
  PAIRBOT_PROGRAM: 'program',
  PAIRBOT_CONFIG: 'config',
};

/** A setting `env` gives that a run without that environment reads otherwise, and where that run takes it from. */
export interface EnvironmentOnlySetting {
  name: string;
  /** The flag that would carry it (`--db`, `--program`, `--config`), when there is one. */
  flag?: string;
  /** Where such a run finds it instead (`.env`, `config file …`), or undefined: the default. */
  instead?: string;
}

/**
 * The settings (PAIRBOT_CONFIG included) that `env` sets and a run in `cwd` without that
 * environment, with these flags, would not read the same: what cron's jobs miss, as they see
 * only the crontab's own variables. A setting a flag overrides is the flag's, so not listed.
 */
export function settingsOnlyInEnvironment(env: Env, flags: CommonFlags, cwd: string): EnvironmentOnlySetting[] {
  const without = settingSources({}, flags, cwd);
  const out: EnvironmentOnlySetting[] = [];
  for (const name of ['PAIRBOT_CONFIG', ...SETTINGS]) {
    const value = env[name];
    const flag = FLAG_OF[name];
    if (value === undefined || value === '' || (flag !== undefined && flags[flag] !== undefined)) continue;
    const instead = without(name);
    if (instead?.value === value) continue;
    out.push({ name, ...(flag ? { flag: `--${flag}` } : {}), ...(instead ? { instead: instead.source } : {}) });
  }
  return out;
}

/**
 * PAIRBOT_HEALTHCHECK_URL alone, read even when another setting or a whole source is bad, so a
 * run refused for its settings can still report exit 2 to the health check (SPEC §9): the URL
 * the sources that can be read give, in their precedence. Undefined when none gives one, or
 * the one that wins is invalid itself (then the full load reports why).
 */
export function readHealthcheckUrl(env: Env, flags: CommonFlags = {}, cwd = process.cwd()): string | undefined {
  try {
    return healthcheckUrl(settingSources(env, flags, cwd, 'lenient')('PAIRBOT_HEALTHCHECK_URL'));
  } catch {
    return undefined;
  }
}

/** PAIRBOT_TEMPLATES_DIR's templates, checked as loadConfig checks them (a UsageError naming file and placeholder). */
export function readTemplates(env: Env, flags: CommonFlags = {}, cwd = process.cwd()): { dir?: string; templates: TemplateOverrides } {
  const s = settingSources(env, flags, cwd)('PAIRBOT_TEMPLATES_DIR');
  return { ...(s ? { dir: resolve(cwd, s.value) } : {}), templates: templatesOf(s, cwd) };
}

/**
 * Builds the validated, frozen configuration.
 * Precedence: flag > environment > PAIRBOT_CONFIG JSON file > .env in cwd > default.
 * This is the only reader of process.env (callers pass it in).
 */
export function loadConfig(
  env: Env,
  flags: CommonFlags = {},
  cwd = process.cwd(),
  clock: () => Date = () => new Date(),
  options: { templates?: boolean } = {},
): Config {
  const get = settingSources(env, flags, cwd);

  const platform = oneOf(get('PAIRBOT_PLATFORM'), 'PAIRBOT_PLATFORM', ['local', 'mattermost', 'discord'] as const, 'local');
  const dbSetting = get('PAIRBOT_DB', { name: 'db', value: flags.db });
  const db = resolve(cwd, dbSetting?.value ?? './data/pairbot.db');
  const dbName = dbSetting?.source === '--db' ? '--db' : 'PAIRBOT_DB';
  if (dbSetting && existsSync(db) && statSync(db).isDirectory()) {
    throw new UsageError(
      `${dbName}: ${db} is a folder, not a database file; give the file, e.g. ${join(db, 'pairbot.db')} (from ${dbSetting.source})`,
    );
  }
  const program = programName(get('PAIRBOT_PROGRAM', { name: 'program', value: flags.program }));
  const cadence = oneOf(get('PAIRBOT_CADENCE'), 'PAIRBOT_CADENCE', ['daily', 'weekly', 'monthly'] as const, 'weekly');
  const groupSize = integer(get('PAIRBOT_GROUP_SIZE'), 'PAIRBOT_GROUP_SIZE', 2, 2, 50);
  const odd = oneOf(get('PAIRBOT_ODD'), 'PAIRBOT_ODD', ['triad', 'sit-out'] as const, 'triad');
  const maxMisses = integer(get('PAIRBOT_MAX_MISSES'), 'PAIRBOT_MAX_MISSES', 3, 1, 1000);
  const retentionDays = integer(get('PAIRBOT_RETENTION_DAYS'), 'PAIRBOT_RETENTION_DAYS', 365, 1, 100_000);
  const timezone = timeZone(get('PAIRBOT_TIMEZONE'), 'PAIRBOT_TIMEZONE') ?? 'UTC';
  const dateFlag = flags.date !== undefined ? { value: flags.date, source: '--date' } : undefined;
  const nowEnv = get('PAIRBOT_NOW');
  const nowFromEnv = nowEnv ? parseNow(nowEnv, 'PAIRBOT_NOW', timezone) : undefined;
  const now = dateFlag ? parseNow(dateFlag, '--date', timezone) : (nowFromEnv ?? clock());
  const roster = resolve(cwd, get('PAIRBOT_ROSTER')?.value ?? './examples/roster.csv');
  const localStateSetting = get('PAIRBOT_LOCAL_STATE');
  const localState = resolve(cwd, localStateSetting?.value ?? join(dirname(db), DEFAULT_LOCAL_STATE));
  if (platform === 'local' && isFolder(localState)) {
    throw new UsageError(
      `PAIRBOT_LOCAL_STATE: ${localState} is a folder, not a file; give the file, e.g. ${join(localState, DEFAULT_LOCAL_STATE)}${localStateSetting ? ` (from ${localStateSetting.source})` : ''}`,
    );
  }
  const attributeRule = parseAttributeRule(get('PAIRBOT_ATTRIBUTE_RULE'));
  const workingHours = workingHoursOf(get('PAIRBOT_WORKING_HOURS'));
  const icebreakers = icebreakersOf(get('PAIRBOT_ICEBREAKERS'), cwd);
  // `doctor` checks the templates last, as their own line (readTemplates).
  const templates = options.templates === false ? {} : templatesOf(get('PAIRBOT_TEMPLATES_DIR'), cwd);
  const admins = parseAdmins(get('PAIRBOT_ADMINS'));
  const adminRoleSetting = get('PAIRBOT_ADMIN_ROLE');
  if (adminRoleSetting && platform !== 'discord') {
    throw new UsageError(
      `PAIRBOT_ADMIN_ROLE: moderator roles exist on Discord only (PAIRBOT_PLATFORM is ${platform}; from ${adminRoleSetting.source}); name moderators in PAIRBOT_ADMINS instead`,
    );
  }
  const adminRole = snowflake(adminRoleSetting, 'PAIRBOT_ADMIN_ROLE');

  const mattermost: MattermostSettings = {
    url: url(get('MATTERMOST_URL'), 'MATTERMOST_URL'),
    token: token(get('MATTERMOST_TOKEN'), 'MATTERMOST_TOKEN'),
    team: get('MATTERMOST_TEAM')?.value,
    channel: get('MATTERMOST_CHANNEL')?.value,
  };
  const discord: DiscordSettings = {
    token: token(get('DISCORD_TOKEN'), 'DISCORD_TOKEN'),
    guildId: snowflake(get('DISCORD_GUILD_ID'), 'DISCORD_GUILD_ID'),
    roleId: snowflake(get('DISCORD_ROLE_ID'), 'DISCORD_ROLE_ID'),
    channelId: snowflake(get('DISCORD_CHANNEL_ID'), 'DISCORD_CHANNEL_ID'),
    apiUrl: url(get('DISCORD_API_URL'), 'DISCORD_API_URL') ?? DEFAULT_DISCORD_API,
    delivery: oneOf(get('PAIRBOT_DISCORD_DELIVERY'), 'PAIRBOT_DISCORD_DELIVERY', ['dm', 'thread'] as const, 'dm'),
  };
  const healthcheck = healthcheckUrl(get('PAIRBOT_HEALTHCHECK_URL'));
  if (flags.verbose && flags.quiet) throw new UsageError('--verbose and --quiet cannot be used together');

  const secrets = [mattermost.token, discord.token, healthcheck].filter((s): s is string => !!s);
  for (const s of secrets) knownSecrets.add(s);
  return Object.freeze({
    platform,
    db,
    dbSetting: dbName,
    program,
    cadence,
    groupSize,
    odd,
    maxMisses,
    retentionDays,
    timezone,
    now,
    ...(nowEnv ? { fixedNow: Object.freeze({ value: nowEnv.value, source: nowEnv.source }) } : {}),
    roster,
    localState,
    ...(attributeRule ? { attributeRule } : {}),
    workingHours: Object.freeze(workingHours),
    icebreakers: Object.freeze([...icebreakers]),
    templates: Object.freeze(templates),
    admins: Object.freeze(admins),
    ...(adminRole ? { adminRole } : {}),
    mattermost: Object.freeze(mattermost),
    discord: Object.freeze(discord),
    ...(healthcheck ? { healthcheckUrl: healthcheck } : {}),
    verbose: !!flags.verbose,
    quiet: !!flags.quiet,
    secrets: Object.freeze(secrets),
  });
}

/** Every secret any loaded config held, so the top-level error handler can scrub them too. */
export const knownSecrets = new Set<string>();

/** Replaces every secret in `text` so it can be printed or logged. */
export function redact(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const s of secrets) if (s.length >= 4) out = out.split(s).join('[redacted]');
  return out;
}

/**
 * A file's text (a byte order mark dropped): one that cannot be read is `cannotRead`'s error,
 * one that is not UTF-8 is refused naming `where` and its first line that is not (utf8Text).
 */
function readText(path: string, where: string, cannotRead: (err: unknown) => UsageError, advice?: string): string {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (err) {
    throw cannotRead(err);
  }
  return utf8Text(where, bytes, advice);
}

function readDotEnv(cwd: string, refuse: Refuse): Record<string, string> {
  const path = join(cwd, '.env');
  if (!existsSync(path)) return {};
  const text = readText(
    path,
    `.env: ${path}`,
    (err) => new UsageError(`.env: cannot read ${path}: ${(err as Error).message}`, { cause: err }),
  );
  const values = parseEnv(checkDotEnvLines(`.env: ${path}`, text, refuse)) as Record<string, string>;
  // A key the line check could not place (the lines after an unclosed quote, which Node's parser reads).
  for (const key of Object.keys(values)) if (misspeltSetting(key)) refuse(unknownSetting(`.env: ${path}`, key));
  return values;
}

/** How a key reads once case and separators are set aside: `pairbot-cadence` is PAIRBOT_CADENCE. */
const settingSpelling = (key: string): string => key.toUpperCase().replace(/[-.]/g, '_');

/**
 * A key that is meant for pairbot but names nothing it reads: any PAIRBOT_ key however spelt
 * (`pairbot_cadence`, `PAIRBOT-CADENCE`, `PAIRBOT_GROUPSIZE`), or a setting's name with `-` or `.`
 * for `_` (`DISCORD-API-URL`). Other tools may share the file, so their keys stay theirs.
 */
function misspeltSetting(key: string): boolean {
  if (key === 'PAIRBOT_CONFIG' || isSetting(key)) return false;
  const spelling = settingSpelling(key);
  return spelling.startsWith('PAIRBOT_') || (spelling !== key.toUpperCase() && isSetting(spelling));
}

/**
 * Refuses a line that sets nothing (`PAIRBOT_CADENCE fortnightly`, a stray sentence): Node's
 * parser skips it, and the command would run on the default the operator meant to change.
 * Comments, blank lines, `export NAME=…`, a bare NAME (docker compose reads it) and the lines
 * of a quoted value spanning several are what a .env holds. A key meant for pairbot that names
 * nothing it reads, or a setting given twice (Node's parser keeps the last silently), is refused
 * with its line. Returns the text for Node's parser, bare names blanked: it would read one and
 * the next line as one key, losing the setting on that line.
 */
function checkDotEnvLines(where: string, text: string, refuse: Refuse): string {
  let openQuote: string | undefined;
  const setOn = new Map<string, number>();
  const lines = text.split(/\r?\n/);
  lines.forEach((raw, i) => {
    if (openQuote !== undefined) {
      if (raw.includes(openQuote)) openQuote = undefined;
      return;
    }
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const m = /^(?:export\s+)?([A-Za-z_][A-Za-z0-9_.-]*)(?:\s*=\s*(.*))?$/.exec(line);
    if (!m) {
      refuse(new UsageError(`${where}: line ${i + 1}: expected NAME=value, got ${JSON.stringify(line)}`));
      lines[i] = '';
      return;
    }
    const key = m[1]!;
    if (misspeltSetting(key)) refuse(unknownSetting(`${where}: line ${i + 1}`, key));
    const first = setOn.get(key);
    if (first !== undefined)
      refuse(new UsageError(`${where}: line ${i + 1}: ${key} is set twice (lines ${first} and ${i + 1}); keep one of them`), key);
    // Only a value for pairbot counts: another tool's repeats are its own business.
    if (m[2] === undefined) {
      lines[i] = '';
      return;
    }
    if (key === 'PAIRBOT_CONFIG' || isSetting(key)) setOn.set(key, i + 1);
    const quote = m[2].charAt(0);
    if ((quote === '"' || quote === "'" || quote === '`') && !m[2].slice(1).includes(quote)) openQuote = quote;
  });
  return lines.join('\n');
}

const isSetting = (key: string): boolean => (SETTINGS as readonly string[]).includes(key);

function unknownSetting(where: string, key: string): UsageError {
  const near = closestSetting(key);
  const hint = near ? `did you mean ${near}?` : "keys are the variable names of README's settings table, such as PAIRBOT_CADENCE";
  return new UsageError(`${where}: unknown setting "${key}" (${hint})`);
}

/** The setting a typo most likely meant: fewest edits, and few enough to be a typo. */
function closestSetting(key: string): string | undefined {
  let best: { name: string; distance: number } | undefined;
  for (const name of SETTINGS) {
    const distance = editDistance(settingSpelling(key), name);
    if (!best || distance < best.distance) best = { name, distance };
  }
  return best && best.distance <= Math.max(2, Math.floor(best.name.length / 4)) ? best.name : undefined;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length]!;
}

/** `source`: where the path was given (`--config`, `environment`, `.env`), named when the file cannot be read. */
function readConfigFile(path: string, source: string, refuse: Refuse): Record<string, string> {
  const raw = readText(
    path,
    `PAIRBOT_CONFIG: ${path}`,
    (err) => new UsageError(`PAIRBOT_CONFIG: cannot read config file ${path} (from ${source}): ${fileProblem(err)}`, { cause: err }),
  );
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch (err) {
    // Never echo the parser's excerpt: the file may hold a token.
    const at = /position (\d+)/.exec((err as Error).message)?.[1];
    const where = at === undefined ? '' : ` (line ${raw.slice(0, Number(at)).split('\n').length})`;
    throw new UsageError(`PAIRBOT_CONFIG: ${path} is not valid JSON${where}; check quotes and commas`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new UsageError(`PAIRBOT_CONFIG: ${path} must hold a JSON object of settings, e.g. {"PAIRBOT_CADENCE": "weekly"}`);
  }
  const repeat = scanJson(raw).repeatedKeys.get(-1);
  if (repeat !== undefined) {
    const lines = repeat.firstLine === repeat.line ? '' : ` (lines ${repeat.firstLine} and ${repeat.line})`;
    refuse(
      new UsageError(`PAIRBOT_CONFIG: ${path}: line ${repeat.line}: ${repeat.key} is set twice${lines}; keep one of them`),
      repeat.key,
    );
  }
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(parsed)) {
    if (!isSetting(key)) {
      refuse(unknownSetting(`PAIRBOT_CONFIG: ${path}`, key));
      continue;
    }
    if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean') {
      refuse(new UsageError(`PAIRBOT_CONFIG: ${path}: ${key} must be a string or number`), key);
      continue;
    }
    out[key] = String(value);
  }
  return out;
}

function bad(name: string, s: Sourced, expected: string): UsageError {
  const shown = /TOKEN|HEALTHCHECK/.test(name) ? '[redacted]' : JSON.stringify(s.value);
  return new UsageError(`${name}: expected ${expected}, got ${shown} (from ${s.source})`);
}

function oneOf<T extends string>(s: Sourced | undefined, name: string, allowed: readonly T[], fallback: T): T {
  if (!s) return fallback;
  const v = s.value.trim().toLowerCase();
  if (!(allowed as readonly string[]).includes(v)) throw bad(name, s, `one of ${allowed.join(', ')}`);
  return v as T;
}

function integer(s: Sourced | undefined, name: string, fallback: number, min: number, max: number): number {
  if (!s) return fallback;
  const v = s.value.trim();
  if (!/^\d+$/.test(v) || Number(v) < min || Number(v) > max) throw bad(name, s, `a whole number from ${min} to ${max}`);
  return Number(v);
}

/**
 * Each zone asked about, as IANA spells it ('' when this Node does not know it): a roster of
 * 100,000 repeats a few dozen zones, and building a DateTimeFormat costs ~0.1 ms.
 */
const zones = new Memo<string>();

/** IANA's spelling of every zone Node lists, by its lower case. */
let listedZones: Map<string, string> | undefined;

/** Is `tz` an IANA time zone this Node knows? */
export function isValidTimeZone(tz: string): boolean {
  return canonicalTimeZone(tz) !== undefined;
}

/**
 * The zone as IANA spells it (`europe/berlin` → `Europe/Berlin`), or undefined when this Node
 * does not know it. A link Node accepts but does not list (Asia/Kolkata, which ICU resolves to
 * the older Asia/Calcutta) keeps its name, each word cased as IANA writes it (`us/eastern` → `US/Eastern`).
 */
export function canonicalTimeZone(tz: string): string | undefined {
  return zones.get(tz, () => spell(tz) ?? '') || undefined;
}

function spell(tz: string): string | undefined {
  const resolved = resolvedZone(tz);
  if (resolved === undefined) return undefined;
  listedZones ??= new Map(['UTC', ...Intl.supportedValuesOf('timeZone')].map((z) => [z.toLowerCase(), z]));
  const listed = listedZones.get(tz.toLowerCase());
  if (listed) return listed;
  // A zone ICU knows by this very name but does not list (Etc/GMT+5): its spelling.
  if (resolved.toLowerCase() === tz.toLowerCase()) return resolved;
  // A link (Asia/Kolkata, US/Eastern): IANA's casing of its words, whatever case it was typed in.
  const titled = tz
    .toLowerCase()
    .replace(
      /[a-z0-9]+/g,
      (word) => WORDS_SPELT.get(word) ?? (/\d/.test(word) ? word.toUpperCase() : word.charAt(0).toUpperCase() + word.slice(1)),
    );
  return resolvedZone(titled) === resolved ? titled : tz;
}

/**
 * The words of a link's name IANA does not simply capitalise (US/Eastern, GB-Eire, W-SU,
 * America/Knox_IN, Australia/NSW, Chile/EasterIsland), by their lower case. Checked against
 * every name in tzdata 2025c: each one typed in lower or upper case comes back as IANA spells it.
 */
const WORDS_SPELT = new Map(
  [
    ...['US', 'GB', 'NZ', 'CHAT', 'SU', 'W', 'IN', 'ACT', 'LHI', 'NSW', 'PRC', 'ROC', 'ROK'],
    ...['EST', 'MST', 'HST', 'GMT', 'UTC', 'UCT', 'CET', 'MET', 'EET', 'WET'],
    ...['ComodRivadavia', 'DeNoronha', 'EasterIsland', 'BajaNorte', 'BajaSur'],
  ].map((word) => [word.toLowerCase(), word]),
);

/** The zone ICU takes `tz` for, or undefined when it knows no such zone. */
function resolvedZone(tz: string): string | undefined {
  if (tz === '') return undefined;
  try {
    return new Intl.DateTimeFormat('en-US', { timeZone: tz }).resolvedOptions().timeZone;
  } catch {
    return undefined;
  }
}

/**
 * The zone as IANA spells it, however it was typed: cron's CRON_TZ and glibc read case-sensitive
 * zone files and fall back to UTC for `europe/berlin`, so every consumer gets `Europe/Berlin`.
 */
function timeZone(s: Sourced | undefined, name: string): string | undefined {
  if (!s) return undefined;
  const zone = canonicalTimeZone(s.value);
  if (zone === undefined) throw bad(name, s, 'an IANA time zone such as UTC or Europe/Berlin');
  return zone;
}

function programName(s: Sourced | undefined): string {
  if (!s) return 'default';
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/.test(s.value)) {
    throw bad('PAIRBOT_PROGRAM', s, 'a name of letters, digits, ".", "_" or "-" (at most 64)');
  }
  return s.value;
}

function url(s: Sourced | undefined, name: string): string | undefined {
  if (!s) return undefined;
  checkHttpUrl(s, s.value, name, 'an http(s) URL such as https://chat.example.com');
  return s.value.replace(/\/+$/, '');
}

/** An http(s) URL once `{command}` is filled in; never echoed (it is a secret). */
function healthcheckUrl(s: Sourced | undefined): string | undefined {
  if (!s) return undefined;
  const value = s.value.trim();
  checkHttpUrl(
    s,
    value.replaceAll('{command}', 'pair'),
    'PAIRBOT_HEALTHCHECK_URL',
    'an http(s) URL such as https://hc-ping.com/<uuid> (may hold {command})',
  );
  return value.replace(/\/+$/, '');
}

/**
 * `value` (the setting `s`, as it will be requested) must be an http(s) URL that fetch can
 * request: one holding `user:password@` is refused by every request ("Request cannot be
 * constructed from a URL that includes credentials"), so it is refused here, never echoed.
 */
function checkHttpUrl(s: Sourced, value: string, name: string, expected: string): void {
  let u: URL;
  try {
    u = new URL(value);
  } catch {
    throw bad(name, s, expected);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw bad(name, s, expected);
  if (u.username !== '' || u.password !== '')
    throw new UsageError(
      `${name}: expected an http(s) URL without user:password@ (requests cannot carry credentials in the URL), got one with credentials (from ${s.source})`,
    );
}

/** A token is sent in an HTTP header: a control character or space there is a paste mistake, not a network fault. */
function token(s: Sourced | undefined, name: string): string | undefined {
  if (!s) return undefined;
  if (/[\u0000-\u0020\u007f-\u00a0\u2028\u2029]/.test(s.value)) {
    throw new UsageError(
      `${name}: the token holds a space, line break or control character (from ${s.source}); paste it again without quotes or trailing newline`,
    );
  }
  return s.value;
}

function snowflake(s: Sourced | undefined, name: string): string | undefined {
  if (!s) return undefined;
  if (!/^\d{15,21}$/.test(s.value.trim())) throw bad(name, s, 'a Discord id (a number of 15 to 21 digits)');
  return s.value.trim();
}

function workingHoursOf(s: Sourced | undefined): WorkingHours {
  if (!s) return DEFAULT_WORKING_HOURS;
  const hours = parseWorkingHours(s.value);
  if (!hours) throw bad('PAIRBOT_WORKING_HOURS', s, 'local working hours as HH:MM-HH:MM with the start before the end, e.g. 09:00-18:00');
  return hours;
}

/**
 * Every file in the folder must be a template (a misspelt name would silently change
 * nothing) and use only its message's placeholders. Hidden files (editors' and the
 * system's) are left alone.
 */
function templatesOf(s: Sourced | undefined, cwd: string): TemplateOverrides {
  if (!s) return {};
  const dir = resolve(cwd, s.value);
  let names: string[];
  try {
    if (!statSync(dir).isDirectory()) throw Object.assign(new Error('not a folder'), { code: 'ENOTDIR', path: dir });
    names = readdirSync(dir).sort();
  } catch (err) {
    throw new UsageError(`PAIRBOT_TEMPLATES_DIR: cannot read the folder ${dir} (from ${s.source}): ${fileProblem(err)}`, { cause: err });
  }
  const out: Partial<Record<TemplateName, string>> = {};
  for (const name of names) {
    if (name.startsWith('.')) continue;
    if (!isTemplateName(name)) {
      throw new UsageError(`PAIRBOT_TEMPLATES_DIR: ${join(dir, name)} is not a template; the templates are ${TEMPLATE_NAMES.join(', ')}`);
    }
    const text = readText(
      join(dir, name),
      `PAIRBOT_TEMPLATES_DIR: ${join(dir, name)}`,
      (err) => new UsageError(`PAIRBOT_TEMPLATES_DIR: cannot read ${join(dir, name)}: ${fileProblem(err)}`, { cause: err }),
    );
    const problem = templateProblem(name, text);
    if (problem) throw new UsageError(`PAIRBOT_TEMPLATES_DIR: ${join(dir, name)}: ${problem}`);
    out[name] = text;
  }
  return out;
}

/** `off`, or a file of prompts one a line; the built-in list when unset. */
function icebreakersOf(s: Sourced | undefined, cwd: string): readonly string[] {
  if (!s) return BUILT_IN_ICEBREAKERS;
  if (s.value.trim().toLowerCase() === 'off') return [];
  const path = resolve(cwd, s.value);
  const text = readText(
    path,
    `PAIRBOT_ICEBREAKERS: ${path}`,
    (err) =>
      new UsageError(
        `PAIRBOT_ICEBREAKERS: cannot read ${path} (from ${s.source}): ${fileProblem(err)}; expected a file of prompts, one a line, or "off"`,
        { cause: err },
      ),
    `save the file as UTF-8 (from ${s.source})`,
  );
  const prompts = parseIcebreakers(text);
  if (prompts.length === 0)
    throw new UsageError(
      `PAIRBOT_ICEBREAKERS: ${path} (from ${s.source}) holds no prompt; write one a line, or set PAIRBOT_ICEBREAKERS=off`,
    );
  return prompts;
}

function parseAttributeRule(s: Sourced | undefined): AttributeRule | undefined {
  if (!s) return undefined;
  const m = /^(mix|within):([A-Za-z0-9_-]+)$/.exec(s.value.trim());
  if (!m) throw bad('PAIRBOT_ATTRIBUTE_RULE', s, '"mix:<column>" or "within:<column>", e.g. mix:team');
  return { mode: m[1] as 'mix' | 'within', key: m[2]! };
}

/** `alice, @bob,u123` → ["alice", "bob", "u123"]. */
function parseAdmins(s: Sourced | undefined): string[] {
  if (!s) return [];
  const names = s.value
    .split(',')
    .map((n) => n.trim().replace(/^@/, ''))
    .filter(Boolean);
  const bad = names.find((n) => !/^[\w.-]+$/.test(n));
  if (bad !== undefined)
    throw new UsageError(`PAIRBOT_ADMINS: expected comma-separated user ids or usernames, got ${JSON.stringify(bad)} (from ${s.source})`);
  return names;
}

/**
 * `--date YYYY-MM-DD` is noon of that day in the program's time zone (clear of DST edges);
 * PAIRBOT_NOW is an ISO date-time, read in the time zone unless it carries an offset.
 */
function parseNow(s: Sourced, name: string, tz: string): Date {
  const v = s.value.trim();
  const m = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?)?(Z|[+-]\d{2}:?\d{2})?$/.exec(v);
  const expected = name === '--date' ? 'a date YYYY-MM-DD' : 'an ISO date-time such as 2026-11-23T09:00 or 2026-11-23T09:00:00Z';
  if (!m || (name === '--date' && (m[4] !== undefined || m[7] !== undefined))) throw bad(name, s, expected);
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const probe = new Date(Date.UTC(y, mo - 1, d));
  if (probe.getUTCFullYear() !== y || probe.getUTCMonth() !== mo - 1 || probe.getUTCDate() !== d) throw bad(name, s, expected);
  const [h, mi, sec] = m[4] === undefined ? [12, 0, 0] : [Number(m[4]), Number(m[5]), Number(m[6] ?? 0)];
  if (h > 23 || mi > 59 || sec > 59) throw bad(name, s, expected);
  if (m[7] !== undefined) {
    const parsed = new Date(v.replace(' ', 'T'));
    if (Number.isNaN(parsed.getTime())) throw bad(name, s, expected);
    return parsed;
  }
  return new Date(new TZDate(y, mo - 1, d, h, mi, sec, tz).getTime());
}
