import { createHash } from 'node:crypto';
import { chmodSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { beforeEach, describe, expect, it } from 'vitest';
import type { DoctorReport } from '../../src/commands/doctor.js';
import { FakeDiscord, newSnowflake } from '../fakes/discord.js';
import { FakeMattermost } from '../fakes/mattermost.js';
import { closeServer, listenOnLoopback, portOf } from '../fakes/http.js';
import { runCli, runProgram } from '../helpers/cli.js';
import { useFakeServerSandbox, useLocalSandbox } from '../helpers/sandbox.js';

/** `pairbot doctor --json` and its plain output, checked to agree; the exit code as well. */
async function doctor(cwd: string, env: Record<string, string>, secret?: string) {
  const json = await runCli(['doctor', '--json'], { cwd, env });
  const text = await runCli(['doctor'], { cwd, env });
  const report = JSON.parse(json.stdout) as DoctorReport;
  expect(text.code).toBe(json.code);
  // ✓ passed, ! a warning (passed, with a fix: something has a fallback), ✗ failed.
  for (const c of report.checks) expect(text.stdout).toContain(`${c.ok ? (c.fix ? '!' : '✓') : '✗'} ${c.name}: ${c.detail}`);
  for (const c of report.checks) if (!c.ok) expect(c.fix).not.toBeNull();
  expect(report.ok).toBe(report.checks.every((c) => c.ok));
  if (secret) for (const out of [json.stdout, json.stderr, text.stdout, text.stderr]) expect(out).not.toContain(secret);
  const failed = report.checks.filter((c) => !c.ok);
  const warned = report.checks.filter((c) => c.ok && c.fix !== null);
  return {
    code: json.code,
    report,
    failed: failed.map((c) => c.name),
    first: failed[0],
    warned: warned.map((c) => c.name),
    warning: warned[0],
    text: text.stdout,
  };
}

const names = (r: DoctorReport) => r.checks.map((c) => c.name);

describe('pairbot doctor on Mattermost (fake server)', () => {
  const box = useFakeServerSandbox(() => FakeMattermost.start({ teamName: 'community', channelName: 'coffee-pairs' }));
  beforeEach(() => {
    box.fake.addUsers(4, 'person');
  });

  it('passes every check of SPEC §9, in order, with exit 0, writing and posting nothing', async () => {
    const r = await doctor(box.dir, box.env, box.fake.token);
    expect(r.code).toBe(0);
    expect(names(r.report)).toEqual([
      'settings valid',
      'database writable',
      'program matches the settings',
      'platform reachable',
      'token accepted',
      'team found',
      'channel found',
      'bot in the channel',
      'may post and react',
      'may manage channel members',
      'templates valid',
    ]);
    expect(r.text).toMatch(/All checks passed\.\n$/);
    expect(r.warned).toEqual([]);
    expect(box.fake.posts.size).toBe(0);
    expect(box.fake.requestCount({ method: 'POST', path: /\/posts$/ })).toBe(0);
  });

  it('a refused token is exit 2 saying where to make a new one, and the token never shows', async () => {
    box.env.MATTERMOST_TOKEN = 'wrongtoken12345';
    const r = await doctor(box.dir, box.env, 'wrongtoken12345');
    expect(r.code).toBe(2);
    expect(r.failed).toEqual(['token accepted']);
    expect(r.first!.fix).toMatch(/Bot Accounts/);
  });

  it.each([
    ['a missing team', (e: Record<string, string>) => (e.MATTERMOST_TEAM = 'nosuchteam'), 'team found', /MATTERMOST_TEAM/],
    ['a missing channel', (e: Record<string, string>) => (e.MATTERMOST_CHANNEL = 'nosuchchannel'), 'channel found', /MATTERMOST_CHANNEL/],
  ])('%s is exit 2 naming the setting', async (_, change, check, fix) => {
    change(box.env);
    const r = await doctor(box.dir, box.env);
    expect(r.code).toBe(2);
    expect(r.failed).toEqual([check]);
    expect(r.first!.fix).toMatch(fix);
  });

  it('the bot outside the channel is exit 2 saying how to add it', async () => {
    box.fake.members.get(box.fake.channel.id)!.delete(box.fake.bot.id);
    const r = await doctor(box.dir, box.env);
    expect(r.code).toBe(2);
    expect(r.failed).toEqual(['bot in the channel']);
    expect(r.first!.fix).toContain('/invite @pairbot');
  });

  it('no permission to post, or to react, is exit 2 naming the permission', async () => {
    box.fake.canPost = false;
    const post = await doctor(box.dir, box.env);
    expect(post.code).toBe(2);
    expect(post.failed).toEqual(['may post and react']);
    expect(post.first!.detail).toMatch(/lack create_post/);
    box.fake.canPost = true;
    box.fake.canReact = false;
    const react = await doctor(box.dir, box.env);
    expect(react.failed).toEqual(['may post and react']);
    expect(react.first!.detail).toMatch(/lack add_reaction/);
  });

  it('no permission to add or remove members is a warning (exit 0): what join/leave and prune do instead, and how to grant it', async () => {
    box.fake.canRemoveMembers = false;
    const r = await doctor(box.dir, box.env);
    expect(r.code).toBe(0);
    expect(r.failed).toEqual([]);
    expect(r.warned).toEqual(['may manage channel members']);
    expect(r.warning!.detail).toMatch(/lacks manage_public_channel_members/);
    expect(r.warning!.detail).toMatch(/`join`\/`leave` .*tell members how to join or leave ~coffee-pairs themselves/);
    expect(r.warning!.fix).toMatch(/Make Channel Admin/);
    expect(r.text).toMatch(/All checks passed, with 1 warning: .*\n$/);
  });

  it('an unreachable server is exit 1', async () => {
    const server = await listenOnLoopback(async () => undefined);
    const port = portOf(server, 'placeholder');
    await closeServer(server);
    box.env.MATTERMOST_URL = `http://127.0.0.1:${port}`;
    const r = await doctor(box.dir, box.env);
    expect(r.code).toBe(1);
    expect(r.failed).toEqual(['platform reachable']);
    // The templates are still checked: they do not need the platform.
    expect(names(r.report).at(-1)).toBe('templates valid');
    expect(r.first!.fix).toMatch(/MATTERMOST_URL/);
  });

  it('bad settings are exit 2 and stop there', async () => {
    box.env.PAIRBOT_CADENCE = 'hourly';
    const r = await doctor(box.dir, box.env);
    expect(r.code).toBe(2);
    expect(names(r.report)).toEqual(['settings valid']);
    expect(r.first!.detail).toMatch(/PAIRBOT_CADENCE/);
  });
});

describe('pairbot doctor on Discord (fake server)', () => {
  const box = useFakeServerSandbox(() => FakeDiscord.start());
  beforeEach(() => {
    box.fake.addUsers(4, 'person');
  });

  it('passes every check of SPEC §9, in order, with exit 0, sending nothing', async () => {
    const r = await doctor(box.dir, box.env, box.fake.token);
    expect(r.code).toBe(0);
    expect(names(r.report)).toEqual([
      'settings valid',
      'database writable',
      'program matches the settings',
      'platform reachable',
      'token accepted',
      'server found',
      'role found',
      'channel found',
      'may post and react',
      'Server Members Intent',
      'may manage the role',
      'templates valid',
    ]);
    expect(r.warned).toEqual([]);
    expect(box.fake.messages.size).toBe(0);
  });

  it('a refused token is exit 2 saying where to reset it', async () => {
    box.env.DISCORD_TOKEN = 'MTAwrong.token.value';
    const r = await doctor(box.dir, box.env, 'MTAwrong.token.value');
    expect(r.code).toBe(2);
    expect(r.failed).toEqual(['token accepted']);
    expect(r.first!.fix).toMatch(/Developer Portal .*Reset Token/);
  });

  it.each([
    ['server', 'DISCORD_GUILD_ID', 'server found'],
    ['role', 'DISCORD_ROLE_ID', 'role found'],
    ['channel', 'DISCORD_CHANNEL_ID', 'channel found'],
  ])('a missing %s is exit 2 naming %s', async (_, variable, check) => {
    box.env[variable] = newSnowflake();
    const r = await doctor(box.dir, box.env);
    expect(r.code).toBe(2);
    expect(r.failed).toEqual([check]);
    expect(r.first!.fix).toContain(variable);
  });

  it('no permission to post in the channel is exit 2 naming it', async () => {
    box.fake.canPost = false;
    const r = await doctor(box.dir, box.env);
    expect(r.code).toBe(2);
    expect(r.failed).toEqual(['may post and react']);
    expect(r.first!.detail).toMatch(/lacks Send Messages/);
  });

  it('the Members Intent off is exit 2 saying where to turn it on — in doctor and in any command', async () => {
    box.fake.membersIntent = false;
    const r = await doctor(box.dir, box.env);
    expect(r.code).toBe(2);
    expect(r.failed).toEqual(['Server Members Intent']);
    expect(r.first!.fix).toMatch(/Privileged Gateway Intents → turn on Server Members Intent/);
    const pair = await runCli(['pair', '--date', '2026-11-23'], { cwd: box.dir, env: box.env });
    expect(pair.code).toBe(2);
    expect(pair.stderr).toMatch(/Server Members Intent is off; Discord Developer Portal/);
  });

  it('no Manage Roles, or a role above the bot, is a warning (exit 0) saying what join/leave do instead and what to change', async () => {
    box.fake.canManageRoles = false;
    const off = await doctor(box.dir, box.env);
    expect(off.code).toBe(0);
    expect(off.failed).toEqual([]);
    expect(off.warned).toEqual(['may manage the role']);
    expect(off.warning!.detail).toMatch(/lacks Manage Roles/);
    expect(off.warning!.detail).toMatch(/`join`\/`leave` .*tell members whom to ask/);
    expect(off.warning!.fix).toMatch(/turn on Manage Roles/);
    box.fake.canManageRoles = true;
    (box.fake.role as { position: number }).position = box.fake.botRole.position + 1;
    const above = await doctor(box.dir, box.env);
    expect(above.code).toBe(0);
    expect(above.warned).toEqual(['may manage the role']);
    expect(above.warning!.detail).toMatch(/not above @coffee/);
    expect(above.warning!.fix).toMatch(/drag @pairbot's role above @coffee/);
  });
});

describe('pairbot doctor on the local platform', () => {
  const box = useLocalSandbox();

  it('checks the settings, the database and the roster', async () => {
    const r = await doctor(box.dir, box.env);
    expect(r.code).toBe(0);
    expect(names(r.report)).toEqual([
      'settings valid',
      'database writable',
      'program matches the settings',
      'roster readable',
      'local state usable',
      'templates valid',
    ]);
    expect(r.report.checks[2]!.detail).toBe('program "default" is new: the first run stores it, on local, pairing weekly');
    expect(r.report.checks[3]!.detail).toMatch(/13 people/);
  });

  it('writes nothing: the data folder keeps its files and bytes (no journal files left beside the database)', async () => {
    expect((await box.pairbot('pair', '--date', '2026-11-23')).code).toBe(0);
    const data = join(box.dir, 'data');
    const files = (): Record<string, string> =>
      Object.fromEntries(
        readdirSync(data).map((f) => [
          f,
          createHash('sha256')
            .update(readFileSync(join(data, f)))
            .digest('hex'),
        ]),
      );
    const before = files();
    expect(Object.keys(before).sort()).toEqual(['local-state.db', 'pairbot.db']);
    const r = await doctor(box.dir, box.env);
    expect(r.code).toBe(0);
    expect(r.report.checks[1]!.detail).toMatch(/schema version \d+, current/);
    expect(files()).toEqual(before);
  });

  it('a bad template is exit 2 as the last check, naming the file and the placeholder', async () => {
    const dir = join(box.dir, 'templates');
    mkdirSync(dir);
    writeFileSync(join(dir, 'feedback.md'), 'Did you meet, {{members}}? Ask {{partner}}.');
    box.env.PAIRBOT_TEMPLATES_DIR = dir;
    const r = await doctor(box.dir, box.env);
    expect(r.code).toBe(2);
    expect(r.failed).toEqual(['templates valid']);
    expect(names(r.report).at(-1)).toBe('templates valid');
    expect(r.first!.detail).toMatch(/feedback\.md uses the placeholder \{\{partner\}\}/);
    writeFileSync(join(dir, 'feedback.md'), 'Did you meet, {{members}}?');
    writeFileSync(join(dir, 'welcome.md'), 'Hello');
    const stray = await doctor(box.dir, box.env);
    expect(stray.failed).toEqual(['templates valid']);
    expect(stray.first!.detail).toMatch(/welcome\.md is not a template/);
    rmSync(join(dir, 'welcome.md'));
    const good = await doctor(box.dir, box.env);
    expect(good.code).toBe(0);
    expect(good.report.checks.at(-1)!.detail).toMatch(/feedback\.md replace/);
  });

  it('an unreadable roster is exit 2 naming PAIRBOT_ROSTER', async () => {
    box.env.PAIRBOT_ROSTER = join(box.dir, 'missing.csv');
    const r = await doctor(box.dir, box.env);
    expect(r.code).toBe(2);
    expect(r.failed).toEqual(['roster readable']);
    expect(r.first!.detail).toMatch(/PAIRBOT_ROSTER/);
  });

  it.runIf(process.getuid?.() === 0)('a database on a read-only mount is said to be so, by doctor and by a run', async (t) => {
    expect((await box.pairbot('pair', '--date', '2026-11-23')).code).toBe(0);
    const data = join(box.dir, 'data');
    // The data folder, bound onto itself read-only (needs the right to mount, as root in a container may lack).
    if ((await runProgram('mount', ['--bind', data, data], { cwd: box.dir })).code !== 0) return t.skip();
    try {
      expect((await runProgram('mount', ['-o', 'remount,bind,ro', data], { cwd: box.dir })).code).toBe(0);
      const r = await doctor(box.dir, box.env);
      expect(r.code).toBe(2);
      expect(r.failed).toEqual(['database writable', 'local state usable']);
      expect(r.first!.detail).toBe(`${box.env.PAIRBOT_DB} is on a read-only file system`);
      expect(r.first!.fix).toMatch(/mount it read-write/);
      const pair = await box.pairbot('pair', '--date', '2026-11-30');
      expect(pair.code).toBe(2);
      expect(pair.stderr).toContain(`PAIRBOT_DB: cannot use ${box.env.PAIRBOT_DB}: ${box.env.PAIRBOT_DB} is on a read-only file system`);
    } finally {
      await runProgram('umount', [data], { cwd: box.dir });
    }
  });

  it('a database from a newer pairbot is exit 2 and is left as it was', async () => {
    mkdirSync(join(box.dir, 'data'));
    const db = new Database(box.env.PAIRBOT_DB!);
    db.pragma('user_version = 999');
    db.close();
    const r = await doctor(box.dir, box.env);
    expect(r.code).toBe(2);
    expect(r.failed).toEqual(['database writable']);
    expect(r.first!.detail).toMatch(/schema version 999, newer than this pairbot/);
  });

  it("another program's SQLite file, or a file that is not SQLite, is not pairbot's database: exit 2, never 'damaged'", async () => {
    mkdirSync(join(box.dir, 'data'));
    const db = new Database(box.env.PAIRBOT_DB!);
    db.exec('CREATE TABLE t (x)');
    db.close();
    const other = await doctor(box.dir, box.env);
    expect(other.code).toBe(2);
    expect(other.failed).toEqual(['database writable']);
    expect(other.first!.detail).toMatch(/is not a pairbot database \(it holds other tables: t\)/);
    writeFileSync(box.env.PAIRBOT_DB!, 'name:x:0:0:root:/root:/bin/sh\n'.repeat(10));
    const text = await doctor(box.dir, box.env);
    expect(text.first!.detail).toMatch(/is not a pairbot database \(it is not a SQLite file\)/);
    expect(text.first!.fix).toMatch(/^set PAIRBOT_DB to pairbot's database file/);
  });

  it('a database holding the program on another platform, or paired in another cadence, is exit 2 with the message every run gives', async () => {
    expect((await box.pairbot('pair', '--date', '2026-11-23')).code).toBe(0);
    const fine = await doctor(box.dir, box.env);
    expect(fine.code).toBe(0);
    expect(fine.report.checks[2]!.detail).toBe('program "default" on local, pairing weekly (latest round 2026-W48)');
    const db = new Database(box.env.PAIRBOT_DB!);
    db.prepare("UPDATE programs SET platform = 'mattermost'").run();
    db.close();
    const r = await doctor(box.dir, box.env);
    expect(r.code).toBe(2);
    expect(r.failed).toEqual(['program matches the settings']);
    expect(r.first!.detail).toContain('program "default" runs on mattermost, but the platform is set to local');
    expect(r.first!.fix).toMatch(/set PAIRBOT_PLATFORM=mattermost, or use another PAIRBOT_PROGRAM/);
    const pair = await box.pairbot('pair', '--date', '2026-11-30');
    expect(pair.code).toBe(2);
    expect(pair.stderr).toContain('program "default" runs on mattermost, but the platform is set to local');
    const back = new Database(box.env.PAIRBOT_DB!);
    back.prepare("UPDATE programs SET platform = 'local'").run();
    back.close();
    const daily = await doctor(box.dir, { ...box.env, PAIRBOT_CADENCE: 'daily' });
    expect(daily.code).toBe(2);
    expect(daily.failed).toEqual(['program matches the settings']);
    expect(daily.first!.detail).toContain('program "default" pairs weekly (its latest round is 2026-W48), not daily');
    expect(daily.first!.fix).toMatch(/set PAIRBOT_CADENCE=weekly, or use another PAIRBOT_PROGRAM for daily rounds/);
    // Another name is a new program, and doctor names the ones the database holds (a typo shows).
    const other = await doctor(box.dir, { ...box.env, PAIRBOT_PROGRAM: 'defualt' });
    expect(other.code).toBe(0);
    expect(other.report.checks[2]!.detail).toBe(
      'program "defualt" is new: the first run stores it, on local, pairing weekly (the database holds "default")',
    );
  });

  it('PAIRBOT_NOW set for every run is a warning: each run takes that date as now, so cron never pairs a new round', async () => {
    writeFileSync(join(box.dir, '.env'), 'PAIRBOT_NOW=2026-11-23T09:00\n');
    const r = await doctor(box.dir, box.env);
    expect(r.code).toBe(0);
    expect(r.warned).toEqual(['settings valid']);
    expect(r.warning!.detail).toMatch(
      /PAIRBOT_NOW=2026-11-23T09:00 \(from \.env\) is taken as now by every run: a scheduled pair never pairs a new round/,
    );
    expect(r.warning!.fix).toMatch(/remove PAIRBOT_NOW from .*\.env/);
    const fromEnv = await doctor(box.dir, { ...box.env, PAIRBOT_NOW: '2026-11-30T09:00' });
    expect(fromEnv.warning!.detail).toMatch(/PAIRBOT_NOW=2026-11-30T09:00 \(from environment\)/);
    expect(fromEnv.warning!.fix).toMatch(/unset PAIRBOT_NOW/);
  });

  it('a missing PAIRBOT_TEMPLATES_DIR folder is exit 2 with the fix for a folder, not for a file', async () => {
    box.env.PAIRBOT_TEMPLATES_DIR = join(box.dir, 'no-templates');
    const r = await doctor(box.dir, box.env);
    expect(r.code).toBe(2);
    expect(r.failed).toEqual(['templates valid']);
    expect(r.first!.fix).toBe(
      `create the folder ${join(box.dir, 'no-templates')} and put the templates in it, set PAIRBOT_TEMPLATES_DIR to the folder that holds them, or unset it for the built-in texts`,
    );
  });

  /** `doctor --json` as another user (uid 65534), who may read and write what is made so below. */
  const doctorAsOther = async () => {
    const r = await runCli(['doctor', '--json'], { cwd: box.dir, env: box.env, uid: 65534 });
    return { code: r.code, report: JSON.parse(r.stdout) as DoctorReport };
  };

  it.runIf(process.getuid?.() === 0)('a .env this user may not read is exit 2 with the permission fix', async () => {
    chmodSync(box.dir, 0o755);
    chmodSync(join(box.dir, 'roster.csv'), 0o644);
    writeFileSync(join(box.dir, '.env'), 'PAIRBOT_CADENCE=weekly\n', { mode: 0o600 });
    const r = await doctorAsOther();
    expect(r.code).toBe(2);
    const [settings] = r.report.checks;
    expect(settings!.ok).toBe(false);
    expect(settings!.detail).toMatch(/\.env: cannot read .*permission denied/i);
    expect(settings!.fix).toMatch(/^give the user that runs pairbot read permission on .*\.env/);
  });

  it.runIf(process.getuid?.() === 0)(
    'a local state file this user may not read or write is exit 2 with the permission fix, not "move it aside"',
    async () => {
      expect((await box.pairbot('pair', '--date', '2026-11-23')).code).toBe(0);
      const data = join(box.dir, 'data');
      for (const dir of [box.dir, data]) chmodSync(dir, 0o777);
      chmodSync(join(data, 'pairbot.db'), 0o666);
      chmodSync(join(box.dir, 'roster.csv'), 0o644);
      chmodSync(join(data, 'local-state.db'), 0o600);
      const r = await doctorAsOther();
      expect(r.code).toBe(2);
      const state = r.report.checks.find((c) => c.name === 'local state usable')!;
      expect(state.ok).toBe(false);
      expect(state.fix).toMatch(/give this user (read|write) permission/);
      expect(state.fix).not.toMatch(/aside|new file/);
    },
  );

  it('a corrupt database is exit 2 saying so and how to get the data back, as every job fails on it', async () => {
    expect((await box.pairbot('pair', '--date', '2026-11-23')).code).toBe(0);
    const path = box.env.PAIRBOT_DB!;
    const bytes = readFileSync(path);
    expect(bytes.length).toBeGreaterThan(50_000);
    // A copy cut short (`head -c 50000 p.db > t && mv t p.db`): the header still says schema current.
    writeFileSync(path, bytes.subarray(0, 50_000));
    const r = await doctor(box.dir, box.env);
    expect(r.code).toBe(2);
    expect(r.failed).toContain('database writable');
    expect(r.first!.name).toBe('database writable');
    expect(r.first!.detail).toMatch(/is damaged/);
    expect(r.first!.fix).toMatch(/restore .* from a backup/);
    expect(readFileSync(path)).toEqual(bytes.subarray(0, 50_000));
    const pair = await box.pairbot('pair', '--date', '2026-11-30');
    expect(pair.code).toBe(1);
    expect(pair.stderr).toMatch(/database disk image is malformed/);
  });

  it('a corrupt local state file is exit 2 naming PAIRBOT_LOCAL_STATE', async () => {
    mkdirSync(join(box.dir, 'data'));
    writeFileSync(join(box.dir, 'data', 'local-state.json'), '{not json');
    const r = await doctor(box.dir, box.env);
    expect(r.code).toBe(2);
    expect(r.failed).toEqual(['local state usable']);
    expect(r.first!.detail).toMatch(/PAIRBOT_LOCAL_STATE/);
  });
});
