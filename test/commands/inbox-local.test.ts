import { appendFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import type { InboxReport } from '../../src/commands/inbox.js';
import type { LocalPost } from '../../src/platforms/local.js';
import { useLocalSandbox } from '../helpers/sandbox.js';

/** Members and moderators write to the bot (`local say`), `inbox` answers: SPEC §7 on the local platform. */
describe('inbox on the local platform (built CLI)', () => {
  const box = useLocalSandbox();
  const say = async (who: string, text: string, ...more: string[]) => {
    const r = await box.pairbot('local', 'say', who, text, '--date', '2026-11-24', ...more);
    expect(r.code, r.stderr).toBe(0);
  };
  const inbox = async (...more: string[]): Promise<InboxReport> => box.json('inbox', '--date', '2026-11-24', ...more);
  const posts = async (): Promise<LocalPost[]> => (await box.json('local', 'messages')).posts;
  /** The bot's replies to one member (DMs and shared conversations), oldest first. */
  const repliesTo = async (userId: string) =>
    (await posts()).filter(
      (p) => p.from === undefined && p.conversation !== 'channel' && p.recipients.includes(userId) && !p.text.startsWith('👋'),
    );
  const db = () => new Database(join(box.dir, 'data', 'pairbot.db'), { readonly: true });
  const member = (userId: string) => {
    const d = db();
    try {
      return d
        .prepare('SELECT state, frequency, pause_until AS pauseUntil, timezone_override AS tz FROM members WHERE user_id = ?')
        .get(userId) as { state: string; frequency: number; pauseUntil: string | null; tz: string | null } | undefined;
    } finally {
      d.close();
    }
  };

  it('applies every member command once and replies in the conversation', async () => {
    box.env.PAIRBOT_ADMINS = 'alice';
    await say('bob', 'skip');
    await say('carol', 'hey @pairbot, pause until 2027-01-15 please');
    await say('dave', '!frequency 2');
    await say('erin', '/every 3 weeks');
    await say('frank', 'prefer @alice');
    await say('grace', 'timezone america/new_york');
    await say('heidi', 'help');
    await say('ivan', 'me');
    await say('judy', 'what is this');
    const report = await inbox();
    expect(report.program).toBe('default');
    expect(report.ignored).toBe(0);
    expect(report.handled.map((h) => [h.from, h.command, h.ok])).toEqual([
      ['u02', 'skip', true],
      ['u03', 'pause', true],
      ['u04', 'frequency', true],
      ['u05', 'frequency', true],
      ['u06', 'prefer', true],
      ['u07', 'timezone', true],
      ['u08', 'help', true],
      ['u09', 'me', true],
      ['u10', 'unknown', false],
    ]);
    expect(new Set(report.handled.map((h) => h.message)).size).toBe(9);
    expect(member('u03')!.pauseUntil).toBe('2027-01-16');
    expect(member('u04')!.frequency).toBe(2);
    expect(member('u05')!.frequency).toBe(3);
    expect(member('u07')!.tz).toBe('America/New_York');
    expect((await repliesTo('u03'))[0]!.text).toBe('Paused until Friday 15 January 2027; write `resume` to come back earlier.');
    expect((await repliesTo('u02'))[0]!.text).toContain('round 2026-W48');
    expect((await repliesTo('u10'))[0]!.text).toContain('`skip`');
    expect((await repliesTo('u08'))[0]!.text).not.toContain('kick');
    expect((await repliesTo('u09'))[0]!.text).toContain('paired every round');

    // A rerun answers nothing again; bob's skip keeps him out of the round, carol's pause too.
    expect((await inbox()).handled).toEqual([]);
    expect((await repliesTo('u02')).length).toBe(1);
    const round = await box.json('pair', '--date', '2026-11-24');
    expect(round.excluded.optedOut).toEqual(['u02']);
    expect(round.excluded.paused).toEqual(['u03']);
  });

  it('pause until D shows D, the last paused day, in members and member show (text and JSON)', async () => {
    await say('carol', 'pause until 2027-01-15');
    await inbox();
    // Stored as the first day back (SPEC §7: every round formed on or before D is skipped) …
    expect(member('u03')!.pauseUntil).toBe('2027-01-16');
    // … and shown as the day the member named, the same day the reply gave.
    const { members } = await box.json('members', '--date', '2026-11-24');
    expect(members.find((m: { id: string }) => m.id === 'u03')).toMatchObject({ paused: true, pauseUntil: '2027-01-15' });
    expect((await box.pairbot('members', '--date', '2026-11-24')).stdout).toMatch(/carol\s+u03\s+paused\s+1 round\s+2027-01-15/);
    expect(await box.json('member', 'show', 'carol', '--date', '2026-11-24')).toMatchObject({ paused: true, pauseUntil: '2027-01-15' });
    expect((await box.pairbot('member', 'show', 'carol', '--date', '2026-11-24')).stdout).toContain('paused until 2027-01-15,');
    // Paused on D itself, back the day after.
    expect(await box.json('member', 'show', 'carol', '--date', '2027-01-15')).toMatchObject({ paused: true, pauseUntil: '2027-01-15' });
    expect(await box.json('member', 'show', 'carol', '--date', '2027-01-16')).toMatchObject({ paused: false, pauseUntil: '2027-01-15' });
  });

  it('stores a time zone as IANA spells it today, not as the older name ICU knows it by', async () => {
    await say('grace', 'timezone asia/kolkata');
    await inbox();
    expect(member('u07')!.tz).toBe('Asia/Kolkata');
    expect((await repliesTo('u07')).at(-1)!.text).toContain('Asia/Kolkata');
  });

  it('answers in a shared conversation only what mentions the bot, pinging only the sender', async () => {
    await box.pairbot('pair', '--date', '2026-11-23');
    const intro = (await posts()).find((p) => p.recipients.includes('u01') && p.text.startsWith('👋'))!;
    const partner = intro.recipients.find((id) => id !== 'u01')!;
    await say('alice', 'shall we meet on Tuesday?', '--in', intro.id);
    await say(partner, 'sure, skip the small talk', '--in', intro.id);
    await say('alice', '@pairbot partner', '--in', intro.id);
    await say('bob', '@pairbot prefer @everyone', '--in', 'channel');
    const report = await inbox();
    expect(report.ignored).toBe(2);
    expect(report.handled.map((h) => [h.from, h.command])).toEqual([
      ['u01', 'partner'],
      ['u02', 'prefer'],
    ]);
    const all = await posts();
    const inGroup = all.filter(
      (p) => p.conversation === intro.conversation && p.from === undefined && p !== all.find((x) => x.id === intro.id),
    );
    expect(inGroup).toHaveLength(1);
    expect(inGroup[0]!.text).toMatch(/^@alice Round 2026-W48: you are with /);
    const inChannel = all.filter((p) => p.conversation === 'channel' && p.from === undefined);
    expect(inChannel).toHaveLength(1);
    expect(inChannel[0]!.text.startsWith('@bob ')).toBe(true);
    expect(inChannel[0]!.text.slice(5)).not.toMatch(/@(everyone|here|channel)\b|@[a-z]/);
  });

  it('keeps an avoid confidential, and lets only moderators act on someone else', async () => {
    box.env.PAIRBOT_ADMINS = 'alice,u13';
    await say('dave', 'avoid @erin');
    await say('erin', 'me');
    await say('erin', 'my data');
    await say('bob', 'kick @erin');
    await say('bob', 'pause @erin 2 weeks');
    await say('bob', 'status');
    await say('alice', 'pause @carol 2 weeks');
    await say('olivia', 'kick @mallory');
    await say('alice', 'members');
    await say('alice', 'status');
    const report = await inbox();
    expect(report.handled.map((h) => [h.from, h.command, h.ok])).toEqual([
      ['u04', 'avoid', true],
      ['u05', 'me', true],
      ['u05', 'my data', true],
      ['u02', 'kick', false],
      ['u02', 'pause', false],
      ['u02', 'status', false],
      ['u01', 'pause', true],
      ['u13', 'kick', true],
      ['u01', 'members', true],
      ['u01', 'status', true],
    ]);
    // The status counts messages that were waiting when the run began, not this run's own replies (all delivered).
    expect((await repliesTo('u01')).at(-1)!.text).toContain('Messages pending: 0.');
    for (const p of await repliesTo('u05')) expect(p.text).not.toMatch(/dave|avoid/i);
    // "my data" is one sentence on one line (Mattermost and Discord keep every line break), then the next step.
    expect((await repliesTo('u05')).at(-1)!.text).toMatch(/^What I store about you: [^\n]+ I sent you\.\nWrite `forget me` /);
    expect((await repliesTo('u04'))[0]!.text).not.toContain('erin');
    for (const p of await repliesTo('u02')) expect(p.text).toMatch(/^Only moderators can /);
    expect(member('u05')).toMatchObject({ state: 'active', pauseUntil: null });
    expect(member('u03')!.pauseUntil).toBe('2026-12-08');
    expect(member('u11')!.state).toBe('kicked');
    const members = (await repliesTo('u01')).at(-2)!.text;
    expect(members).toContain('13 members');
    expect(members).toContain('mallory (kicked)');
  });

  it('an avoid replaces a preference for the same person and a preference an avoid, never keeping both', async () => {
    const prefs = (userId: string) => {
      const d = db();
      try {
        return d.prepare('SELECT other_id AS other, kind FROM preferences WHERE user_id = ? ORDER BY other_id').all(userId);
      } finally {
        d.close();
      }
    };
    await say('bob', 'prefer @carol');
    await inbox();
    await say('bob', 'avoid @carol');
    await inbox();
    expect(prefs('u02')).toEqual([{ other: 'u03', kind: 'avoid' }]);
    expect((await repliesTo('u02')).at(-1)!.text).toMatch(/^Noted; you will never be paired with them/);
    await say('bob', 'me');
    await inbox();
    const me = (await repliesTo('u02')).at(-1)!.text;
    expect(me).toMatch(/avoid/i);
    expect(me).not.toMatch(/prefer|pair you with/i);

    // Changing one's mind back: the preference replaces one's own avoid, and the reply says so in a DM.
    await say('bob', 'prefer carol');
    await inbox();
    expect(prefs('u02')).toEqual([{ other: 'u03', kind: 'prefer' }]);
    expect((await repliesTo('u02')).at(-1)!.text).toMatch(/you no longer avoid them/);

    // In the channel a preference replacing an avoid says nothing of the avoid: others read it.
    await say('dave', 'avoid erin');
    await say('dave', '@pairbot prefer @erin', '--in', 'channel');
    await inbox();
    expect(prefs('u04')).toEqual([{ other: 'u05', kind: 'prefer' }]);
    const inChannel = (await posts()).filter((p) => p.conversation === 'channel' && p.from === undefined).at(-1)!;
    expect(inChannel.text).toMatch(/^@dave Noted: I will try to pair you with erin soon\.$/);
  });

  /** W48 is paired (seed 7), then heidi avoids her partner in it and bob, by direct message. */
  const heidiAvoidsPartnerAndBob = async () => {
    await box.pairbot('pair', '--date', '2026-11-23', '--seed', '7');
    const intro = (await posts()).find((p) => p.recipients.includes('u08') && p.text.startsWith('👋'))!;
    const partner = intro.recipients.find((id) => id !== 'u08')!;
    const partnerName = (await box.json('members')).members.find((m: { id: string }) => m.id === partner).name as string;
    await say('heidi', `avoid @${partnerName}`);
    await say('heidi', 'avoid @bob');
    await inbox();
    return { intro, partnerName };
  };

  it('me and unavoid written in a shared conversation say nothing of whom the sender avoids', async () => {
    const { intro, partnerName } = await heidiAvoidsPartnerAndBob();
    // In the group's conversation the partner reads the reply.
    await say('heidi', '@pairbot me', '--in', intro.id);
    await say('heidi', `@pairbot unavoid @${partnerName}`, '--in', intro.id);
    await say('frank', '@pairbot unavoid @bob', '--in', 'channel');
    await inbox();
    const shared = (await posts()).filter(
      (p) => p.from === undefined && p.conversation !== 'channel' && p.conversation === intro.conversation,
    );
    const [me, unavoid] = shared.slice(-2).map((p) => p.text);
    expect(me).toMatch(/^@heidi You are in the program/);
    expect(me).not.toContain(partnerName);
    expect(me).not.toContain('bob');
    expect(me).toContain('direct message');
    // Lifting an avoid and lifting none read the same where others read them.
    const frank = (await posts()).filter((p) => p.from === undefined && p.conversation === 'channel').at(-1)!.text;
    expect(unavoid!.replace('@heidi ', '')).toBe(frank.replace('@frank ', ''));
    expect(unavoid).toContain('direct message');
    // The unavoid was applied; in a direct message `me` lists the avoid left.
    await say('heidi', 'me');
    await inbox();
    expect((await repliesTo('u08')).at(-1)!.text).toMatch(/^You avoid \(private\): bob\.$/m);
  });

  it('resume, unavoid, leave and join, history, and forget me after a confirmation', async () => {
    await say('bob', 'pause 2 weeks');
    await say('bob', 'skip');
    await say('bob', 'avoid carol');
    await say('bob', 'unavoid @carol');
    await say('bob', 'resume');
    await say('carol', 'leave');
    await say('carol', 'skip');
    await say('dave', 'forget me');
    await inbox();
    expect(member('u02')!.pauseUntil).toBeNull();
    expect(member('u03')!.state).toBe('left');
    expect(member('u04')).toBeDefined();
    const round = await box.json('pair', '--date', '2026-11-24');
    expect(round.excluded.optedOut).toEqual([]);
    expect(round.groups.flatMap((g: { members: { id: string }[] }) => g.members.map((m) => m.id))).not.toContain('u03');
    expect(round.groups.flatMap((g: { members: { id: string }[] }) => g.members.map((m) => m.id))).toContain('u02');
    expect((await repliesTo('u03')).at(-1)!.text).toMatch(/write `join`/i);

    await say('carol', 'join');
    await say('bob', 'history');
    await say('dave', 'forget me confirm');
    const report = await inbox();
    expect(report.handled.map((h) => [h.command, h.ok])).toEqual([
      ['join', true],
      ['history', true],
      ['forget me', true],
    ]);
    expect(member('u03')!.state).toBe('active');
    expect(member('u04')).toBeUndefined();
    expect((await repliesTo('u02')).at(-1)!.text).toMatch(/^Your last partner:\n• 2026-11-24: /);
    expect((await repliesTo('u04')).at(-1)!.text).toMatch(/^Done: everything I stored about you is deleted/);

    // dave's partners still see their meeting, with no blank where dave's name was.
    type Member = { id: string; name: string };
    const davesGroup = (round.groups as { members: Member[] }[]).find((g) => g.members.some((m) => m.id === 'u04'))!;
    const [asker, ...rest] = davesGroup.members.filter((m) => m.id !== 'u04');
    await say(asker!.name, 'history');
    await say(asker!.name, 'partner');
    await inbox();
    const [history, partner] = (await repliesTo(asker!.id)).slice(-2).map((p) => p.text);
    const others = rest.length ? rest.map((m) => m.name).join(', ') : 'someone whose data was deleted';
    expect(history).toBe(`Your last partner:\n• 2026-11-24: ${others}`);
    expect(partner).toBe(
      rest.length
        ? `Round 2026-W48: you are with ${others}.`
        : 'Round 2026-W48: your partner is no longer in the program; I will group you with someone else when I can.',
    );
  });

  it('partner names the group a member is in now, as member show does, after catch-up moved them', async () => {
    box.writeRoster(['a', 'b', 'c', 'd', 'e', 'f']);
    const round = await box.json('pair', '--date', '2026-11-23', '--seed', '1');
    const [gone, moved] = (round.groups[0].members as { id: string }[]).map((m) => m.id);
    expect((await box.pairbot('member', 'kick', gone!, '--date', '2026-11-24')).code).toBe(0);
    const caught = await box.json('pair', '--catch-up', '--date', '2026-11-24', '--seed', '1');
    expect(caught.joined.map((j: { id: string }) => j.id)).toEqual([moved]);
    const others = (caught.joined[0].group as { id: string }[]).map((m) => m.id).filter((id) => id !== moved);
    await say(moved!, 'partner');
    await inbox();
    expect((await repliesTo(moved!)).at(-1)!.text).toBe(`Round 2026-W48: you are with ${others.join(', ')}.`);
    const shown = await box.json('member', 'show', moved!, '--date', '2026-11-24');
    expect(shown.currentGroup.with.map((m: { id: string }) => m.id)).toEqual(others);
  });

  it('resume and join name the round the member is really in: not the next one when their frequency or a pause leaves them out', async () => {
    await box.pairbot('pair', '--date', '2026-11-23', '--seed', '7');
    await say('bob', 'frequency 2');
    await say('bob', 'resume');
    await say('carol', 'frequency 3');
    await say('carol', 'skip');
    await say('carol', 'resume');
    await say('dave', 'pause 3 weeks');
    await say('dave', 'leave');
    await say('erin', 'resume');
    await inbox();
    await box.pairbot('local', 'say', 'dave', 'join', '--date', '2026-11-25');
    await inbox('--date', '2026-11-25');
    expect((await repliesTo('u02')).at(-1)!.text).toBe('You were not paused: you are in round 2026-W50, as you meet every 2 weeks.');
    expect((await repliesTo('u03')).at(-1)!.text).toBe('Welcome back: you are in round 2026-W51, as you meet every 3 weeks.');
    expect((await repliesTo('u04')).at(-1)!.text).toBe(
      'Welcome! You are in the program; you are paused until Monday 14 December (write `resume` to come back earlier).',
    );
    expect((await repliesTo('u05')).at(-1)!.text).toBe('You were not paused; you are in the next round.');
    // What they were told happens.
    const w49 = await box.json('pair', '--date', '2026-11-30', '--seed', '7');
    expect(w49.excluded.notDue).toEqual(['u02', 'u03']);
    expect(w49.excluded.paused).toEqual(['u04']);
    const w50 = await box.json('pair', '--date', '2026-12-07', '--seed', '7');
    expect(w50.excluded.notDue).toEqual(['u03']);
    const w51 = await box.json('pair', '--date', '2026-12-14', '--seed', '7');
    expect(w51.excluded).toEqual({ optedOut: [], paused: ['u04'], notDue: ['u02'] });
  });

  it('a skip written before a round but read after it was paired is for the next round, as the reply says', async () => {
    await box.pairbot('pair', '--date', '2026-11-16', '--seed', '7');
    await inbox('--date', '2026-11-21');
    await box.pairbot('local', 'say', 'bob', 'skip', '--date', '2026-11-22');
    await box.pairbot('local', 'say', 'carol', 'resume', '--date', '2026-11-22');
    await box.pairbot('local', 'say', 'dave', 'pause 1 week', '--date', '2026-11-22');
    await box.pairbot('pair', '--date', '2026-11-23', '--seed', '7');
    await inbox('--date', '2026-11-23');
    // They are told that the round paired meanwhile has them, and what to do about it.
    const meanwhile = ' Round 2026-W48 was paired before I read your message, and you are in it: tell your partner if you cannot make it.';
    expect((await repliesTo('u02')).at(-1)!.text).toMatch(/^Done: you sit out round 2026-W49 \(from Monday 30 November\)/);
    expect((await repliesTo('u02')).at(-1)!.text.endsWith(meanwhile)).toBe(true);
    expect((await repliesTo('u04')).at(-1)!.text).toBe(
      `Paused until Saturday 28 November; write \`resume\` to come back earlier.${meanwhile}`,
    );
    expect((await repliesTo('u03')).at(-1)!.text).toBe('You were not paused; you are in the next round.');
    // A pause from mid-round on leaves the group of that round as it is, and says so (erin is in a group of three).
    await say('erin', 'pause 2 weeks');
    await inbox();
    expect((await repliesTo('u05')).at(-1)!.text).toBe(
      'Paused until Monday 7 December; write `resume` to come back earlier. You are still in your group of round 2026-W48: tell your partners if you cannot make it.',
    );
    const w49 = await box.json('pair', '--date', '2026-11-30', '--seed', '7');
    expect(w49.excluded.optedOut).toEqual(['u02']);
  });

  it("a skip written in a week that had no round, read after the next week's round was paired, is for the week after", async () => {
    await box.pairbot('local', 'say', 'bob', 'skip', '--date', '2026-11-22');
    await box.pairbot('pair', '--date', '2026-11-23', '--seed', '7');
    await inbox('--date', '2026-11-23');
    expect((await repliesTo('u02')).at(-1)!.text).toBe(
      'Done: you sit out round 2026-W49 (from Monday 30 November). Changed your mind? Write `resume` before it is paired. Round 2026-W48 was paired before I read your message, and you are in it: tell your partner if you cannot make it.',
    );
    expect((await box.json('pair', '--date', '2026-11-30', '--seed', '7')).excluded.optedOut).toEqual(['u02']);
  });

  it("a skip after the next round's announcement, in a week never paired, is for the announced round: reply, me, resume and pair agree", async () => {
    // Before the program's first round: Saturday of W47 announces W48 (SPEC §5b), so W47 is over.
    expect((await box.pairbot('optout', '--date', '2026-11-21')).code).toBe(0);
    await say('bob', 'skip', '--date', '2026-11-21');
    await say('bob', 'me', '--date', '2026-11-21');
    await say('carol', 'skip', '--date', '2026-11-21');
    await say('carol', 'resume', '--date', '2026-11-21');
    const announcement = (await posts()).filter((p) => p.conversation === 'channel' && p.from === undefined).at(-1)!;
    expect((await box.pairbot('local', 'react', announcement.id, 'dave', '❌')).code).toBe(0);
    await say('dave', 'resume', '--date', '2026-11-21');
    await inbox('--date', '2026-11-21');
    const [skip, me] = (await repliesTo('u02')).map((p) => p.text);
    expect(skip).toMatch(/^Done: you sit out round 2026-W48 \(from Monday 23 November\)/);
    expect(me).toContain('Sitting out round 2026-W48.');
    expect((await repliesTo('u03')).at(-1)!.text).toBe('Welcome back: you are in the next round again.');
    expect((await repliesTo('u04')).at(-1)!.text).toBe(
      'You were not paused: you are in round 2026-W49. You reacted ❌ on the announcement of round 2026-W48: take the reaction back to be in that round too.',
    );
    const w48 = await box.json('pair', '--date', '2026-11-23', '--seed', '7');
    expect(w48.excluded.optedOut).toEqual(['u02', 'u04']);
    const paired = w48.groups.flatMap((g: { members: { id: string }[] }) => g.members.map((m) => m.id));
    expect(paired).toContain('u03');
  });

  it('resume and me count an ❌ on the announcement, which resume cannot take back: the reply says how', async () => {
    await box.pairbot('pair', '--date', '2026-11-23', '--seed', '7');
    await box.pairbot('optout', '--date', '2026-11-28');
    const announcement = (await posts()).filter((p) => p.conversation === 'channel' && p.from === undefined).at(-1)!;
    expect((await box.pairbot('local', 'react', announcement.id, 'bob', '❌')).code).toBe(0);
    await say('bob', 'resume', '--date', '2026-11-28');
    await say('bob', 'me', '--date', '2026-11-28');
    await inbox('--date', '2026-11-28');
    const [resume, me] = (await repliesTo('u02')).slice(-2).map((p) => p.text);
    expect(resume).toBe(
      'You were not paused: you are in round 2026-W50. You reacted ❌ on the announcement of round 2026-W49: take the reaction back to be in that round too.',
    );
    expect(me).toContain('Sitting out round 2026-W49.');
    expect((await box.json('pair', '--date', '2026-11-30', '--seed', '7')).excluded.optedOut).toEqual(['u02']);
  });

  it("an avoid of someone in the member's group this round says, in a direct message, that the group stands", async () => {
    await heidiAvoidsPartnerAndBob();
    const [grouped, other] = (await repliesTo('u08')).slice(-2).map((p) => p.text);
    expect(grouped).toBe(
      'Noted; from the next round on you will never be paired with them; your group of round 2026-W48 stays as it is. This stays private: they are not told.',
    );
    expect(other).toBe('Noted; you will never be paired with them. This stays private: they are not told.');
  });

  it('partner does not name a partner who left the program since the round, before catch-up regroups them', async () => {
    box.env.PAIRBOT_ADMINS = 'alice';
    const round = await box.json('pair', '--date', '2026-11-23', '--seed', '7');
    const pair = (round.groups as { members: { id: string; name: string }[] }[]).find((g) => g.members.length === 2)!.members;
    const [stays, goes] = pair as [{ id: string; name: string }, { id: string; name: string }];
    await say('alice', `kick @${goes.name}`);
    await say(stays.name, 'partner');
    await inbox();
    expect((await repliesTo(stays.id)).at(-1)!.text).toBe(
      'Round 2026-W48: your partner is no longer in the program; I will group you with someone else when I can.',
    );
  });

  it('prefer of someone out of the program promises no meeting soon', async () => {
    await say('ivan', 'leave');
    await inbox();
    await say('bob', 'prefer @ivan');
    await say('bob', 'prefer @carol');
    await inbox();
    const [out, active] = (await repliesTo('u02')).slice(-2).map((p) => p.text);
    expect(out).toBe('Noted: ivan is not in the program at the moment; I will try to pair you with them if they come back.');
    expect(active).toBe('Noted: I will try to pair you with carol soon.');
  });

  it('a kicked member is told to ask a moderator, never to write `join`, which would refuse them', async () => {
    box.env.PAIRBOT_ADMINS = 'alice';
    await say('alice', 'kick @mallory');
    await say('ivan', 'leave');
    await inbox();
    for (const text of ['skip', 'resume', 'leave', 'me', 'join']) await say('mallory', text);
    await say('ivan', 'me');
    await inbox();
    const replies = (await repliesTo('u11')).map((p) => p.text);
    expect(replies).toHaveLength(5);
    for (const text of replies) {
      expect(text).not.toContain('`join`');
      expect(text).toMatch(/ask a moderator/);
    }
    expect(replies[3]).toMatch(/^You are out of the program: a moderator took you out; ask a moderator to let you back in\.\n/);
    expect((await repliesTo('u09')).at(-1)!.text).toMatch(/^You are out of the program: write `join` to come back\.\n/);
  });

  it("a moderator's resume of someone neither paused nor out says that nothing changed", async () => {
    box.env.PAIRBOT_ADMINS = 'alice';
    await say('alice', 'resume @mallory');
    await say('alice', 'pause @bob 2 weeks');
    await inbox();
    await say('alice', 'resume @bob');
    const report = await inbox();
    expect(report.handled.map((h) => [h.command, h.ok])).toEqual([['resume', true]]);
    const [first, , last] = (await repliesTo('u01')).map((p) => p.text);
    expect(first).toBe('mallory was not paused or out of the program; nothing changed.');
    expect(last).toBe('Done: bob is back in the rotation.');
    expect(member('u02')!.pauseUntil).toBeNull();
  });

  it('prefer, avoid and unavoid take one name per message: several names change nothing and the reply says so', async () => {
    await say('ivan', 'prefer @judy @heidi');
    await say('ivan', '@pairbot avoid @judy and @heidi', '--in', 'channel');
    const report = await inbox();
    expect(report.handled.map((h) => [h.command, h.ok])).toEqual([
      ['prefer', false],
      ['avoid', false],
    ]);
    const d = db();
    try {
      expect(d.prepare("SELECT count(*) AS n FROM preferences WHERE user_id = 'u09'").get()).toEqual({ n: 0 });
    } finally {
      d.close();
    }
    const [dm] = (await repliesTo('u09')).map((p) => p.text);
    const inChannel = (await posts()).filter((p) => p.conversation === 'channel' && p.from === undefined).at(-1)!.text;
    expect(dm).toMatch(/one name per message/);
    // The channel reply names nobody: an avoid is never revealed.
    expect(inChannel).toMatch(/^@ivan I did not get that `avoid`: one name per message/);
    expect(inChannel).not.toMatch(/judy|heidi/);
  });

  it('a member cannot prefer or avoid themselves, and is told nothing changed', async () => {
    await say('bob', 'prefer @bob');
    await say('bob', 'avoid @bob');
    const report = await inbox();
    expect(report.handled.map((h) => [h.command, h.ok])).toEqual([
      ['prefer', false],
      ['avoid', false],
    ]);
    expect((await repliesTo('u02')).map((p) => p.text)).toEqual([
      'You cannot prefer yourself; nothing changed.',
      'You cannot avoid yourself; nothing changed.',
    ]);
  });

  it('a moderator cannot kick themselves', async () => {
    box.env.PAIRBOT_ADMINS = 'alice';
    await say('alice', 'kick @alice');
    const report = await inbox();
    expect(report.handled.map((h) => [h.command, h.ok])).toEqual([['kick', false]]);
    expect((await repliesTo('u01'))[0]!.text).toMatch(/^You cannot kick yourself; nothing changed\. Write `leave`/);
    expect(member('u01')!.state).toBe('active');
  });

  it("the moderator's status counts members as `pairbot status` does", async () => {
    box.env.PAIRBOT_ADMINS = 'alice';
    await say('alice', 'pause @bob 2 weeks');
    await say('alice', 'kick @carol');
    await inbox();
    await say('alice', 'status');
    await inbox();
    const cli = await box.pairbot('status', '--date', '2026-11-24');
    expect(cli.stdout).toContain('members:    11 active, 1 paused, 0 left, 0 removed, 1 kicked');
    expect((await repliesTo('u01')).at(-1)!.text).toMatch(/^Program default: 11 active, 1 paused, 1 out\.\n/);
  });

  it('--dry-run stores and sends nothing; the first run answers only the last 24 hours', async () => {
    const old = await box.pairbot('local', 'say', 'bob', 'skip', '--date', '2026-11-20');
    expect(old.code).toBe(0);
    await say('carol', 'frequency 2');
    const dry = await inbox('--dry-run');
    expect(dry.handled.map((h) => h.command)).toEqual(['frequency']);
    expect((await posts()).filter((p) => p.from === undefined)).toEqual([]);
    const real = await inbox();
    expect(real.handled.map((h) => [h.from, h.command])).toEqual([['u03', 'frequency']]);
    expect(real.ignored).toBe(1);
    expect(await repliesTo('u02')).toEqual([]);
  });
  it('a thank-you or an ok gets a one-line acknowledgement, not the whole help; anything else still gets the help', async () => {
    for (const text of ['thanks!', 'Thank you', 'ty', 'OK', '👍', 'thanks a lot @pairbot 🙏', 'Thanks.']) await say('bob', text);
    await say('bob', 'what is this');
    await say('carol', '@pairbot thank you!', '--in', 'channel');
    const report = await inbox();
    expect(report.handled.map((h) => [h.from, h.command, h.ok])).toEqual([
      ...Array.from({ length: 7 }, () => ['u02', 'thanks', true]),
      ['u02', 'unknown', false],
      ['u03', 'thanks', true],
    ]);
    const replies = (await repliesTo('u02')).map((p) => p.text);
    const welcome = "You're welcome! Write `help` to see what I can do.";
    const ack = '👍 Write `help` to see what I can do.';
    expect(replies.slice(0, 7)).toEqual([welcome, welcome, welcome, ack, ack, welcome, welcome]);
    expect(replies[7]).toContain('`skip`');
    const inChannel = (await posts()).filter((p) => p.conversation === 'channel' && p.from === undefined).at(-1)!;
    expect(inChannel.text).toBe("@carol You're welcome! Write `help` to see what I can do.");
  });

  /** alice leaves, W48 is paired without her (12 members: six pairs), then she writes `join`: the reply. */
  const aliceJoinsAfterTheRound = async (): Promise<string> => {
    await say('alice', 'leave');
    await inbox();
    await box.pairbot('pair', '--date', '2026-11-23', '--seed', '7');
    await say('alice', 'join');
    await inbox();
    return (await repliesTo('u01')).at(-1)!.text;
  };

  it('a join after the round was paired says catch-up may still pair them this week when it can, as it then does', async () => {
    expect(await aliceJoinsAfterTheRound()).toBe(
      "Welcome! You are in the program. This week's round was paired already: I may still pair you with someone this week, otherwise you are in the next round.",
    );
    const caught = await box.json('pair', '--catch-up', '--date', '2026-11-24', '--seed', '7');
    expect(caught.joined.map((j: { id: string }) => j.id)).toEqual(['u01']);
  });

  it('a join after the round was paired promises nothing this week when catch-up would not pair them (sit-out, nobody waiting)', async () => {
    box.env.PAIRBOT_ODD = 'sit-out';
    // Six pairs: nobody else waits, and no pair grows into a trio.
    expect(await aliceJoinsAfterTheRound()).toBe(
      "Welcome! You are in the program. This week's round was paired already, so you are in the next round.",
    );
    const caught = await box.json('pair', '--catch-up', '--date', '2026-11-24', '--seed', '7');
    expect([...caught.joined, ...caught.groups]).toEqual([]);
    expect(caught.unpaired).toEqual(['u01']);

    // With someone who sat out the round waiting, catch-up pairs the two: the reply says it may.
    await say('bob', 'leave');
    await say('carol', 'leave');
    await inbox();
    const satOut = (await box.json('pair', '--date', '2026-11-30', '--seed', '7')).unpaired as string[];
    expect(satOut).toHaveLength(1);
    await box.pairbot('local', 'say', 'bob', 'join', '--date', '2026-12-01');
    await inbox('--date', '2026-12-01');
    expect((await repliesTo('u02')).at(-1)!.text).toContain('I may still pair you with someone this week');
    const w49 = await box.json('pair', '--catch-up', '--date', '2026-12-01', '--seed', '7');
    expect(w49.groups.map((g: { members: { id: string }[] }) => g.members.map((m) => m.id).sort())).toEqual([['u02', satOut[0]].sort()]);
  });

  it("a moderator's pause of someone in a group of this round says that group stands", async () => {
    box.env.PAIRBOT_ADMINS = 'alice';
    await say('bob', 'leave');
    await inbox();
    await box.pairbot('pair', '--date', '2026-11-23', '--seed', '7');
    await say('alice', 'pause @carol 2 weeks');
    await say('alice', 'pause @bob 2 weeks');
    await inbox();
    const [carol, bob] = (await repliesTo('u01')).slice(-2).map((p) => p.text);
    expect(carol).toBe(
      'Done: carol is paused until Monday 7 December. Their group of round 2026-W48 stands: the pause applies to the rounds after it.',
    );
    // bob left by himself: nothing to pause (a review found him "paused" while out).
    expect(bob).toBe('bob is not in the program (they left by themselves); nothing changed. They can come back by writing `join`.');
    expect(carol).not.toMatch(/avoid/i);
  });

  it("a moderator's pause says a group stands only while it has a partner, and when the pause ends before the next round", async () => {
    box.env.PAIRBOT_ADMINS = 'alice';
    await box.pairbot('pair', '--date', '2026-11-23', '--seed', '7');
    const partnerOf = async (userId: string): Promise<string> =>
      (await posts()).find((p) => p.recipients.includes(userId) && p.text.startsWith('👋'))!.recipients.find((id) => id !== userId)!;
    const names = new Map<string, string>(
      (await box.json('members')).members.map((m: { id: string; name: string }) => [m.id, m.name] as [string, string]),
    );
    // dave's only partner left the program: dave has no group this week to stand.
    const davesPartner = await partnerOf('u04');
    expect(davesPartner).not.toBe('u01');
    await say(names.get(davesPartner)!, 'leave');
    await inbox();
    await say('alice', 'pause @dave 2 weeks');
    // A pause over before next week's round changes nothing of it.
    const other = ['u05', 'u06'].find((id) => id !== davesPartner)!;
    await say('alice', `pause @${names.get(other)} 2 days`);
    await inbox();
    const [dave, short] = (await repliesTo('u01')).slice(-2).map((p) => p.text);
    expect(dave).toBe('Done: dave is paused until Monday 7 December.');
    expect(short).toBe(
      `Done: ${names.get(other)} is paused until Wednesday 25 November. Their group of round 2026-W48 stands, and the pause ends before round 2026-W49.`,
    );
  });

  it('a member who left and joins again in the same week is told that their group of this week stands', async () => {
    await box.pairbot('pair', '--date', '2026-11-23', '--seed', '7');
    await say('heidi', 'leave');
    await inbox();
    await say('heidi', 'join');
    await inbox();
    expect((await repliesTo('u08')).at(-1)!.text).toBe(
      'Welcome back! You are in the program, and your group of round 2026-W48 stands: tell your partner if you cannot make it.',
    );
    // Catch-up leaves that group as it is.
    const caught = await box.json('pair', '--catch-up', '--date', '2026-11-24', '--seed', '7');
    expect([...caught.joined, ...caught.groups]).toEqual([]);
  });

  it('a name two members share but for its case is ambiguous unless written exactly, and the reply pings nobody', async () => {
    box.env.PAIRBOT_ADMINS = 'alice';
    appendFileSync(join(box.dir, 'roster.csv'), 'u14,Bob,Europe/Berlin,design\n');
    await say('carol', 'prefer @Bob');
    await say('dave', 'prefer @bob');
    await say('erin', 'prefer @BOB');
    await say('frank', 'avoid BOB');
    await say('alice', 'pause @BOB 1 week');
    await say('grace', '@pairbot prefer @BOB', '--in', 'channel');
    const report = await inbox();
    expect(report.handled.map((h) => [h.from, h.command, h.ok])).toEqual([
      ['u03', 'prefer', true],
      ['u04', 'prefer', true],
      ['u05', 'prefer', false],
      ['u06', 'avoid', false],
      ['u01', 'pause', false],
      ['u07', 'prefer', false],
    ]);
    const d = db();
    try {
      expect(d.prepare('SELECT user_id AS who, other_id AS other FROM preferences ORDER BY user_id').all()).toEqual([
        { who: 'u03', other: 'u14' },
        { who: 'u04', other: 'u02' },
      ]);
    } finally {
      d.close();
    }
    expect(member('u02')!.pauseUntil).toBeNull();
    expect(member('u14')!.pauseUntil).toBeNull();
    const ambiguous =
      'More than one member is called `BOB`: write the name exactly as it is spelled, upper and lower case included, e.g. `@alice`; nothing changed.';
    for (const who of ['u05', 'u06', 'u01']) expect((await repliesTo(who)).at(-1)!.text.replace(/\u200b/g, '')).toBe(ambiguous);
    const inChannel = (await posts()).filter((p) => p.conversation === 'channel' && p.from === undefined).at(-1)!.text;
    expect(inChannel.startsWith('@grace ')).toBe(true);
    expect(inChannel.slice(7)).not.toMatch(/@[A-Za-z]/);
    expect(inChannel).not.toMatch(/u02|u14/);
  });
});
