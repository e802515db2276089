import { existsSync } from 'node:fs';
import { UsageError } from '../errors.js';
import { cadenceOfKey, type Cadence } from '../core/periods.js';
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

/**
 * The program row, created on first use; a program stays on the platform and the cadence it
 * started with: its rounds, and who is due, are counted in periods of that cadence.
 */
export function ensureProgram(db: DB, name: string, platform: string, cadence: Cadence, now: Date): ProgramRow {
  const found = findProgram(db, name);
  if (found) {
    if (found.platform !== platform) {
      throw new UsageError(
        `PAIRBOT_PLATFORM: program "${name}" runs on ${found.platform}, but the platform is set to ${platform} (use another PAIRBOT_PROGRAM for a second community)`,
      );
    }
    const latest = db.prepare('SELECT period FROM rounds WHERE program_id = ? ORDER BY id DESC LIMIT 1').pluck().get(found.id) as
      | string
      | undefined;
    const paired = latest === undefined ? undefined : cadenceOfKey(latest);
    if (paired !== undefined && paired !== cadence) {
      throw new UsageError(
        `PAIRBOT_CADENCE: program "${name}" pairs ${paired} (its latest round is ${latest}), not ${cadence}: its history is counted in ${paired} rounds. Set PAIRBOT_CADENCE=${paired}, or use another PAIRBOT_PROGRAM for ${cadence} rounds`,
      );
    }
    return found;
  }
  const info = db.prepare('INSERT INTO programs (name, platform, created_at) VALUES (?, ?, ?)').run(name, platform, now.toISOString());
  return { id: Number(info.lastInsertRowid), name, platform };
}
