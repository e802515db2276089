import { describe, expect, it } from 'vitest';
import { groupsToDelete } from '../../src/core/retention.js';

describe('groupsToDelete', () => {
  it("deletes old groups but keeps each member's 10 latest partners", () => {
    // alice met p1..p12 long ago (p12 latest); every p also has ten newer partners among q1..q10.
    const groups = [];
    let id = 1;
    for (let i = 1; i <= 12; i++)
      groups.push({ id: id++, formedOn: `2024-01-${String(i).padStart(2, '0')}`, memberIds: ['alice', `p${i}`] });
    for (let i = 1; i <= 12; i++)
      for (let j = 1; j <= 10; j++) groups.push({ id: id++, formedOn: '2026-06-01', memberIds: [`p${i}`, `q${j}`] });
    const doomed = new Set(groupsToDelete(groups, '2025-11-23'));
    const alicesKept = groups.filter((g) => g.memberIds.includes('alice') && !doomed.has(g.id)).map((g) => g.memberIds[1]);
    expect(alicesKept.sort()).toEqual(['p10', 'p11', 'p12', 'p3', 'p4', 'p5', 'p6', 'p7', 'p8', 'p9']);
    expect([...doomed].sort()).toEqual([1, 2]);
  });

  it('keeps everything newer than the cutoff and a repeat partner counts once', () => {
    const groups = [
      { id: 1, formedOn: '2020-01-01', memberIds: ['a', 'b'] },
      { id: 2, formedOn: '2020-02-01', memberIds: ['a', 'b'] },
      { id: 3, formedOn: '2026-01-01', memberIds: ['a', 'c'] },
    ];
    expect(groupsToDelete(groups, '2025-01-01')).toEqual([1]);
  });
});
