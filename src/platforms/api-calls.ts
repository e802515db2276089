import { PlatformError, UsageError } from '../errors.js';
import type { SetupCheck } from './types.js';

/**
 * How an adapter runs its API requests: refused once closed, failures translated
 * by the adapter into errors that say what was being done, and "not found" turned
 * into `undefined` for lookups.
 */
export class ApiCalls {
  private closed = false;

  constructor(
    private readonly platform: string,
    /** Turns any failure into a PairbotError naming the context (the adapter's own rules). */
    private readonly fail: (context: string, err: unknown) => Error,
    /** Is this error the server saying the thing looked up does not exist (for the bot)? */
    private readonly isMissing: (err: unknown) => boolean,
  ) {}

  close(): void {
    this.closed = true;
  }

  /** Runs a request as is (the caller handles errors). */
  run<T>(fn: () => Promise<T>): Promise<T> {
    if (this.closed) return Promise.reject(new PlatformError(this.platform, 'the connection is closed'));
    return fn();
  }

  /** Runs a request; every failure becomes the adapter's error for `context`. */
  async call<T>(context: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await this.run(fn);
    } catch (err) {
      throw this.fail(context, err);
    }
  }

  /** Runs a request; a missing thing is undefined, any other failure an error for `context`. */
  async lookUp<T>(context: string, fn: () => Promise<T>): Promise<T | undefined> {
    try {
      return await this.run(fn);
    } catch (err) {
      if (this.isMissing(err)) return undefined;
      throw this.fail(context, err);
    }
  }
}

/**
 * Two 32-bit FNV-style hashes of a string: the same in every run, so an id sent to a
 * platform for de-duplication (nonce, pending post id) survives a restart.
 */
export function stableHash(value: string): [number, number] {
  let a = 0x811c9dc5;
  let b = 0x01000193;
  for (let i = 0; i < value.length; i++) {
    a = Math.imul(a ^ value.charCodeAt(i), 0x01000193) >>> 0;
    b = Math.imul(b ^ value.charCodeAt(i), 0x85ebca6b) >>> 0;
  }
  return [a, b];
}

/** A required platform setting, trimmed; missing or blank is exit 2 naming the variable. */
export function requireSetting(value: string | undefined, name: string, what: string): string {
  if (value === undefined || value.trim() === '') throw new UsageError(`${name} is not set (${what})`);
  return value.trim();
}

/** The checks of one `doctor` probe, in order; `fail` returns the list so a probe can stop there. */
export class SetupChecks {
  readonly list: SetupCheck[] = [];

  pass(name: string, detail: string): void {
    this.list.push({ name, ok: true, detail });
  }

  /** Passed, but something is missing that has a fallback: not a failure (exit 0), with its fix. */
  warn(name: string, detail: string, fix: string): SetupCheck[] {
    this.list.push({ name, ok: true, detail, fix });
    return this.list;
  }

  fail(name: string, detail: string, fix: string, options: { unreachable?: boolean } = {}): SetupCheck[] {
    this.list.push({ name, ok: false, detail, fix, ...(options.unreachable ? { unreachable: true } : {}) });
    return this.list;
  }

  /**
   * A request failed in a way the probe did not expect (a 5xx after retries, a timeout):
   * the check in progress fails with the error, and says whether the platform was reachable.
   */
  failWith(name: string, err: unknown): SetupCheck[] {
    const transient = err instanceof PlatformError && err.transient;
    return this.fail(
      name,
      (err as Error)?.message ?? String(err),
      transient
        ? 'the platform did not answer properly; run `pairbot doctor` again later'
        : 'see the error; `pairbot doctor --verbose` shows each request',
      {
        unreachable: transient,
      },
    );
  }
}
