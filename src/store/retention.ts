import type { DatedGroup } from '../core/retention.js';
import type { DB } from './db.js';

/** Every group of a program with its members, for the retention rule. */
export function datedGroups(db: DB, programId: number): DatedGroup[] {
  const rows = db
    .prepare(
      'SELECT g.id, g.formed_on AS formedOn, gm.user_id AS userId FROM groups g JOIN group_members gm ON gm.group_id = g.id WHERE g.program_id = ? ORDER BY g.id',
    )
    .all(programId) as { id: number; formedOn: string; userId: string }[];
  const byId = new Map<number, { id: number; formedOn: string; memberIds: string[] }>();
  for (const r of rows) {
    const g = byId.get(r.id) ?? { id: r.id, formedOn: r.formedOn, memberIds: [] };
    g.memberIds.push(r.userId);
    byId.set(r.id, g);
  }
  return [...byId.values()];
}

/** Deletes groups (their answers and messages go with them) and rounds left empty before `cutoff`. */
export function deleteGroups(db: DB, programId: number, groupIds: readonly number[], cutoff: string): void {
  db.prepare('DELETE FROM groups WHERE program_id = ? AND id IN (SELECT value FROM json_each(?))').run(programId, JSON.stringify(groupIds));
  db.prepare(
    `DELETE FROM rounds WHERE program_id = ? AND created_at < ? AND NOT EXISTS (SELECT 1 FROM groups WHERE groups.round_id = rounds.id)`,
  ).run(programId, cutoff);
  db.prepare("DELETE FROM outbox WHERE program_id = ? AND status != 'pending' AND group_id IS NULL AND created_at < ?").run(
    programId,
    cutoff,
  );
}

/** Members gone (left or removed from the place) since before `cutoff`. */
export function longGoneMembers(db: DB, programId: number, cutoff: string): string[] {
  return (
    db
      .prepare(
        "SELECT user_id AS id FROM members WHERE program_id = ? AND state IN ('left', 'removed') AND left_on IS NOT NULL AND left_on < ?",
      )
      .all(programId, cutoff) as {
      id: string;
    }[]
  ).map((r) => r.id);
}
