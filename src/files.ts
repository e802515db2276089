import {
  accessSync,
  chmodSync,
  closeSync,
  constants,
  existsSync,
  mkdirSync,
  openSync,
  renameSync,
  rmSync,
  statSync,
  statfsSync,
  writeSync,
} from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileProblem, StoreError, UsageError } from './errors.js';

/**
 * Creates folder `dir` and the folders above it that are missing, one at a time: Node's
 * `mkdirSync(…, { recursive: true })` retries for ever where mkdir answers ENOENT under a
 * folder that exists (`/proc/x`), and a cron job must fail, not hang. Writable by the owner
 * only (0755 at most, whatever the umask): nobody else can delete or swap pairbot's files.
 */
export function makeFolders(dir: string): void {
  const missing: string[] = [];
  for (let d = resolve(dir); !existsSync(d) && dirname(d) !== d; d = dirname(d)) missing.unshift(d);
  for (const d of missing) {
    try {
      mkdirSync(d, 0o755);
    } catch (err) {
      // Made meanwhile by another process: as good as made here.
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
  }
}

/**
 * Writes a whole file or nothing: the text goes to a temporary file beside it,
 * then replaces the file in one rename, so a crash never leaves half a file.
 * A replaced file keeps the mode its owner gave it; a new one gets 0600, since
 * pairbot's files hold members' names.
 */
export function writeFileAtomic(path: string, text: string): void {
  const file = stageFile(path);
  try {
    file.write(text);
  } catch (err) {
    file.discard();
    throw err;
  }
  file.commit();
}

/** A file written piece by piece beside its path, put in place by `commit` (see writeFileAtomic). */
export interface StagedFile {
  write(text: string): void;
  /** Replaces the file at the path with what was written, in one rename. */
  commit(): void;
  /** Removes what was written; the file at the path stays as it was. */
  discard(): void;
}

const encoder = new TextEncoder();
const bytes = new Uint8Array(1 << 20);

/**
 * Starts writing `path` atomically, for a file too large to hold as one string: each
 * `write` goes to the file at once (so give it pieces of some size, not a word at a time).
 */
export function stageFile(path: string): StagedFile {
  const failed = (err: unknown): StoreError => new StoreError(`cannot write ${path}: ${fileProblem(err)}`, { cause: err });
  const tmp = `${path}.${process.pid}.tmp`;
  let fd: number | undefined;
  let mode: number;
  try {
    makeFolders(dirname(path));
    mode = existsSync(path) ? statSync(path).mode & 0o777 : 0o600;
    fd = openSync(tmp, 'w', mode);
  } catch (err) {
    throw failed(err);
  }
  const discard = (): void => {
    if (fd !== undefined) closeSync(fd);
    fd = undefined;
    // Nothing half-written: a failed write or rename leaves no temporary file behind.
    rmSync(tmp, { force: true });
  };
  return {
    write(text) {
      try {
        // Encoded into one reused buffer: a new buffer per piece of a large file costs more than the encoding.
        for (let rest = text; rest.length > 0; ) {
          const { read, written } = encoder.encodeInto(rest, bytes);
          for (let done = 0; done < written; ) done += writeSync(fd!, bytes, done, written - done);
          rest = rest.slice(read);
        }
      } catch (err) {
        throw failed(err);
      }
    },
    commit() {
      try {
        closeSync(fd!);
        fd = undefined;
        chmodSync(tmp, mode);
        renameSync(tmp, path);
      } catch (err) {
        discard();
        throw failed(err);
      }
    },
    discard,
  };
}

/** Below this much free space, a write that failed is put down to the disk being (nearly) full. */
const LOW_SPACE_BYTES = 1 << 20;

/**
 * "the disk holding DIR is full (0 KB free)" when the disk that holds `path` has less than
 * a megabyte free, else undefined: SQLite's own words for it ("disk I/O error") do not say.
 */
export function lowDiskSpace(path: string): string | undefined {
  try {
    const dir = dirname(path);
    const { bavail, bsize } = statfsSync(dir);
    const free = bavail * bsize;
    if (free >= LOW_SPACE_BYTES) return undefined;
    return `the disk holding ${dir} is ${free === 0 ? 'full' : 'nearly full'} (${Math.floor(free / 1024)} KB free)`;
  } catch {
    return undefined;
  }
}

/** Is `path` an existing folder (where a file was asked for)? */
export function isFolder(path: string): boolean {
  return existsSync(path) && statSync(path).isDirectory();
}

/**
 * What stops this user from writing `path` (replacing it atomically, or creating it and
 * its folders): the file itself, or the folder that must take new files. Undefined when
 * nothing does.
 */
function firstUnwritable(path: string): string | undefined {
  if (existsSync(path) && !isWritable(path)) return path;
  let dir = dirname(path);
  while (!existsSync(dir) && dirname(dir) !== dir) dir = dirname(dir);
  return isWritable(dir) ? undefined : dir;
}

/** May this user write to `path` (a file, or a folder's entries)? */
export function isWritable(path: string): boolean {
  return whyNotWritable(path) === undefined;
}

/** whyNotWritable's words for a read-only mount. */
const READ_ONLY = 'is on a read-only file system';

/**
 * Why this user may not write to `path`, as words following it ("… is not writable by this
 * user"); undefined when they may. A read-only mount is said as such: no permission fixes it.
 */
export function whyNotWritable(path: string): string | undefined {
  try {
    accessSync(path, constants.W_OK);
    return undefined;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EROFS' ? READ_ONLY : 'is not writable by this user';
  }
}

/**
 * `flag` (an output path: a file, or with `folder` a folder of files) must be one this user
 * can write, checked before anything is read: a usage error naming the flag and what stops it.
 */
export function requireWritableOutput(flag: string, path: string, { folder = false } = {}): void {
  const target = resolve(path);
  const blocked = firstUnwritable(folder ? join(target, 'file') : target);
  if (blocked !== undefined) throw new UsageError(`${flag}: cannot write ${target}: ${blocked} ${whyNotWritable(blocked)}`);
}

/** What stops pairbot from keeping a file at a path, and how to fix it (doctor's detail and fix). */
export interface UnusableFile {
  detail: string;
  fix: string;
}

/**
 * What stops this user from keeping the SQLite file that `setting` names at `path` — reading it,
 * writing it, writing its journal files (-wal, -shm) beside it, or creating it and its folders —
 * undefined when nothing does. With `tryCreating`, a missing file is made in the nearest folder
 * that exists and removed at once: a folder may refuse new files that access() allows (/proc).
 */
export function unusableFile(setting: string, path: string, { tryCreating = true } = {}): UnusableFile | undefined {
  const elsewhere = `set ${setting} to a file in a folder this user may write`;
  if (isFolder(path))
    return { detail: `${path} is a folder, not a file`, fix: `set ${setting} to a file in that folder, not the folder itself` };
  const exists = existsSync(path);
  // The file itself, then the folder that takes SQLite's journal files (or the -wal file left there).
  const blocked = firstUnwritable(path) ?? (exists ? firstUnwritable(`${path}-wal`) : undefined);
  if (blocked !== undefined) {
    const why = whyNotWritable(blocked);
    const journal = exists && blocked !== path ? ' (SQLite writes its journal files, -wal and -shm, beside the file)' : '';
    return {
      detail: `${blocked} ${why}${journal}`,
      fix:
        why === READ_ONLY
          ? `mount it read-write, or ${elsewhere}`
          : `run pairbot as the owner of ${blocked}, give this user write permission on it, or ${elsewhere}`,
    };
  }
  if (exists) {
    try {
      accessSync(path, constants.R_OK);
      return undefined;
    } catch {
      return {
        detail: `${path} is not readable by this user`,
        fix: `run pairbot as the owner of ${path}, give this user read permission on it, or ${elsewhere}`,
      };
    }
  }
  let dir = dirname(resolve(path));
  while (!existsSync(dir) && dirname(dir) !== dir) dir = dirname(dir);
  if (!isFolder(dir)) return { detail: `${dir} is not a folder`, fix: `set ${setting} to a path under a folder` };
  if (!tryCreating) return undefined;
  const probe = join(dir, `.pairbot-${process.pid}.probe`);
  try {
    closeSync(openSync(probe, 'wx', 0o600));
    rmSync(probe, { force: true });
    return undefined;
  } catch (err) {
    return { detail: `no file can be created in ${dir}: ${fileProblem(err)}`, fix: elsewhere };
  }
}

/**
 * `setting`'s file must be one this user can keep (unusableFile), checked before anything is
 * written or connects: a usage error naming the setting, the path, what stops it and the fix.
 */
export function requireUsableFile(setting: string, path: string, options?: { tryCreating?: boolean }): void {
  const problem = unusableFile(setting, path, options);
  if (problem) throw new UsageError(`${setting}: cannot use ${path}: ${problem.detail}; ${problem.fix}`);
}
