import { describe, expect, it } from 'vitest';
import { FakeDiscord } from '../fakes/discord.js';
import { FakeMattermost } from '../fakes/mattermost.js';
import { useFakeServerSandbox } from '../helpers/sandbox.js';
import type { PairReport } from '../../src/commands/pair.js';

/**
 * A token revoked while a round's intros go out (issue 9 item 7): the round is stored and
 * partly delivered, so the run exits 3 (SPEC §4), naming the token's variable and never the
 * token; once the token works again the next run sends the rest, nothing twice.
 */

interface Server {
  token: string;
  settings(): Record<string, string>;
  close(): Promise<void>;
  addUsers(count: number, prefix: string): { id: string }[];
  revokeTokenAfter(messages: number): void;
  restoreToken(): void;
}

const servers = [
  {
    name: 'Mattermost',
    variable: 'MATTERMOST_TOKEN',
    start: (): Promise<Server> => FakeMattermost.start(),
    intros: (fake: Server) => (fake as FakeMattermost).botMessages().length,
    /** One group message per pair. */
    introsOf: (report: PairReport) => report.groups.length,
  },
  {
    name: 'Discord',
    variable: 'DISCORD_TOKEN',
    start: (): Promise<Server> => FakeDiscord.start(),
    intros: (fake: Server) => (fake as FakeDiscord).botDMs().length,
    /** One DM per member. */
    introsOf: (report: PairReport) => report.groups.flatMap((g) => g.members).length,
  },
];

describe.each(servers)('a token revoked mid-delivery ($name, built CLI)', ({ variable, start, intros, introsOf }) => {
  const box = useFakeServerSandbox<Server>(start);

  it(`exits 3 naming ${variable} once the round is stored and some intros are delivered; the next run sends the rest`, async () => {
    box.fake.addUsers(4, 'person');
    box.fake.revokeTokenAfter(1);
    const revoked = await box.pairbot('pair', '--json', '--date', '2026-11-23', '--seed', '7');
    expect(revoked.code, revoked.stderr).toBe(3);
    expect(revoked.stderr).toContain(`${variable} was rejected`);
    expect(revoked.stderr).not.toContain(box.fake.token);
    expect(intros(box.fake)).toBe(1);
    // --json still prints the round that was stored (SPEC §5: the same shape).
    const stored = JSON.parse(revoked.stdout) as PairReport;
    expect(stored).toMatchObject({ round: '2026-W48', dryRun: false });
    expect(stored.groups.flatMap((g) => g.members)).toHaveLength(4);

    box.fake.restoreToken();
    const rerun = await box.pairbot('pair', '--json', '--date', '2026-11-23');
    expect(rerun.code, rerun.stderr).toBe(0);
    const report = JSON.parse(rerun.stdout) as PairReport;
    expect(report.existing).toBe(true);
    expect(intros(box.fake)).toBe(introsOf(report));
  });
});
