import { existsSync } from 'node:fs';
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

/**
 * Commands that show what is stored (status, report, export, member show/export) never
 * present a mistyped path as an empty program: a database that does not exist is exit 2.
 */
export function requireDatabase(path: string): void {
  if (!existsSync(path)) {
    throw new UsageError(
      `PAIRBOT_DB: no database at ${path}; check --db or PAIRBOT_DB (the first run of pair, optout or inbox creates it)`,
    );
  }
}

/** The program as stored; a program the database does not hold is exit 2 naming the ones it does. */
export function requireProgram(db: DB, path: string, name: string): ProgramRow {
  const found = findProgram(db, name);
  if (found) return found;
  const names = (db.prepare('SELECT name FROM programs ORDER BY name').pluck().all() as string[]).map((n) => JSON.stringify(n));
  throw new UsageError(
    `PAIRBOT_PROGRAM: no program ${JSON.stringify(name)} in ${path}; ${names.length ? `it holds ${names.join(', ')}` : 'it holds none yet'}; check --program or PAIRBOT_PROGRAM`,
  );
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
