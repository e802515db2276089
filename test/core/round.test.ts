import { describe, expect, it } from 'vitest';
import {
  activeConstraints,
  ageMeetings,
  currentGroups,
  groupToJoin,
  joinLimit,
  ruledOutByAvoids,
  selectCandidates,
  selectWaiting,
  toCandidates,
} from '../../src/core/round.js';
import { periodOfDate } from '../../src/core/periods.js';

const week = periodOfDate('2026-11-23', 'weekly');

describe('selectCandidates', () => {
  it('splits members by opt-out, pause and due rule', () => {
    const members = [
      { id: 'a', frequency: 1, sitOuts: 0 },
      { id: 'b', frequency: 1, sitOuts: 0 },
      { id: 'c', frequency: 1, sitOuts: 0, pauseUntil: '2026-12-01' },
      { id: 'd', frequency: 1, sitOuts: 0, pauseUntil: '2026-11-23' },
      { id: 'e', frequency: 2, sitOuts: 0, lastGroupedIndex: week.index - 1 },
      { id: 'f', frequency: 2, sitOuts: 0, lastGroupedIndex: week.index - 2 },
    ];
    const { candidates, excluded } = selectCandidates(members, week, '2026-11-23', new Set(['b']));
    expect(candidates.map((c) => c.id)).toEqual(['a', 'd', 'f']);
    expect(excluded).toEqual({ optedOut: ['b'], paused: ['c'], notDue: ['e'] });
  });

  it('keeps the promise to whoever sat out last round', () => {
    const members = [{ id: 'x', frequency: 3, sitOuts: 1, lastSatOut: week.index - 1, lastGroupedIndex: week.index - 2 }];
    expect(selectCandidates(members, week, '2026-11-23', new Set()).candidates.map((c) => c.id)).toEqual(['x']);
  });
});

describe('activeConstraints', () => {
  it('keeps avoids always and a preference until the two have met since it was set', () => {
    const prefs = [
      { userId: 'a', otherId: 'b', kind: 'avoid' as const, createdOn: '2026-01-01' },
      { userId: 'a', otherId: 'c', kind: 'prefer' as const, createdOn: '2026-11-01' },
      { userId: 'd', otherId: 'e', kind: 'prefer' as const, createdOn: '2026-11-01' },
    ];
    const meetings = [
      { a: 'a', b: 'c', formedOn: '2026-10-01' },
      { a: 'd', b: 'e', formedOn: '2026-11-09' },
    ];
    expect(activeConstraints(prefs, meetings)).toEqual({ avoid: [['a', 'b']], prefer: [['a', 'c']] });
  });
});

describe('engine inputs', () => {
  it('ages meetings in periods of the program cadence', () => {
    expect(ageMeetings([{ a: 'a', b: 'b', formedOn: '2026-11-09' }], week, 'weekly')).toEqual([{ a: 'a', b: 'b', age: 2 }]);
  });
  it('gives candidates their UTC offset at the round date', () => {
    const [berlin, none] = toCandidates(
      [
        { id: 'a', frequency: 1, sitOuts: 0, timezone: 'Europe/Berlin' },
        { id: 'b', frequency: 1, sitOuts: 0 },
      ],
      new Date('2026-11-23T12:00:00Z'),
    );
    expect(berlin!.utcOffsetMinutes).toBe(60);
    expect(none!.utcOffsetMinutes).toBeUndefined();
  });
});

describe('catch-up rules', () => {
  const entry = (id: string, extra = {}) => ({ id, frequency: 1, sitOuts: 0, ...extra });
  const groups = [
    { id: 1, source: 'pair' as const, memberIds: ['a', 'b'] },
    { id: 2, source: 'pair' as const, memberIds: ['c', 'gone'] },
    { id: 3, source: 'catch-up' as const, memberIds: ['d', 'e'] },
  ];

  it('waits for late joiners and those whose partners left, never the deliberately excluded or the already caught up', () => {
    const active = ['a', 'b', 'c', 'd', 'e', 'new', 'optedOut', 'paused'].map((id) =>
      entry(id, id === 'paused' ? { pauseUntil: '2027-01-01' } : {}),
    );
    const still = new Set(['a', 'b', 'c', 'd', 'e', 'new', 'optedOut', 'paused']);
    const placement = new Map([
      ['a', 1],
      ['b', 1],
      ['c', 2],
      ['gone', 2],
      ['d', 3],
      ['e', 3],
    ]);
    const waiting = selectWaiting(active, groups, placement, new Set(['optedOut']), still, week, '2026-11-25');
    expect(waiting.map((w) => w.id)).toEqual(['c', 'new']);
  });

  it('waits for a member resumed after a kick whose partner catch-up moved on', () => {
    // b was kicked; catch-up moved a into group 3; b is back.
    const placement = new Map([
      ['a', 3],
      ['b', 1],
      ['c', 2],
      ['gone', 2],
      ['d', 3],
      ['e', 3],
    ]);
    const moved = groups.map((g) => (g.id === 3 ? { ...g, memberIds: ['d', 'e', 'a'] } : g));
    const still = new Set(['a', 'b', 'c', 'd', 'e']);
    const waiting = selectWaiting(
      ['a', 'b', 'c', 'd', 'e'].map((id) => entry(id)),
      moved,
      placement,
      new Set(),
      still,
      week,
      '2026-11-26',
    );
    expect(waiting.map((w) => w.id)).toEqual(['b', 'c']);
  });

  it('a lone member joins the smallest group they may join, preferring strangers', () => {
    const still = new Set(['a', 'b', 'c', 'd', 'e', 'x']);
    const history = [{ a: 'x', b: 'a', age: 1 }];
    expect(groupToJoin('x', groups, still, [], history, 3)?.id).toBe(3);
    expect(groupToJoin('x', groups, still, [['e', 'x']], history, 3)?.id).toBe(1);
    expect(
      groupToJoin(
        'x',
        groups,
        still,
        [
          ['e', 'x'],
          ['x', 'b'],
        ],
        history,
        3,
      ),
    ).toBeUndefined();
  });

  it('a lone member may make a group one larger, except a pair under sit-out (PAIRBOT_ODD applies to pairs only)', () => {
    expect(joinLimit(2, 'triad')).toBe(3);
    expect(joinLimit(2, 'sit-out')).toBe(0);
    expect(joinLimit(4, 'sit-out')).toBe(5);
    expect(joinLimit(4, 'triad')).toBe(5);
    const still = new Set(['a', 'b', 'c', 'd', 'e', 'x']);
    expect(groupToJoin('x', groups, still, [], [], joinLimit(2, 'sit-out'))).toBeUndefined();
  });
});

describe('currentGroups', () => {
  it('shows everyone once, in the group of their latest placement, after catch-up', () => {
    const groups = [
      { id: 1, memberIds: ['anna', 'cleo'] },
      { id: 2, memberIds: ['bob', 'dan'] },
      { id: 3, memberIds: ['eve', 'fay', 'cleo'] },
    ];
    const placement = new Map([
      ['anna', 1],
      ['bob', 2],
      ['dan', 2],
      ['eve', 3],
      ['fay', 3],
      ['cleo', 3],
    ]);
    expect(currentGroups(groups, placement).map((g) => g.memberIds)).toEqual([
      ['bob', 'dan'],
      ['eve', 'fay', 'cleo'],
    ]);
  });

  it('follows the placement, not the group id: a catch-up join into an older group counts', () => {
    const groups = [
      { id: 1, memberIds: ['anna', 'bob', 'cleo'] },
      { id: 2, memberIds: ['cleo', 'dan'] },
    ];
    const placement = new Map([
      ['anna', 1],
      ['bob', 1],
      ['dan', 2],
      ['cleo', 1],
    ]);
    expect(currentGroups(groups, placement).map((g) => g.memberIds)).toEqual([['anna', 'bob', 'cleo']]);
  });
});

describe('ruledOutByAvoids', () => {
  it('finds members whose avoids, either way, rule out everyone else', () => {
    expect(
      ruledOutByAvoids(
        ['a', 'b', 'c'],
        [
          ['a', 'b'],
          ['a', 'c'],
          ['b', 'c'],
        ],
      ),
    ).toEqual(['a', 'b', 'c']);
    expect(
      ruledOutByAvoids(
        ['a', 'b', 'c', 'd'],
        [
          ['a', 'b'],
          ['c', 'a'],
          ['a', 'd'],
          ['b', 'c'],
        ],
      ),
    ).toEqual(['a']);
    expect(ruledOutByAvoids(['a', 'b'], [['a', 'x']])).toEqual([]);
    expect(ruledOutByAvoids(['a'], [])).toEqual([]);
  });
});
