import { readFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FakeDiscord } from '../fakes/discord.js';

/**
 * The fake answers with the shapes Discord documents: every field its OpenAPI description
 * requires is present (the required fields are vendored in test/fixtures from Discord's spec).
 */

const SPEC = new URL('../fixtures/discord-openapi-required.json', import.meta.url);

interface Schema {
  required?: string[];
  allOf?: ({ $ref?: string } & Schema)[];
}

function loadSchemas(): Record<string, Schema> {
  return (JSON.parse(readFileSync(SPEC, 'utf8')) as { components: { schemas: Record<string, Schema> } }).components.schemas;
}

const schemas = loadSchemas();

function missingFields(value: unknown, name: string): string[] {
  const schema = schemas[name]!;
  const required = [
    ...(schema.required ?? []),
    ...(schema.allOf ?? []).flatMap((part) => (part.$ref ? (schemas[part.$ref.split('/').pop()!]!.required ?? []) : (part.required ?? []))),
  ];
  return required.filter((key) => !(value && typeof value === 'object' && key in value)).map((key) => `${name}.${key}`);
}

describe('fake Discord answers with the documented shapes', () => {
  let fake: FakeDiscord;
  // biome-ignore lint/suspicious/noExplicitAny: the fake answers many shapes; tests read fields freely
  let call: (path: string, init?: RequestInit) => Promise<{ status: number; body: any; headers: Headers }>;
  beforeEach(async () => {
    fake = await FakeDiscord.start();
    call = async (path, init = {}) => {
      const res = await fetch(fake.apiUrl + path, {
        ...init,
        headers: { authorization: `Bot ${fake.token}`, 'content-type': 'application/json' },
      });
      return { status: res.status, body: res.status === 204 ? undefined : await res.json(), headers: res.headers };
    };
  });
  afterEach(() => fake.close());

  it('users, guild, role, channel, members, DMs, messages and reactions', async () => {
    const [user] = fake.addUsers(1, 'x');
    const missing: string[] = [];
    missing.push(...missingFields((await call('/users/@me')).body, 'UserResponse'));
    missing.push(...missingFields((await call(`/guilds/${fake.guild.id}`)).body, 'GuildWithCountsResponse'));
    missing.push(...missingFields((await call(`/guilds/${fake.guild.id}/roles/${fake.role.id}`)).body, 'GuildRoleResponse'));
    missing.push(...missingFields((await call(`/channels/${fake.channel.id}`)).body, 'GuildChannelResponse'));
    const members = (await call(`/guilds/${fake.guild.id}/members?limit=10`)).body;
    missing.push(...missingFields(members[0], 'GuildMemberResponse'), ...missingFields(members[0].user, 'UserResponse'));
    const dm = (await call('/users/@me/channels', { method: 'POST', body: JSON.stringify({ recipient_id: user!.id }) })).body;
    missing.push(...missingFields(dm, 'PrivateChannelResponse'));
    const message = (await call(`/channels/${dm.id}/messages`, { method: 'POST', body: JSON.stringify({ content: 'hi' }) })).body;
    missing.push(...missingFields(message, 'MessageResponse'));
    expect(
      (await call(`/channels/${dm.id}/messages/${message.id}/reactions/${encodeURIComponent('✅')}/@me`, { method: 'PUT' })).status,
    ).toBe(204);
    const read = (await call(`/channels/${dm.id}/messages/${message.id}`)).body;
    missing.push(...missingFields(read.reactions[0], 'MessageReactionResponse'));
    const reactors = (await call(`/channels/${dm.id}/messages/${message.id}/reactions/${encodeURIComponent('✅')}`)).body;
    missing.push(...missingFields(reactors[0], 'UserResponse'));
    expect(missing).toEqual([]);
  });

  it("private threads: created, archived, in the bot's archived list newest first, reopened", async () => {
    const missing: string[] = [];
    const create = (name: string) =>
      call(`/channels/${fake.channel.id}/threads`, { method: 'POST', body: JSON.stringify({ name, type: 12 }) });
    const threads = [(await create('a')).body, (await create('b')).body, (await create('c')).body];
    missing.push(...missingFields(threads[0], 'ThreadResponse'), ...missingFields(threads[0].thread_metadata, 'ThreadMetadataResponse'));
    for (const t of threads) fake.archiveThread(t.id);
    const archived = `/channels/${fake.channel.id}/users/@me/threads/archived/private`;
    const page = (await call(`${archived}?limit=2`)).body;
    missing.push(...missingFields(page, 'ThreadsResponse'), ...missingFields(page.members[0], 'ThreadMemberResponse'));
    expect(missing).toEqual([]);
    expect(page.threads.map((t: { name: string }) => t.name)).toEqual(['c', 'b']);
    expect(page.has_more).toBe(true);
    const rest = (await call(`${archived}?limit=2&before=${page.threads[1].id}`)).body;
    expect(rest).toMatchObject({ threads: [{ name: 'a' }], has_more: false });
    expect((await call(`/guilds/${fake.guild.id}/threads/active`)).body.threads).toEqual([]);
    const [user] = fake.addUsers(1, 'x');
    expect((await call(`/channels/${threads[0].id}/thread-members/${user!.id}`, { method: 'PUT' })).body).toMatchObject({ code: 50083 });
    expect((await call(`/channels/${threads[0].id}`, { method: 'PATCH', body: JSON.stringify({ archived: false }) })).status).toBe(200);
    expect((await call(`/channels/${threads[0].id}/thread-members/${user!.id}`, { method: 'PUT' })).status).toBe(204);
    expect((await call(`${archived}?limit=2`)).body.threads.map((t: { name: string }) => t.name)).toEqual(['c', 'b']);
    // The active list, with each thread's last message id; a member writing in an archived thread brings it back.
    fake.say(user!.id, threads[1].id, 'still here?');
    const active = (await call(`/guilds/${fake.guild.id}/threads/active`)).body;
    expect(missingFields(active, 'ThreadsResponse')).toEqual([]);
    expect(active.threads.map((t: { name: string }) => t.name).sort()).toEqual(['a', 'b']);
    const b = active.threads.find((t: { name: string }) => t.name === 'b');
    expect(b.last_message_id).toBe(fake.messagesIn(threads[1].id).at(-1)!.id);
  });

  it('errors, and a 429 with the real headers and body', async () => {
    const unknownRole = await call(`/guilds/${fake.guild.id}/roles/1`);
    expect(unknownRole.status).toBe(404);
    expect(missingFields(unknownRole.body, 'ErrorResponse')).toEqual([]);
    expect(unknownRole.body).toEqual({ message: 'Unknown Role', code: 10011 });
    fake.inject({ kind: 'rate-limit', retryAfter: 0.5, global: true });
    const limited = await call('/users/@me');
    expect(limited.status).toBe(429);
    expect(missingFields(limited.body, 'RatelimitedResponse')).toEqual([]);
    expect(limited.body).toMatchObject({ retry_after: 0.5, global: true });
    expect(limited.headers.get('retry-after')).toBe('1');
    expect(limited.headers.get('x-ratelimit-reset-after')).toBe('0.500');
    expect(limited.headers.get('x-ratelimit-global')).toBe('true');
    expect(limited.headers.get('x-ratelimit-scope')).toBe('global');
  });

  it('refuses a DM to someone whose DMs are closed (50007) and de-duplicates a nonce', async () => {
    const [open, closed] = fake.addUsers(2, 'x');
    fake.closeDMs(closed!.id);
    const dmClosed = (await call('/users/@me/channels', { method: 'POST', body: JSON.stringify({ recipient_id: closed!.id }) })).body;
    const refused = await call(`/channels/${dmClosed.id}/messages`, { method: 'POST', body: JSON.stringify({ content: 'hi' }) });
    expect(refused).toMatchObject({ status: 403, body: { code: 50007 } });
    const dm = (await call('/users/@me/channels', { method: 'POST', body: JSON.stringify({ recipient_id: open!.id }) })).body;
    const send = () =>
      call(`/channels/${dm.id}/messages`, { method: 'POST', body: JSON.stringify({ content: 'hi', nonce: 'n1', enforce_nonce: true }) });
    const first = await send();
    const second = await send();
    expect(second.body.id).toBe(first.body.id);
    expect(fake.dmsTo(open!.id)).toHaveLength(1);
  });
});
