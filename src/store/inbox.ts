import { writeTransaction, type DB } from './db.js';

/** What `inbox` stores: messages handled once, read cursors per conversation, the last run, and skips. */

export function isHandled(db: DB, programId: number, messageId: string): boolean {
  return db.prepare('SELECT 1 FROM inbox_handled WHERE program_id = ? AND message_id = ?').get(programId, messageId) !== undefined;
}

/** Records a message as handled; false when another run got there first (the caller's transaction then does nothing). */
export function markHandled(db: DB, programId: number, messageId: string, command: string, ok: boolean, at: string): boolean {
  const info = db
    .prepare('INSERT OR IGNORE INTO inbox_handled (program_id, message_id, command, ok, handled_at) VALUES (?, ?, ?, ?, ?)')
    .run(programId, messageId, command, ok ? 1 : 0, at);
  return info.changes > 0;
}

export function readCursors(db: DB, programId: number): Map<string, string> {
  const rows = db.prepare('SELECT conversation_id AS id, cursor FROM inbox_cursors WHERE program_id = ?').all(programId) as {
    id: string;
    cursor: string;
  }[];
  return new Map(rows.map((r) => [r.id, r.cursor]));
}

/** The cursors of the conversations a run read, and when it read them (`at`: the rotation of dormant DMs, src/core/inbox-scan.ts). */
export function saveCursors(db: DB, programId: number, cursors: ReadonlyMap<string, string>, at: string): void {
  const upsert = db.prepare(
    `INSERT INTO inbox_cursors (program_id, conversation_id, cursor, checked_at) VALUES (?, ?, ?, ?)
     ON CONFLICT (program_id, conversation_id) DO UPDATE SET cursor = excluded.cursor, checked_at = excluded.checked_at`,
  );
  writeTransaction(db, () => {
    for (const [id, cursor] of cursors) upsert.run(programId, id, cursor, at);
  });
}

/** When the last inbox run read, or undefined before the first. */
export function lastInboxRun(db: DB, programId: number): string | undefined {
  return (db.prepare('SELECT last_run_at AS at FROM inbox_runs WHERE program_id = ?').get(programId) as { at: string } | undefined)?.at;
}

export function recordInboxRun(db: DB, programId: number, at: string, handled: number, ignored: number): void {
  db.prepare(
    `INSERT INTO inbox_runs (program_id, last_run_at, handled, ignored) VALUES (?, ?, ?, ?)
     ON CONFLICT (program_id) DO UPDATE SET last_run_at = excluded.last_run_at, handled = excluded.handled, ignored = excluded.ignored`,
  ).run(programId, at, handled, ignored);
}

/** A member asked to sit out the round of `period`; false when they already had. */
export function addSkip(db: DB, programId: number, userId: string, period: string, at: string): boolean {
  return (
    db
      .prepare('INSERT OR IGNORE INTO skips (program_id, user_id, period, created_at) VALUES (?, ?, ?, ?)')
      .run(programId, userId, period, at).changes > 0
  );
}

/** Skips not yet used: rounds from `fromPeriod` on (period keys of one cadence sort in time order). */
export function pendingSkips(db: DB, programId: number, userId: string, fromPeriod: string): string[] {
  return (
    db
      .prepare('SELECT period FROM skips WHERE program_id = ? AND user_id = ? AND period >= ? ORDER BY period')
      .all(programId, userId, fromPeriod) as { period: string }[]
  ).map((r) => r.period);
}

export function clearSkips(db: DB, programId: number, userId: string, fromPeriod: string): number {
  return db.prepare('DELETE FROM skips WHERE program_id = ? AND user_id = ? AND period >= ?').run(programId, userId, fromPeriod).changes;
}

/** Everyone who asked to sit out this period's round. */
export function skipsOfPeriod(db: DB, programId: number, period: string): string[] {
  return (db.prepare('SELECT user_id AS id FROM skips WHERE program_id = ? AND period = ?').all(programId, period) as { id: string }[]).map(
    (r) => r.id,
  );
}
