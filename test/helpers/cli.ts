import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root, found from here whether this file runs from test/ or, compiled, from dist/. */
function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'bin', 'pairbot.js'))) {
    const up = dirname(dir);
    if (up === dir) throw new Error('cannot find bin/pairbot.js above the test helpers');
    dir = up;
  }
  return dir;
}

export const BIN = join(repoRoot(), 'bin', 'pairbot.js');
export const EXAMPLE_ROSTER = join(repoRoot(), 'examples', 'roster.csv');

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs the built CLI as cron would: a child process with only the environment
 * given (plus PATH/HOME), so the developer's own settings never leak in.
 * Asynchronous, so fake servers in the test process keep answering.
 */
export function runCli(args: string[], options: RunOptions): Promise<CliResult> {
  return startCli(args, options).done;
}

export interface RunOptions {
  cwd: string;
  env?: Record<string, string>;
  input?: string;
  uid?: number;
}

/** A run in progress: its process (to kill it) and its result once it ends. */
export interface CliRun {
  child: ChildProcess;
  done: Promise<CliResult>;
}

/** Waits (polling) until `condition` holds, e.g. until a fake server has seen a run's first post. */
export async function until(condition: () => boolean, what: string, timeoutMs = 60_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Starts the built CLI as runCli runs it, returning at once. */
export function startCli(args: string[], options: RunOptions): CliRun {
  return startProgram(process.execPath, [BIN, ...args], options);
}

/** Any program (e.g. `sh docker/entrypoint.sh`), run the way runCli runs pairbot. */
export function runProgram(file: string, args: string[], options: RunOptions): Promise<CliResult> {
  return startProgram(file, args, options).done;
}

function startProgram(file: string, args: string[], options: RunOptions): CliRun {
  const child = spawn(file, args, {
    cwd: options.cwd,
    env: { PATH: process.env.PATH ?? '', HOME: options.cwd, ...options.env },
    // Run as another user (needs root): file permissions as cron's user sees them.
    ...(options.uid !== undefined ? { uid: options.uid, gid: options.uid } : {}),
  });
  const done = new Promise<CliResult>((resolve, reject) => {
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    // A program that exits without reading its input (e.g. on a usage error) closes the pipe:
    // that EPIPE is not the test's failure, the exit code and output are what the test checks.
    child.stdin.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code !== 'EPIPE') reject(error);
    });
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
  child.stdin.end(options.input ?? '');
  return { child, done };
}
