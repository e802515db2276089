import type { DB } from './db.js';

/** The private threads the given groups talk in, by group id: those opened so far. */
export function threadsOf(db: DB, groupIds: readonly number[]): Map<number, string> {
  const rows = db
    .prepare('SELECT group_id, thread_id FROM group_threads WHERE group_id IN (SELECT value FROM json_each(?))')
    .raw()
    .all(JSON.stringify(groupIds)) as [number, string][];
  return new Map(rows);
}

/** Stored as soon as the thread exists, so no later message of the group opens another. */
export function recordThread(db: DB, groupId: number, threadId: string): void {
  db.prepare('INSERT OR REPLACE INTO group_threads (group_id, thread_id) VALUES (?, ?)').run(groupId, threadId);
}
