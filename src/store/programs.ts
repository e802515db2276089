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

/** The names of the programs the database holds, quoted, in order: what an unknown name is told. */
export function programNames(db: DB): string[] {
  return (db.prepare('SELECT name FROM programs ORDER BY name').pluck().all() as string[]).map((n) => JSON.stringify(n));
}

/** The program as stored; a program the database does not hold is exit 2 naming the ones it does. */
export function requireProgram(db: DB, path: string, name: string): ProgramRow {
  const found = findProgram(db, name);
  if (found) return found;
  const names = programNames(db);
  throw new UsageError(
    `PAIRBOT_PROGRAM: no program ${JSON.stringify(name)} in ${path}; ${names.length ? `it holds ${names.join(', ')}` : 'it holds none yet'}; check --program or PAIRBOT_PROGRAM`,
  );
}

/** Why a stored program cannot run with these settings, and the fix; undefined when it can. */
export interface ProgramMismatch {
  problem: string;
  fix: string;
}

/** The period of the program's latest round, if it has one. */
export function latestPeriod(db: DB, program: ProgramRow): string | undefined {
  return db.prepare('SELECT period FROM rounds WHERE program_id = ? ORDER BY id DESC LIMIT 1').pluck().get(program.id) as
    | string
    | undefined;
}

/**
 * A program stays on the platform and the cadence it started with: its rounds, and who is
 * due, are counted in periods of that cadence. What every run refuses, and `doctor` reports.
 */
export function programMismatch(db: DB, found: ProgramRow, platform: string, cadence: Cadence): ProgramMismatch | undefined {
  if (found.platform !== platform) {
    return {
      problem: `PAIRBOT_PLATFORM: program "${found.name}" runs on ${found.platform}, but the platform is set to ${platform}`,
      fix: `set PAIRBOT_PLATFORM=${found.platform}, or use another PAIRBOT_PROGRAM for a second community`,
    };
  }
  const latest = latestPeriod(db, found);
  const paired = latest === undefined ? undefined : cadenceOfKey(latest);
  if (paired !== undefined && paired !== cadence) {
    return {
      problem: `PAIRBOT_CADENCE: program "${found.name}" pairs ${paired} (its latest round is ${latest}), not ${cadence}: its history is counted in ${paired} rounds`,
      fix: `set PAIRBOT_CADENCE=${paired}, or use another PAIRBOT_PROGRAM for ${cadence} rounds`,
    };
  }
  return undefined;
}

/** The program row, created on first use; one the settings cannot run (programMismatch) is exit 2. */
export function ensureProgram(db: DB, name: string, platform: string, cadence: Cadence, now: Date): ProgramRow {
  const found = findProgram(db, name);
  if (found) {
    const mismatch = programMismatch(db, found, platform, cadence);
    if (mismatch) throw new UsageError(`${mismatch.problem}. ${mismatch.fix.charAt(0).toUpperCase()}${mismatch.fix.slice(1)}`);
    return found;
  }
  const info = db.prepare('INSERT INTO programs (name, platform, created_at) VALUES (?, ?, ?)').run(name, platform, now.toISOString());
  return { id: Number(info.lastInsertRowid), name, platform };
}
