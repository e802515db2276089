import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { periodOfDate } from '../src/core/periods.js';
import { openDatabase } from '../src/store/db.js';
import { ensureProgram } from '../src/store/programs.js';
import { type ProbedRun, runProbed } from './probed.js';

/**
 * `report` and `export` end to end (the built CLI as a subprocess, as cron or an
 * operator runs it) on a database of `members` people and a year of weekly rounds:
 * 10% of members left out of each round (opted out, paused, not due), every group
 * asked, 70% of groups answering. Target: the report in under 5 s.
 * Each figure is the best of a few runs; CPU time is printed beside wall time.
 */

const TIME_ZONES = [
  'Europe/Berlin',
  'America/New_York',
  'Asia/Kolkata',
  'Europe/London',
  'America/Los_Angeles',
  'Asia/Tokyo',
  'Australia/Sydney',
  'Africa/Lagos',
  null,
];

function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => (s = (Math.imul(1664525, s) + 1013904223) >>> 0) / 4294967296;
}

/** Writes the history straight through SQL in one transaction (seconds, not the hours `pair` would spend messaging). */
function writeHistory(path: string, members: number, weeks: number): { groups: number; answers: number } {
  const db = openDatabase(path);
  const random = lcg(2026);
  let groups = 0;
  let answers = 0;
  try {
    const program = ensureProgram(db, 'default', 'local', 'weekly', new Date('2025-12-01T00:00:00Z'));
    const ids = Array.from({ length: members }, (_, i) => `u${String(i).padStart(5, '0')}`);
    const insertMember = db.prepare('INSERT INTO members (program_id, user_id, name, timezone, joined_on) VALUES (?, ?, ?, ?, ?)');
    const insertRound = db.prepare('INSERT INTO rounds (program_id, period, period_index, seed, created_at) VALUES (?, ?, ?, ?, ?)');
    const insertGroup = db.prepare("INSERT INTO groups (program_id, round_id, formed_on, source, created_at) VALUES (?, ?, ?, 'pair', ?)");
    const insertGroupMember = db.prepare('INSERT INTO group_members (group_id, user_id) VALUES (?, ?)');
    const exclude = db.prepare('INSERT INTO round_exclusions (round_id, user_id, reason) VALUES (?, ?, ?)');
    const ask = db.prepare(
      "INSERT INTO outbox (program_id, dedupe_key, kind, period, group_id, recipients, body, status, created_at) VALUES (?, ?, 'feedback-ask', ?, ?, ?, 'Did it happen?', 'sent', ?)",
    );
    const answer = db.prepare('INSERT INTO feedback (group_id, reporter_id, answer, recorded_at) VALUES (?, ?, ?, ?)');
    db.transaction(() => {
      for (const [i, id] of ids.entries()) insertMember.run(program.id, id, `member ${i}`, TIME_ZONES[i % TIME_ZONES.length], '2025-12-01');
      for (let w = 0; w < weeks; w++) {
        const day = new Date(Date.UTC(2025, 11, 1 + 7 * w)).toISOString().slice(0, 10);
        const period = periodOfDate(day, 'weekly');
        const roundId = Number(insertRound.run(program.id, period.key, period.index, String(w), `${day}T09:00:00.000Z`).lastInsertRowid);
        const shuffled = [...ids];
        for (let k = shuffled.length - 1; k > 0; k--) {
          const j = Math.floor(random() * (k + 1));
          [shuffled[k], shuffled[j]] = [shuffled[j]!, shuffled[k]!];
        }
        const out = Math.floor(members * 0.1);
        shuffled.slice(0, out).forEach((id, k) => exclude.run(roundId, id, (['optedOut', 'paused', 'notDue'] as const)[k % 3]));
        const inRound = shuffled.slice(out);
        for (let k = 0; k + 1 < inRound.length; k += 2) {
          const pair = k + 3 === inRound.length ? inRound.slice(k) : inRound.slice(k, k + 2);
          const groupId = Number(insertGroup.run(program.id, roundId, day, `${day}T09:00:00.000Z`).lastInsertRowid);
          groups++;
          for (const m of pair) insertGroupMember.run(groupId, m);
          ask.run(program.id, `ask:${groupId}`, period.key, groupId, JSON.stringify(pair), `${day}T16:00:00.000Z`);
          const roll = random();
          if (roll < 0.7) {
            answer.run(groupId, pair[0]!, roll < 0.5 ? 'met' : roll < 0.6 ? 'missed' : 'scheduled', `${day}T18:00:00.000Z`);
            answers++;
          }
          if (pair.length === 3) break;
        }
      }
    })();
  } finally {
    db.close();
  }
  return { groups, answers };
}

const sec = (seconds: number): string => `${seconds.toFixed(2)} s`;
const TARGET_SECONDS = 5;
const RUNS = 3;

export async function runReportBench(options: { members?: number; weeks?: number; print?: (line: string) => void } = {}): Promise<void> {
  const members = options.members ?? 10_000;
  const weeks = options.weeks ?? 52;
  const print = options.print ?? ((line: string) => console.log(line));
  const dir = mkdtempSync(join(tmpdir(), 'pairbot-bench-report-'));
  try {
    const dbPath = join(dir, 'pairbot.db');
    const t0 = performance.now();
    const { groups, answers } = writeHistory(dbPath, members, weeks);
    print(
      `report: ${members.toLocaleString('en-US')} members, ${weeks} weekly rounds, ${groups.toLocaleString('en-US')} groups, ${answers.toLocaleString('en-US')} answers ` +
        `(database ${(statSync(dbPath).size / 1e6).toFixed(1)} MB, written in ${((performance.now() - t0) / 1000).toFixed(1)} s)`,
    );
    const cli = (args: string[]): Promise<ProbedRun> =>
      runProbed([...args, '--date', '2026-12-01'], { cwd: dir, env: { PAIRBOT_DB: dbPath } });
    const failed = (label: string, run: ProbedRun): boolean => {
      if (run.code !== 0) print(`  ${label}: exit ${run.code}: ${run.stderr.trim()}`);
      return run.code !== 0;
    };
    // The machine may be shared: CPU time (user + system of the CLI process, Node start-up
    // included) is what its load hardly changes; the load average says how far wall time is off.
    const html = join(dir, 'report.html');
    const runs: ProbedRun[] = [];
    const loads: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      loads.push(loadavg()[0]!);
      const run = await cli(['report', '--out', html]);
      if (failed('pairbot report', run)) return;
      runs.push(run);
    }
    const best = (key: 'cpu' | 'wall'): number => Math.min(...runs.map((r) => r[key]));
    const verdict = (seconds: number): string => `${sec(seconds)} (${seconds < TARGET_SECONDS ? 'met' : 'MISSED'})`;
    print(
      `  pairbot report (CLI, end to end), target < ${TARGET_SECONDS} s, best of ${RUNS}: CPU ${verdict(best('cpu'))}, wall ${verdict(best('wall'))}; ` +
        `HTML ${(statSync(html).size / 1024).toFixed(0)} KB, peak memory ${Math.max(...runs.map((r) => r.peakMB)).toFixed(0)} MB`,
    );
    print(
      `    runs: ${runs.map((r) => `${sec(r.cpu)} CPU / ${sec(r.wall)} wall`).join(', ')}; load average ${loads.map((l) => l.toFixed(1)).join(', ')} on ${availableParallelism()} cores`,
    );
    const json = await cli(['export', '--out', join(dir, 'export.json')]);
    const csv = await cli(['export', '--format', 'csv', '--out', join(dir, 'csv')]);
    if (failed('pairbot export', json) || failed('pairbot export --format csv', csv)) return;
    // Export streams each table from the database to the file: its peak memory stays flat as the program grows.
    print(
      `  pairbot export: JSON ${sec(json.cpu)} CPU / ${sec(json.wall)} wall (${(statSync(join(dir, 'export.json')).size / 1e6).toFixed(0)} MB, ` +
        `peak memory ${json.peakMB.toFixed(0)} MB), CSV ${sec(csv.cpu)} CPU / ${sec(csv.wall)} wall (peak memory ${csv.peakMB.toFixed(0)} MB)`,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
