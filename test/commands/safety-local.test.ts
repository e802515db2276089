import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { useLocalSandbox } from '../helpers/sandbox.js';

/** Issue 8: operators' set-ups tried as a new user would, and adversarially. */
describe('nothing lost, nothing wrong (built CLI, local platform)', () => {
  const box = useLocalSandbox();
  const { pairbot, json } = box;
  const memberIds = (): string[] => {
    const db = new Database(join(box.dir, 'data', 'pairbot.db'), { readonly: true });
    try {
      return (db.prepare('SELECT user_id AS id FROM members ORDER BY user_id').all() as { id: string }[]).map((r) => r.id);
    } finally {
      db.close();
    }
  };

  it('<who>: an exact username wins, a unique case-insensitive one is taken, several are refused naming their ids', async () => {
    writeFileSync(join(box.dir, 'roster.csv'), 'id,name,timezone\nu1,Sam,\nu2,sam,\nu3,Robin,\nu4,Kim,\n');
    expect((await pairbot('pair', '--date', '2026-11-23')).code).toBe(0);

    const show = await json('member', 'show', 'robin', '--date', '2026-11-24');
    expect(show.id).toBe('u3');
    const ambiguous = await pairbot('member', 'forget', 'SAM');
    expect(ambiguous.code).toBe(2);
    expect(ambiguous.stderr).toMatch(/"SAM" matches 2 people: "Sam" \(id u1\), "sam" \(id u2\); give the id/);
    expect(memberIds()).toEqual(['u1', 'u2', 'u3', 'u4']);

    expect((await pairbot('member', 'forget', 'sam')).code).toBe(0);
    expect(memberIds()).toEqual(['u1', 'u3', 'u4']);
  });

  it('refuses to pair a period earlier than the latest round, naming it, and stores nothing', async () => {
    expect((await pairbot('pair', '--date', '2026-11-30')).code).toBe(0);
    const earlier = await pairbot('pair', '--date', '2026-11-23', '--json');
    expect(earlier.code).toBe(2);
    expect(earlier.stdout).toBe('');
    expect(earlier.stderr).toMatch(/round 2026-W48 is earlier than the latest round, 2026-W49: rounds are paired forward in time/);
    expect((await pairbot('pair', '--date', '2026-11-23', '--dry-run')).code).toBe(2);
    const status = await json('status', '--date', '2026-12-01');
    expect(status.lastRound.round).toBe('2026-W49');
    const db = new Database(join(box.dir, 'data', 'pairbot.db'), { readonly: true });
    expect(db.prepare('SELECT period FROM rounds').all()).toEqual([{ period: '2026-W49' }]);
    db.close();
    // The same week again is still the existing round, and the next one pairs.
    expect((await json('pair', '--date', '2026-12-02')).existing).toBe(true);
    expect((await json('pair', '--date', '2026-12-07')).round).toBe('2026-W50');
  });

  it('refuses another cadence than the program was paired in, before anything is stored', async () => {
    expect((await pairbot('pair', '--date', '2026-11-23')).code).toBe(0);
    for (const cadence of ['daily', 'monthly']) {
      const r = await runCli(['pair', '--date', '2026-11-24'], { cwd: box.dir, env: { ...box.env, PAIRBOT_CADENCE: cadence } });
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).toContain(
        `PAIRBOT_CADENCE: program "default" pairs weekly (its latest round is 2026-W48), not ${cadence}: its history is counted in weekly rounds.`,
      );
    }
    const db = new Database(join(box.dir, 'data', 'pairbot.db'), { readonly: true });
    expect(db.prepare('SELECT period FROM rounds').all()).toEqual([{ period: '2026-W48' }]);
    db.close();
    // A new program may pair daily in the same database.
    const other = await runCli(['pair', '--date', '2026-11-24', '--program', 'daily-chats'], {
      cwd: box.dir,
      env: { ...box.env, PAIRBOT_CADENCE: 'daily' },
    });
    expect(other.code, other.stderr).toBe(0);
  });

  it('refuses an empty roster on a first run, storing no round that would stand for the period', async () => {
    writeFileSync(join(box.dir, 'empty.csv'), 'id,name,timezone\n');
    const empty = await runCli(['pair', '--date', '2026-11-23'], {
      cwd: box.dir,
      env: { ...box.env, PAIRBOT_ROSTER: join(box.dir, 'empty.csv') },
    });
    expect(empty.code).toBe(1);
    expect(empty.stderr).toMatch(/the roster is empty: nobody to pair, so nothing was stored/);
    expect(empty.stderr).toContain('rerun this command with --accept-roster');
    // "Nothing was stored" holds for the file too: no database (nor its folder) pins the program
    // to this platform, so a run on another platform is not refused as "program runs on local".
    expect(existsSync(join(box.dir, 'data'))).toBe(false);
    // The roster fixed, the same week is paired as usual.
    const r = await json('pair', '--date', '2026-11-23');
    expect(r.groups.length).toBeGreaterThan(0);
  });

  it('a failed first run keeps the database once it stored something of its own', async () => {
    // The roster sync is written, then the delivery stops: the round and members are kept.
    writeFileSync(join(box.dir, 'roster.csv'), 'id,name,timezone\nu1,u1,\nu2,u2,\n');
    const r = await runCli(['pair', '--date', '2026-11-23'], {
      cwd: box.dir,
      env: { ...box.env, PAIRBOT_LOCAL_STATE: join(box.dir, 'state', 'local-state.db') },
    });
    expect(r.code, r.stderr).toBe(0);
    expect(memberIds()).toEqual(['u1', 'u2']);
    // A later first-run failure in another program of the same (existing) database removes nothing.
    writeFileSync(join(box.dir, 'empty.csv'), 'id,name,timezone\n');
    const other = await runCli(['pair', '--date', '2026-11-23', '--program', 'other'], {
      cwd: box.dir,
      env: { ...box.env, PAIRBOT_ROSTER: join(box.dir, 'empty.csv') },
    });
    expect(other.code).toBe(1);
    expect(memberIds()).toEqual(['u1', 'u2']);
  });

  it('refuses a roster that lost everyone or more than half of the active members, unless --accept-roster', async () => {
    expect((await pairbot('pair', '--date', '2026-11-23')).code).toBe(0);
    const before = await json('status', '--date', '2026-11-24');
    const cases: [string, string, RegExp][] = [
      ['roster.csv', 'id,name,timezone\n', /\[local\] the roster lists none of the 13 active members\. That looks like a fault/],
      ['roster.json', '[]', /\[local\] the roster lists none of the 13 active members/],
      [
        'roster.csv',
        'id,name,timezone\nu01,alice,\nu02,bob,\nu03,carol,\nu04,dave,\nu05,erin,\nu06,frank,\n',
        /7 of the 13 active members are missing from the roster \(grace, heidi, ivan, judy, mallory and 2 more\)/,
      ],
    ];
    for (const [file, content, message] of cases) {
      writeFileSync(join(box.dir, file), content);
      const env = { ...box.env, PAIRBOT_ROSTER: join(box.dir, file) };
      for (const args of [['pair', '--date', '2026-11-30'], ['pair', '--catch-up', '--date', '2026-11-25'], ['members']]) {
        const r = await runCli(args, { cwd: box.dir, env });
        expect(r.code, `${file} ${args.join(' ')}`).toBe(1);
        expect(r.stderr).toMatch(message);
        expect(r.stderr).toContain('nothing was changed');
        expect(r.stderr).toContain('--accept-roster');
      }
    }
    // Nothing changed: the same counts, no new round.
    expect(await json('status', '--date', '2026-11-24')).toEqual(before);

    // Confirmed: the six who stay are paired, the seven are "left".
    const accepted = await pairbot('pair', '--date', '2026-11-30', '--accept-roster', '--json');
    expect(accepted.code, accepted.stderr).toBe(0);
    expect(accepted.stderr).toMatch(/7 of the 13 active members are missing .*--accept-roster: taking the roster as it is/);
    const ids = JSON.parse(accepted.stdout)
      .groups.flatMap((g: { members: { id: string }[] }) => g.members.map((m) => m.id))
      .sort();
    expect(ids).toEqual(['u01', 'u02', 'u03', 'u04', 'u05', 'u06']);
    expect((await json('status', '--date', '2026-12-01')).members).toMatchObject({ active: 6, left: 7 });
    // Losing half (3 of 6) is an ordinary change.
    writeFileSync(join(box.dir, 'roster.csv'), 'id,name,timezone\nu01,alice,\nu02,bob,\nu03,carol,\n');
    expect((await pairbot('pair', '--date', '2026-12-07')).code).toBe(0);
  });

  it('catch-up places a member resumed after a kick in the same round, and member show is current', async () => {
    const round = await json('pair', '--date', '2026-11-23', '--seed', '7');
    const bobs = round.groups.find((g: { members: { id: string }[] }) => g.members.some((m) => m.id === 'u02'));
    expect((await pairbot('member', 'kick', 'bob', '--date', '2026-11-24')).code).toBe(0);
    await json('pair', '--catch-up', '--date', '2026-11-24', '--seed', '1');
    expect((await json('member', 'show', 'bob', '--date', '2026-11-24')).currentGroup).toBeNull();
    expect((await pairbot('member', 'set', 'bob', '--resume', '--date', '2026-11-25')).code).toBe(0);

    const caught = await json('pair', '--catch-up', '--date', '2026-11-25', '--seed', '1');
    const placed = [
      ...caught.groups.map((g: { members: { id: string }[] }) => g.members),
      ...caught.joined.map((j: { group: { id: string }[] }) => j.group),
    ];
    const withBob = placed.find((members: { id: string }[]) => members.some((m) => m.id === 'u02'));
    expect(withBob, `bob was in ${JSON.stringify(bobs)}; catch-up: ${JSON.stringify(caught)}`).toBeDefined();

    const show = await json('member', 'show', 'bob', '--date', '2026-11-25');
    expect(show.currentGroup.with.map((m: { id: string }) => m.id).sort()).toEqual(
      withBob
        .filter((m: { id: string }) => m.id !== 'u02')
        .map((m: { id: string }) => m.id)
        .sort(),
    );
    // The round as pair reports it has bob once, in that group.
    const now = await json('pair', '--date', '2026-11-26');
    const ids = now.groups.flatMap((g: { members: { id: string }[] }) => g.members.map((m) => m.id));
    expect(ids.filter((id: string) => id === 'u02')).toHaveLength(1);
    expect(new Set(ids).size).toBe(ids.length);
    // Bob's new group got its intro.
    const posts = (await json('local', 'messages')).posts as { recipients: string[] }[];
    expect(posts.some((p) => p.recipients.includes('u02') && withBob.every((m: { id: string }) => p.recipients.includes(m.id)))).toBe(true);
  });

  it('member set refuses contradictions with exit 2 naming the conflict, and changes nothing', async () => {
    expect((await pairbot('member', 'set', 'carol', '--avoid', 'dave', '--date', '2026-11-23')).code).toBe(0);
    const before = await json('member', 'show', 'alice', '--date', '2026-11-23');
    const cases: [string[], RegExp][] = [
      [['member', 'set', 'alice', '--prefer', 'bob', '--avoid', '@bob'], /cannot both prefer and avoid bob/],
      [
        ['member', 'set', 'alice', '--pause-until', '2020-01-01', '--frequency', '2'],
        /--pause-until 2020-01-01 is before today \(2026-11-23\)/,
      ],
      [['member', 'set', 'alice', '--pause-until', '2026-11-22'], /--pause-until 2026-11-22 is before today/],
      [
        ['member', 'set', 'dave', '--prefer', 'carol'],
        /an avoid keeps dave and carol apart: a preference for carol would never be honoured/,
      ],
      [['member', 'set', 'carol', '--prefer', 'dave'], /an avoid keeps carol and dave apart/],
    ];
    for (const [args, message] of cases) {
      const r = await pairbot(...args, '--date', '2026-11-23');
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr).toMatch(message);
    }
    expect(await json('member', 'show', 'alice', '--date', '2026-11-23')).toEqual(before);
    expect((await json('member', 'show', 'dave', '--date', '2026-11-23')).preferences.map((p: { kind: string }) => p.kind)).toEqual([
      'avoid',
    ]);

    // An avoid replaces a preference for the same person: the hard constraint wins, and says so.
    expect((await pairbot('member', 'set', 'alice', '--prefer', 'bob', '--date', '2026-11-23')).code).toBe(0);
    const avoid = await pairbot('member', 'set', 'alice', '--avoid', 'bob', '--date', '2026-11-23');
    expect(avoid.code).toBe(0);
    expect(avoid.stderr).toMatch(/no longer prefers bob/);
    expect((await json('member', 'show', 'alice', '--date', '2026-11-23')).preferences).toEqual([
      { kind: 'avoid', id: 'u02', name: 'bob', since: '2026-11-23', setBy: 'u01' },
    ]);
  });

  it('member set refuses a pause that ends before today before reading the roster: no sync logged, nothing created', async () => {
    for (const day of ['2020-01-01', '2026-11-22']) {
      const r = await pairbot('member', 'set', 'alice', '--pause-until', day, '--date', '2026-11-23');
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(new RegExp(`--pause-until ${day} is before today \\(2026-11-23\\)`));
      expect(r.stderr).not.toMatch(/roster:/);
      expect(existsSync(join(box.dir, 'data', 'pairbot.db'))).toBe(false);
    }
    // A pause whose last day is today is taken: it skips today's round.
    expect((await pairbot('member', 'set', 'alice', '--pause-until', '2026-11-23', '--date', '2026-11-23')).code).toBe(0);
    expect(await json('member', 'show', 'alice', '--date', '2026-11-23')).toMatchObject({ paused: true, pauseUntil: '2026-11-23' });
  });

  it('member set --avoid warns the operator when it leaves someone no possible partner', async () => {
    box.writeRoster(['ann', 'ben', 'cid']);
    expect((await pairbot('member', 'set', 'ann', '--avoid', 'ben', '--date', '2026-11-23')).stderr).not.toMatch(/no possible partner/);
    const r = await pairbot('member', 'set', 'cid', '--avoid', 'ann', '--date', '2026-11-23');
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/warning: .*ann now has no possible partner: avoids rule out every other active member/);
  });
});
