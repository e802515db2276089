import { join } from 'node:path';
import Database from 'better-sqlite3';
import { beforeEach, describe, expect, it } from 'vitest';
import { useLocalSandbox } from '../helpers/sandbox.js';

describe('prune retention (built CLI)', () => {
  const box = useLocalSandbox();
  const { pairbot } = box;

  beforeEach(() => {
    const people = [
      'alice',
      ...Array.from({ length: 12 }, (_, i) => `p${i + 1}`),
      ...Array.from({ length: 10 }, (_, i) => `q${i + 1}`),
      'gone',
    ];
    box.writeRoster(people);
    box.env.PAIRBOT_RETENTION_DAYS = '365';
  });

  it('deletes history past retention except each member’s 10 latest partners, and members long gone', async () => {
    expect((await pairbot('member', 'set', 'alice', '--frequency', '1', '--date', '2024-01-01')).code).toBe(0);
    const db = new Database(join(box.dir, 'data', 'pairbot.db'));
    const add = (on: string, a: string, b: string) => {
      const g = db
        .prepare("INSERT INTO groups (program_id, round_id, formed_on, source, created_at) VALUES (1, NULL, ?, 'manual', ?)")
        .run(on, `${on}T00:00:00Z`);
      db.prepare('INSERT INTO group_members (group_id, user_id) VALUES (?, ?), (?, ?)').run(g.lastInsertRowid, a, g.lastInsertRowid, b);
    };
    // alice met p1..p12 in January 2024; each p has ten newer partners, so only alice's own list protects those groups.
    for (let i = 1; i <= 12; i++) add(`2024-01-${String(i).padStart(2, '0')}`, 'alice', `p${i}`);
    for (let i = 1; i <= 12; i++) for (let j = 1; j <= 10; j++) add('2026-06-01', `p${i}`, `q${j}`);
    db.prepare("UPDATE members SET state = 'left', left_on = '2025-01-01' WHERE user_id = 'gone'").run();
    db.close();

    const dry = await pairbot('prune', '--dry-run', '--json', '--date', '2026-11-23');
    expect(JSON.parse(dry.stdout).retention).toEqual({ cutoff: '2025-11-23', groupsDeleted: 2, membersDeleted: ['gone'] });
    const r = await pairbot('prune', '--json', '--date', '2026-11-23');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).retention).toEqual({ cutoff: '2025-11-23', groupsDeleted: 2, membersDeleted: ['gone'] });

    const shown = JSON.parse((await pairbot('member', 'show', 'alice', '--json', '--date', '2026-11-23')).stdout);
    expect(shown.previousPartners.map((p: { with: { id: string }[] }) => p.with[0]!.id)).toEqual([
      'p12',
      'p11',
      'p10',
      'p9',
      'p8',
      'p7',
      'p6',
      'p5',
      'p4',
      'p3',
    ]);
    const check = new Database(join(box.dir, 'data', 'pairbot.db'), { readonly: true });
    expect(check.prepare("SELECT COUNT(*) AS n FROM members WHERE user_id = 'gone'").get()).toEqual({ n: 0 });
    expect(check.prepare('SELECT COUNT(*) AS n FROM groups').get()).toEqual({ n: 130 });
    check.close();
  });
});
