import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { canonicalTimeZone, loadConfig, redact } from '../src/config.js';
import { UsageError } from '../src/errors.js';
import { tempDir } from './helpers/tmp.js';

describe('loadConfig', () => {
  let dir: string;
  let cleanup: () => void;
  beforeEach(() => ({ dir, cleanup } = tempDir()));
  afterEach(() => cleanup());

  const load = (env: Record<string, string> = {}, flags = {}) => loadConfig(env, flags, dir, () => new Date('2026-11-22T10:00:00Z'));
  const refuses = (env: Record<string, string>, message: RegExp, flags = {}) => {
    let error: unknown;
    try {
      load(env, flags);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(UsageError);
    expect((error as UsageError).exitCode).toBe(2);
    expect((error as Error).message).toMatch(message);
  };

  it('refuses a PAIRBOT_DB that is a folder, naming the variable and where it came from', () => {
    refuses({}, /^--db: .* is a folder, not a database file; give the file, e.g. .*pairbot\.db \(from --db\)$/, { db: dir });
    refuses({ PAIRBOT_DB: dir }, /^PAIRBOT_DB: .* is a folder, not a database file; .* \(from environment\)$/);
  });

  it('has the SPEC §2 defaults', () => {
    const c = load();
    expect(c).toMatchObject({
      platform: 'local',
      db: join(dir, 'data/pairbot.db'),
      program: 'default',
      cadence: 'weekly',
      groupSize: 2,
      odd: 'triad',
      maxMisses: 3,
      retentionDays: 365,
      timezone: 'UTC',
      roster: join(dir, 'examples/roster.csv'),
      localState: join(dir, 'data/local-state.db'),
      workingHours: { start: 540, end: 1080 },
    });
    expect(c.discord.apiUrl).toBe('https://discord.com/api/v10');
    expect(c.now.toISOString()).toBe('2026-11-22T10:00:00.000Z');
    expect(Object.isFrozen(c)).toBe(true);
  });

  it('takes flag over environment over config file over .env over default', () => {
    writeFileSync(join(dir, '.env'), 'PAIRBOT_PROGRAM=from-dotenv\nPAIRBOT_CADENCE=daily\nPAIRBOT_ODD=sit-out\nPAIRBOT_MAX_MISSES=9\n');
    writeFileSync(join(dir, 'c.json'), JSON.stringify({ PAIRBOT_PROGRAM: 'from-file', PAIRBOT_CADENCE: 'monthly', PAIRBOT_ODD: 'triad' }));
    const c = load({ PAIRBOT_CONFIG: 'c.json', PAIRBOT_PROGRAM: 'from-env', PAIRBOT_CADENCE: 'weekly' }, { program: 'from-flag' });
    expect(c.program).toBe('from-flag');
    expect(c.cadence).toBe('weekly');
    expect(c.odd).toBe('triad');
    expect(c.maxMisses).toBe(9);
    expect(load({ PAIRBOT_CONFIG: 'c.json' }).cadence).toBe('monthly');
    expect(load().program).toBe('from-dotenv');
    expect(load({}, { config: 'c.json' }).program).toBe('from-file');
  });

  it('reads --date and PAIRBOT_NOW in PAIRBOT_TIMEZONE, --date winning', () => {
    expect(load({ PAIRBOT_TIMEZONE: 'Asia/Tokyo' }, { date: '2026-11-23' }).now.toISOString()).toBe('2026-11-23T03:00:00.000Z');
    expect(load({ PAIRBOT_NOW: '2026-11-23T09:30', PAIRBOT_TIMEZONE: 'Europe/Berlin' }).now.toISOString()).toBe('2026-11-23T08:30:00.000Z');
    expect(load({ PAIRBOT_NOW: '2026-11-23T09:30:00Z', PAIRBOT_TIMEZONE: 'Europe/Berlin' }).now.toISOString()).toBe(
      '2026-11-23T09:30:00.000Z',
    );
    expect(load({ PAIRBOT_NOW: '2026-01-01T00:00:00Z' }, { date: '2026-11-23' }).now.toISOString()).toBe('2026-11-23T12:00:00.000Z');
  });

  it("keeps IANA's spelling of PAIRBOT_TIMEZONE however it was typed, so cron and every consumer read the zone file that exists", () => {
    // Zone files are case-sensitive: CRON_TZ=europe/berlin makes cron and glibc fall back to UTC.
    expect(load({ PAIRBOT_TIMEZONE: 'europe/berlin' }).timezone).toBe('Europe/Berlin');
    expect(load({ PAIRBOT_TIMEZONE: 'utc' }).timezone).toBe('UTC');
    expect(load({ PAIRBOT_TIMEZONE: 'US/EASTERN' }).timezone).toBe('US/Eastern');
  });

  it('refuses every bad value, naming the variable, what is expected and where it came from', () => {
    refuses(
      { PAIRBOT_PLATFORM: 'slack' },
      /PAIRBOT_PLATFORM: expected one of local, mattermost, discord, got "slack" \(from environment\)/,
    );
    refuses({ PAIRBOT_CADENCE: 'hourly' }, /PAIRBOT_CADENCE: expected one of daily, weekly, monthly/);
    refuses({ PAIRBOT_GROUP_SIZE: '1' }, /PAIRBOT_GROUP_SIZE: expected a whole number from 2 to 50/);
    refuses({ PAIRBOT_GROUP_SIZE: 'two' }, /PAIRBOT_GROUP_SIZE/);
    refuses({ PAIRBOT_ODD: 'drop' }, /PAIRBOT_ODD: expected one of triad, sit-out/);
    refuses({ PAIRBOT_MAX_MISSES: '0' }, /PAIRBOT_MAX_MISSES: expected a whole number from 1/);
    refuses({ PAIRBOT_RETENTION_DAYS: '-5' }, /PAIRBOT_RETENTION_DAYS/);
    refuses({ PAIRBOT_TIMEZONE: 'Mars/Base' }, /PAIRBOT_TIMEZONE: expected an IANA time zone/);
    refuses({ PAIRBOT_NOW: 'yesterday' }, /PAIRBOT_NOW: expected an ISO date-time/);
    refuses({}, /--date: expected a date YYYY-MM-DD, got "2026-02-30" \(from --date\)/, { date: '2026-02-30' });
    refuses({ PAIRBOT_PROGRAM: 'has space' }, /PAIRBOT_PROGRAM: expected a name/);
    refuses({ PAIRBOT_WORKING_HOURS: '18:00-09:00' }, /PAIRBOT_WORKING_HOURS: expected local working hours as HH:MM-HH:MM/);
    refuses({ PAIRBOT_ATTRIBUTE_RULE: 'team' }, /PAIRBOT_ATTRIBUTE_RULE: expected "mix:<column>" or "within:<column>"/);
    refuses({ MATTERMOST_URL: 'chat.example.com' }, /MATTERMOST_URL: expected an http\(s\) URL/);
    refuses({ DISCORD_API_URL: 'ftp://x' }, /DISCORD_API_URL: expected an http\(s\) URL/);
    // fetch refuses every request to a URL with credentials; the value (a password) is never shown.
    refuses(
      { MATTERMOST_URL: 'https://bot:hunter2pw@chat.example.com' },
      /^MATTERMOST_URL: expected an http\(s\) URL without user:password@.*\(from environment\)$/,
    );
    refuses({ DISCORD_API_URL: 'https://bot@proxy.example/api' }, /^DISCORD_API_URL: expected an http\(s\) URL without user:password@/);
    refuses(
      { PAIRBOT_HEALTHCHECK_URL: 'https://:secretpw@hc.example/x' },
      /^PAIRBOT_HEALTHCHECK_URL: expected an http\(s\) URL without user:password@(?!.*secretpw)/,
    );
    refuses({ DISCORD_GUILD_ID: 'abc' }, /DISCORD_GUILD_ID: expected a Discord id/);
    refuses({ DISCORD_ROLE_ID: '12' }, /DISCORD_ROLE_ID/);
    refuses({ DISCORD_CHANNEL_ID: 'x' }, /DISCORD_CHANNEL_ID/);
    refuses(
      { PAIRBOT_CONFIG: 'missing.json' },
      /PAIRBOT_CONFIG: cannot read config file .*missing.json \(from environment\): no such file or folder \(ENOENT\)/,
    );
    writeFileSync(join(dir, 'bad.json'), '{ not json');
    refuses({ PAIRBOT_CONFIG: 'bad.json' }, /PAIRBOT_CONFIG: .*bad.json is not valid JSON/);
    writeFileSync(join(dir, 'tok.json'), '{"MATTERMOST_TOKEN": supersecrettoken123}');
    refuses({ PAIRBOT_CONFIG: 'tok.json' }, /tok.json is not valid JSON(?: \(line 1\))?; check quotes and commas$/);
    refuses({ PAIRBOT_NOW: 'soon' }, /PAIRBOT_NOW: expected an ISO date-time/, { date: '2026-11-23' });
    writeFileSync(join(dir, 'list.json'), '[1]');
    refuses({ PAIRBOT_CONFIG: 'list.json' }, /must hold a JSON object/);
    writeFileSync(join(dir, 'typo.json'), '{"PAIRBOT_CADENSE": "weekly"}');
    refuses({ PAIRBOT_CONFIG: 'typo.json' }, /unknown setting "PAIRBOT_CADENSE"/);
    writeFileSync(join(dir, 'badval.json'), '{"PAIRBOT_CADENCE": "hourly"}');
    refuses({ PAIRBOT_CONFIG: 'badval.json' }, /PAIRBOT_CADENCE: .* \(from config file badval.json\)/);
    refuses({}, /--verbose and --quiet/, { verbose: true, quiet: true });
  });

  it('never shows a token, even in an error about it, and redacts it anywhere', () => {
    const c = load({ MATTERMOST_TOKEN: 'sekrit-token-123', DISCORD_TOKEN: 'disc.tok.en' });
    expect(c.secrets).toEqual(['sekrit-token-123', 'disc.tok.en']);
    expect(redact('Authorization: Bearer sekrit-token-123 and disc.tok.en', c.secrets)).toBe(
      'Authorization: Bearer [redacted] and [redacted]',
    );
  });

  it('reads a .env and a JSON config saved with a UTF-8 byte order mark', () => {
    writeFileSync(join(dir, '.env'), '\uFEFFPAIRBOT_PROGRAM=from-dotenv\nPAIRBOT_CADENCE=daily\n');
    expect(load()).toMatchObject({ program: 'from-dotenv', cadence: 'daily' });
    writeFileSync(join(dir, 'c.json'), '\uFEFF{"PAIRBOT_ODD": "sit-out"}');
    expect(load({ PAIRBOT_CONFIG: 'c.json' }).odd).toBe('sit-out');
  });

  it('refuses a file it reads that is not UTF-8, naming the variable, the file and the first line that is not', () => {
    // Windows-1252 "café": read anyway, the prompt would be sent with a replacement character.
    const latin1 = (text: string) => Buffer.from(text, 'latin1');
    writeFileSync(join(dir, 'prompts.txt'), latin1('What did you learn this week?\nBest café in town?\n'));
    refuses(
      { PAIRBOT_ICEBREAKERS: 'prompts.txt' },
      /^PAIRBOT_ICEBREAKERS: .*prompts\.txt: line 2: not UTF-8 text; save the file as UTF-8 \(from environment\)$/,
    );
    mkdirSync(join(dir, 'templates'));
    writeFileSync(join(dir, 'templates', 'intro.md'), latin1('Hello {{members}}, café?\n'));
    refuses({ PAIRBOT_TEMPLATES_DIR: 'templates' }, /^PAIRBOT_TEMPLATES_DIR: .*intro\.md: line 1: not UTF-8 text; save the file as UTF-8/);
    writeFileSync(join(dir, 'c.json'), latin1('{"PAIRBOT_PROGRAM": "caf\u00e9"}'));
    refuses({ PAIRBOT_CONFIG: 'c.json' }, /^PAIRBOT_CONFIG: .*c\.json: line 1: not UTF-8 text/);
    writeFileSync(join(dir, '.env'), latin1('# café\n'));
    refuses({}, /^\.env: .*\.env: line 1: not UTF-8 text/);
  });

  it('refuses ~ and $VARIABLES in a path from .env or the config file, which no shell expands there', () => {
    const expected = (name: string, source: string) =>
      new RegExp(`^${name}: ~ and \\$VARIABLES are not expanded in \\.env / config files; write the full path \\(from ${source}\\)$`);
    // Taken as written, PAIRBOT_DB=~/pb/pairbot.db would create ./~/pb/pairbot.db.
    writeFileSync(join(dir, '.env'), 'PAIRBOT_DB=~/pb/pairbot.db\n');
    refuses({}, expected('PAIRBOT_DB', '\\.env'));
    writeFileSync(join(dir, '.env'), 'PAIRBOT_CONFIG=$HOME/pairbot.json\n');
    refuses({}, expected('PAIRBOT_CONFIG', '\\.env'));
    writeFileSync(join(dir, '.env'), '');
    const paths = {
      // biome-ignore lint/suspicious/noTemplateCurlyInString: a literal ${HOME}, as a config file would hold it
      PAIRBOT_ROSTER: '${HOME}/roster.csv',
      PAIRBOT_LOCAL_STATE: '/srv/$PAIRBOT/state.db',
      PAIRBOT_ICEBREAKERS: '~pairbot/prompts.txt',
      PAIRBOT_TEMPLATES_DIR: '$XDG_CONFIG_HOME/pairbot',
    };
    for (const [name, value] of Object.entries(paths)) {
      writeFileSync(join(dir, 'c.json'), JSON.stringify({ [name]: value }));
      refuses({ PAIRBOT_CONFIG: 'c.json' }, expected(name, 'config file c\\.json'));
    }
    // The shell expanded what the environment holds; a $ not starting a variable is a path's own; other settings are theirs.
    expect(load({ PAIRBOT_DB: '~/x.db' }).db).toBe(join(dir, '~/x.db'));
    writeFileSync(join(dir, '.env'), "PAIRBOT_DB=./data/price$5.db\nMATTERMOST_TOKEN='tok$En~123'\n");
    const c = load();
    expect(c.db).toBe(join(dir, 'data/price$5.db'));
    expect(c.mattermost.token).toBe('tok$En~123');
  });

  it('refuses an unknown PAIRBOT_ key in .env as in PAIRBOT_CONFIG, suggesting the setting meant', () => {
    writeFileSync(join(dir, 'typo.json'), '{"PAIRBOT_CADENSE": "weekly"}');
    refuses({ PAIRBOT_CONFIG: 'typo.json' }, /unknown setting "PAIRBOT_CADENSE" \(did you mean PAIRBOT_CADENCE\?\)/);
    writeFileSync(join(dir, '.env'), 'PAIRBOT_GROUPSIZE=3\n');
    refuses({}, /^\.env: .*\.env: line 1: unknown setting "PAIRBOT_GROUPSIZE" \(did you mean PAIRBOT_GROUP_SIZE\?\)/);
    writeFileSync(join(dir, '.env'), 'PAIRBOT_WHATEVER_THIS_IS=1\n');
    refuses({}, /unknown setting "PAIRBOT_WHATEVER_THIS_IS" \(keys are the variable names/);
    // Other tools' keys and PAIRBOT_CONFIG itself belong in .env.
    writeFileSync(join(dir, '.env'), 'NODE_ENV=production\nPAIRBOT_CONFIG=c.json\n');
    writeFileSync(join(dir, 'c.json'), '{}');
    expect(load().program).toBe('default');
  });

  it('refuses a .env line that sets nothing, or a pairbot_ key in other case, instead of running on defaults', () => {
    writeFileSync(join(dir, '.env'), 'PAIRBOT_PROGRAM=team\nPAIRBOT_CADENCE fortnightly\n');
    refuses({}, /^\.env: .*\.env: line 2: expected NAME=value, got "PAIRBOT_CADENCE fortnightly"/);
    writeFileSync(join(dir, '.env'), '# settings\n\nthis is not a dotenv line\n');
    refuses({}, /line 3: expected NAME=value, got "this is not a dotenv line"/);
    writeFileSync(join(dir, '.env'), 'pairbot_cadence=fortnightly\n');
    refuses({}, /unknown setting "pairbot_cadence" \(did you mean PAIRBOT_CADENCE\?\)/);
    // What dotenv files hold is still read: comments, export, a bare name, quoted values over several lines.
    writeFileSync(
      join(dir, '.env'),
      '# comment\n  export PAIRBOT_PROGRAM="team-one" # trailing\nCOMPOSE_ONLY\nKEY="line 1\nline 2 = not a setting\n"\nPAIRBOT_CADENCE=daily\n',
    );
    expect(load()).toMatchObject({ program: 'team-one', cadence: 'daily' });
    // A bare name right before a setting: Node's parser alone reads the two lines as one key.
    writeFileSync(join(dir, '.env'), 'COMPOSE_ONLY\nPAIRBOT_CADENCE=daily\n');
    expect(load().cadence).toBe('daily');
  });

  it('refuses a PAIRBOT- key (hyphen for underscore) and a setting given twice in .env, naming the lines', () => {
    writeFileSync(join(dir, '.env'), '# team\nPAIRBOT_PROGRAM=team\nPAIRBOT-CADENCE=monthly\n');
    refuses({}, /^\.env: .*\.env: line 3: unknown setting "PAIRBOT-CADENCE" \(did you mean PAIRBOT_CADENCE\?\)$/);
    writeFileSync(join(dir, '.env'), 'pairbot.group-size=3\n');
    refuses({}, /line 1: unknown setting "pairbot.group-size" \(did you mean PAIRBOT_GROUP_SIZE\?\)/);
    writeFileSync(join(dir, '.env'), 'DISCORD-API-URL=http://localhost:9\n');
    refuses({}, /line 1: unknown setting "DISCORD-API-URL" \(did you mean DISCORD_API_URL\?\)/);
    writeFileSync(join(dir, '.env'), 'PAIRBOT_CADENCE=daily\nNODE_ENV=production\nexport PAIRBOT_CADENCE=monthly\n');
    refuses({}, /^\.env: .*\.env: line 3: PAIRBOT_CADENCE is set twice \(lines 1 and 3\); keep one of them$/);
    // Refused even when the environment sets it: the file is wrong either way.
    refuses({ PAIRBOT_CADENCE: 'weekly' }, /line 3: PAIRBOT_CADENCE is set twice/);
    // Other tools' keys stay theirs, hyphens, dots and repeats included; the environment still wins.
    writeFileSync(join(dir, '.env'), 'NODE-ENV=production\nLOG_LEVEL=info\nLOG_LEVEL=debug\napp.name=x\nPAIRBOT_CADENCE=daily\n');
    expect(load().cadence).toBe('daily');
    expect(load({ PAIRBOT_CADENCE: 'monthly' }).cadence).toBe('monthly');
  });

  it('refuses a setting the config file gives twice, which JSON.parse would read as the last', () => {
    writeFileSync(join(dir, 'c.json'), '{"PAIRBOT_CADENCE":"daily","PAIRBOT_CADENCE":"monthly"}');
    refuses({ PAIRBOT_CONFIG: 'c.json' }, /^PAIRBOT_CONFIG: .*c\.json: line 1: PAIRBOT_CADENCE is set twice; keep one of them$/);
    // Spelt with an escape, on its own line; refused even when the environment sets it: the file is wrong either way.
    writeFileSync(
      join(dir, 'd.json'),
      '{\n  "PAIRBOT_PROGRAM": "a",\n  "PAIRBOT_CADENCE": "daily",\n  "PAIRBOT_CADENC\\u0045": "monthly"\n}',
    );
    refuses({ PAIRBOT_CADENCE: 'weekly' }, /d\.json: line 4: PAIRBOT_CADENCE is set twice \(lines 3 and 4\)/, { config: 'd.json' });
  });

  it('refuses an empty --db or --config, and a token with a control character, as usage errors', () => {
    refuses({}, /--db: expected a value, got an empty string/, { db: '' });
    refuses({}, /--config: expected a JSON file/, { config: '' });
    let error: unknown;
    try {
      load({ MATTERMOST_TOKEN: 'abcd\u0007efgh' });
    } catch (err) {
      error = err;
    }
    expect((error as UsageError).exitCode).toBe(2);
    expect((error as Error).message).toMatch(
      /^MATTERMOST_TOKEN: the token holds a space, line break or control character \(from environment\)/,
    );
    expect((error as Error).message).not.toContain('abcd');
    refuses({ DISCORD_TOKEN: 'abc def' }, /DISCORD_TOKEN: the token holds/);
  });
});

describe('canonicalTimeZone', () => {
  it('spells a zone as IANA does, whatever the case it was typed in, and keeps the name typed for a link', () => {
    expect(canonicalTimeZone('europe/berlin')).toBe('Europe/Berlin');
    expect(canonicalTimeZone('utc')).toBe('UTC');
    expect(canonicalTimeZone('america/port-au-prince')).toBe('America/Port-au-Prince');
    expect(canonicalTimeZone('america/argentina/buenos_aires')).toBe('America/Argentina/Buenos_Aires');
    // Links ICU resolves to an older name stay as IANA writes them today.
    expect(canonicalTimeZone('asia/kolkata')).toBe('Asia/Kolkata');
    expect(canonicalTimeZone('Asia/Kolkata')).toBe('Asia/Kolkata');
    expect(canonicalTimeZone('Europe/Kyiv')).toBe('Europe/Kyiv');
    expect(canonicalTimeZone('Asia/Calcutta')).toBe('Asia/Calcutta');
    // ICU's own spelling of a zone it does not list (Etc/…), and a link's words as IANA writes them, however typed.
    expect(canonicalTimeZone('etc/gmt+5')).toBe('Etc/GMT+5');
    expect(canonicalTimeZone('Etc/GMT-14')).toBe('Etc/GMT-14');
    expect(canonicalTimeZone('EST')).toBe('EST');
    expect(canonicalTimeZone('US/Eastern')).toBe('US/Eastern');
    expect(canonicalTimeZone('PST8PDT')).toBe('PST8PDT');
    expect(canonicalTimeZone('ASIA/KOLKATA')).toBe('Asia/Kolkata');
    expect(canonicalTimeZone('us/eastern')).toBe('US/Eastern');
    expect(canonicalTimeZone('est')).toBe('EST');
    expect(canonicalTimeZone('pst8pdt')).toBe('PST8PDT');
    expect(canonicalTimeZone('america/knox_in')).toBe('America/Knox_IN');
    expect(canonicalTimeZone('AUSTRALIA/NSW')).toBe('Australia/NSW');
    expect(canonicalTimeZone('gb-eire')).toBe('GB-Eire');
    expect(canonicalTimeZone('chile/easterisland')).toBe('Chile/EasterIsland');
    expect(canonicalTimeZone('Mars/Olympus_Mons')).toBeUndefined();
    expect(canonicalTimeZone('')).toBeUndefined();
  });
});
