import { describe, expect, it } from 'vitest';
import { AuthError, PlatformError, UsageError } from '../../src/errors.js';
import { ApiCalls, membersReactions, PeopleNames } from '../../src/platforms/api-calls.js';

class Refusal extends Error {
  constructor(
    readonly status: number,
    readonly said: string,
  ) {
    super(`HTTP ${status}`);
  }
}

function calls(logs: string[] = []): ApiCalls {
  const log = { debug: () => {}, info: () => {}, warn: (m: string) => logs.push(m) };
  return new ApiCalls(
    {
      platform: 'mattermost',
      tokenVariable: 'MATTERMOST_TOKEN',
      server: 'https://chat.example.com',
      urlVariable: 'MATTERMOST_URL',
      apiName: 'a Mattermost server',
      urlFix: 'the address you open Mattermost at',
      answers: [],
      answerOf: (err) => (err instanceof Refusal ? { status: err.status, message: err.said } : undefined),
    },
    log,
  );
}

describe('the shared error rules of the HTTP adapters', () => {
  it('names the token variable when the server rejects the token, never the token', () => {
    const err = calls().fail('posting in ~coffee', new Refusal(401, 'Invalid or expired session'));
    expect(err).toBeInstanceOf(AuthError);
    expect((err as AuthError).variable).toBe('MATTERMOST_TOKEN');
    expect(err.message).toBe(
      '[mattermost] MATTERMOST_TOKEN was rejected by https://chat.example.com (HTTP 401: Invalid or expired session)',
    );
  });

  it('says what was being done and points at the docs on a 403; a refusal is not transient', () => {
    const err = calls().fail('posting in ~coffee', new Refusal(403, 'no permission'));
    expect(err.message).toBe(
      '[mattermost] posting in ~coffee failed: HTTP 403 no permission (the bot lacks a permission it needs; see docs/mattermost.md)',
    );
    expect((err as PlatformError).transient).toBe(false);
  });

  it('keeps a fault the retries gave up on transient, saying it once inside the context', () => {
    const given = new PlatformError('mattermost', 'POST /api/v4/posts failed: HTTP 503 (5 attempts)', { transient: true });
    const err = calls().fail('DM to @ana', given) as PlatformError;
    expect(err.message).toBe('[mattermost] DM to @ana: POST /api/v4/posts failed: HTTP 503 (5 attempts)');
    expect(err.transient).toBe(true);
    expect((calls().fail('DM to @ana', new TypeError('fetch failed')) as PlatformError).transient).toBe(true);
    const usage = new UsageError('MATTERMOST_CHANNEL: archived');
    expect(calls().fail('anything', usage)).toBe(usage);
  });

  it('reads a deleted post as nothing to read, with a warning, but a 403 as an error', async () => {
    const logs: string[] = [];
    const c = calls(logs);
    expect(await c.readPost('post p1', 'reading p1', () => Promise.reject(new Refusal(404, '')))).toBeUndefined();
    expect(logs).toEqual(['[mattermost] post p1 is gone (deleted?): no reactions to read on it']);
    await expect(c.readPost('post p1', 'reading p1', () => Promise.reject(new Refusal(403, '')))).rejects.toThrow(/reading p1 failed/);
  });

  it('adds each emoji once and stops at a deleted post', async () => {
    const logs: string[] = [];
    const added: string[] = [];
    await calls(logs).addReactions(
      'post p1',
      ['x', 'x', 'calendar', 'white_check_mark'],
      (e) => `:${e}:`,
      async (e) => {
        added.push(e);
        if (e === 'calendar') throw new Refusal(404, '');
      },
    );
    expect(added).toEqual(['x', 'calendar']);
    expect(logs).toEqual(['[mattermost] post p1 is gone (deleted?): no :calendar: added']);
  });
});

describe("members' reactions", () => {
  it('leaves out the bot and emoji that are no token, and counts a member and token once', () => {
    const tokens: Record<string, 'cross' | 'check'> = { x: 'cross', negative_squared_cross_mark: 'cross', white_check_mark: 'check' };
    const read = membersReactions(
      [
        { userId: 'bot', emoji: 'x' },
        { userId: 'ana', emoji: 'x' },
        { userId: 'ana', emoji: 'negative_squared_cross_mark' },
        { userId: 'ana', emoji: 'white_check_mark' },
        { userId: 'ben', emoji: 'thumbsup' },
      ],
      'bot',
      (emoji) => tokens[emoji],
    );
    expect(read).toEqual([
      { userId: 'ana', token: 'cross' },
      { userId: 'ana', token: 'check' },
    ]);
  });
});

describe('naming people', () => {
  it('says @name where the name is known and the id only where it is not', () => {
    const names = new PeopleNames((id) => (id === 'u1' ? 'ana' : undefined));
    expect(names.describe('u1')).toBe('@ana');
    expect(names.describe('u2')).toBe('user u2');
  });

  it("falls back to the program's names when the platform has not said a name this run", () => {
    const names = new PeopleNames((id) => (id === 'u1' ? 'ana' : undefined));
    names.useProgramNames((id) => ({ u1: 'old-ana', u2: 'ben' })[id]);
    expect(names.describe('u1')).toBe('@ana');
    expect(names.describe('u2')).toBe('@ben');
    expect(names.describe('u3')).toBe('user u3');
  });
});
