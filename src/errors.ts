import { constants } from 'node:os';

/** Exit codes of the contract (README "Exit codes"). */
export const EXIT = {
  ok: 0,
  failed: 1,
  usage: 2,
  partial: 3,
  locked: 75,
} as const;

/** Base of every error pairbot raises on purpose; carries its exit code. */
export class PairbotError extends Error {
  readonly exitCode: number;
  constructor(message: string, exitCode: number, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.exitCode = exitCode;
  }
}

/** Bad flags, config or input files: exit 2, before anything connects or is written. */
export class UsageError extends PairbotError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, EXIT.usage, options);
  }
}

/** The platform failed (unreachable after retries, token rejected, …): exit 1. */
export class PlatformError extends PairbotError {
  readonly platform: string;
  /** true when retrying later may succeed (network, 5xx, 429 beyond budget). */
  readonly transient: boolean;
  constructor(platform: string, message: string, options?: { cause?: unknown; transient?: boolean; exitCode?: number }) {
    super(`[${platform}] ${message}`, options?.exitCode ?? EXIT.failed, options);
    this.platform = platform;
    this.transient = options?.transient ?? false;
  }
}

/**
 * The configured address answers, but not as the platform's API does (a web page or a
 * catch-all proxy answering 200 "OK" or any JSON): a setting to fix, exit 2, naming it.
 */
export class WrongServerError extends PlatformError {
  constructor(platform: string, message: string) {
    super(platform, message, { transient: false, exitCode: EXIT.usage });
  }
}

/** The platform rejected the bot's token (HTTP 401): the message names the variable, never the token. */
export class AuthError extends PlatformError {
  /** The setting holding the rejected token, e.g. MATTERMOST_TOKEN. */
  readonly variable: string;
  constructor(platform: string, variable: string, message: string, options?: { cause?: unknown }) {
    super(platform, message, { ...options, transient: false });
    this.variable = variable;
  }
}

/**
 * A fault stopped a delivery after the round was stored: what is not delivered stays
 * pending for the next run, so this is "partly delivered" (exit 3), not a failure.
 */
export class DeliveryStoppedError extends PairbotError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, EXIT.partial, options);
  }
}

/** The database could not be used: exit 1. */
export class StoreError extends PairbotError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, EXIT.failed, options);
  }
}

/**
 * A stop signal (SIGTERM from `kill`, `docker stop` or systemd; SIGINT from Ctrl-C) ended the
 * run between two steps: exit 128 + the signal's number (143, 130), as a shell reports a
 * process the signal killed. What was done is stored, the rest is left to the next run.
 */
export class InterruptedError extends PairbotError {
  readonly signal: StopSignal;
  constructor(signal: StopSignal) {
    super(`interrupted by ${signal}; nothing half-written — the next run finishes the job`, 128 + constants.signals[signal]);
    this.signal = signal;
  }
}

export type StopSignal = 'SIGTERM' | 'SIGINT';

/** Another run holds the program's lock: exit 75. */
export class LockedError extends PairbotError {
  constructor(message: string) {
    super(message, EXIT.locked);
  }
}

/** The exit code a failure ends the run with (main.ts reports it; health checks are told it). */
export function exitCodeOf(err: unknown): number {
  // SQLite's lock held past the busy timeout is a database error; 75 is only this program's run lock.
  if (isDatabaseBusy(err)) return EXIT.failed;
  if (err instanceof PairbotError) return err.exitCode;
  return EXIT.failed;
}

/** SQLite's "database is locked" in any of its variants (SQLITE_BUSY, SQLITE_BUSY_SNAPSHOT, …). */
export function isDatabaseBusy(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && code.startsWith('SQLITE_BUSY');
}

const FILE_PROBLEMS: Readonly<Record<string, string>> = {
  ENOENT: 'no such file or folder',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  EISDIR: 'it is a folder, not a file',
  ENOTDIR: 'a part of the path is not a folder',
  ENOSPC: 'no space left on the disk',
  EROFS: 'a read-only file system',
};

/** Why a file could not be read, in words with the system's code: "no such file or folder (ENOENT)". */
export function fileProblem(err: unknown): string {
  const code = (err as NodeJS.ErrnoException | null)?.code;
  if (code === undefined) return (err as Error).message;
  return FILE_PROBLEMS[code] ? `${FILE_PROBLEMS[code]} (${code})` : code;
}

/** SQLite could not write: the disk is full, or an I/O error (which a full disk also gives, creating the -shm file). */
export function isDiskWriteError(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && (code.startsWith('SQLITE_FULL') || code.startsWith('SQLITE_IOERR'));
}
