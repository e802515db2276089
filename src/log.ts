import { redact } from './config.js';

export interface Logger {
  /** A function is called only when debug lines are shown: a per-message line costs nothing otherwise. */
  debug(message: string | (() => string)): void;
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

export type Verbosity = 'quiet' | 'normal' | 'verbose';

/** Logs to stderr (stdout is for results and --json), never showing a secret. */
export function createLogger(
  verbosity: Verbosity,
  secrets: readonly string[],
  write: (line: string) => void = (l) => process.stderr.write(l),
): Logger {
  const emit = (level: string, message: string): void => write(`[pairbot]${level} ${redact(message, secrets)}\n`);
  return {
    debug: (m) => verbosity === 'verbose' && emit(' debug:', typeof m === 'function' ? m() : m),
    info: (m) => verbosity !== 'quiet' && emit('', m),
    warn: (m) => verbosity !== 'quiet' && emit(' warning:', m),
    error: (m) => emit(' error:', m),
  };
}
