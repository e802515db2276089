import { describe, expect, it } from 'vitest';
import { FakeMattermost } from '../fakes/mattermost.js';
import { useFakeServerSandbox } from '../helpers/sandbox.js';

/**
 * The intro says how to reach the others from the form it was actually delivered in: a
 * Mattermost group message says "Reply here"; when the server refuses the group message
 * (a member who may not be messaged) and the bot falls back to one DM each, the DMs say
 * to message the partner directly instead of pointing at a conversation they are not in.
 */
describe('the intro matches the form it was delivered in (Mattermost, built CLI)', () => {
  const box = useFakeServerSandbox(() => FakeMattermost.start());

  it('a group message says "Reply here"; its DM fallback does not', async () => {
    const people = box.fake.addUsers(4, 'person');
    box.fake.refuseDirectMessages(people[3]!.id);
    const paired = await box.pairbot('pair', '--date', '2026-11-23', '--seed', '7');
    expect(paired.code, paired.stderr).toBe(0);
    const intros = box.fake.botMessages().filter((p) => p.message.includes('You are paired'));
    const inGroup = intros.filter((p) => box.fake.membersOf(p.channel_id).length > 2);
    const direct = intros.filter((p) => box.fake.membersOf(p.channel_id).length === 2);
    // One group had a group message; the refusing member's partner got a DM instead.
    expect(inGroup).toHaveLength(1);
    expect(direct).toHaveLength(1);
    expect(inGroup[0]!.message).toContain('Reply here');
    expect(direct[0]!.message).not.toContain('Reply here');
    expect(direct[0]!.message).toMatch(/message your partner directly/);

    // member export shows each person the copy they got.
    const introOf = async (userId: string) => {
      const r = await box.pairbot('member', 'export', userId);
      expect(r.code, r.stderr).toBe(0);
      const person = JSON.parse(r.stdout) as { messages: { kind: string; body: string }[] };
      return person.messages.find((m) => m.kind === 'intro')!.body;
    };
    const alone = box.fake.membersOf(direct[0]!.channel_id).find((id) => people.some((p) => p.id === id))!;
    expect(await introOf(alone)).toBe(direct[0]!.message);
    const together = box.fake.membersOf(inGroup[0]!.channel_id).find((id) => people.some((p) => p.id === id))!;
    expect(await introOf(together)).toBe(inGroup[0]!.message);
  });
});
