import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { useLocalSandbox } from '../helpers/sandbox.js';

/** Issue 8: operators' set-ups tried as a new user would, and adversarially. */
describe('nothing lost, nothing wrong (built CLI, local platform)', () => {
  const box = useLocalSandbox();
  const { pairbot, json } = box;
  const memberIds = (): string[] => {
    const db = new Database(join(box.dir, 'data', 'pairbot.db'), { readonly: true });
    try {
      return (db.prepare('SELECT user_id AS id FROM members ORDER BY user_id').all() as { id: string }[]).map((r) => r.id);
    } finally {
      db.close();
    }
  };

  it('<who>: an exact username wins, a unique case-insensitive one is taken, several are refused naming their ids', async () => {
    writeFileSync(join(box.dir, 'roster.csv'), 'id,name,timezone\nu1,Sam,\nu2,sam,\nu3,Robin,\nu4,Kim,\n');
    expect((await pairbot('pair', '--date', '2026-11-23')).code).toBe(0);

    const show = await json('member', 'show', 'robin', '--date', '2026-11-24');
    expect(show.id).toBe('u3');
    const ambiguous = await pairbot('member', 'forget', 'SAM');
    expect(ambiguous.code).toBe(2);
    expect(ambiguous.stderr).toMatch(/"SAM" matches 2 people: "Sam" \(id u1\), "sam" \(id u2\); give the id/);
    expect(memberIds()).toEqual(['u1', 'u2', 'u3', 'u4']);

    expect((await pairbot('member', 'forget', 'sam')).code).toBe(0);
    expect(memberIds()).toEqual(['u1', 'u3', 'u4']);
  });
});
