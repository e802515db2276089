import { describe, expect, it } from 'vitest';
import { dueConversations, type DirectConversation } from '../../src/core/inbox-scan.js';

const now = new Date('2026-12-02T12:00:00Z');
const ago = (minutes: number) => new Date(now.getTime() - minutes * 60_000).toISOString();
const days = (n: number) => ago(n * 24 * 60);

describe('dueConversations (which DMs an inbox run reads)', () => {
  it('reads every DM where the bot answered a member in the last 14 days or delivered in the last 2 hours, and a share of the rest, longest unread first', () => {
    const recent: DirectConversation[] = [
      { id: 'r1', deliveredAt: days(1), repliedAt: days(1), checkedAt: ago(5) },
      { id: 'r2', deliveredAt: days(13.9), repliedAt: days(13.9), checkedAt: ago(5) },
      { id: 'r3', deliveredAt: ago(119), checkedAt: ago(5) },
    ];
    // This week's intros (no member answered the bot there), or an old exchange.
    const dormant: DirectConversation[] = Array.from({ length: 1000 }, (_, i) => ({
      id: `d${String(i).padStart(4, '0')}`,
      deliveredAt: i % 2 === 0 ? ago(121 + i) : days(15 + (i % 30)),
      ...(i % 2 === 0 ? {} : { repliedAt: days(15 + (i % 30)) }),
      checkedAt: ago(i % 60),
    }));
    const due = dueConversations([...recent, ...dormant], now, new Date(ago(5)));
    expect(due.has('r1') && due.has('r2') && due.has('r3')).toBe(true);
    // Five minutes since the last run: a twelfth of the 1,000 dormant DMs, those unread for longest.
    const read = dormant.filter((c) => due.has(c.id));
    expect(read).toHaveLength(84);
    const unreadFor = (c: DirectConversation) => (now.getTime() - Date.parse(c.checkedAt!)) / 60_000;
    const left = dormant.filter((c) => !due.has(c.id));
    expect(Math.min(...read.map(unreadFor))).toBeGreaterThanOrEqual(Math.max(...left.map(unreadFor)));
  });

  it('reads a never-read DM first, all dormant ones after an hour without a run or on the first run, none twice in one instant', () => {
    const dms: DirectConversation[] = [
      { id: 'a', deliveredAt: days(30), checkedAt: ago(10) },
      { id: 'b', deliveredAt: days(30) },
      { id: 'c', deliveredAt: days(30), checkedAt: ago(20) },
    ];
    expect([...dueConversations(dms, now, new Date(ago(5)))]).toEqual(['b']);
    expect(dueConversations(dms, now, new Date(ago(60))).size).toBe(3);
    expect(dueConversations(dms, now, undefined).size).toBe(3);
    expect(dueConversations(dms, now, now).size).toBe(0);
  });
});
