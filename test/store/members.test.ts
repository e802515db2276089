import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { PlatformUser } from '../../src/core/types.js';
import { openDatabase, writeTransaction, type DB } from '../../src/store/db.js';
import { applyRosterSync, listMembers, listStoredMembers, updateMember } from '../../src/store/members.js';
import { planRosterSync } from '../../src/core/members.js';
import { ensureProgram } from '../../src/store/programs.js';
import { tempDir } from '../helpers/tmp.js';

/**
 * A roster sync is computed before it is written (a dry run only computes it): what it
 * computes must be exactly what the store then holds, in the store's own list order.
 */
describe('roster sync computed, then written', () => {
  let dir: string;
  let cleanup: () => void;
  let db: DB;
  let programId: number;
  beforeEach(() => {
    ({ dir, cleanup } = tempDir());
    db = openDatabase(join(dir, 'pairbot.db'));
    programId = ensureProgram(db, 'default', 'local', 'weekly', new Date('2026-11-01T00:00:00Z')).id;
  });
  afterEach(() => {
    db.close();
    cleanup();
  });

  /** Plans the sync, checks the plan against the table once written, returns the plan. */
  function sync(users: PlatformUser[], today: string) {
    const plan = planRosterSync(listStoredMembers(db, programId), users, today);
    writeTransaction(db, () => applyRosterSync(db, programId, plan));
    // Same members, same fields in the same order (JSON output keeps its shape), same list order.
    expect(JSON.stringify(plan.members)).toBe(JSON.stringify(listMembers(db, programId)));
    return plan;
  }

  it('lists members in SQLite’s order: name ignoring ASCII case, then id, by code point (not UTF-16 unit)', () => {
    const names = [
      'bob',
      'Bob',
      'BOB',
      'alice',
      'Émile',
      'emile',
      'zoë',
      'Zed',
      '😀 smile',
      '\uff21 wide A',
      '\ue000 private',
      'a',
      'A',
      '_x',
      '[y',
    ];
    const users = names.map((name, i) => ({ id: `u${(i * 7) % names.length}`, name }));
    // Same names under several ids, ids that differ only beyond the BMP.
    users.push({ id: 'u😀', name: 'bob' }, { id: 'u\uffff', name: 'bob' });
    const plan = sync(users, '2026-11-02');
    expect(plan.joined).toHaveLength(users.length);
  });

  it('joins, refreshes, leaves and rejoins exactly as the store then holds, keeping an operator’s time zone', () => {
    sync(
      [
        { id: 'u1', name: 'ann', timezone: 'Europe/Berlin' },
        { id: 'u2', name: 'ben', attributes: { team: 'a' } },
        { id: 'u3', name: 'cy' },
        { id: 'u4', name: 'dee', timezone: 'Asia/Tokyo' },
      ],
      '2026-11-02',
    );
    writeTransaction(db, () => updateMember(db, programId, 'u4', { timezoneOverride: 'America/New_York' }));
    const second = sync(
      [
        { id: 'u1', name: 'Ann B', timezone: 'Europe/Paris' },
        { id: 'u2', name: 'ben', attributes: { team: 'b' } },
        { id: 'u4', name: 'dee', timezone: 'Asia/Kolkata' },
        { id: 'u5', name: 'eve' },
        { id: 'u5', name: 'eve again' },
      ],
      '2026-11-09',
    );
    expect(second).toMatchObject({ joined: ['u5'], rejoined: [], left: ['u3'], listed: 4 });
    expect(second.changed.map((c) => c.member.userId).sort()).toEqual(['u1', 'u2', 'u3', 'u4']);
    expect(second.members.find((m) => m.userId === 'u4')?.timezone).toBe('America/New_York');

    const third = sync(
      [
        { id: 'u1', name: 'Ann B', timezone: 'Europe/Paris' },
        { id: 'u2', name: 'ben', attributes: { team: 'b' } },
        { id: 'u3', name: 'cy' },
        { id: 'u4', name: 'dee', timezone: 'Asia/Kolkata' },
        { id: 'u5', name: 'eve' },
      ],
      '2026-11-16',
    );
    expect(third).toMatchObject({ joined: [], rejoined: ['u3'], left: [] });
    // Nothing else changed, so nothing else is written.
    expect(third.changed.map((c) => c.member.userId)).toEqual(['u3']);
    expect(third.members.find((m) => m.userId === 'u3')).toMatchObject({ state: 'active', joinedOn: '2026-11-16' });
  });
});
