import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { useLocalSandbox } from '../helpers/sandbox.js';
import type { PairReport } from '../../src/commands/pair.js';

const pairsOf = (report: PairReport): Set<string> => {
  const out = new Set<string>();
  for (const g of report.groups) {
    const ids = g.members.map((m) => m.id).sort();
    for (let i = 0; i < ids.length; i++) for (let j = i + 1; j < ids.length; j++) out.add(`${ids[i]}-${ids[j]}`);
  }
  return out;
};

/** Who a member of a round of pairs is paired with. */
const partnerOf = (report: PairReport, id: string): string =>
  report.groups
    .find((g) => g.members.some((m) => m.id === id))!
    .members.map((m) => m.id)
    .find((other) => other !== id)!;

describe('pair on the local platform (built CLI)', () => {
  const box = useLocalSandbox();
  const { pairbot } = box;

  it('prints the groups of the example roster in the SPEC §5 shape, creating nothing', async () => {
    const r = await pairbot('pair', '--dry-run', '--json', '--date', '2026-11-23', '--seed', '7');
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout) as PairReport;
    expect(report).toMatchObject({
      program: 'default',
      round: '2026-W48',
      dryRun: true,
      excluded: { optedOut: [], paused: [], notDue: [] },
      unpaired: [],
    });
    const ids = report.groups.flatMap((g) => g.members.map((m) => m.id));
    expect(ids.sort()).toEqual(Array.from({ length: 13 }, (_, i) => `u${String(i + 1).padStart(2, '0')}`));
    expect(report.groups.map((g) => g.members.length).sort()).toEqual([2, 2, 2, 2, 2, 3]);
    expect(report.groups[0]!.members[0]).toEqual({ id: expect.any(String), name: expect.any(String) });
    expect(r.stderr).toMatch(/seed 7/);
    expect(existsSync(join(box.dir, 'data'))).toBe(false);
  });

  it('dry run leaves an existing database and local state byte-identical', async () => {
    expect((await pairbot('pair', '--date', '2026-11-23')).code).toBe(0);
    const db = join(box.dir, 'data', 'pairbot.db');
    const state = join(box.dir, 'data', 'local-state.db');
    const before = [readFileSync(db), readFileSync(state)];
    const r = await pairbot('pair', '--dry-run', '--date', '2026-11-30');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/Round 2026-W49 .*dry run/);
    expect(readFileSync(db).equals(before[0]!)).toBe(true);
    expect(readFileSync(state).equals(before[1]!)).toBe(true);
  });

  it('dry runs and readers after a killed run change no file: what its journals hold is read, not folded into the files', async () => {
    expect((await pairbot('pair', '--date', '2026-11-23')).code).toBe(0);
    const data = join(box.dir, 'data');
    // A run killed mid-write leaves committed pages in the journals (-wal) of both files, with no connection to fold them in.
    const sqlite = createRequire(import.meta.url).resolve('better-sqlite3');
    const killed = spawnSync(process.execPath, [
      '-e',
      `const Database = require(${JSON.stringify(sqlite)});
       new Database(${JSON.stringify(join(data, 'pairbot.db'))}).exec("UPDATE members SET frequency = 2 WHERE user_id = 'u01'");
       new Database(${JSON.stringify(join(data, 'local-state.db'))}).exec("UPDATE posts SET text = text || ' (edited)' WHERE seq = 1");
       process.kill(process.pid, 'SIGKILL');`,
    ]);
    expect(killed.signal).toBe('SIGKILL');
    for (const f of ['pairbot.db-wal', 'local-state.db-wal']) expect(statSync(join(data, f)).size).toBeGreaterThan(0);
    // The -shm files are SQLite's shared memory, where every reader marks what it reads: only their presence is compared.
    const files = (): Record<string, string> =>
      Object.fromEntries(
        readdirSync(data).map((f) => [f, f.endsWith('-shm') ? 'present' : readFileSync(join(data, f)).toString('base64')]),
      );
    const before = files();
    for (const args of [
      ['pair', '--dry-run', '--date', '2026-11-30'],
      ['pair', '--catch-up', '--dry-run', '--date', '2026-11-24'],
      ['members'],
      ['local', 'messages'],
      ['member', 'show', 'u01', '--json'],
    ]) {
      const r = await pairbot(...args);
      expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(0);
      expect(files(), args.join(' ')).toEqual(before);
      if (args[0] === 'local') expect(r.stdout).toContain('(edited)');
      if (args[0] === 'member') expect(JSON.parse(r.stdout).frequency).toBe(2);
    }
  });

  it('a dry run reads an empty database file (a first run killed as it created it) as a new database', async () => {
    const data = join(box.dir, 'data');
    mkdirSync(data);
    writeFileSync(join(data, 'pairbot.db'), '');
    const r = await pairbot('pair', '--dry-run', '--json', '--date', '2026-11-23', '--seed', '7');
    expect(r.code, r.stderr).toBe(0);
    expect((JSON.parse(r.stdout) as PairReport).groups).toHaveLength(6);
    expect(readdirSync(data)).toEqual(['pairbot.db']);
    expect(statSync(join(data, 'pairbot.db')).size).toBe(0);
  });

  it('stores the round, DMs each group once, and a re-run in the period pairs nobody new', async () => {
    const first = await pairbot('pair', '--json', '--date', '2026-11-23');
    expect(first.code).toBe(0);
    const stored = JSON.parse(first.stdout) as PairReport;
    expect(stored.dryRun).toBe(false);
    expect(statSync(join(box.dir, 'data', 'pairbot.db')).mode & 0o777).toBe(0o600);

    const again = await pairbot('pair', '--json', '--date', '2026-11-26');
    expect(again.code).toBe(0);
    const repeat = JSON.parse(again.stdout) as PairReport;
    expect(repeat.existing).toBe(true);
    expect(repeat.groups).toEqual(stored.groups);

    const messages = JSON.parse((await pairbot('local', 'messages', '--json')).stdout) as {
      posts: { recipients: string[]; text: string }[];
    };
    expect(messages.posts).toHaveLength(stored.groups.length);
    for (const g of stored.groups) {
      const post = messages.posts.find((p) => p.recipients.includes(g.members[0]!.id))!;
      expect([...post.recipients].sort()).toEqual(g.members.map((m) => m.id).sort());
      for (const m of g.members) expect(post.text).toContain(`@${m.name}`);
      expect(post.text).toMatch(/skip a round/);
    }
  });

  it('a re-run with nothing to do succeeds even when the platform cannot be read', async () => {
    expect((await pairbot('pair', '--date', '2026-11-23')).code).toBe(0);
    rmSync(join(box.dir, 'roster.csv'));
    const again = await pairbot('pair', '--json', '--date', '2026-11-24');
    expect(again.code, again.stderr).toBe(0);
    expect((JSON.parse(again.stdout) as PairReport).existing).toBe(true);
  });

  it('two consecutive weeks give no repeated pair for the example roster', async () => {
    const w1 = JSON.parse((await pairbot('pair', '--json', '--date', '2026-11-23', '--seed', '11')).stdout) as PairReport;
    const w2 = JSON.parse((await pairbot('pair', '--json', '--date', '2026-11-30', '--seed', '12')).stdout) as PairReport;
    expect(w2.round).toBe('2026-W49');
    const repeated = [...pairsOf(w2)].filter((p) => pairsOf(w1).has(p));
    expect(repeated).toEqual([]);
  });

  it('a dry run shows exactly the round a real run then stores, roster changes and history included', async () => {
    expect((await pairbot('pair', '--date', '2026-11-23', '--seed', '3')).code).toBe(0);
    // The next week's roster: one member gone, two new, one renamed (with a name that sorts differently).
    const roster = join(box.dir, 'roster.csv');
    const lines = readFileSync(roster, 'utf8').trimEnd().split('\n');
    const changed = [
      ...lines.slice(0, 2),
      lines[2]!.replace('bob', 'Zoë'),
      ...lines.slice(4),
      'n1,Émile,Europe/Paris,research',
      'n2,ada,,design',
    ];
    writeFileSync(roster, `${changed.join('\n')}\n`);
    const dry = await pairbot('pair', '--dry-run', '--json', '--date', '2026-11-30', '--seed', '9');
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.stderr).toMatch(/2 would join, 0 would rejoin, 1 would leave/);
    const real = await pairbot('pair', '--json', '--date', '2026-11-30', '--seed', '9');
    expect(real.code, real.stderr).toBe(0);
    expect(real.stderr).toMatch(/2 joined, 0 rejoined, 1 left/);
    expect(JSON.parse(dry.stdout)).toEqual({ ...JSON.parse(real.stdout), dryRun: true });
    const again = await pairbot('pair', '--json', '--date', '2026-11-30');
    expect(JSON.parse(again.stdout)).toEqual({ ...JSON.parse(real.stdout), existing: true });
  });

  it('catch-up before the period has a round says so on stdout, --quiet included: a cron log gets a line a run', async () => {
    for (const quiet of [[], ['--quiet']]) {
      const r = await pairbot('pair', '--catch-up', ...quiet, '--date', '2026-11-24');
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toBe('Catch-up for 2026-W48: no round yet, so nothing to add to (run `pairbot pair` first).\n');
    }
  });

  it('with PAIRBOT_ODD=sit-out, catch-up never grows a group past its size: who sat out waits, or pairs with a late joiner', async () => {
    box.env.PAIRBOT_ODD = 'sit-out';
    box.writeRoster(['a', 'b', 'c', 'd', 'e']);
    const round = await box.json('pair', '--date', '2026-11-23', '--seed', '1');
    expect(round.satOut).toHaveLength(1);
    const [sat] = round.satOut as string[];
    // Alone, they wait: joining a pair would make the trio the program chose not to have.
    const alone = await box.json('pair', '--catch-up', '--date', '2026-11-24');
    expect(alone.joined).toEqual([]);
    expect(alone.groups).toEqual([]);
    expect(alone.unpaired).toEqual([sat]);
    // A late joiner is someone to pair with: a new pair, and no existing group changes.
    box.writeRoster(['a', 'b', 'c', 'd', 'e', 'f']);
    const caught = await box.json('pair', '--catch-up', '--date', '2026-11-25');
    expect(caught.groups.map((g: { members: { id: string }[] }) => g.members.map((m) => m.id).sort())).toEqual([[sat, 'f'].sort()]);
    expect(caught.joined).toEqual([]);
    const after = await box.json('pair', '--date', '2026-11-25');
    expect(after.groups.every((g: { members: unknown[] }) => g.members.length === 2)).toBe(true);
  });

  it('PAIRBOT_ODD applies to pairs only: with groups of 4 and sit-out, catch-up adds a lone late joiner to a group, as pair would', async () => {
    box.env.PAIRBOT_ODD = 'sit-out';
    box.env.PAIRBOT_GROUP_SIZE = '4';
    const eight = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'];
    box.writeRoster(eight);
    const round = await box.json('pair', '--date', '2026-11-23', '--seed', '1');
    expect(round.groups.map((g: { members: unknown[] }) => g.members.length)).toEqual([4, 4]);
    // Nine members make groups of 4 and 5 in a round (nobody sits out), so a ninth arriving mid-week joins a group.
    box.writeRoster([...eight, 'i']);
    const caught = await box.json('pair', '--catch-up', '--date', '2026-11-24', '--seed', '1');
    expect(caught.unpaired).toEqual([]);
    expect(caught.joined.map((j: { id: string }) => j.id)).toEqual(['i']);
    expect(caught.joined[0].group).toHaveLength(5);
  });

  it('with PAIRBOT_ODD=sit-out, a member whose partner left is told once that they wait, with the priority of a sit-out', async () => {
    box.env.PAIRBOT_ODD = 'sit-out';
    box.writeRoster(['a', 'b', 'c', 'd', 'e', 'f']);
    const round = await box.json('pair', '--date', '2026-11-23', '--seed', '1');
    const partner = partnerOf(round, 'a');
    expect((await pairbot('member', 'kick', partner, '--date', '2026-11-24')).code).toBe(0);
    const notices = async (): Promise<{ text: string; recipients: string[] }[]> =>
      ((await box.json('local', 'messages')).posts as { text: string; recipients: string[] }[]).filter((p) =>
        p.text.includes('no longer in the program'),
      );
    for (const day of ['2026-11-24', '2026-11-25']) {
      const caught = await box.json('pair', '--catch-up', '--date', day);
      expect(caught.joined).toEqual([]);
      expect(caught.unpaired).toEqual(['a']);
    }
    const told = await notices();
    expect(told).toHaveLength(1);
    expect(told[0]!.recipients).toEqual(['a']);
    expect(told[0]!.text).toMatch(/priority next week/);
    // Five left next week: whoever sits out, it is never a (without that priority, seeds 7 to 9 pick a).
    for (let seed = 1; seed <= 10; seed++) {
      const next = await box.json('pair', '--dry-run', '--date', '2026-11-30', '--seed', String(seed));
      expect(next.satOut).toHaveLength(1);
      expect(next.satOut).not.toContain('a');
    }
  });

  it('with PAIRBOT_ODD=sit-out, a member who comes back after their partner was paired with someone else is not told their partner left', async () => {
    box.env.PAIRBOT_ODD = 'sit-out';
    box.writeRoster(['a', 'b', 'c', 'd', 'e', 'f']);
    const round = await box.json('pair', '--date', '2026-11-23', '--seed', '1');
    const partner = partnerOf(round, 'a');
    expect((await pairbot('member', 'kick', 'a', '--date', '2026-11-24')).code).toBe(0);
    expect((await box.json('pair', '--catch-up', '--date', '2026-11-24')).unpaired).toEqual([partner]);
    // A late joiner pairs with the partner a left behind; then a comes back, alone.
    box.writeRoster(['a', 'b', 'c', 'd', 'e', 'f', 'g']);
    expect((await box.json('pair', '--catch-up', '--date', '2026-11-24')).groups).toHaveLength(1);
    expect((await pairbot('member', 'set', 'a', '--resume', '--date', '2026-11-25')).code).toBe(0);
    expect((await box.json('pair', '--catch-up', '--date', '2026-11-25')).unpaired).toEqual(['a']);
    const told = ((await box.json('local', 'messages')).posts as { text: string; recipients: string[] }[]).filter(
      (p) => p.recipients.length === 1 && p.recipients[0] === 'a',
    );
    // Their partner is in the program (with g): a was the one away, and is told so, with no sit-out's priority.
    expect(told).toHaveLength(1);
    expect(told[0]!.text).not.toMatch(/no longer in the program/);
    expect(told[0]!.text).toMatch(/it was paired before you were available/);
    const exported = JSON.parse((await pairbot('export')).stdout) as { members: { id: string; sitOuts: number }[] };
    expect(exported.members.find((m) => m.id === 'a')!.sitOuts).toBe(0);
  });

  it('with PAIRBOT_ODD=sit-out, a member told their partner left is out of that pair: not asked about it, and paired anew if the partner comes back', async () => {
    box.env.PAIRBOT_ODD = 'sit-out';
    box.writeRoster(['a', 'b', 'c', 'd', 'e', 'f']);
    const partner = partnerOf(await box.json('pair', '--date', '2026-11-23', '--seed', '1'), 'a');
    expect((await pairbot('member', 'kick', partner, '--date', '2026-11-24')).code).toBe(0);
    expect((await box.json('pair', '--catch-up', '--date', '2026-11-24')).unpaired).toEqual(['a']);
    const toA = async (): Promise<string[]> =>
      ((await box.json('local', 'messages')).posts as { text: string; recipients: string[] }[])
        .filter((p) => p.recipients.includes('a'))
        .map((p) => p.text);
    // Told they sit out the rest of the round, a is not asked whether the 1-on-1 with the partner who left happened.
    expect((await pairbot('collect-feedback', '--date', '2026-11-26')).code).toBe(0);
    expect((await toA()).filter((t) => t.includes('Quick check'))).toEqual([]);
    expect((await box.json('status', '--date', '2026-11-26')).lastRound.groups).toBe(2);
    // The round as pair prints it again: a sits out, and not for an odd count (six were paired).
    const rerun = await pairbot('pair', '--date', '2026-11-26');
    expect(rerun.stdout).toMatch(/^Sitting out \(odd count or partner left\): a$/m);
    // The partner comes back: the two are paired anew, and a hears so (the pair a was told was over is not silently back).
    expect((await pairbot('member', 'set', partner, '--resume', '--date', '2026-11-27')).code).toBe(0);
    const caught = await box.json('pair', '--catch-up', '--date', '2026-11-27');
    expect(caught.groups.map((g: { members: { id: string }[] }) => g.members.map((m) => m.id).sort())).toEqual([['a', partner].sort()]);
    const texts = await toA();
    expect(texts.at(-1)).toMatch(/You are paired/);
  });

  it('with PAIRBOT_ODD=sit-out, a late joiner with nobody to pair with is told once when they will be paired', async () => {
    box.env.PAIRBOT_ODD = 'sit-out';
    box.writeRoster(['a', 'b', 'c', 'd']);
    expect((await pairbot('pair', '--date', '2026-11-23')).code).toBe(0);
    box.writeRoster(['a', 'b', 'c', 'd', 'e']);
    for (const day of ['2026-11-24', '2026-11-25']) expect((await box.json('pair', '--catch-up', '--date', day)).unpaired).toEqual(['e']);
    const told = ((await box.json('local', 'messages')).posts as { text: string; recipients: string[] }[]).filter((p) =>
      p.recipients.includes('e'),
    );
    expect(told).toHaveLength(1);
    expect(told[0]!.text).toMatch(/no group for round 2026-W48: it was paired before you were available/);
    expect(told[0]!.text).toMatch(/next week/);
  });

  it('with PAIRBOT_ODD=sit-out, a member back mid-round who meets every 2 weeks is told the round they are in, not next week', async () => {
    box.env.PAIRBOT_ODD = 'sit-out';
    box.writeRoster(['a', 'b', 'c', 'd', 'e', 'f']);
    expect((await pairbot('member', 'set', 'a', '--frequency', '2', '--date', '2026-11-20')).code).toBe(0);
    expect((await pairbot('pair', '--date', '2026-11-23', '--seed', '1')).code).toBe(0);
    expect((await pairbot('member', 'kick', 'a', '--date', '2026-11-24')).code).toBe(0);
    expect((await box.json('pair', '--catch-up', '--date', '2026-11-24')).unpaired).toHaveLength(1);
    // A late joiner pairs with the partner a left behind; then a comes back, alone.
    box.writeRoster(['a', 'b', 'c', 'd', 'e', 'f', 'g']);
    expect((await box.json('pair', '--catch-up', '--date', '2026-11-24')).groups).toHaveLength(1);
    expect((await pairbot('member', 'set', 'a', '--resume', '--date', '2026-11-25')).code).toBe(0);
    expect((await box.json('pair', '--catch-up', '--date', '2026-11-25')).unpaired).toEqual(['a']);
    const told = ((await box.json('local', 'messages')).posts as { text: string; recipients: string[] }[]).filter(
      (p) => p.recipients.length === 1 && p.recipients[0] === 'a' && p.text.includes('before you were available'),
    );
    expect(told).toHaveLength(1);
    // Paired in week 48 and every 2 weeks: next week's round (W49) does not include a; W50's does.
    expect(told[0]!.text).not.toMatch(/next week/);
    expect(told[0]!.text).toMatch(/round 2026-W50/);
    expect((await box.json('pair', '--dry-run', '--date', '2026-11-30', '--seed', '1')).excluded.notDue).toEqual(['a']);
    expect((await box.json('pair', '--dry-run', '--date', '2026-12-07', '--seed', '1')).excluded.notDue).toEqual([]);
  });

  it('with PAIRBOT_ODD=sit-out, two late joiners one of whom avoids the other are each told they wait, with nothing untrue and no avoid revealed', async () => {
    box.env.PAIRBOT_ODD = 'sit-out';
    box.writeRoster(['a', 'b', 'c', 'd']);
    expect((await pairbot('pair', '--date', '2026-11-23')).code).toBe(0);
    box.writeRoster(['a', 'b', 'c', 'd', 'e', 'f']);
    expect((await pairbot('local', 'say', 'e', 'avoid', '@f')).code).toBe(0);
    expect((await pairbot('inbox', '--date', '2026-11-24')).code).toBe(0);
    expect((await box.json('pair', '--catch-up', '--date', '2026-11-24')).unpaired).toEqual(['e', 'f']);
    const told = ((await box.json('local', 'messages')).posts as { text: string; recipients: string[] }[]).filter((p) =>
      p.text.includes('no group for round'),
    );
    expect(told.map((p) => p.recipients)).toEqual([['e'], ['f']]);
    for (const { text, recipients } of told) {
      // Each other is waiting too: "nobody else is waiting" would be untrue, and the real reason (an avoid) is never said.
      expect(text).not.toMatch(/nobody else is waiting|avoid/);
      expect(text).not.toContain(recipients[0] === 'e' ? '@f' : '@e');
      expect(text).toMatch(/it was paired before you were available/);
    }
  });

  it('the same seed replays the same groups', async () => {
    const a = await pairbot('pair', '--dry-run', '--json', '--date', '2026-11-23', '--seed', '42');
    const b = await pairbot('pair', '--dry-run', '--json', '--date', '2026-11-23', '--seed', '42');
    expect(JSON.parse(a.stdout).groups).toEqual(JSON.parse(b.stdout).groups);
  });

  it('--quiet prints one summary line instead of every group; --json is the same with or without it', async () => {
    expect((await pairbot('member', 'set', 'alice', '--pause-until', '2026-12-14', '--date', '2026-11-20')).code).toBe(0);
    const dry = await pairbot('pair', '--dry-run', '--quiet', '--date', '2026-11-23', '--seed', '5');
    expect(dry.code).toBe(0);
    expect(dry.stderr).toBe('');
    expect(dry.stdout.trimEnd().split('\n')).toEqual([
      'Round 2026-W48 of program "default" (dry run: nothing stored or sent): 6 groups, 12 members, seed 5; opted out 0, paused 1, not due 0, sitting out 0, not placed 0',
    ]);
    const quietJson = await pairbot('pair', '--json', '--quiet', '--date', '2026-11-23', '--seed', '5');
    const again = await pairbot('pair', '--json', '--date', '2026-11-24');
    expect(JSON.parse(quietJson.stdout)).toEqual({ ...JSON.parse(again.stdout), existing: false });
    const loud = await pairbot('pair', '--date', '2026-11-24');
    expect(loud.stdout.trimEnd().split('\n').length).toBeGreaterThan(6);
    const quiet = await pairbot('pair', '--quiet', '--date', '2026-11-24');
    expect(quiet.stdout).toBe(
      'Round 2026-W48 of program "default" (already paired; nothing new): 6 groups, 12 members, seed 5; opted out 0, paused 1, not due 0, sitting out 0, not placed 0\n',
    );
  });

  it('honours frequency and pause set by an operator', async () => {
    expect((await pairbot('pair', '--date', '2026-11-23')).code).toBe(0);
    expect((await pairbot('member', 'set', 'alice', '--frequency', '2', '--date', '2026-11-24')).code).toBe(0);
    expect((await pairbot('member', 'set', '@bob', '--pause-until', '2026-12-14', '--date', '2026-11-24')).code).toBe(0);
    const w2 = JSON.parse((await pairbot('pair', '--json', '--date', '2026-11-30')).stdout) as PairReport;
    expect(w2.excluded).toEqual({ optedOut: [], paused: ['u02'], notDue: ['u01'] });
    const w3 = JSON.parse((await pairbot('pair', '--json', '--date', '2026-12-07')).stdout) as PairReport;
    expect(w3.excluded.notDue).toEqual([]);
    expect(w3.excluded.paused).toEqual(['u02']);
    expect(w3.groups.flatMap((g) => g.members.map((m) => m.id))).toContain('u01');
  });

  it('member set --pause-until D skips every round formed on or before D, as the inbox does; D may be today', async () => {
    expect((await pairbot('member', 'set', 'bob', '--pause-until', '2026-12-07', '--date', '2026-12-01')).code).toBe(0);
    // A pause that ends today pauses today's round.
    const today = await pairbot('member', 'set', 'carol', '--pause-until', '2026-12-07', '--date', '2026-12-07');
    expect(today.code, today.stderr).toBe(0);
    expect(today.stderr).toContain('paused until 2026-12-07');
    const onD = JSON.parse((await pairbot('pair', '--json', '--date', '2026-12-07')).stdout) as PairReport;
    expect(onD.excluded.paused).toEqual(['u02', 'u03']);
    const after = JSON.parse((await pairbot('pair', '--json', '--date', '2026-12-14')).stdout) as PairReport;
    expect(after.excluded.paused).toEqual([]);
    expect(after.groups.flatMap((g) => g.members.map((m) => m.id))).toEqual(expect.arrayContaining(['u02', 'u03']));
  });

  it('never pairs two members who avoid each other', async () => {
    writeFileSync(join(box.dir, 'roster.csv'), 'id,name,timezone\na,ann,\nb,bea,\nc,cal,\nd,dan,\n');
    await pairbot('member', 'set', 'ann', '--avoid', 'bea');
    await pairbot('member', 'set', 'cal', '--avoid', 'ann');
    for (const seed of ['1', '2', '3', '4', '5']) {
      const r = JSON.parse((await pairbot('pair', '--dry-run', '--json', '--seed', seed)).stdout) as PairReport;
      const pairs = pairsOf(r);
      expect(pairs.has('a-b')).toBe(false);
      expect(pairs.has('a-c')).toBe(false);
    }
  });

  it('refuses bad settings with exit 2, naming the variable, before creating anything', async () => {
    for (const [name, value, hint] of [
      ['PAIRBOT_CADENCE', 'hourly', /PAIRBOT_CADENCE: expected one of daily, weekly, monthly/],
      ['PAIRBOT_GROUP_SIZE', '1', /PAIRBOT_GROUP_SIZE: expected a whole number from 2/],
      ['PAIRBOT_TIMEZONE', 'Mars/Olympus', /PAIRBOT_TIMEZONE: expected an IANA time zone/],
    ] as const) {
      const r = await runCli(['pair'], { cwd: box.dir, env: { ...box.env, [name]: value } });
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(hint);
      expect(existsSync(join(box.dir, 'data'))).toBe(false);
    }
    const badFlag = await pairbot('pair', '--date', '2026-13-01');
    expect(badFlag.code).toBe(2);
    expect(badFlag.stderr).toMatch(/--date: expected a date YYYY-MM-DD/);
    const unknown = await pairbot('pair', '--no-such-flag');
    expect(unknown.code).toBe(2);
    for (const args of [
      ['pair', '--seed', 'abc'],
      ['member', 'set', 'alice', '--frequency', '0'],
      ['member', 'set', 'alice', '--pause-until', 'tomorrow'],
      ['member', 'show', 'nobody'],
      ['optout'],
    ]) {
      const r = await runCli(args, {
        cwd: box.dir,
        env: { ...box.env, ...(args[0] === 'optout' ? { PAIRBOT_ROSTER: join(box.dir, 'missing.csv') } : {}) },
      });
      expect(r.code, args.join(' ')).toBe(2);
      expect(existsSync(join(box.dir, 'data')), args.join(' ')).toBe(false);
    }
  });

  it('refuses a malformed roster with exit 2 naming file, line and problem', async () => {
    const cases: [string, RegExp][] = [
      ['id,timezone\nu1,UTC\n', /roster.csv: line 1: missing column "name"/],
      ['id,name,timezone\nu1,ann,UTC\nu1,bea,UTC\n', /roster.csv: line 3: duplicate id "u1" \(first on line 2\)/],
      ['id,name,timezone\nu1,ann,Nowhere/City\n', /roster.csv: line 2: unknown time zone "Nowhere\/City"/],
    ];
    for (const [content, message] of cases) {
      writeFileSync(join(box.dir, 'roster.csv'), content);
      const r = await pairbot('pair');
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(message);
    }
    expect(existsSync(join(box.dir, 'data'))).toBe(false);
  });

  it('answers --help and --version with exit 0', async () => {
    const help = await pairbot('--help');
    expect(help.code).toBe(0);
    for (const cmd of ['pair', 'status', 'members', 'member', 'local']) expect(help.stdout).toContain(cmd);
    const pairHelp = await pairbot('pair', '--help');
    for (const flag of ['--dry-run', '--json', '--seed', '--db', '--program', '--config', '--date', '--verbose', '--quiet'])
      expect(pairHelp.stdout).toContain(flag);
    const version = await pairbot('--version');
    // The version alone (SPEC §3); `status` adds the commit it was built from.
    expect(version.stdout).toMatch(/^\d+\.\d+\.\d+\n$/);
  });
});
