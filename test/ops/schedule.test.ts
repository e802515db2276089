import { spawn } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, linkSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Cron } from 'croner';
import { parse } from 'yaml';
import { scheduledJobs } from '../../src/core/schedule.js';
import { BIN, runCli, runProgram } from '../helpers/cli.js';
import { useLocalSandbox } from '../helpers/sandbox.js';

const ROOT = dirname(dirname(BIN));
const ENTRYPOINT = join(ROOT, 'docker', 'entrypoint.sh');

/** The jobs of a crontab: [cron pattern, pairbot arguments without --quiet]. */
function crontabJobs(text: string): [string, string][] {
  return text
    .split('\n')
    .filter((line) => line && !line.startsWith('#') && !/^[A-Z_]+=/.test(line))
    .map((line) => {
      const m = /^(\S+ \S+ \S+ \S+ \S+)\s+cd (?:'[^']*'|\S+) && node \S*bin\/pairbot\.js (.*?) --quiet( >> .*)?$/.exec(line);
      if (!m) throw new Error(`not a pairbot crontab line: ${line}`);
      return [m[1]!, m[2]!];
    });
}

function runEntrypoint(args: string[], cwd: string, env: Record<string, string>) {
  return runProgram('sh', [ENTRYPOINT, ...args], { cwd, env });
}

describe('pairbot crontab', () => {
  const box = useLocalSandbox();

  it('example.crontab is its output for the default settings, installed in /opt/pairbot', async () => {
    const r = await runCli(['crontab'], { cwd: box.dir });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.split(ROOT).join('/opt/pairbot')).toBe(readFileSync(join(ROOT, 'example.crontab'), 'utf8'));
  });

  it('follows the cadence and time zone, quotes paths, passes flags on and can leave out the log', async () => {
    const dir = join(box.dir, 'my pairbot');
    mkdirSync(dir);
    writeFileSync(join(dir, '.env'), 'PAIRBOT_CADENCE=daily\nPAIRBOT_TIMEZONE=Europe/Berlin\n');
    const r = await runCli(['crontab', '--dir', dir, '--log', '-', '--program', 'team1'], { cwd: box.dir });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(/^CRON_TZ=Europe\/Berlin$/m);
    expect(r.stdout).toContain(`0 9 * * *       cd '${dir}' && node ${join(ROOT, 'bin', 'pairbot.js')} pair --program team1 --quiet\n`);
    expect(r.stdout).not.toMatch(/>>/);
    expect(crontabJobs(r.stdout).map(([, args]) => args.split(' ')[0])).toEqual([
      'optout',
      'collect-feedback',
      'prune',
      'pair',
      'pair',
      'inbox',
    ]);
  });

  it('writes CRON_TZ as IANA spells the zone, however PAIRBOT_TIMEZONE was typed (zone files are case-sensitive)', async () => {
    writeFileSync(join(box.dir, '.env'), 'PAIRBOT_TIMEZONE=europe/berlin\n');
    const r = await runCli(['crontab', '--dir', box.dir, '--log', '-'], { cwd: box.dir });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^CRON_TZ=Europe\/Berlin$/m);
    expect(r.stdout).toContain('times in Europe/Berlin');
  });

  it("follows the .env of the folder the jobs go to, not the current folder's", async () => {
    // Each job begins with `cd DIR`, so DIR/.env is the one its pairbot reads.
    const dir = join(box.dir, 'install');
    mkdirSync(dir);
    writeFileSync(join(box.dir, '.env'), 'PAIRBOT_CADENCE=monthly\nPAIRBOT_TIMEZONE=Asia/Tokyo\n');
    writeFileSync(join(dir, '.env'), 'PAIRBOT_CADENCE=daily\nPAIRBOT_TIMEZONE=Europe/Berlin\n');
    const r = await runCli(['crontab', '--dir', dir, '--log', '-'], { cwd: box.dir });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^CRON_TZ=Europe\/Berlin$/m);
    expect(r.stdout).toMatch(/^# pairbot crontab .*: daily cycle/m);
    expect(crontabJobs(r.stdout)).toContainEqual(['0 9 * * *', 'pair']);
  });

  it("follows what the jobs read, and names each setting given only in this shell's environment, which cron's jobs never see", async () => {
    const dir = join(box.dir, 'install');
    mkdirSync(dir);
    writeFileSync(join(dir, '.env'), 'PAIRBOT_TIMEZONE=Europe/Berlin\n');
    writeFileSync(join(box.dir, 'team.json'), '{}\n');
    const secret = 'hc-uuid-0123456789';
    const r = await runCli(['crontab', '--dir', dir, '--log', '-'], {
      cwd: box.dir,
      env: {
        PAIRBOT_CADENCE: 'daily',
        // The same value as DIR/.env: the jobs see it, nothing to say.
        PAIRBOT_TIMEZONE: 'Europe/Berlin',
        PAIRBOT_CONFIG: join(box.dir, 'team.json'),
        MATTERMOST_TOKEN: 'tok-0123456789abcdef',
        PAIRBOT_HEALTHCHECK_URL: `https://hc-ping.com/${secret}`,
      },
    });
    expect(r.code, r.stderr).toBe(0);
    // The jobs read the default cadence: the crontab is theirs, not this shell's.
    expect(r.stdout).toMatch(/^# pairbot crontab .*: weekly cycle, times in Europe\/Berlin\.$/m);
    expect(crontabJobs(r.stdout)).toContainEqual(['0 9 * * 1', 'pair']);
    const warned = [...r.stderr.matchAll(/^\[pairbot\] warning: (\w+) is set in this shell's environment only/gm)].map((m) => m[1]);
    expect(warned.sort()).toEqual(['MATTERMOST_TOKEN', 'PAIRBOT_CADENCE', 'PAIRBOT_CONFIG', 'PAIRBOT_HEALTHCHECK_URL']);
    expect(r.stderr).toContain(`put PAIRBOT_CADENCE in ${join(dir, '.env')}`);
    expect(r.stderr).toMatch(/PAIRBOT_CONFIG .* or give it as --config/);
    // Secrets are named, never shown, and never written into the crontab.
    for (const text of [r.stdout, r.stderr]) {
      expect(text).not.toContain(secret);
      expect(text).not.toContain('tok-0123456789abcdef');
    }
  });

  it('passes --db and --config on as the files they name here, not relative to the folder cron goes to', async () => {
    writeFileSync(join(box.dir, 'team.json'), '{}\n');
    const r = await runCli(['crontab', '--dir', '/srv/pairbot', '--log', '-', '--db', 'data/team.db', '--config', 'team.json'], {
      cwd: box.dir,
    });
    expect(r.code, r.stderr).toBe(0);
    for (const [, args] of crontabJobs(r.stdout))
      expect(args).toContain(`--db ${join(box.dir, 'data', 'team.db')} --config ${join(box.dir, 'team.json')}`);
  });

  it('warns when cron could not open the log file, since the shell would then run no job at all', async () => {
    // `>> FILE` in a cron line: /bin/sh creates no folder, and a file this user may not write stops the line before pairbot starts.
    const missing = join(box.dir, 'no-such-folder', 'pairbot.log');
    const r = await runCli(['crontab', '--log', missing], { cwd: box.dir });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`>> ${missing} 2>&1`);
    expect(r.stderr).toContain(
      `[pairbot] warning: --log ${missing}: the folder ${join(box.dir, 'no-such-folder')} does not exist, and cron's shell does not create it`,
    );
    expect(r.stderr).toMatch(/no job would run/);
    const fine = await runCli(['crontab', '--log', join(box.dir, 'pairbot.log')], { cwd: box.dir });
    expect(fine.stderr).toBe('');
  });

  it("puts the folder of the node it runs on in cron's PATH when that node is not in cron's default PATH (nvm, /opt/node)", async () => {
    const bin = join(box.dir, 'node-elsewhere', 'bin');
    mkdirSync(bin, { recursive: true });
    const node = join(bin, 'node');
    try {
      linkSync(process.execPath, node);
    } catch {
      copyFileSync(process.execPath, node);
    }
    const r = await runProgram(node, [BIN, 'crontab', '--log', '-'], { cwd: box.dir, env: {} });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`^PATH=${bin}:/usr/local/bin:/usr/bin:/bin$`, 'm'));
    // The node of cron's PATH runs it as before: the PATH line is left as it was.
    if (['/usr/local/bin', '/usr/bin', '/bin'].includes(dirname(process.execPath)))
      expect((await runCli(['crontab'], { cwd: box.dir })).stdout).toMatch(/^PATH=\/usr\/local\/bin:\/usr\/bin:\/bin$/m);
  });

  it('warns when --dir is not a folder, since every line begins by going there', async () => {
    const missing = join(box.dir, 'not-installed-here');
    const r = await runCli(['crontab', '--dir', missing, '--log', '-'], { cwd: box.dir });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`cd ${missing} && `);
    expect(r.stderr).toContain(`[pairbot] warning: --dir ${missing}: no such folder: every line's cd would fail, so no job would run`);
    expect((await runCli(['crontab', '--dir', box.dir, '--log', '-'], { cwd: box.dir })).stderr).toBe('');
  });

  it.runIf(process.getuid?.() === 0)('warns when this user may not write the log file (as a user other than root)', async () => {
    chmodSync(box.dir, 0o755);
    const r = await runCli(['crontab', '--log', join(box.dir, 'pairbot.log')], { cwd: box.dir, uid: 65534 });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/warning: --log .*pairbot\.log: .* is not writable by this user/);
    expect(r.stderr).toMatch(/no job would run/);
  });

  it('a bad setting is exit 2 naming it, printing no crontab', async () => {
    writeFileSync(join(box.dir, '.env'), 'PAIRBOT_TIMEZONE=Mars/Olympus\n');
    const r = await runCli(['crontab', '--dir', box.dir], { cwd: box.dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/PAIRBOT_TIMEZONE/);
    expect(r.stdout).toBe('');
  });
});

describe('the schedule (core/schedule.ts)', () => {
  it.each(['daily', 'weekly', 'monthly'] as const)(
    '%s: no two jobs start in the same minute, since the one that loses the run lock exits 75 and does nothing',
    (cadence) => {
      // A pair (or optout) starting in the minute an inbox run holds the lock would leave the round unformed (or unannounced).
      const starts = new Map<string, string>();
      const clashes: string[] = [];
      for (const job of scheduledJobs(cadence)) {
        const cron = new Cron(job.cron, { timezone: 'UTC', paused: true });
        // Two months of minutes, so every day of the month and of the week comes round.
        for (let at = cron.nextRun(new Date('2026-11-01T00:00:00Z')); at && at < new Date('2027-01-01T00:00:00Z'); at = cron.nextRun(at)) {
          const minute = at.toISOString().slice(0, 16);
          const other = starts.get(minute);
          if (other) clashes.push(`${minute} ${other} & ${job.args.join(' ')}`);
          starts.set(minute, job.args.join(' '));
        }
      }
      expect(clashes.slice(0, 5)).toEqual([]);
    },
  );
});

describe('the container schedules itself (checked without a Docker engine)', () => {
  const box = useLocalSandbox();

  it.each(['weekly', 'daily', 'monthly'])('its %s schedule is the one `pairbot crontab` prints, in PAIRBOT_TIMEZONE', async (cadence) => {
    const env = { PAIRBOT_CADENCE: cadence, PAIRBOT_TIMEZONE: 'Europe/Berlin', PAIRBOT_NOW: '2026-11-21T12:00' };
    // cron's jobs read the .env of the folder they go to, never this shell's environment.
    writeFileSync(join(box.dir, '.env'), `PAIRBOT_CADENCE=${cadence}\nPAIRBOT_TIMEZONE=Europe/Berlin\n`);
    const crontab = await runCli(['crontab', '--dir', box.dir], { cwd: box.dir });
    const inContainer = await runEntrypoint(['schedule', '--print'], box.dir, env);
    expect(inContainer.code, inContainer.stderr).toBe(0);
    const [tz, ...lines] = inContainer.stdout.trim().split('\n');
    expect(tz).toBe('CRON_TZ=Europe/Berlin');
    expect(crontab.stdout).toMatch(/^CRON_TZ=Europe\/Berlin$/m);
    expect(lines.map((l) => l.split('\t').slice(0, 2))).toEqual(crontabJobs(crontab.stdout));
    const next = Object.fromEntries(lines.map((l) => l.split('\t')).map(([, args, at]) => [args, at]));
    // Saturday 2026-11-21 12:00 in Berlin (UTC+1): the next pairing is Monday 09:00 Berlin time.
    if (cadence === 'weekly') expect(next.pair).toBe('2026-11-23T08:00:00.000Z');
    if (cadence === 'daily') expect(next.pair).toBe('2026-11-22T08:00:00.000Z');
    if (cadence === 'monthly') expect(next.pair).toBe('2026-12-01T08:00:00.000Z');
  });

  it('the entry script runs one command when given arguments', async () => {
    const r = await runEntrypoint(['pair', '--dry-run', '--date', '2026-11-23'], box.dir, box.env);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/Round 2026-W48/);
  });

  it('without arguments it starts the scheduler, which stops cleanly on SIGTERM', async () => {
    const child = spawn('sh', [ENTRYPOINT], { cwd: box.dir, env: { PATH: process.env.PATH ?? '', ...box.env } });
    let stdout = '';
    const started = new Promise<void>((resolve) => {
      child.stdout.on('data', (d: Buffer) => {
        stdout += d.toString();
        if (stdout.includes('started:')) resolve();
      });
    });
    const closed = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
    await started;
    child.kill('SIGTERM');
    expect(await closed).toBe(0);
    expect(stdout).toMatch(/started: 7 jobs, weekly cycle, times in UTC/);
    expect(stdout).toMatch(/0 9 \* \* 1 +pair +next /);
    expect(stdout).toMatch(/SIGTERM: stopped scheduling/);
  });

  it('a bad setting stops the scheduler at once with exit 2', async () => {
    const r = await runEntrypoint(['schedule'], box.dir, { PAIRBOT_CADENCE: 'hourly' });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/PAIRBOT_CADENCE/);
  });

  it('docker-compose.yml and the Dockerfile name the paths the image has', () => {
    const compose = parse(readFileSync(join(ROOT, 'docker-compose.yml'), 'utf8')) as {
      services: Record<
        string,
        {
          env_file?: string;
          environment?: Record<string, string>;
          volumes?: string[];
          command?: string[];
          init?: boolean;
          restart?: string;
        }
      >;
      volumes: Record<string, unknown>;
    };
    const service = compose.services.pairbot!;
    expect(service.command).toEqual(['schedule']);
    expect(service.init).toBe(true);
    expect(service.restart).toBe('unless-stopped');
    expect(service.env_file).toBe('.env');
    expect(service.volumes).toEqual(['pairbot-data:/data']);
    expect(Object.keys(compose.volumes)).toEqual(['pairbot-data']);
    const dockerfile = readFileSync(join(ROOT, 'Dockerfile'), 'utf8');
    const env = /^ENV .*PAIRBOT_DB=(\S+)/m.exec(dockerfile)?.[1];
    expect(env).toBe('/data/pairbot.db');
    expect(service.environment?.PAIRBOT_DB).toBe(env);
    expect(dirname(env!)).toBe('/data');
    expect(dockerfile).toMatch(/^VOLUME \["\/data"\]$/m);
    expect(dockerfile).toMatch(/^USER node$/m);
    expect(dockerfile).toMatch(/^HEALTHCHECK .*CMD \["node", "\/app\/bin\/pairbot\.js", "status"/m);
    expect(dockerfile).toMatch(/^ENTRYPOINT \["\/app\/docker\/entrypoint\.sh"\]$/m);
    expect(dockerfile).toMatch(/^CMD \["schedule"\]$/m);
    // Everything the image copies from the context exists here.
    for (const [, from] of dockerfile.matchAll(/^COPY (?!--from)(\S+(?: \S+)*) \S+$/gm)) {
      for (const path of from!.split(' ')) expect(existsSync(join(ROOT, path)), path).toBe(true);
    }
  });
});
