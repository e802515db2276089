import { readFileSync } from 'node:fs';
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
 * When the process `pid` started (ms since the epoch), from Linux's /proc; undefined where
 * /proc does not tell. A pid is reused (after a reboot, a container restart), so a live
 * process that started after a lock was taken is not the run that took it.
 */
function startedAt(pid: number): number | undefined {
  try {
    // Field 22, after the command name in parentheses (which may hold spaces), in clock ticks since boot.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const ticks = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]);
    const boot = Number(/^btime (\d+)$/m.exec(readFileSync('/proc/stat', 'utf8'))?.[1]);
    // USER_HZ, the unit of /proc's times, is 100 on Linux.
    return Number.isFinite(ticks) && boot > 0 ? boot * 1000 + ticks * 10 : undefined;
  } catch {
    return undefined;
  }
}

/** Boot time is whole seconds and the clock may be stepped: a margin before calling a pid reused. */
const START_SLACK_MS = 2000;

/** Is the run that took the lock at `acquiredAt` as `pid` on this host still running? */
function holderAlive(pid: number, acquiredAt: string): boolean {
  if (!isAlive(pid)) return false;
  const started = startedAt(pid);
  return started === undefined || started <= Date.parse(acquiredAt) + START_SLACK_MS;
}

/**
 * Takes the program's run lock, or throws LockedError (exit 75) when another live
 * pairbot run holds it. A lock left by a dead process on this host is taken over, and so
 * is one whose pid now names a process started after the lock was taken.
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
      const stale =
        held.host === host ? !holderAlive(held.pid, held.acquiredAt) : Date.now() - Date.parse(held.acquiredAt) > FOREIGN_LOCK_TTL_MS;
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
