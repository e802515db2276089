import { describe, expect, it } from 'vitest';
import { chargedWithMiss, consecutiveMisses, groupOutcome, missRunAfter, needsReminder, tally } from '../../src/core/feedback.js';

const g = (memberIds: string[], answers: [string, 'met' | 'missed' | 'scheduled'][]) => ({
  memberIds,
  answers: answers.map(([reporterId, answer]) => ({ reporterId, answer })),
});

describe('feedback rules', () => {
  it('derives the outcome: any ✅ → met, else any 📅 → scheduled, else any ❌ → missed', () => {
    expect(
      groupOutcome(
        g(
          ['a', 'b'],
          [
            ['a', 'missed'],
            ['b', 'met'],
          ],
        ).answers,
      ),
    ).toBe('met');
    expect(
      groupOutcome(
        g(
          ['a', 'b'],
          [
            ['a', 'missed'],
            ['b', 'scheduled'],
          ],
        ).answers,
      ),
    ).toBe('scheduled');
    expect(groupOutcome(g(['a', 'b'], [['a', 'missed']]).answers)).toBe('missed');
    expect(groupOutcome([])).toBe('unanswered');
  });

  it('charges the miss to whoever answered nothing, never the reporter', () => {
    expect(chargedWithMiss(g(['a', 'b', 'c'], [['a', 'missed']]))).toEqual(['b', 'c']);
    expect(
      chargedWithMiss(
        g(
          ['a', 'b'],
          [
            ['a', 'missed'],
            ['b', 'missed'],
          ],
        ),
      ),
    ).toEqual([]);
    expect(chargedWithMiss(g(['a', 'b'], [['a', 'met']]))).toEqual([]);
  });

  it('counts consecutive charged misses, skipping groups without a verdict', () => {
    const history = [
      g(['x', 'a'], [['a', 'missed']]),
      g(['x', 'b'], []),
      g(['x', 'c'], [['c', 'scheduled']]),
      g(['x', 'd'], [['d', 'missed']]),
      g(['x', 'e'], [['x', 'met']]),
      g(['x', 'f'], [['f', 'missed']]),
    ];
    expect(consecutiveMisses('x', history)).toBe(2);
    expect(consecutiveMisses('a', [g(['x', 'a'], [['a', 'missed']])])).toBe(0);
    expect(
      consecutiveMisses('x', [
        g(
          ['x', 'a'],
          [
            ['x', 'missed'],
            ['a', 'missed'],
          ],
        ),
        ...history,
      ]),
    ).toBe(0);
  });

  it('keeps the run of misses group by group, oldest first, as consecutiveMisses counts it back from the newest', () => {
    const oldestFirst = [
      g(['x', 'f'], [['f', 'missed']]),
      g(['x', 'e'], [['x', 'met']]),
      g(['x', 'd'], [['d', 'missed']]),
      g(['x', 'c'], [['c', 'scheduled']]),
      g(['x', 'b'], []),
      g(['x', 'a'], [['a', 'missed']]),
    ];
    const runs: number[] = [];
    for (const group of oldestFirst) runs.push(missRunAfter(runs.at(-1) ?? 0, 'x', group));
    // charged, ended by a met group, charged, no verdict twice (run kept), charged
    expect(runs).toEqual([1, 0, 1, 1, 1, 2]);
    expect(missRunAfter(3, 'x', g(['x', 'a'], [['x', 'missed']])), 'reporting a miss oneself ends the run').toBe(0);
  });

  it('tallies outcomes', () => {
    expect(
      tally([g(['a', 'b'], [['a', 'met']]), g(['c', 'd'], []), g(['e', 'f'], [['e', 'missed']]), g(['g', 'h'], [['g', 'scheduled']])]),
    ).toEqual({
      met: 1,
      missed: 1,
      scheduled: 1,
      unanswered: 1,
    });
  });

  it('re-asks a 📅 group on a later day, at most twice', () => {
    expect(needsReminder('scheduled', ['2026-11-26'], '2026-11-30')).toBe(true);
    expect(needsReminder('scheduled', ['2026-11-26'], '2026-11-26')).toBe(false);
    expect(needsReminder('scheduled', ['2026-11-26', '2026-11-30', '2026-12-03'], '2026-12-07')).toBe(false);
    expect(needsReminder('met', ['2026-11-26'], '2026-11-30')).toBe(false);
    expect(needsReminder('scheduled', [], '2026-11-30')).toBe(false);
  });
});
