import { describe, expect, it } from 'vitest';
import { PlatformError } from '../../src/errors.js';
import {
  backoffDelay,
  describeNetworkError,
  rateLimitWaitMs,
  Retrier,
  type AttemptOutcome,
  type RetryPolicy,
} from '../../src/platforms/http-retry.js';

/** The retry policy under the Mattermost adapter (written to be shared with Discord's). */

const headers = (h: Record<string, string>) => new Headers(h);
const NOW = Date.UTC(2026, 10, 23, 9, 0, 0);

describe('rateLimitWaitMs', () => {
  it('prefers Retry-After, in seconds or as an HTTP date', () => {
    expect(rateLimitWaitMs(headers({ 'Retry-After': '3', 'X-Ratelimit-Reset': String(NOW / 1000 + 10) }), NOW)).toBe(3000);
    expect(rateLimitWaitMs(headers({ 'Retry-After': new Date(NOW + 5000).toUTCString() }), NOW)).toBe(5000);
  });

  it('reads X-Ratelimit-Reset as epoch seconds, or as seconds from now when small', () => {
    expect(rateLimitWaitMs(headers({ 'X-Ratelimit-Reset': String(NOW / 1000 + 7) }), NOW)).toBe(7000);
    expect(rateLimitWaitMs(headers({ 'X-Ratelimit-Reset': String(NOW / 1000 - 7) }), NOW)).toBe(0);
    expect(rateLimitWaitMs(headers({ 'X-Ratelimit-Reset': '2' }), NOW)).toBe(2000);
  });

  it('reads X-RateLimit-Reset-After (fractional seconds) and says nothing without headers', () => {
    expect(rateLimitWaitMs(headers({ 'X-RateLimit-Reset-After': '0.25' }), NOW)).toBe(250);
    expect(rateLimitWaitMs(headers({}), NOW)).toBeUndefined();
  });
});

describe('backoffDelay', () => {
  it('doubles per failure up to the cap, with at most half of it random', () => {
    const p = { baseDelayMs: 100, maxDelayMs: 1000 };
    expect(backoffDelay({ ...p, random: () => 0 }, 1)).toBe(50);
    expect(backoffDelay({ ...p, random: () => 1 }, 1)).toBe(100);
    expect(backoffDelay({ ...p, random: () => 1 }, 3)).toBe(400);
    expect(backoffDelay({ ...p, random: () => 1 }, 10)).toBe(1000);
  });
});

describe('describeNetworkError', () => {
  it('recognises timeouts and undici network failures, and nothing else', () => {
    expect(describeNetworkError(new DOMException('timed out', 'TimeoutError'))).toBe('request timed out');
    expect(
      describeNetworkError(new TypeError('fetch failed', { cause: Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }) })),
    ).toBe('network error ECONNRESET');
    expect(
      describeNetworkError(
        new TypeError('fetch failed', { cause: Object.assign(new Error('other side closed'), { code: 'UND_ERR_SOCKET' }) }),
      ),
    ).toBe('network error UND_ERR_SOCKET');
    expect(describeNetworkError(new Error('Received invalid response', { cause: new DOMException('x', 'TimeoutError') }))).toBe(
      'request timed out',
    );
    expect(describeNetworkError(new TypeError('Cannot read properties of undefined'))).toBeUndefined();
    expect(describeNetworkError(new Error('HTTP 400'))).toBeUndefined();
  });
});

describe('Retrier', () => {
  function policy(over: Partial<RetryPolicy> = {}): { policy: RetryPolicy; waits: number[] } {
    const waits: number[] = [];
    let clock = NOW;
    return {
      waits,
      policy: {
        requestTimeoutMs: 1000,
        maxAttempts: 3,
        maxRateLimitWaits: 2,
        baseDelayMs: 100,
        maxDelayMs: 1000,
        totalRetryMs: 10_000,
        sleep: async (ms) => {
          waits.push(ms);
          clock += ms;
        },
        now: () => clock,
        random: () => 1,
        ...over,
      },
    };
  }
  const quiet = { debug() {}, warn() {} };
  const sequence = <T>(outcomes: (AttemptOutcome<T> | Error)[]) => {
    let i = 0;
    return async () => {
      const next = outcomes[Math.min(i++, outcomes.length - 1)]!;
      if (next instanceof Error) throw next;
      return next;
    };
  };

  it('retries transient failures with backoff, then returns the value', async () => {
    const { policy: p, waits } = policy();
    const value = await new Retrier('test', p, quiet).run(
      'GET /x',
      sequence<number>([{ kind: 'transient', detail: 'HTTP 502' }, new TypeError('fetch failed'), { kind: 'done', value: 42 }]),
    );
    expect(value).toBe(42);
    expect(waits).toEqual([100, 200]);
  });

  it('gives up after maxAttempts with a transient PlatformError naming the request', async () => {
    const { policy: p } = policy();
    const err = await new Retrier('test', p, quiet)
      .run('GET /x', sequence<number>([{ kind: 'transient', detail: 'HTTP 503' }]))
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PlatformError);
    expect((err as PlatformError).transient).toBe(true);
    expect((err as Error).message).toBe('[test] GET /x failed: HTTP 503 (3 attempts)');
  });

  it('waits out rate limits as told, a bounded number of times', async () => {
    const { policy: p, waits } = policy();
    const err = await new Retrier('test', p, quiet)
      .run('POST /y', sequence<number>([{ kind: 'rate-limited', waitMs: 700, detail: 'HTTP 429' }]))
      .catch((e: unknown) => e);
    expect(waits).toEqual([700, 700]);
    expect((err as Error).message).toMatch(/HTTP 429, still after 2 waits/);
  });

  it('shares one retry-time budget across every request of the run', async () => {
    const { policy: p, waits } = policy({ totalRetryMs: 1000 });
    const retrier = new Retrier('test', p, quiet);
    await retrier.run(
      'a',
      sequence<number>([
        { kind: 'rate-limited', waitMs: 600, detail: 'HTTP 429' },
        { kind: 'done', value: 1 },
      ]),
    );
    const err = await retrier
      .run(
        'b',
        sequence<number>([
          { kind: 'rate-limited', waitMs: 600, detail: 'HTTP 429' },
          { kind: 'done', value: 1 },
        ]),
      )
      .catch((e: unknown) => e);
    expect(waits).toEqual([600]);
    expect((err as Error).message).toMatch(/retry time limit of 1 s for this run is used up/);
    expect(retrier.retryTimeMs).toBe(600);
  });

  it('passes permanent errors straight through', async () => {
    const { policy: p, waits } = policy();
    const boom = new Error('HTTP 403');
    await expect(new Retrier('test', p, quiet).run('c', sequence<number>([boom]))).rejects.toBe(boom);
    expect(waits).toEqual([]);
  });
});
