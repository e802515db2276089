import mm from '@mattermost/client';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FakeMattermost } from '../fakes/mattermost.js';

/** The fake answers the way the real server does where pairbot depends on it. */
describe('fake Mattermost server', () => {
  let fake: FakeMattermost;
  const api = (path: string, init: RequestInit = {}, token: string | null = fake.token) =>
    fetch(`${fake.url}/api/v4${path}`, {
      ...init,
      headers: { ...(token ? { Authorization: `Bearer ${token}` } : {}), 'Content-Type': 'application/json' },
    });

  beforeEach(async () => {
    fake = await FakeMattermost.start();
  });
  afterEach(() => fake.close());

  it('answers errors with exactly application/json and {id, message, status_code, request_id}', async () => {
    const res = await api('/users/me', {}, null);
    expect(res.status).toBe(401);
    expect(res.headers.get('content-type')).toBe('application/json');
    const body = (await res.json()) as Record<string, unknown>;
    expect(body).toMatchObject({ id: 'api.context.session_expired.app_error', status_code: 401 });
    expect(body.message).toEqual(expect.any(String));
    expect(body.request_id).toBe(res.headers.get('x-request-id'));
  });

  it('is parsed by the real Client4, errors included', async () => {
    const client = new mm.Client4();
    client.setUrl(fake.url);
    client.setToken(fake.token);
    expect((await client.getMe()).id).toBe(fake.bot.id);
    const err = await client.getTeamByName('nope').catch((e: unknown) => e);
    expect(err).toMatchObject({ status_code: 404, server_error_id: 'app.team.get_by_name.missing.app_error' });
  });

  it('rate-limits with X-Ratelimit-* headers, Retry-After and a plain-text body', async () => {
    fake.now = () => 1_800_000_000_000;
    fake.inject({ kind: 'rate-limit', waitSeconds: 4 });
    const res = await api('/users/me');
    expect(res.status).toBe(429);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
    expect(res.headers.get('x-ratelimit-limit')).toBe('10');
    expect(res.headers.get('x-ratelimit-remaining')).toBe('0');
    expect(res.headers.get('x-ratelimit-reset')).toBe('1800000004');
    expect(res.headers.get('retry-after')).toBe('4');
    expect(await res.text()).toBe('limit exceeded\n');
  });

  it('pages users 60 by default and never more than 200', async () => {
    fake.addUsers(250);
    const page = async (q: string) => ((await (await api(`/users?in_channel=${fake.channel.id}${q}`)).json()) as unknown[]).length;
    expect(await page('')).toBe(60);
    expect(await page('&per_page=500')).toBe(200);
    expect(await page('&per_page=200&page=1')).toBe(51);
  });

  it('takes 3 to 8 users in a group channel and returns the same one for the same people', async () => {
    const users = fake.addUsers(8).map((u) => u.id);
    const group = (ids: string[]) => api('/channels/group', { method: 'POST', body: JSON.stringify(ids) });
    expect((await group(users.slice(0, 1))).status).toBe(400);
    expect((await group(users.slice(0, 8))).status).toBe(400);
    const first = await group(users.slice(0, 7));
    expect(first.status).toBe(201);
    const again = await group([...users.slice(0, 7)].reverse());
    expect(((await again.json()) as { id: string }).id).toBe(((await first.json()) as { id: string }).id);
    expect(fake.requestCount({ method: 'POST', path: /\/channels\/group$/ })).toBe(4);
  });

  it('answers a repeated post create with the same pending_post_id with the first post', async () => {
    const create = () =>
      api('/posts', {
        method: 'POST',
        body: JSON.stringify({ channel_id: fake.channel.id, message: 'hi', pending_post_id: `${fake.bot.id}:1` }),
      });
    const a = (await (await create()).json()) as { id: string };
    const b = (await (await create()).json()) as { id: string };
    expect(b.id).toBe(a.id);
    expect(fake.postsIn(fake.channel.id)).toHaveLength(1);
  });
});
