import { describe, expect, it } from 'vitest';
import { suspiciousRosterLoss } from '../../src/core/roster-guard.js';

const ids = (n: number): string[] => Array.from({ length: n }, (_, i) => `u${i + 1}`);

describe('suspiciousRosterLoss', () => {
  it('flags a roster that lost every active member', () => {
    expect(suspiciousRosterLoss(ids(13), new Set())).toEqual(ids(13));
    expect(suspiciousRosterLoss(['u1'], new Set(['u9']))).toEqual(['u1']);
  });

  it('flags a loss of more than half of the active members, not half or fewer', () => {
    expect(suspiciousRosterLoss(ids(10), new Set(ids(4)))).toEqual(['u5', 'u6', 'u7', 'u8', 'u9', 'u10']);
    expect(suspiciousRosterLoss(ids(10), new Set(ids(5)))).toBeUndefined();
    expect(suspiciousRosterLoss(ids(2), new Set(['u1']))).toBeUndefined();
  });

  it('lets newcomers, a first roster and an unchanged roster through', () => {
    expect(suspiciousRosterLoss([], new Set())).toBeUndefined();
    expect(suspiciousRosterLoss([], new Set(ids(5)))).toBeUndefined();
    expect(suspiciousRosterLoss(ids(3), new Set([...ids(3), 'new']))).toBeUndefined();
  });
});
