import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BIN, type CliResult, runProgram } from '../test/helpers/cli.js';

const PROBE = fileURLToPath(new URL('./probe.js', import.meta.url));

/** A CLI run with what it cost: wall time, and the process's own CPU time and peak memory. */
export interface ProbedRun extends CliResult {
  wall: number;
  /** User + system seconds of the CLI process itself (Node start-up included): the machine's load hardly changes it. */
  cpu: number;
  peakMB: number;
}

/**
 * Runs the built CLI as runCli does, with probe.js loaded (`node --import`) to report its
 * CPU time and peak memory; the probe's file is written in `dir`.
 */
export async function runProbed(args: string[], options: { cwd: string; env: Record<string, string> }): Promise<ProbedRun> {
  const probe = join(options.cwd, `probe-${process.hrtime.bigint()}.json`);
  const started = performance.now();
  const result = await runProgram(process.execPath, ['--import', PROBE, BIN, ...args], {
    cwd: options.cwd,
    env: { ...options.env, PAIRBOT_BENCH_PROBE: probe },
  });
  const wall = (performance.now() - started) / 1000;
  if (result.code !== 0) return { ...result, wall, cpu: Number.NaN, peakMB: Number.NaN };
  const { peakBytes, cpuSeconds } = JSON.parse(readFileSync(probe, 'utf8')) as { peakBytes: number; cpuSeconds: number };
  return { ...result, wall, cpu: cpuSeconds, peakMB: peakBytes / 2 ** 20 };
}
