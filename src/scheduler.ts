import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { Cron } from 'croner';
import { loadConfig } from './config.js';
import { scheduledJobs, type ScheduledJob } from './core/schedule.js';
import { EXIT, exitCodeOf, PairbotError } from './errors.js';
import { packageRoot } from './install.js';

/**
 * The container's cron (`docker compose up -d`): runs the jobs of core/schedule.ts — the
 * ones `pairbot crontab` prints — in PAIRBOT_TIMEZONE. Each run is a child `pairbot`
 * process that inherits the environment (so .env-less containers work) and writes to
 * this process's stdout/stderr (so `docker compose logs` shows it). A job still running
 * when its next time comes is not started twice; the program lock guards the rest.
 * SIGTERM/SIGINT stop scheduling and wait for the running jobs, then exit 0.
 *
 * `--print` lists each job with its next run (after PAIRBOT_NOW, or now) and exits.
 */

const say = (message: string): void => {
  process.stdout.write(`[pairbot-scheduler] ${new Date().toISOString()} ${message}\n`);
};

function runJob(bin: string, job: ScheduledJob, running: Set<ChildProcess>): Promise<void> {
  const label = job.args.join(' ');
  say(`starting ${label}`);
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [bin, ...job.args], { stdio: 'inherit', env: process.env });
    running.add(child);
    child.on('error', (err) => {
      say(`${label} could not start: ${err.message}`);
    });
    child.on('close', (code, signal) => {
      running.delete(child);
      say(`${label} ${signal ? `killed by ${signal}` : `exited ${code}`}`);
      resolve();
    });
  });
}

async function main(argv: string[]): Promise<number> {
  const config = loadConfig(process.env, {});
  const jobs = scheduledJobs(config.cadence);
  const root = packageRoot() ?? process.cwd();
  const bin = join(root, 'bin', 'pairbot.js');
  const running = new Set<ChildProcess>();
  let stopping = false;

  const crons = jobs.map((job) => {
    const cron = new Cron(job.cron, { timezone: config.timezone, protect: true, paused: argv.includes('--print') }, () =>
      stopping ? undefined : runJob(bin, job, running),
    );
    return { job, cron };
  });

  if (argv.includes('--print')) {
    // The reference instant: PAIRBOT_NOW when given, so the listing can be checked.
    const from = config.now;
    process.stdout.write(`CRON_TZ=${config.timezone}\n`);
    for (const { job, cron } of crons) {
      process.stdout.write(`${job.cron}\t${job.args.join(' ')}\t${cron.nextRun(from)?.toISOString() ?? 'never'}\n`);
      cron.stop();
    }
    return EXIT.ok;
  }

  // Handlers first: a stop signal that comes as soon as the start is announced is still clean.
  const stopped = new Promise<number>((resolve) => {
    const stop = (signal: string): void => {
      if (stopping) return;
      stopping = true;
      for (const { cron } of crons) cron.stop();
      say(`${signal}: stopped scheduling${running.size ? `; waiting for ${running.size} running job(s)` : ''}`);
      const check = (): void => {
        if (running.size === 0) resolve(EXIT.ok);
        else setTimeout(check, 200);
      };
      check();
    };
    process.on('SIGTERM', () => stop('SIGTERM'));
    process.on('SIGINT', () => stop('SIGINT'));
  });
  say(`started: ${jobs.length} jobs, ${config.cadence} cycle, times in ${config.timezone} (pairbot at ${bin})`);
  for (const { job, cron } of crons) say(`  ${job.cron.padEnd(15)} ${job.args.join(' ')}  next ${cron.nextRun()?.toISOString()}`);
  return stopped;
}

try {
  process.exitCode = await main(process.argv.slice(2));
} catch (err) {
  const message = err instanceof PairbotError ? err.message : String((err as Error)?.message ?? err);
  process.stderr.write(`[pairbot-scheduler] error: ${message}\n`);
  process.exitCode = exitCodeOf(err);
}
