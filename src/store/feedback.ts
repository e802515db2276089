import type { Answer } from '../core/feedback.js';
import type { DB } from './db.js';

/** Stores an answer once; returns true when it is new. */
export function recordAnswer(db: DB, groupId: number, reporterId: string, answer: Answer, at: string): boolean {
  return (
    db
      .prepare('INSERT OR IGNORE INTO feedback (group_id, reporter_id, answer, recorded_at) VALUES (?, ?, ?, ?)')
      .run(groupId, reporterId, answer, at).changes > 0
  );
}

export function answersOf(db: DB, groupIds: readonly number[]): Map<number, { reporterId: string; answer: Answer }[]> {
  const out = new Map<number, { reporterId: string; answer: Answer }[]>(groupIds.map((id) => [id, []]));
  if (groupIds.length === 0) return out;
  const rows = db
    .prepare(
      `SELECT group_id AS groupId, reporter_id AS reporterId, answer FROM feedback WHERE group_id IN (SELECT value FROM json_each(?)) ORDER BY recorded_at, reporter_id`,
    )
    .all(JSON.stringify(groupIds)) as { groupId: number; reporterId: string; answer: Answer }[];
  for (const r of rows) out.get(r.groupId)!.push({ reporterId: r.reporterId, answer: r.answer });
  return out;
}
