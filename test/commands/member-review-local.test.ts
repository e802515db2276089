import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import type { LocalPost } from '../../src/platforms/local.js';
import { useLocalSandbox } from '../helpers/sandbox.js';

/** What a member-side review found on the local platform: the inbox, members and member show, the feedback ask. */
describe('members and moderators out of the program, pauses and asks (built CLI)', () => {
  const box = useLocalSandbox();
  const say = async (who: string, text: string, date: string) => {
    const r = await box.pairbot('local', 'say', who, text, '--date', date);
    expect(r.code, r.stderr).toBe(0);
  };
  /** Runs inbox on `date`; what it answered, as [sender, command, ok]. */
  const inbox = async (date: string): Promise<[string, string, boolean][]> =>
    (await box.json('inbox', '--date', date)).handled.map((h: { from: string; command: string; ok: boolean }) => [h.from, h.command, h.ok]);
  const posts = async (): Promise<LocalPost[]> => (await box.json('local', 'messages')).posts;
  /** The bot's last reply to a member in their direct conversation. */
  const lastReply = async (userId: string) =>
    (await posts()).filter((p) => p.from === undefined && p.conversation === `dm:${userId}`).at(-1)?.text ?? '';
  const stored = (userId: string) => {
    const d = new Database(join(box.dir, 'data', 'pairbot.db'), { readonly: true });
    try {
      return d.prepare('SELECT state, frequency, pause_until AS pauseUntil FROM members WHERE user_id = ?').get(userId) as {
        state: string;
        frequency: number;
        pauseUntil: string | null;
      };
    } finally {
      d.close();
    }
  };

  it("a moderator's pause or frequency of someone out of the program changes nothing and says why", async () => {
    box.env.PAIRBOT_ADMINS = 'alice';
    await box.pairbot('pair', '--date', '2026-11-23', '--seed', '7');
    await say('alice', 'kick @bob', '2026-11-24');
    await say('mallory', 'leave', '2026-11-24');
    await inbox('2026-11-24');
    await say('alice', 'pause @bob 2 weeks', '2026-11-24');
    await say('alice', 'frequency @bob 2', '2026-11-24');
    await say('alice', 'pause @mallory 2 weeks', '2026-11-24');
    expect(await inbox('2026-11-24')).toEqual([
      ['u01', 'pause', false],
      ['u01', 'frequency', false],
      ['u01', 'pause', false],
    ]);
    const replies = (await posts()).filter((p) => p.from === undefined && p.conversation === 'dm:u01').map((p) => p.text);
    expect(replies.at(-3)).toMatch(
      /^bob is not in the program \(a moderator took them out\); nothing changed\. `resume @\S*bob` lets them back in\.$/,
    );
    expect(replies.at(-2)).toBe(replies.at(-3));
    expect(await lastReply('u01')).toMatch(/^mallory is not in the program \(they left by themselves\); nothing changed\./);
    expect(stored('u02')).toEqual({ state: 'kicked', frequency: 1, pauseUntil: null });
    expect(stored('u11')).toEqual({ state: 'left', frequency: 1, pauseUntil: null });
  });

  it("member show's headline says kicked, left or removed before any pause", async () => {
    box.env.PAIRBOT_ADMINS = 'alice';
    await say('alice', 'pause @bob 2 weeks', '2026-11-24');
    await say('alice', 'kick @bob', '2026-11-24');
    await inbox('2026-11-24');
    const show = await box.pairbot('member', 'show', 'bob', '--date', '2026-11-25');
    expect(show.stdout.split('\n')[0]).toMatch(/^bob \(u02\) — kicked, /);
    expect(await box.json('member', 'show', 'bob', '--date', '2026-11-25')).toMatchObject({ state: 'kicked', paused: false });
  });

  it('members shows a pause only while it lasts, as member show does (text and JSON)', async () => {
    await say('carol', 'pause 3 days', '2026-11-27');
    await inbox('2026-11-27');
    expect((await box.pairbot('members', '--date', '2026-11-28')).stdout).toMatch(/carol\s+u03\s+paused\s+1 round\s+2026-11-29/);
    const after = (await box.pairbot('members', '--date', '2026-12-08')).stdout;
    expect(after).toMatch(/carol\s+u03\s+active\s+1 round\s+-/);
    expect(after).not.toContain('2026-11-29');
    const json = (await box.json('members', '--date', '2026-12-08')).members.find((m: { id: string }) => m.id === 'u03');
    const show = await box.json('member', 'show', 'carol', '--date', '2026-12-08');
    expect(json).toMatchObject({ state: 'active', paused: false });
    expect({ paused: json.paused, pauseUntil: json.pauseUntil }).toEqual({ paused: show.paused, pauseUntil: show.pauseUntil });
  });

  it('pause until a day more than a year away is refused as a pause of more than a year is', async () => {
    box.env.PAIRBOT_ADMINS = 'alice';
    await say('carol', 'pause 100 weeks', '2026-11-27');
    await say('dave', 'pause until 2028-01-01', '2026-11-27');
    await say('alice', 'pause @erin until 2028-01-01', '2026-11-27');
    await say('frank', 'pause until 2027-11-28', '2026-11-27');
    expect(await inbox('2026-11-27')).toEqual([
      ['u03', 'pause', false],
      ['u04', 'pause', false],
      ['u01', 'pause', false],
      ['u06', 'pause', true],
    ]);
    const refusal = await lastReply('u03');
    expect(refusal).toContain('a pause can last at most a year');
    expect(await lastReply('u04')).toBe(refusal);
    expect(await lastReply('u01')).toBe(refusal);
    expect(stored('u04').pauseUntil).toBeNull();
    expect(stored('u05').pauseUntil).toBeNull();
    // 366 days after the message day is still a year.
    expect(stored('u06').pauseUntil).toBe('2027-11-29');
  });

  it('the feedback ask neither names nor asks someone who left, and a pair whose other member left is not asked', async () => {
    await box.pairbot('pair', '--date', '2026-11-23', '--seed', '7');
    const intros = (await posts()).filter((p) => p.text.startsWith('👋'));
    const groupOf = (userId: string) => intros.find((p) => p.recipients.includes(userId))!.recipients;
    // Seed 7: bob with mallory, and a group of three with niaj.
    expect(groupOf('u02')).toEqual(expect.arrayContaining(['u02', 'u11']));
    const trio = groupOf('u12');
    expect(trio).toHaveLength(3);
    await say('mallory', 'leave', '2026-11-24');
    await say('niaj', 'leave', '2026-11-24');
    await inbox('2026-11-24');
    const feedback = await box.json('collect-feedback', '--date', '2026-11-26');
    expect(feedback.asked).toBe(intros.length - 1);
    const asks = (await posts()).filter((p) => p.text.startsWith('📝'));
    expect(asks).toHaveLength(intros.length - 1);
    for (const ask of asks) expect(ask.text).not.toMatch(/mallory|niaj/);
    expect(asks.some((a) => a.recipients.includes('u02') || a.recipients.includes('u11'))).toBe(false);
    const trioAsk = asks.find((a) => a.recipients.includes(trio.find((id) => id !== 'u12')!))!;
    expect(trioAsk.recipients.sort()).toEqual(trio.filter((id) => id !== 'u12').sort());
    expect(trioAsk.text).toContain('1-on-1');
  });

  it('a member of a group of three is told of their partners, not a partner, and history counts the groups', async () => {
    await box.pairbot('pair', '--date', '2026-11-23', '--seed', '7');
    const trio = (await posts()).find((p) => p.text.startsWith('👋') && p.recipients.includes('u12'))!.recipients;
    expect(trio).toHaveLength(3);
    await say('niaj', 'pause 2 weeks', '2026-11-24');
    await say('niaj', 'history', '2026-11-24');
    await inbox('2026-11-24');
    const replies = (await posts()).filter((p) => p.from === undefined && p.conversation === 'dm:u12').map((p) => p.text);
    expect(replies.at(-2)).toContain('You are still in your group of round 2026-W48: tell your partners if you cannot make it.');
    expect(replies.at(-1)).toMatch(/^Your last group:\n• 2026-11-23: \S+, \S+$/);
    await say('niaj', 'resume', '2026-11-24');
    await say('niaj', 'leave', '2026-11-24');
    await inbox('2026-11-24');
    await say('niaj', 'join', '2026-11-25');
    await inbox('2026-11-25');
    expect(await lastReply('u12')).toBe(
      'Welcome back! You are in the program, and your group of round 2026-W48 stands: tell your partners if you cannot make it.',
    );
  });

  it("a moderator's resume of someone kicked after they left the channel adds them back to it, so the next round has them", async () => {
    box.env.PAIRBOT_ADMINS = 'alice';
    await box.pairbot('pair', '--date', '2026-11-23', '--seed', '7');
    await say('mallory', 'leave', '2026-11-24');
    await inbox('2026-11-24');
    await say('alice', 'kick @mallory', '2026-11-27');
    await inbox('2026-11-27');
    await say('alice', 'resume @mallory', '2026-11-27');
    expect(await inbox('2026-11-27')).toEqual([['u01', 'resume', true]]);
    expect(await lastReply('u01')).toBe('Done: mallory is back in the rotation; I added them back to the local channel.');
    const next = await box.json('pair', '--dry-run', '--date', '2026-11-30');
    const paired = next.groups.flatMap((g: { members: { id: string }[] }) => g.members.map((m) => m.id));
    expect(paired).toContain('u11');
    expect(stored('u11').state).toBe('active');
  });
});
