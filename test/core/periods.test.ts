import { describe, expect, it } from 'vitest';
import { isDue, localDate, nextPeriod, periodFromIndex, periodOf, periodOfDate, periodsSince } from '../../src/core/periods.js';

describe('periods', () => {
  it('keys weekly rounds by ISO week, including year edges', () => {
    expect(periodOfDate('2026-11-23', 'weekly').key).toBe('2026-W48');
    expect(periodOfDate('2026-11-29', 'weekly').key).toBe('2026-W48');
    expect(periodOfDate('2026-11-21', 'weekly').key).toBe('2026-W47');
    expect(periodOfDate('2021-01-03', 'weekly').key).toBe('2020-W53');
    expect(periodOfDate('2026-12-31', 'weekly').key).toBe('2026-W53');
    expect(periodOfDate('2027-01-04', 'weekly').key).toBe('2027-W01');
    expect(periodOfDate('2025-12-29', 'weekly').key).toBe('2026-W01');
    expect(periodOfDate('2026-11-25', 'weekly').start).toBe('2026-11-23');
  });

  it('keys daily and monthly rounds by date and month', () => {
    expect(periodOfDate('2026-11-23', 'daily').key).toBe('2026-11-23');
    expect(periodOfDate('2026-11-23', 'monthly')).toMatchObject({ key: '2026-11', start: '2026-11-01' });
    expect(nextPeriod(periodOfDate('2026-12-05', 'monthly'), 'monthly').key).toBe('2027-01');
    expect(nextPeriod(periodOfDate('2026-12-31', 'daily'), 'daily').key).toBe('2027-01-01');
  });

  it('announces the next round: Saturday 2026-11-21 → 2026-W48', () => {
    expect(nextPeriod(periodOfDate('2026-11-21', 'weekly'), 'weekly').key).toBe('2026-W48');
  });

  it('computes the local date in the time zone', () => {
    const instant = new Date('2026-11-22T23:30:00Z');
    expect(localDate(instant, 'UTC')).toBe('2026-11-22');
    expect(localDate(instant, 'Asia/Tokyo')).toBe('2026-11-23');
    expect(periodOf(instant, 'weekly', 'Asia/Tokyo').key).toBe('2026-W48');
    expect(periodOf(instant, 'weekly', 'America/Los_Angeles').key).toBe('2026-W47');
  });

  it('round-trips period indexes', () => {
    for (const cadence of ['daily', 'weekly', 'monthly'] as const) {
      const p = periodOfDate('2026-11-23', cadence);
      expect(periodFromIndex(p.index, cadence)).toEqual(p);
    }
  });

  it('applies the due rule without parity: fortnightly members who joined a week apart can meet', () => {
    const w = (d: string) => periodOfDate(d, 'weekly');
    expect(isDue(undefined, 2, w('2026-11-23'))).toBe(true);
    expect(isDue(w('2026-11-16').index, 2, w('2026-11-23'))).toBe(false);
    expect(isDue(w('2026-11-16').index, 2, w('2026-11-30'))).toBe(true);
    // A joined W47 and was paired; B joined W48 and was paired. In W49 A is due, in W50 both are.
    const a = w('2026-11-16').index;
    const b = w('2026-11-23').index;
    expect(isDue(a, 2, w('2026-11-30')) && isDue(b, 2, w('2026-11-30'))).toBe(false);
    expect(isDue(a, 2, w('2026-12-07')) && isDue(b, 2, w('2026-12-07'))).toBe(true);
    expect(periodsSince('2026-11-02', w('2026-11-23'), 'weekly')).toBe(3);
  });
});
