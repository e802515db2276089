import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { useLocalSandbox } from '../helpers/sandbox.js';

describe('operator commands on the local platform (built CLI)', () => {
  const box = useLocalSandbox();
  const { pairbot, json, writeRoster } = box;

  it('status reports counts, rounds and deliveries, with no secret', async () => {
    await pairbot('pair', '--date', '2026-11-23');
    const s = await json('status', '--date', '2026-11-24');
    expect(s).toMatchObject({
      program: 'default',
      platform: 'local',
      members: { active: 13, paused: 0, left: 0, removed: 0, kicked: 0, total: 13 },
      lastRound: { round: '2026-W48', groups: 6 },
      nextRound: { round: '2026-W49', starts: '2026-11-30' },
      deliveries: { pending: 0, sent: 6, failed: 0 },
    });
    expect(s.version).toMatch(/^\d+\.\d+\.\d+$/);
    // A checkout: the commit it runs from, also on the text view's first line.
    expect(s.commit).toMatch(/^[0-9a-f]{12}$/);
    const text = await runCli(['status'], { cwd: box.dir, env: { ...box.env, MATTERMOST_TOKEN: 'tok-very-secret' } });
    expect(text.stdout).toContain('last round: 2026-W48 (6 groups)');
    expect(text.stdout.split('\n')[0]).toBe(`pairbot ${s.version} (commit ${s.commit})`);
    expect(text.stdout + text.stderr).not.toContain('tok-very-secret');
  });

  it('members lists state, frequency, pause and last partner', async () => {
    await pairbot('pair', '--date', '2026-11-23');
    await pairbot('member', 'set', 'carol', '--pause-until', '2026-12-20', '--frequency', '3', '--date', '2026-11-24');
    const { members } = await json('members', '--date', '2026-11-24');
    expect(members).toHaveLength(13);
    const carol = members.find((m: { name: string }) => m.name === 'carol');
    expect(carol).toMatchObject({
      id: 'u03',
      state: 'active',
      paused: true,
      frequency: 3,
      pauseUntil: '2026-12-20',
      timezone: 'Europe/London',
    });
    expect(carol.lastPartners.length).toBeGreaterThanOrEqual(1);
    const table = await pairbot('members', '--date', '2026-11-24');
    expect(table.stdout).toMatch(/carol\s+u03\s+paused\s+3 rounds\s+2026-12-20/);
  });

  it('members shows the roster as it is now, and accepts options before the command', async () => {
    const fresh = await pairbot('--date', '2026-11-23', 'members', '--json');
    expect(fresh.code).toBe(0);
    expect(JSON.parse(fresh.stdout).members).toHaveLength(13);
    expect(existsSync(join(box.dir, 'data')), 'members only reads').toBe(false);
    await pairbot('pair', '--date', '2026-11-23');
    writeRoster(['u01', 'u02', 'zed']);
    // 11 of 13 gone at once is taken for a fault (the roster safety valve) until confirmed.
    expect((await pairbot('members', '--date', '2026-11-24')).code).toBe(1);
    const { members } = await json('members', '--date', '2026-11-24', '--accept-roster');
    const state = Object.fromEntries(members.map((m: { id: string; state: string }) => [m.id, m.state]));
    expect(state).toMatchObject({ u01: 'active', u02: 'active', zed: 'active', u03: 'left' });
  });

  it('member show gives the current group, partners and preferences', async () => {
    await pairbot('member', 'set', 'alice', '--prefer', 'bob', '--avoid', '@carol', '--timezone', 'America/Denver');
    const first = await json('pair', '--date', '2026-11-23');
    const alicesGroup = first.groups.find((g: { members: { id: string }[] }) => g.members.some((m) => m.id === 'u01'));
    expect(alicesGroup.members.map((m: { id: string }) => m.id)).toContain('u02');
    const shown = await json('member', 'show', 'u01', '--date', '2026-11-25');
    expect(shown.timezone).toBe('America/Denver');
    expect(shown.currentGroup.with.map((p: { name: string }) => p.name)).toContain('bob');
    expect(shown.preferences).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ kind: 'prefer', name: 'bob' }),
        expect.objectContaining({ kind: 'avoid', name: 'carol' }),
      ]),
    );
    const later = await json('member', 'show', 'alice', '--date', '2026-12-02');
    expect(later.currentGroup).toBeNull();
    expect(later.previousPartners[0].with.map((p: { name: string }) => p.name)).toContain('bob');

    // carol sees alice's avoid of her as alice's, not as one she set herself.
    const carol = await json('member', 'show', 'carol', '--date', '2026-12-02');
    expect(carol.preferences).toEqual([expect.objectContaining({ kind: 'avoid', name: 'alice', setBy: 'u01' })]);
    expect((await pairbot('member', 'show', 'carol', '--date', '2026-12-02')).stdout).toContain('preferences: avoided by alice\n');
    // Once alice is forgotten, a partner's past group with her alone is said so, not left blank.
    expect((await pairbot('member', 'forget', 'alice', '--date', '2026-12-02')).code).toBe(0);
    const bob = (await pairbot('member', 'show', 'bob', '--date', '2026-12-02')).stdout;
    expect(bob).toMatch(/previous partners: (someone whose data was deleted|\w+) \(2026-11-23\)/);
    expect(bob).not.toMatch(/: +\(/);
  });

  it('add-partner records a meeting so the two are not paired next', async () => {
    writeRoster(['a', 'b', 'c', 'd']);
    await pairbot('member', 'add-partner', 'a', 'b', '--date', '2026-11-20');
    await pairbot('member', 'add-partner', 'c', 'd', '--date', '2026-11-20');
    for (const seed of ['1', '2', '3']) {
      const r = await json('pair', '--dry-run', '--date', '2026-11-23', '--seed', seed);
      const pairs = r.groups.map((g: { members: { id: string }[] }) =>
        g.members
          .map((m) => m.id)
          .sort()
          .join('-'),
      );
      expect(pairs).not.toContain('a-b');
      expect(pairs).not.toContain('c-d');
    }
  });

  it('member set --resume says whether it ended a pause', async () => {
    expect((await pairbot('member', 'set', 'bob', '--pause-until', '2026-12-10', '--date', '2026-11-24')).code).toBe(0);
    const ended = await pairbot('member', 'set', 'bob', '--resume', '--date', '2026-11-24');
    expect(ended.stderr).toContain('bob: pause ended, back in the rotation');
    const again = await pairbot('member', 'set', 'bob', '--resume', '--date', '2026-11-24');
    expect(again.stderr).toContain('bob: was not paused; nothing to resume');
  });

  it('kick takes a member out until --resume; forget deletes them', async () => {
    expect((await pairbot('member', 'kick', 'dave')).code).toBe(0);
    let r = await json('pair', '--dry-run', '--date', '2026-11-23');
    expect(r.groups.flatMap((g: { members: { id: string }[] }) => g.members.map((m) => m.id))).not.toContain('u04');
    expect((await pairbot('member', 'set', 'dave', '--resume')).code).toBe(0);
    r = await json('pair', '--date', '2026-11-23');
    expect(r.groups.flatMap((g: { members: { id: string }[] }) => g.members.map((m) => m.id))).toContain('u04');
    const forgot = await pairbot('member', 'forget', 'dave');
    expect(forgot.code).toBe(0);
    expect(forgot.stderr).toMatch(/deleted everything stored about dave \(u04\)/);
    // Still on the roster: the operator learns the next pair brings dave back with no history.
    expect(forgot.stderr).toMatch(/dave is still in the program's place on local: the next pair will add them back as a new member/);
    // Forgetting again deletes nothing and does not read dave back in first.
    const again = await pairbot('member', 'forget', 'dave');
    expect(again.code).toBe(0);
    expect(again.stderr).toMatch(/nothing is stored about "dave"/);
    expect(again.stderr).not.toMatch(/joined|deleted/);
    const db = new Database(join(box.dir, 'data', 'pairbot.db'), { readonly: true });
    for (const table of ['members', 'group_members']) {
      expect(db.prepare(`SELECT COUNT(*) AS n FROM ${table} WHERE user_id = 'u04'`).get()).toEqual({ n: 0 });
    }
    expect(db.prepare(`SELECT COUNT(*) AS n FROM outbox WHERE recipients LIKE '%u04%'`).get()).toEqual({ n: 0 });
    db.close();
  });

  it('local react says when there was nothing to add or remove', async () => {
    expect((await pairbot('optout', '--date', '2026-11-21')).code).toBe(0);
    const react = async (...args: string[]): Promise<string> => {
      const r = await pairbot('local', 'react', 'p1', ...args);
      expect(r.code, r.stderr).toBe(0);
      return r.stderr;
    };
    expect(await react('alice', 'x')).toContain('alice added :x: on p1');
    expect(await react('alice', '❌')).toContain('alice had already reacted :x: on p1; nothing changed');
    expect(await react('alice', 'x', '--remove')).toContain('alice removed :x: from p1');
    expect(await react('alice', 'x', '--remove')).toContain('alice had not reacted :x: on p1; nothing removed');
    expect(await react('bob', 'calendar', '--remove')).toContain('bob had not reacted :calendar: on p1; nothing removed');
    const [announcement] = (await json('local', 'messages')).posts;
    expect(announcement.id).toBe('p1');
    expect(announcement.reactions).toEqual([{ userId: 'pairbot', emoji: 'x' }]);
  });

  it('refuses bad member input with exit 2 and changes nothing', async () => {
    // A stored program (an inbox run creates it), so `member show` looks the member up.
    expect((await pairbot('inbox', '--date', '2026-11-24')).code).toBe(0);
    const cases: [string[], RegExp][] = [
      [['member', 'set', 'alice', '--frequency', '0'], /--frequency: expected a whole number/],
      [['member', 'set', 'alice', '--pause-until', 'soon'], /--pause-until: expected a date/],
      [['member', 'set', 'alice', '--timezone', 'Moon/Base'], /--timezone: expected an IANA time zone/],
      [['member', 'set', 'alice'], /nothing to change/],
      [['member', 'set', 'alice', '--avoid', 'alice'], /cannot prefer or avoid themselves/],
      [['member', 'show', 'zed'], /no member "zed" in program "default"/],
      [['member', 'add-partner', 'alice', 'alice'], /own partner/],
      [['local', 'react', 'p99', 'alice', 'x'], /no post "p99"/],
      [['local', 'react', 'p1', 'alice', 'thumbsup'], /unknown emoji/],
    ];
    for (const [args, message] of cases) {
      const r = await pairbot(...args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr).toMatch(message);
    }
  });

  it('exits 75 while another live run holds the program lock, and takes over a dead one', async () => {
    await pairbot('member', 'set', 'alice', '--frequency', '1');
    const path = join(box.dir, 'data', 'pairbot.db');
    const db = new Database(path);
    db.prepare('INSERT INTO locks (program, pid, host, acquired_at) VALUES (?, ?, ?, ?)').run(
      'default',
      process.pid,
      hostname(),
      new Date().toISOString(),
    );
    const locked = await pairbot('pair', '--date', '2026-11-23');
    expect(locked.code).toBe(75);
    expect(locked.stderr).toMatch(/another pairbot run \(pid \d+/);
    expect(db.prepare('SELECT COUNT(*) AS n FROM rounds').get()).toEqual({ n: 0 });
    db.prepare('UPDATE locks SET pid = 2147483646').run();
    db.close();
    expect((await pairbot('pair', '--date', '2026-11-23')).code).toBe(0);
    expect(existsSync(path)).toBe(true);
  });

  it.runIf(existsSync('/proc/self/stat'))(
    'takes over a lock whose pid now belongs to a process started after the lock was taken (a pid reused after a reboot)',
    async () => {
      await pairbot('member', 'set', 'alice', '--frequency', '1');
      // A killed run's lock, an hour old; its pid is reused by another program that is alive now.
      const other = spawn('sleep', ['60'], { stdio: 'ignore' });
      try {
        const db = new Database(join(box.dir, 'data', 'pairbot.db'));
        db.prepare('INSERT INTO locks (program, pid, host, acquired_at) VALUES (?, ?, ?, ?)').run(
          'default',
          other.pid,
          hostname(),
          new Date(Date.now() - 3600_000).toISOString(),
        );
        db.close();
        const r = await pairbot('pair', '--date', '2026-11-23');
        expect(r.code, r.stderr).toBe(0);
      } finally {
        other.kill();
      }
    },
  );

  it('collect-feedback on the day of pair says when that round will be asked about', async () => {
    expect((await pairbot('pair', '--date', '2026-11-23')).code).toBe(0);
    const today = await pairbot('collect-feedback', '--date', '2026-11-23');
    expect(today.code).toBe(0);
    expect(today.stdout.trim()).toBe('Round 2026-W48 was paired today; its groups are asked from tomorrow (2026-11-24).');
    expect((await json('collect-feedback', '--date', '2026-11-24')).asked).toBeGreaterThan(0);
  });

  it('a member kicked after the round is not asked whether they met, and their partner, left alone, is not asked either', async () => {
    writeRoster(['a', 'b', 'c', 'd']);
    const round = await json('pair', '--date', '2026-11-23', '--seed', '1');
    const [kicked, partner] = round.groups[0].members.map((m: { id: string }) => m.id);
    expect((await pairbot('member', 'kick', kicked, '--date', '2026-11-24')).code).toBe(0);
    const asked = await pairbot('collect-feedback', '--date', '2026-11-26');
    expect(asked.code, asked.stderr).toBe(0);
    // The pair has no meeting left to ask about (catch-up regroups the partner): only the other pair is asked.
    const asks = (await json('local', 'messages')).posts.filter((p: { text: string }) => p.text.includes('did your 1-on-1'));
    expect(asks).toHaveLength(1);
    expect(asks.filter((p: { recipients: string[] }) => p.recipients.includes(kicked) || p.recipients.includes(partner))).toEqual([]);
    expect(asks[0].text).not.toContain(`@${kicked}`);
  });

  it('member set --resume of someone kicked after leaving the channel adds them back where pairbot may, otherwise says they are back once they join it', async () => {
    await pairbot('pair', '--date', '2026-11-23', '--seed', '7');
    const rosterFile = join(box.dir, 'roster.csv');
    const roster = readFileSync(rosterFile, 'utf8');
    const paired = async () =>
      (await json('pair', '--dry-run', '--date', '2026-11-30')).groups.flatMap((g: { members: { id: string }[] }) =>
        g.members.map((m) => m.id),
      );
    const state = async (id: string) =>
      (await json('members', '--date', '2026-11-27')).members.find((m: { id: string }) => m.id === id).state;
    // mallory leaves the channel (gone from the roster file: pairbot cannot put her back), then is kicked.
    writeFileSync(rosterFile, roster.replace(/^u11,.*\n/m, ''));
    expect((await pairbot('member', 'kick', 'u11', '--date', '2026-11-27')).code).toBe(0);
    const resumed = await pairbot('member', 'set', 'u11', '--resume', '--date', '2026-11-27');
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.stderr).toContain(
      'mallory: may come back, but is not in the local channel any more and pairbot cannot add them: back in the program once they join it',
    );
    expect(await state('u11')).toBe('left');
    expect(await paired()).not.toContain('u11');
    // Back in the roster: the next round has her.
    writeFileSync(rosterFile, roster);
    expect(await paired()).toContain('u11');
    expect(await state('u11')).toBe('active');
    // dave left the local channel (pairbot may put people back there), then was kicked.
    expect((await pairbot('local', 'say', 'dave', 'leave', '--date', '2026-11-27')).code).toBe(0);
    expect((await pairbot('inbox', '--date', '2026-11-27')).code).toBe(0);
    expect((await pairbot('member', 'kick', 'dave', '--date', '2026-11-27')).code).toBe(0);
    const back = await pairbot('member', 'set', 'dave', '--resume', '--date', '2026-11-27');
    expect(back.stderr).toContain('dave: back in the program; added back to the local channel');
    expect(await state('u04')).toBe('active');
    expect(await paired()).toContain('u04');
  });

  it('usage errors from the command line carry the [pairbot] error prefix, exit 2 and the --help hint; --config is named', async () => {
    const unknown = await pairbot('pair', '--bogus');
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toBe("[pairbot] error: unknown option '--bogus'\n(run with --help for usage)\n");
    const missing = await pairbot('member', 'show');
    expect(missing.code).toBe(2);
    expect(missing.stderr).toBe("[pairbot] error: missing required argument 'who'\n(run with --help for usage)\n");
    const config = await pairbot('status', '--config', '/nope.json');
    expect(config.code).toBe(2);
    expect(config.stderr).toMatch(/^\[pairbot\] error: PAIRBOT_CONFIG: cannot read config file \/nope\.json \(from --config\): /);
  });
});
