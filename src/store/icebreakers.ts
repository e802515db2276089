import type { GivenPrompt } from '../core/icebreakers.js';
import type { DB } from './db.js';

/** The prompt a group's intro carries, once chosen. */
export function icebreakerOf(db: DB, groupId: number): string | undefined {
  return (db.prepare('SELECT prompt FROM group_icebreakers WHERE group_id = ?').get(groupId) as { prompt: string } | undefined)?.prompt;
}

export function recordIcebreaker(db: DB, groupId: number, prompt: string): void {
  db.prepare('INSERT OR IGNORE INTO group_icebreakers (group_id, prompt) VALUES (?, ?)').run(groupId, prompt);
}

/**
 * Per member, the prompts of their `limit` most recent groups of the program that had one.
 * One pass over the program's prompts, newest group first (a query per member cost a
 * 100,000-member round two seconds, most of it finding nothing).
 */
export function recentIcebreakers(db: DB, programId: number, userIds: readonly string[], limit: number): Map<string, GivenPrompt[]> {
  const out = new Map<string, GivenPrompt[]>();
  for (const id of userIds) out.set(id, []);
  if (limit <= 0) return out;
  const rows = db
    .prepare(
      `SELECT gm.user_id, gi.prompt, gi.group_id FROM group_icebreakers gi
         JOIN groups g ON g.id = gi.group_id
         JOIN group_members gm ON gm.group_id = gi.group_id
        WHERE g.program_id = ?
        ORDER BY gi.group_id DESC`,
    )
    .raw()
    .all(programId) as [string, string, number][];
  for (const [userId, prompt, order] of rows) {
    const given = out.get(userId);
    if (given && given.length < limit) given.push({ prompt, order });
  }
  return out;
}
