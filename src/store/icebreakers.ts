import type { GivenPrompt } from '../core/icebreakers.js';
import type { DB } from './db.js';

/** The prompt a group's intro carries, once chosen. */
export function icebreakerOf(db: DB, groupId: number): string | undefined {
  return (db.prepare('SELECT prompt FROM group_icebreakers WHERE group_id = ?').get(groupId) as { prompt: string } | undefined)?.prompt;
}

export function recordIcebreaker(db: DB, groupId: number, prompt: string): void {
  db.prepare('INSERT OR IGNORE INTO group_icebreakers (group_id, prompt) VALUES (?, ?)').run(groupId, prompt);
}

/** Per member, the prompts of their `limit` most recent groups of the program that had one. */
export function recentIcebreakers(db: DB, programId: number, userIds: readonly string[], limit: number): Map<string, GivenPrompt[]> {
  const query = db.prepare(
    `SELECT gi.prompt, g.id AS "order" FROM group_members gm
       JOIN groups g ON g.id = gm.group_id
       JOIN group_icebreakers gi ON gi.group_id = g.id
      WHERE g.program_id = ? AND gm.user_id = ?
      ORDER BY g.id DESC LIMIT ?`,
  );
  const out = new Map<string, GivenPrompt[]>();
  for (const id of new Set(userIds)) out.set(id, query.all(programId, id, limit) as GivenPrompt[]);
  return out;
}
