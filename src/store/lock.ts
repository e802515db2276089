import { hostname } from 'node:os';
import { LockedError } from '../errors.js';
import { writeTransaction, type DB } from './db.js';

/** A lock older than this from another host is taken to be abandoned. */
const FOREIGN_LOCK_TTL_MS = 6 * 3600_000;

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Takes the program's run lock, or throws LockedError (exit 75) when another live
 * pairbot run holds it. A lock left by a dead process on this host is taken over.
 * Returns the release function.
 */
export function acquireLock(db: DB, program: string): () => void {
  const host = hostname();
  const now = new Date();
  writeTransaction(db, () => {
    const held = db.prepare('SELECT pid, host, acquired_at AS acquiredAt FROM locks WHERE program = ?').get(program) as
      | { pid: number; host: string; acquiredAt: string }
      | undefined;
    if (held && !(held.host === host && held.pid === process.pid)) {
      const stale = held.host === host ? !isAlive(held.pid) : Date.now() - Date.parse(held.acquiredAt) > FOREIGN_LOCK_TTL_MS;
      if (!stale) {
        throw new LockedError(
          `another pairbot run (pid ${held.pid} on ${held.host}, since ${held.acquiredAt}) is working on program "${program}"; try again later`,
        );
      }
    }
    db.prepare('INSERT OR REPLACE INTO locks (program, pid, host, acquired_at) VALUES (?, ?, ?, ?)').run(
      program,
      process.pid,
      host,
      now.toISOString(),
    );
  });
  return () => {
    db.prepare('DELETE FROM locks WHERE program = ? AND pid = ? AND host = ?').run(program, process.pid, host);
  };
}
