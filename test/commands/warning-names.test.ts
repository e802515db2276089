import { describe, expect, it } from 'vitest';
import { FakeDiscord } from '../fakes/discord.js';
import { FakeMattermost } from '../fakes/mattermost.js';
import { useFakeServerSandbox } from '../helpers/sandbox.js';

/**
 * Errors and warnings name people as operators know them (`@name`), not by the platform's
 * raw id, also in a run that did not read the roster (collect-feedback): the program's own
 * record of its members names them.
 */

interface Server {
  settings(): Record<string, string>;
  close(): Promise<void>;
  addUsers(count: number, prefix: string): { id: string; username: string }[];
}

const servers = [
  {
    name: 'Discord',
    start: () => FakeDiscord.start(),
    refuseDMs: (fake: Server, id: string) => (fake as FakeDiscord).closeDMs(id),
  },
  {
    name: 'Mattermost',
    start: () => FakeMattermost.start(),
    refuseDMs: (fake: Server, id: string) => (fake as FakeMattermost).refuseDirectMessages(id),
  },
];

describe.each(servers)('warnings name people as @name ($name, built CLI)', ({ name, start, refuseDMs }) => {
  const box = useFakeServerSandbox<Server>(start);

  it('a feedback ask refused by a member who may no longer be messaged names them @name', async () => {
    const people = box.fake.addUsers(4, 'person');
    const paired = await box.pairbot('pair', '--date', '2026-11-23', '--seed', '7');
    expect(paired.code, paired.stderr).toBe(0);
    const refusing = people[0]!;
    refuseDMs(box.fake, refusing.id);
    const asked = await box.pairbot('collect-feedback', '--date', '2026-11-27');
    expect(asked.code, asked.stderr).toBe(0);
    expect(asked.stderr).toMatch(new RegExp(`could not message @${refusing.username}: ${name} refused a DM to @${refusing.username}`));
    expect(asked.stderr).not.toContain(refusing.id);
  });
});

describe('a delivery that keeps failing names the member @name in its warning (Discord, built CLI)', () => {
  const box = useFakeServerSandbox(() => FakeDiscord.start());

  it('says "DM to @name", not the raw id', async () => {
    const people = box.fake.addUsers(2, 'person');
    expect((await box.pairbot('pair', '--date', '2026-11-23', '--seed', '7')).code).toBe(0);
    box.fake.inject({ kind: 'status', status: 500 }, { method: 'POST', path: /^\/channels\/\d+\/messages$/, times: 1000 });
    const asked = await box.pairbot('collect-feedback', '--date', '2026-11-27');
    expect(asked.code).toBe(3);
    expect(asked.stderr).toMatch(new RegExp(`DM to @(${people.map((p) => p.username).join('|')})`));
    for (const p of people) expect(asked.stderr).not.toContain(p.id);
  });
});
