import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runProbed } from './probed.js';

/**
 * `pair` through the built CLI on the local platform, as cron runs it (issue 10):
 * a real round against its dry run at 10,000 members, a real 100,000-member round,
 * and the CLI's own cost and peak memory of a 100,000-member dry run beside the
 * engine's time (read from the run's own `engine: … in X s` log line).
 *
 * The machine may be busy with other work: each figure is the best of a few runs,
 * and CPU time (less disturbed by other processes than wall time) is printed too.
 */

const ZONES = ['', 'UTC', 'Europe/Berlin', 'America/New_York', 'Asia/Tokyo', 'Asia/Kolkata', 'America/Los_Angeles', 'Australia/Sydney'];

interface Run {
  wall: number;
  cpu: number;
  peakMB: number;
  /** Seconds the engine took, when the run logged it (dry runs are run with --verbose). */
  engine?: number;
  /** CPU seconds the engine took (user + system, all threads), when logged. */
  engineCpu?: number;
  code: number;
}

function progress(msg: string): void {
  process.stderr.write(`[bench:local] ${msg}\n`);
}

function writeRoster(path: string, members: number): void {
  const lines = ['id,name,timezone,team'];
  for (let i = 1; i <= members; i++) lines.push(`u${i},member${i},${ZONES[i % ZONES.length]},t${i % 37}`);
  writeFileSync(path, `${lines.join('\n')}\n`);
}

async function runPair(dir: string, roster: string, args: string[], date = '2026-11-23'): Promise<Run> {
  const run = await runProbed(['pair', '--date', date, '--seed', '1', ...args], {
    cwd: dir,
    env: { PAIRBOT_ROSTER: roster, PAIRBOT_DB: join(dir, 'data', 'pairbot.db') },
  });
  if (run.code !== 0) throw new Error(`pair ${args.join(' ')} exited ${run.code}: ${run.stderr.slice(-500)}`);
  const logged = /engine: .* in ([\d.]+) s(?: \(([\d.]+) s CPU\))?/.exec(run.stderr);
  return {
    wall: run.wall,
    cpu: run.cpu,
    peakMB: run.peakMB,
    code: run.code,
    ...(logged?.[1] ? { engine: Number(logged[1]) } : {}),
    ...(logged?.[2] ? { engineCpu: Number(logged[2]) } : {}),
  };
}

/** Runs `body` in a new temporary directory (so a new database), removed afterwards. */
async function inFreshDir<T>(body: (dir: string) => Promise<T>): Promise<T> {
  const dir = mkdtempSync(join(tmpdir(), 'pairbot-bench-local-'));
  try {
    return await body(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const best = (runs: Run[], key: 'wall' | 'cpu'): number => Math.min(...runs.map((r) => r[key]));
const s = (seconds: number): string => `${seconds.toFixed(2)} s`;

interface Row {
  scenario: string;
  target: string;
  value: string;
  met: boolean;
}

export async function runLocalBench(): Promise<void> {
  const rows: Row[] = [];
  const notes: string[] = [];
  const roots = mkdtempSync(join(tmpdir(), 'pairbot-bench-rosters-'));
  try {
    const roster10k = join(roots, 'roster-10k.csv');
    const roster100k = join(roots, 'roster-100k.csv');
    writeRoster(roster10k, 10_000);
    writeRoster(roster100k, 100_000);

    // 10,000 members: a real round against its dry run, each on a fresh database, best of 3.
    const dry10: Run[] = [];
    const real10: Run[] = [];
    for (let i = 0; i < 3; i++) {
      progress(`10,000 members: dry run and real round, attempt ${i + 1} of 3`);
      dry10.push(await inFreshDir((dir) => runPair(dir, roster10k, ['--dry-run', '--verbose'])));
      real10.push(await inFreshDir((dir) => runPair(dir, roster10k, ['--quiet'])));
    }
    const wallRatio = best(real10, 'wall') / best(dry10, 'wall');
    const cpuRatio = best(real10, 'cpu') / best(dry10, 'cpu');
    rows.push({
      scenario: 'real round ÷ dry run, 10,000 members (best of 3, fresh database each)',
      target: '≤ 2×',
      value: `${wallRatio.toFixed(2)}× wall (${s(best(real10, 'wall'))} ÷ ${s(best(dry10, 'wall'))}), ${cpuRatio.toFixed(2)}× CPU (${s(best(real10, 'cpu'))} ÷ ${s(best(dry10, 'cpu'))})`,
      met: wallRatio <= 2,
    });
    rows.push({
      scenario: 'real round ÷ dry run, 10,000 members, CPU',
      target: '≤ 2×',
      value: `${cpuRatio.toFixed(2)}× (${s(best(real10, 'cpu'))} ÷ ${s(best(dry10, 'cpu'))})`,
      met: cpuRatio <= 2,
    });

    await inFreshDir(async (dir) => {
      progress('100,000 members: dry run on a new database');
      const dry = await runPair(dir, roster100k, ['--dry-run', '--verbose']);
      progress('100,000 members: real round (50,000 intros delivered)');
      const real = await runPair(dir, roster100k, ['--quiet']);
      progress('100,000 members: dry run of the next week, with that round as history');
      const next = await runPair(dir, roster100k, ['--dry-run', '--verbose'], '2026-11-30');
      for (const [label, run] of [
        ['dry run, 100,000 members, new database', dry],
        ['dry run, 100,000 members, a round of history', next],
      ] as const) {
        const engine = run.engine ?? NaN;
        const own = run.wall - engine;
        rows.push({
          scenario: `${label}: the CLI's own time (total − engine), wall`,
          target: '< engine',
          value: `${s(own)} own vs ${s(engine)} engine (total ${s(run.wall)})`,
          met: own < engine,
        });
        // CPU time is what other processes on a busy machine disturb least.
        const engineCpu = run.engineCpu ?? NaN;
        const ownCpu = run.cpu - engineCpu;
        rows.push({
          scenario: `${label}: the CLI's own time (total − engine), CPU`,
          target: '< engine',
          value: `${s(ownCpu)} own vs ${s(engineCpu)} engine (total ${s(run.cpu)})`,
          met: ownCpu < engineCpu,
        });
        rows.push({ scenario: `${label}: peak memory`, target: '< 512 MB', value: `${run.peakMB.toFixed(0)} MB`, met: run.peakMB < 512 });
      }
      rows.push({
        scenario: 'real round, 100,000 members (50,000 intros)',
        target: '< 60 s',
        value: `${s(real.wall)} wall, ${s(real.cpu)} CPU, ${real.peakMB.toFixed(0)} MB`,
        met: real.wall < 60,
      });
      rows.push({
        scenario: 'real round, 100,000 members (50,000 intros), CPU',
        target: '< 60 s',
        value: `${s(real.cpu)} CPU`,
        met: real.cpu < 60,
      });
    });
    notes.push(
      `all 10,000-member runs (wall): dry ${dry10.map((r) => s(r.wall)).join(', ')}; real ${real10.map((r) => s(r.wall)).join(', ')}`,
    );
  } finally {
    rmSync(roots, { recursive: true, force: true });
  }

  const width = [
    Math.max(...rows.map((r) => r.scenario.length)),
    Math.max(...rows.map((r) => r.target.length)),
    Math.max(...rows.map((r) => r.value.length)),
  ];
  console.log('');
  console.log('pair through the CLI on the local platform (issue 10 targets)');
  for (const r of rows)
    console.log(
      `${r.scenario.padEnd(width[0]!)} | ${r.target.padEnd(width[1]!)} | ${r.value.padEnd(width[2]!)} | ${r.met ? 'met' : 'MISSED'}`,
    );
  for (const n of notes) console.log(`  · ${n}`);
  const missed = rows.filter((r) => !r.met).length;
  console.log(missed === 0 ? 'All local-platform targets met.' : `${missed} local-platform target(s) missed.`);
}
