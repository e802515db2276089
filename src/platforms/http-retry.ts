import { PlatformError } from '../errors.js';
import { sleepUnlessStopped, throwIfInterrupted } from '../interrupt.js';

/**
 * Retry policy shared by the HTTP platform adapters (Mattermost now, Discord later):
 * every request gets a timeout, transient faults get bounded exponential backoff,
 * rate limits are waited out as the server asks, and one run never spends more than
 * `totalRetryMs` waiting in all. Clock, sleep and randomness are injectable so tests
 * run in milliseconds.
 */
export interface RetryPolicy {
  /** Longest one request (headers and body) may take before it is abandoned. */
  requestTimeoutMs: number;
  /** Attempts per request when it meets 5xx, timeouts or network errors (1 = never retry). */
  maxAttempts: number;
  /** Rate-limit waits honoured per request before giving up. */
  maxRateLimitWaits: number;
  /** First backoff delay; doubles on each further failure, with jitter. */
  baseDelayMs: number;
  maxDelayMs: number;
  /** Time one run may lose to failed attempts and waits, across all its requests. */
  totalRetryMs: number;
  sleep(ms: number): Promise<void>;
  now(): number;
  random(): number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = Object.freeze({
  requestTimeoutMs: 15_000,
  maxAttempts: 5,
  maxRateLimitWaits: 10,
  baseDelayMs: 500,
  maxDelayMs: 10_000,
  totalRetryMs: 120_000,
  // A stop signal cuts a wait short; the next attempt then stops the run (src/interrupt.ts).
  sleep: sleepUnlessStopped,
  now: () => Date.now(),
  random: () => Math.random(),
});

/** What one attempt came to. Permanent failures are thrown by the attempt itself. */
export type AttemptOutcome<T> =
  | { kind: 'done'; value: T }
  /** `waitMs` undefined: the server gave no hint, back off instead. */
  | { kind: 'rate-limited'; waitMs: number | undefined; detail: string }
  | { kind: 'transient'; detail: string; cause?: unknown };

export interface RetryLog {
  debug(message: string): void;
  warn(message: string): void;
}

/** Runs requests under one policy and one run-wide retry budget. */
export class Retrier {
  private lostMs = 0;

  constructor(
    private readonly platform: string,
    readonly policy: RetryPolicy,
    private readonly log: RetryLog,
  ) {}

  /** Time this run has lost to failed attempts and waits so far. */
  get retryTimeMs(): number {
    return this.lostMs;
  }

  /**
   * Calls `attempt` with a signal that aborts after `requestTimeoutMs`, until it is
   * done, fails permanently (throws), or the retry limits are reached (PlatformError,
   * transient). Network errors and timeouts thrown by `attempt` count as transient.
   */
  async run<T>(label: string, attempt: (signal: AbortSignal) => Promise<AttemptOutcome<T>>): Promise<T> {
    const p = this.policy;
    let failures = 0;
    let rateWaits = 0;
    for (;;) {
      // A stop signal ends the run before its next request, never during one (src/interrupt.ts).
      throwIfInterrupted();
      const started = p.now();
      let outcome: AttemptOutcome<T>;
      try {
        outcome = await attempt(AbortSignal.timeout(p.requestTimeoutMs));
      } catch (err) {
        const network = describeNetworkError(err);
        if (!network) throw err;
        outcome = { kind: 'transient', detail: network, cause: err };
      }
      if (outcome.kind === 'done') return outcome.value;
      this.lostMs += Math.max(0, p.now() - started);

      let waitMs: number;
      if (outcome.kind === 'rate-limited') {
        rateWaits++;
        if (rateWaits > p.maxRateLimitWaits) throw this.giveUp(label, `${outcome.detail}, still after ${p.maxRateLimitWaits} waits`);
        waitMs = outcome.waitMs ?? backoffDelay(p, rateWaits);
      } else {
        failures++;
        if (failures >= p.maxAttempts) throw this.giveUp(label, `${outcome.detail} (${failures} attempts)`, outcome.cause);
        waitMs = backoffDelay(p, failures);
      }
      const cause = outcome.kind === 'transient' ? outcome.cause : undefined;
      if (this.lostMs + waitMs > p.totalRetryMs) {
        // A wait the server asked for that no run could afford is said as such, not as a budget used up.
        if (outcome.kind === 'rate-limited' && outcome.waitMs !== undefined && outcome.waitMs > p.totalRetryMs) {
          throw this.giveUp(
            label,
            `${outcome.detail}: the server asked to wait ${formatMs(waitMs)}, beyond the retry time limit of ${formatMs(p.totalRetryMs)} for this run`,
          );
        }
        throw this.giveUp(label, `${outcome.detail}; the retry time limit of ${formatMs(p.totalRetryMs)} for this run is used up`, cause);
      }
      const message = `${label}: ${outcome.detail}; retrying in ${formatMs(waitMs)}`;
      if (outcome.kind === 'rate-limited') this.log.warn(`[${this.platform}] ${message}`);
      else this.log.debug(`[${this.platform}] ${message}`);
      await p.sleep(waitMs);
      this.lostMs += waitMs;
    }
  }

  private giveUp(label: string, detail: string, cause?: unknown): PlatformError {
    return new PlatformError(this.platform, `${label} failed: ${detail}`, { transient: true, cause });
  }
}

/** Exponential backoff with "equal jitter": half fixed, half random. */
export function backoffDelay(p: Pick<RetryPolicy, 'baseDelayMs' | 'maxDelayMs' | 'random'>, failures: number): number {
  const ceiling = Math.min(p.maxDelayMs, p.baseDelayMs * 2 ** Math.max(0, failures - 1));
  return Math.round(ceiling / 2 + (ceiling / 2) * p.random());
}

interface HeaderSource {
  get(name: string): string | null | undefined;
}

/**
 * How long a rate-limited response asks us to wait, in ms, or undefined when it says nothing.
 * `Retry-After` (seconds or an HTTP date) wins; then `X-RateLimit-Reset-After` (seconds, Discord);
 * then `X-RateLimit-Reset`, read as epoch seconds when it looks like one (Mattermost documents
 * epoch seconds) and as seconds from now otherwise (what some proxies and limiters send).
 */
export function rateLimitWaitMs(headers: HeaderSource, nowMs: number): number | undefined {
  const retryAfter = headers.get('retry-after')?.trim();
  if (retryAfter) {
    if (/^\d+(\.\d+)?$/.test(retryAfter)) return Math.ceil(Number(retryAfter) * 1000);
    const at = Date.parse(retryAfter);
    if (!Number.isNaN(at)) return Math.max(0, at - nowMs);
  }
  const resetAfter = headers.get('x-ratelimit-reset-after')?.trim();
  if (resetAfter && /^\d+(\.\d+)?$/.test(resetAfter)) return Math.ceil(Number(resetAfter) * 1000);
  const reset = headers.get('x-ratelimit-reset')?.trim();
  if (reset && /^\d+(\.\d+)?$/.test(reset)) {
    const value = Number(reset);
    return value > 1e9 ? Math.max(0, Math.ceil(value * 1000 - nowMs)) : Math.ceil(value * 1000);
  }
  return undefined;
}

const NETWORK_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ENETUNREACH',
  'EHOSTUNREACH',
  'UND_ERR_SOCKET',
  'UND_ERR_CLOSED',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
]);

/**
 * A short description when `err` (or one of its causes) is a timeout or a network
 * failure worth retrying; undefined for anything else.
 */
export function describeNetworkError(err: unknown): string | undefined {
  let current: unknown = err;
  for (let depth = 0; depth < 5 && current; depth++) {
    const e = current as { name?: unknown; code?: unknown; message?: unknown; cause?: unknown };
    if (e.name === 'TimeoutError') return 'request timed out';
    if (e.name === 'AbortError') return 'request aborted';
    if (typeof e.code === 'string' && NETWORK_CODES.has(e.code)) return `network error ${e.code}`;
    if (current instanceof TypeError && (e.message === 'fetch failed' || e.message === 'terminated') && !e.cause) {
      return `network error (${e.message})`;
    }
    current = e.cause;
  }
  // undici wraps every network failure in TypeError('fetch failed'); unknown causes are still network.
  if (err instanceof TypeError && (err.message === 'fetch failed' || err.message === 'terminated')) return `network error (${err.message})`;
  return undefined;
}

function formatMs(ms: number): string {
  if (ms >= 3_600_000) return `${+(ms / 3_600_000).toFixed(1)} h`;
  if (ms >= 600_000) return `${Math.round(ms / 60_000)} min`;
  return ms >= 1000 ? `${(ms / 1000).toFixed(ms % 1000 === 0 ? 0 : 1)} s` : `${ms} ms`;
}

/**
 * An error body as one short line: JSON and text as they are (first line, 200 characters at
 * most), an HTML page (a proxy's error page) as its title, never its markup.
 */
export function summariseErrorBody(text: string): string {
  const trimmed = text.trim();
  if (/^<(!doctype|html|head|body)\b/i.test(trimmed) || /<\/html>\s*$/i.test(trimmed)) {
    const title = /<title[^>]*>([^<]*)<\/title>/i.exec(trimmed)?.[1] ?? /<h1[^>]*>([^<]*)<\/h1>/i.exec(trimmed)?.[1];
    const clean = title?.replace(/\s+/g, ' ').trim();
    return clean ? `(an HTML page: ${clean.slice(0, 100)})` : '(an HTML page)';
  }
  const line = trimmed.split(/\r?\n/, 1)[0] ?? '';
  return line.length > 200 ? `${line.slice(0, 199)}…` : line;
}
