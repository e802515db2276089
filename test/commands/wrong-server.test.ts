import { existsSync } from 'node:fs';
import { beforeEach, describe, expect, it } from 'vitest';
import type { DoctorReport } from '../../src/commands/doctor.js';
import { FakeDiscord } from '../fakes/discord.js';
import { FakeMattermost } from '../fakes/mattermost.js';
import { runCli } from '../helpers/cli.js';
import { useFakeServerSandbox } from '../helpers/sandbox.js';

/**
 * A wrong MATTERMOST_URL or DISCORD_API_URL (a web page, a catch-all proxy) answers 200 with
 * "OK" or any JSON to every request. Its answers are not taken for the platform's: doctor and
 * every command say the URL does not answer like the platform (exit 2, naming the setting),
 * never a check passed for "@undefined" nor "roles.flatMap is not a function".
 */

const GARBAGE = [
  ['"OK" as text', { body: 'OK' }],
  ['an HTML page', { body: '<html><head><title>Welcome to nginx!</title></head><body>hi</body></html>', contentType: 'text/html' }],
  ['a JSON object', { body: '{"status":"OK"}', contentType: 'application/json' }],
  ['a JSON list', { body: '[]', contentType: 'application/json' }],
] as const;

async function doctor(cwd: string, env: Record<string, string>) {
  const r = await runCli(['doctor', '--json'], { cwd, env });
  return { code: r.code, report: JSON.parse(r.stdout) as DoctorReport, stderr: r.stderr };
}

const PLATFORMS = [
  {
    name: 'Mattermost',
    start: (): Promise<FakeMattermost | FakeDiscord> => FakeMattermost.start(),
    said: /^\[pairbot\] error: \[mattermost\] MATTERMOST_URL \(http:\/\/127\.0\.0\.1:\d+\) does not answer like a Mattermost server: GET \/api\/v4\/users\/me answered /m,
  },
  {
    name: 'Discord',
    start: (): Promise<FakeMattermost | FakeDiscord> => FakeDiscord.start(),
    said: /^\[pairbot\] error: \[discord\] DISCORD_API_URL \(http:\/\/127\.0\.0\.1:\d+\/api\/v10\) does not answer like Discord's API: GET \/users\/@me answered /m,
  },
] as const;

describe.each(PLATFORMS)('an API address that answers, but not as $name (built CLI)', ({ start, said }) => {
  const box = useFakeServerSandbox(start);
  beforeEach(() => {
    box.fake.addUsers(4, 'person');
  });

  it.each(GARBAGE)('answering %s to everything: doctor and pair are exit 2 naming the setting', async (_, answer) => {
    box.fake.inject({ kind: 'answer', ...answer }, { times: 1000 });
    const d = await doctor(box.dir, box.env);
    expect(d.code, d.stderr).toBe(2);
    const failed = d.report.checks.filter((c) => !c.ok);
    expect(failed.map((c) => c.name)).toEqual(['platform reachable']);
    expect(`[pairbot] error: [${box.fake instanceof FakeMattermost ? 'mattermost' : 'discord'}] ${failed[0]!.detail}`).toMatch(said);
    expect(JSON.stringify(d.report)).not.toMatch(/undefined|is not a function/);

    const pair = await box.pairbot('pair', '--date', '2026-11-23');
    expect(pair.code, pair.stderr).toBe(2);
    expect(pair.stderr).toMatch(said);
    expect(pair.stderr).not.toMatch(/roster is empty|undefined/);
    expect(existsSync(box.env.PAIRBOT_DB!)).toBe(false);
  });
});

describe('one Mattermost answer of the wrong shape (built CLI)', () => {
  const box = useFakeServerSandbox(() => FakeMattermost.start());

  it('roles that are not a list are caught where they come in, not as a TypeError', async () => {
    box.fake.inject({ kind: 'answer', body: '{"name":"channel_user"}', contentType: 'application/json' }, { path: /\/roles\/names$/ });
    const d = await doctor(box.dir, box.env);
    expect(d.code, d.stderr).toBe(2);
    const failed = d.report.checks.filter((c) => !c.ok);
    expect(failed.map((c) => c.name)).toEqual(['may post and react']);
    expect(failed[0]!.detail).toMatch(
      /MATTERMOST_URL .* does not answer like a Mattermost server: POST \/api\/v4\/roles\/names answered a JSON object where a list is due/,
    );
  });
});
