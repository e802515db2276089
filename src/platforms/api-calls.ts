import { AuthError, InterruptedError, PlatformError, UsageError, WrongServerError } from '../errors.js';
import { DEFAULT_RETRY_POLICY, Retrier, summariseErrorBody, type RetryPolicy } from './http-retry.js';
import { describePerson } from '../core/who.js';
import type { NameLookup, PlatformLog, ReactionRecord, ReactionToken, SetupCheck } from './types.js';

/** What a server answered to a request that failed, as the shared error rules need it. */
interface ServerAnswer {
  status: number;
  /** What the server said; may be empty. */
  message: string;
  /** The platform's own error code, shown beside the message (Discord's JSON error codes). */
  code?: number | string;
}

/** What an HTTP adapter tells the shared helpers about itself. */
export interface ApiRules {
  /** Its name in messages and logs: `mattermost`, `discord`. */
  platform: string;
  /** The setting holding the bot's token, named when the server rejects it. */
  tokenVariable: string;
  /** The server as configured, named when it rejects the token. */
  server: string;
  /** The server's answer when `err` is a request the server refused; undefined for anything else. */
  answerOf(err: unknown): ServerAnswer | undefined;
  /** The adapter's own translations, tried before the shared ones (e.g. Discord's Members Intent). */
  translate?(context: string, err: unknown): Error | undefined;
  /** Overrides of the retry policy (tests make it fast; see http-retry.ts for defaults). */
  retry?: Partial<RetryPolicy> | undefined;
  /** The setting holding the server's address, named when what answers there is not the platform: `MATTERMOST_URL`. */
  urlVariable: string;
  /** The platform's API as said in "does not answer like …": `a Mattermost server`. */
  apiName: string;
  /** What to set the address to, after "set MATTERMOST_URL to": `the address you open Mattermost at`. */
  urlFix: string;
  /**
   * What a successful answer looks like, by route (`GET /api/v4/users/me`, without the query),
   * the first match wins; a route not listed must answer a JSON object or list.
   */
  answers: readonly (readonly [RegExp, AnswerShape])[];
}

/**
 * A successful answer's shape: a JSON list (`list`, or `list or null`), a JSON object, or a
 * JSON object with these fields as non-empty strings (an id, a name).
 */
export type AnswerShape = 'list' | 'list or null' | 'object' | readonly string[];

/** Statuses by which a server says a thing does not exist for the bot (or may not be seen by it). */
const MISSING_STATUSES = new Set([400, 403, 404]);

/**
 * How an adapter runs its API requests: each HTTP request under one retry policy (the
 * adapter's transport runs it through `retrier`), refused once closed, failures translated
 * into errors that say what was being done, "not found" turned into `undefined` for
 * lookups, and a post deleted since it was made said in a warning, not thrown.
 */
export class ApiCalls {
  private closed = false;
  /** Timeouts, retries and rate-limit waits, with one retry time budget for the run. */
  readonly retrier: Retrier;

  constructor(
    private readonly rules: ApiRules,
    private readonly log: PlatformLog,
  ) {
    this.retrier = new Retrier(rules.platform, { ...DEFAULT_RETRY_POLICY, ...rules.retry }, log);
  }

  close(): void {
    this.closed = true;
  }

  /** Runs a request as is (the caller handles errors). */
  run<T>(fn: () => Promise<T>): Promise<T> {
    if (this.closed) return Promise.reject(new PlatformError(this.rules.platform, 'the connection is closed'));
    return fn();
  }

  /** Runs a request; every failure becomes an error for `context`. */
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

  /**
   * Reads a post the bot made (`what`: `post 123`): a post deleted since has nothing to read
   * (undefined, said in a warning); any other failure, a 403 included, is an error, since
   * reading nothing would silently ignore everyone's answers.
   */
  async readPost<T>(what: string, context: string, fn: () => Promise<T>): Promise<T | undefined> {
    try {
      return await this.run(fn);
    } catch (err) {
      if (this.isGone(err)) {
        this.log.warn(`[${this.rules.platform}] ${what} is gone (deleted?): no reactions to read on it`);
        return undefined;
      }
      throw this.fail(context, err);
    }
  }

  /**
   * Adds the bot's own reactions to a post it made (`what`: `post 123`), each emoji once;
   * adding one already there is a no-op on the servers, and a post deleted since has none to
   * add (a warning, not an error, so the next run does not try again).
   */
  async addReactions(what: string, emojis: Iterable<string>, shown: (emoji: string) => string, add: (emoji: string) => Promise<unknown>) {
    for (const emoji of new Set(emojis)) {
      try {
        await this.run(() => add(emoji));
      } catch (err) {
        if (this.isGone(err)) {
          this.log.warn(`[${this.rules.platform}] ${what} is gone (deleted?): no ${shown(emoji)} added`);
          return;
        }
        throw this.fail(`adding ${shown(emoji)} to ${what}`, err);
      }
    }
  }

  /**
   * `doctor`'s first two checks, alike on every server: it answers, and it takes the token.
   * Returns the bot's own user, or undefined once a check failed (the probe stops there).
   */
  async probeBot<T extends { username: string }>(
    checks: SetupChecks,
    whoAmI: () => Promise<T>,
    fix: { reach: string; token: string },
  ): Promise<T | undefined> {
    const { tokenVariable, server } = this.rules;
    let bot: T;
    try {
      bot = await this.run(whoAmI);
    } catch (err) {
      if (err instanceof WrongServerError) {
        checks.fail('platform reachable', this.unprefixed(err.message), fix.reach);
        return undefined;
      }
      const answer = this.rules.answerOf(err);
      if (!answer) {
        checks.fail('platform reachable', `cannot reach ${server}: ${this.unprefixed((err as Error).message)}`, fix.reach, {
          unreachable: true,
        });
        return undefined;
      }
      checks.pass('platform reachable', `${server} answers`);
      checks.fail(
        'token accepted',
        `${tokenVariable} was refused by ${server} (HTTP ${answer.status}${answer.message ? `: ${answer.message}` : ''})`,
        fix.token,
      );
      return undefined;
    }
    checks.pass('platform reachable', `${server} answers`);
    checks.pass('token accepted', `${tokenVariable} accepted: the bot is @${bot.username}`);
    return bot;
  }

  /**
   * Checks a successful answer of `route` before anything reads it: one that is not what the
   * platform's API gives (not JSON, no list where one is due, an object without its id) means
   * the configured address answers but is not the platform — a WrongServerError (exit 2)
   * naming the setting, not fields read as `undefined` further on. `body` is the parsed JSON,
   * or the text when the answer was not JSON.
   */
  checkAnswer(route: string, body: unknown): void {
    const shape = this.rules.answers.find(([pattern]) => pattern.test(route))?.[1];
    const problem = answerProblem(body, shape);
    if (problem === undefined) return;
    const { urlVariable, server, apiName, urlFix, platform } = this.rules;
    throw new WrongServerError(
      platform,
      `${urlVariable} (${server}) does not answer like ${apiName}: ${route} answered ${problem}; set ${urlVariable} to ${urlFix}`,
    );
  }

  /** Is this the server saying the thing looked up does not exist (for the bot)? */
  isMissing(err: unknown): boolean {
    const answer = this.rules.answerOf(err);
    return answer !== undefined && MISSING_STATUSES.has(answer.status);
  }

  /** Is this the server saying the post is gone? */
  private isGone(err: unknown): boolean {
    return this.rules.answerOf(err)?.status === 404;
  }

  /**
   * Any failure as the error pairbot reports, saying what was being done: a rejected token
   * names its variable (AuthError), a refusal says the status and what the server said, a
   * fault retries could not fix stays transient, and anything else (network) is transient.
   */
  fail(context: string, err: unknown): Error {
    const { platform, tokenVariable, server } = this.rules;
    if (err instanceof UsageError || err instanceof InterruptedError || err instanceof WrongServerError) return err;
    const own = this.rules.translate?.(context, err);
    if (own) return own;
    const answer = this.rules.answerOf(err);
    if (answer) {
      if (answer.status === 401) {
        return new AuthError(
          platform,
          tokenVariable,
          `${tokenVariable} was rejected by ${server} (HTTP 401${answer.message ? `: ${answer.message}` : ''})`,
          { cause: err },
        );
      }
      const hint = answer.status === 403 ? ` (the bot lacks a permission it needs; see docs/${platform}.md)` : '';
      return new PlatformError(platform, `${context} failed: ${describeAnswer(answer)}${hint}`, { cause: err });
    }
    if (err instanceof PlatformError) {
      return new PlatformError(platform, `${context}: ${this.unprefixed(err.message)}`, {
        cause: err,
        transient: err.transient,
      });
    }
    return new PlatformError(platform, `${context} failed: ${(err as Error)?.message ?? String(err)}`, { cause: err, transient: true });
  }

  /** An error message without the `[platform] ` it starts with, to be said inside another. */
  private unprefixed(message: string): string {
    const prefix = `[${this.rules.platform}] `;
    return message.startsWith(prefix) ? message.slice(prefix.length) : message;
  }
}

/** What is wrong with an answer for `shape` (said after "answered"), or undefined when nothing is. */
function answerProblem(body: unknown, shape: AnswerShape | undefined): string | undefined {
  if (typeof body === 'string' || body === undefined) {
    const text = typeof body === 'string' ? summariseErrorBody(body) : '';
    return text ? `${JSON.stringify(text.length > 60 ? `${text.slice(0, 59)}…` : text)}, not JSON` : 'nothing, not JSON';
  }
  const kind = Array.isArray(body)
    ? 'a JSON list'
    : body === null
      ? 'null'
      : typeof body === 'object'
        ? 'a JSON object'
        : `JSON ${typeof body}`;
  if (shape === 'list' || shape === 'list or null') {
    if (Array.isArray(body) || (shape === 'list or null' && body === null)) return undefined;
    return `${kind} where a list is due`;
  }
  if (kind === 'a JSON list' && shape === undefined) return undefined;
  if (kind !== 'a JSON object') return `${kind} where an object is due`;
  if (shape === 'object' || shape === undefined) return undefined;
  const missing = shape.filter((field) => {
    const value = (body as Record<string, unknown>)[field];
    return typeof value !== 'string' || value === '';
  });
  return missing.length ? `a JSON object without ${missing.map((f) => `"${f}"`).join(' or ')}` : undefined;
}

/** A refusal in one line: `HTTP 403 Missing Access (code 50001)`. */
function describeAnswer(answer: ServerAnswer): string {
  return `HTTP ${answer.status}${answer.message ? ` ${answer.message}` : ''}${answer.code !== undefined ? ` (code ${answer.code})` : ''}`;
}

/**
 * Names people in errors and warnings as operators know them: `@name`, with the id only
 * where no name is known. The platform's own record of a user (seen this run) comes first,
 * then the program's (a run that did not read the roster still knows its members' names).
 */
export class PeopleNames {
  private program: NameLookup = () => undefined;

  constructor(
    /** The username the platform gave for a user this run, if it did. */
    private readonly seen: NameLookup,
  ) {}

  useProgramNames(lookup: NameLookup): void {
    this.program = lookup;
  }

  describe(userId: string): string {
    return describePerson(userId, this.seen(userId) ?? this.program(userId));
  }
}

/**
 * Members' reactions on a post as tokens: the bot's own and emoji that are no token left
 * out, each member and token once (a ❌ and a ❎ by the same member are one answer).
 */
export function membersReactions(
  reactions: Iterable<{ userId: string; emoji: string }>,
  botUserId: string,
  tokenOf: (emoji: string) => ReactionToken | undefined,
): ReactionRecord[] {
  const out: ReactionRecord[] = [];
  const seen = new Set<string>();
  for (const { userId, emoji } of reactions) {
    const token = tokenOf(emoji);
    if (userId === botUserId || !token || seen.has(`${userId} ${token}`)) continue;
    seen.add(`${userId} ${token}`);
    out.push({ userId, token });
  }
  return out;
}

/**
 * The key a post carries on a platform that looks it up (Mattermost's post property, the local
 * state): from the message's key, its conversation and its text, so a message of another
 * database, or one whose key was given before, is never taken for one already posted, and a
 * retry of the same message finds its post.
 */
export function postKey(key: string, conversation: string, text: string): string {
  const [a, b] = stableHash(`${key}:${conversation}\u0000${text}`);
  return `${a.toString(36)}${b.toString(36)}`;
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
