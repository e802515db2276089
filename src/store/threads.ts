import type { DB } from './db.js';

/** The private thread a group talks in, once opened. */
export function threadOf(db: DB, groupId: number): string | undefined {
  return (db.prepare('SELECT thread_id AS id FROM group_threads WHERE group_id = ?').get(groupId) as { id: string } | undefined)?.id;
}

/** Stored as soon as the thread exists, so no later message of the group opens another. */
export function recordThread(db: DB, groupId: number, threadId: string): void {
  db.prepare('INSERT OR REPLACE INTO group_threads (group_id, thread_id) VALUES (?, ?)').run(groupId, threadId);
}
