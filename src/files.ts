import { accessSync, chmodSync, constants, existsSync, mkdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

/**
 * Writes a whole file or nothing: the text goes to a temporary file beside it,
 * then replaces the file in one rename, so a crash never leaves half a file.
 * A replaced file keeps the mode its owner gave it; a new one gets 0600, since
 * pairbot's files hold members' names.
 */
export function writeFileAtomic(path: string, text: string): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.${process.pid}.tmp`;
  const mode = existsSync(path) ? statSync(path).mode & 0o777 : 0o600;
  try {
    writeFileSync(tmp, text, { mode });
    chmodSync(tmp, mode);
    renameSync(tmp, path);
  } catch (err) {
    // Nothing half-written: a failed write or rename leaves no temporary file behind.
    rmSync(tmp, { force: true });
    throw err;
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
export function firstUnwritable(path: string): string | undefined {
  if (existsSync(path) && !isWritable(path)) return path;
  let dir = dirname(path);
  while (!existsSync(dir) && dirname(dir) !== dir) dir = dirname(dir);
  return isWritable(dir) ? undefined : dir;
}

/** May this user write to `path` (a file, or a folder's entries)? */
export function isWritable(path: string): boolean {
  try {
    accessSync(path, constants.W_OK);
    return true;
  } catch {
    return false;
  }
}
