import { UsageError } from '../errors.js';
import type { DB } from './db.js';

export interface ProgramRow {
  id: number;
  name: string;
  platform: string;
}

export function findProgram(db: DB, name: string): ProgramRow | undefined {
  return db.prepare('SELECT id, name, platform FROM programs WHERE name = ?').get(name) as ProgramRow | undefined;
}

/** The program row, created on first use; a program stays on the platform it started on. */
export function ensureProgram(db: DB, name: string, platform: string, now: Date): ProgramRow {
  const found = findProgram(db, name);
  if (found) {
    if (found.platform !== platform) {
      throw new UsageError(
        `PAIRBOT_PLATFORM: program "${name}" runs on ${found.platform}, but the platform is set to ${platform} (use another PAIRBOT_PROGRAM for a second community)`,
      );
    }
    return found;
  }
  const info = db.prepare('INSERT INTO programs (name, platform, created_at) VALUES (?, ?, ?)').run(name, platform, now.toISOString());
  return { id: Number(info.lastInsertRowid), name, platform };
}
