import { closeSync, copyFileSync, existsSync, mkdtempSync, openSync, readSync, rmSync, statSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import Database from 'better-sqlite3';
import { fileProblem, isDatabaseBusy, isDiskWriteError, PairbotError, StoreError, UsageError } from '../errors.js';
import { MIGRATIONS } from './migrations.js';
import { isWritable, lowDiskSpace, makeFolders, requireUsableFile } from '../files.js';

export type DB = Database.Database;

export interface OpenOptions {
  /**
   * Work on an in-memory copy of the file: every write the command makes is
   * discarded, so `--dry-run` cannot change the database, by construction.
   */
  scratch?: boolean;
  /**
   * Read the file in place, without copying it, and never write (reports and
   * exports of large databases). Falls back to a scratch copy when the file
   * cannot be opened that way or its schema needs a migration first.
   */
  readOnly?: boolean;
  /** The setting that named the file (`PAIRBOT_DB` or `--db`), named by a refusal to use it. */
  setting?: string;
}

/**
 * How long a statement waits for another process's write transaction (another
 * program's run in the same database) before giving up. Write transactions are
 * kept short, so waiting this long means something is stuck.
 */
const BUSY_TIMEOUT_MS = 30_000;

/** The schema version this pairbot writes. */
export const SCHEMA_VERSION = MIGRATIONS.length;

/** Opens (creating with mode 0600 when missing) and migrates the database. */
export function openDatabase(path: string, options: OpenOptions = {}): DB {
  const setting = options.setting ?? 'PAIRBOT_DB';
  let db: DB;
  if (options.readOnly && existsSync(path)) {
    const inPlace = openInPlace(path, setting);
    if (inPlace) return reusePreparedStatements(inPlace);
  }
  try {
    const check = (opened: DB): void => refuseForeign(opened, path, setting);
    db = options.scratch || options.readOnly ? openScratchCopy(path, check) : openSqliteFile(path, { check, setting });
  } catch (err) {
    if (err instanceof PairbotError) throw err;
    throw (
      diskWriteFailure(err, path) ??
      unusableDatabase(err, path, setting) ??
      new StoreError(`cannot open database ${path}: ${(err as Error).message}`, { cause: err })
    );
  }
  try {
    db.pragma('foreign_keys = ON');
    applyMigrations(db, path, MIGRATIONS);
  } catch (err) {
    db.close();
    throw err;
  }
  return reusePreparedStatements(db);
}

/** Beyond this many distinct statements (SQL built from parts), new ones are prepared each time. */
const STATEMENT_CACHE_SIZE = 500;

/**
 * Makes `db.prepare` return the statement prepared earlier for the same SQL: a round
 * runs the same few dozen statements up to a few hundred thousand times, and preparing
 * one costs more than running it. A reused statement is reset to plain rows, so a
 * caller's `pluck()` never leaks into the next caller's.
 */
export function reusePreparedStatements(db: DB): DB {
  const prepare = db.prepare.bind(db);
  const cache = new Map<string, Database.Statement>();
  db.prepare = ((sql: string) => {
    let statement = cache.get(sql);
    if (!statement) {
      statement = prepare(sql);
      if (cache.size < STATEMENT_CACHE_SIZE) cache.set(sql, statement);
    } else if (statement.reader) {
      statement.raw(false).expand(false).pluck(false);
    }
    return statement;
  }) as DB['prepare'];
  return db;
}

/**
 * Pages the WAL may hold before a commit copies them into the database (SQLite's default is
 * 1,000). Each such checkpoint syncs both files; with one commit per message (the local
 * platform's posts) SQLite's default made one every ~500 messages and cost a 5,000-post
 * delivery ~60 µs a post more (190 against 120 µs wall on a busy machine). At most ~40 MB of
 * WAL; the last connection to close copies the rest and removes it.
 */
const WAL_CHECKPOINT_PAGES = 10_000;

/**
 * Why opening the file that `setting` names failed, as a configuration error (exit 2) when
 * the file is not a database or no file can be made there; undefined for anything else (a
 * database of pairbot's that is damaged is a database error, exit 1).
 */
function unusableDatabase(err: unknown, path: string, setting: string): UsageError | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  if (code === 'SQLITE_NOTADB') {
    return new UsageError(
      `${setting}: ${path} is not a pairbot database (SQLite: ${(err as Error).message}); set ${setting} to pairbot's database file, or to a new file`,
      { cause: err },
    );
  }
  if (typeof code === 'string' && CREATION_FAULTS.has(code)) {
    return new UsageError(
      `${setting}: cannot create database ${path}: ${fileProblem(err)}; set ${setting} to a file in a folder this user may write`,
      { cause: err },
    );
  }
  return undefined;
}

/** What making a file or folder answers where none can be made (not a full disk: that is said as such). */
const CREATION_FAULTS: ReadonlySet<string> = new Set(['EACCES', 'EPERM', 'ENOENT', 'ENOTDIR', 'EROFS', 'EISDIR']);

export interface SqliteFileOptions {
  /** Runs before anything is changed in the file. */
  check?: (db: DB) => void;
  /** Mode of a file created here. */
  mode?: number;
  /** The setting that named the file, named by a refusal to use it (default PAIRBOT_DB). */
  setting?: string;
}

/**
 * Opens a SQLite file for writing, creating it (and its directory) when missing, in WAL
 * mode: a commit survives a killed process, and readers never block the writer. A file
 * this user cannot keep there (read, write, journal beside it) is a usage error naming the setting.
 */
export function openSqliteFile(path: string, { check = () => {}, mode = 0o600, setting = 'PAIRBOT_DB' }: SqliteFileOptions = {}): DB {
  // SQLite's own "readonly database" does not say that the folder must take its journal files too.
  requireUsableFile(setting, path, { tryCreating: false });
  makeFolders(dirname(path));
  // Only a file pairbot creates gets 0600: an operator's chosen mode (say 0640 for a backup user) stays.
  if (!existsSync(path)) closeSync(openSync(path, 'a', mode));
  const db = new Database(path);
  try {
    db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
    check(db);
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.pragma(`wal_autocheckpoint = ${WAL_CHECKPOINT_PAGES}`);
  } catch (err) {
    db.close();
    // Switching to WAL waits for another process's lock (a file it created and keeps locked).
    throw lockedTooLong(db, err);
  }
  return db;
}

/** A database that lives only as long as the process (the scratch copy of a file not yet created). */
export function openMemory(): DB {
  return new Database(':memory:');
}

/**
 * The file opened to be read in place, or undefined when a scratch copy must do (schema to
 * migrate, WAL index not creatable). With no write-ahead log beside it and the right to write
 * there, it is opened read-write and only read: the last connection to close then removes the
 * -wal and -shm files that reading a WAL database creates, as a writer's does. Otherwise it is
 * opened read-only, and what a killed run left in its log is read, never folded into the file.
 */
function openInPlace(path: string, setting: string): DB | undefined {
  let db: DB | undefined;
  try {
    const logged = existsSync(`${path}-wal`) && statSync(`${path}-wal`).size > 0;
    const cleansUp = !logged && isWritable(path) && isWritable(dirname(path));
    db = new Database(path, { readonly: !cleansUp, fileMustExist: true });
    // Read-write only to clean up at close: SQLite refuses any write as it would on a read-only file.
    if (cleansUp) db.pragma('query_only = ON');
    db.pragma('busy_timeout = 5000');
    refuseForeign(db, path, setting);
    if ((db.pragma('user_version', { simple: true }) as number) === SCHEMA_VERSION) return db;
  } catch (err) {
    if (err instanceof PairbotError) {
      db?.close();
      throw err;
    }
  }
  db?.close();
  return undefined;
}

/**
 * Page cache of a scratch copy: what a round works on at once stays in the process; the rest
 * is read back from the temporary file (which the OS caches outside the process). 64 MB
 * instead cost a 100,000-member dry run ~50 MB more peak memory for no CPU measurably saved.
 */
const SCRATCH_CACHE_KIB = 16 * 1024;

/** How much of a scratch copy is read through a memory map (SQLite maps at most the file's size). */
const SCRATCH_MMAP_BYTES = 2 ** 30;

/**
 * A private copy of the file in a temporary directory, removed when the database is closed
 * (or the process exits). A file and not memory: peak memory stays the same however much
 * history the database holds, where an in-memory copy held all of it (twice, while loading).
 * Nothing beside the file is created, changed or removed: what a killed run left in its
 * journal is read into the copy, not folded into the file. A missing or empty file (a first
 * run killed as it created it) is an empty database. `check` runs on the file's content first.
 */
export function openScratchCopy(path: string, check: (db: DB) => void = () => {}): DB {
  if (!existsSync(path) || statSync(path).size === 0) return openMemory();
  const dir = mkdtempSync(join(tmpdir(), 'pairbot-scratch-'));
  const copy = join(dir, 'scratch.db');
  const remove = (): void => rmSync(dir, { recursive: true, force: true });
  process.once('exit', remove);
  let db: DB | undefined;
  try {
    if (hasWalContent(path)) snapshotWithWal(path, copy, check);
    else copyFileSync(path, copy);
    // Bytes 18-19 say "WAL mode": the copy uses a rollback journal, in memory, and is never synced.
    const fd = openSync(copy, 'r+');
    try {
      writeSync(fd, Buffer.from([1, 1]), 0, 2, 18);
    } finally {
      closeSync(fd);
    }
    db = new Database(copy);
    db.pragma('journal_mode = MEMORY');
    db.pragma('synchronous = OFF');
    db.pragma(`cache_size = -${SCRATCH_CACHE_KIB}`);
    // Read straight from the mapped file instead of copying each page through read(): a first read
    // of 100,000 members from a fresh copy costs half the CPU (0.31-0.37 s instead of 0.62-0.79 s).
    // The copy is private to this process, so nothing can truncate it under the mapping.
    db.pragma(`mmap_size = ${SCRATCH_MMAP_BYTES}`);
    check(db);
    const close = db.close.bind(db);
    db.close = (() => {
      close();
      remove();
      process.off('exit', remove);
      return db;
    }) as DB['close'];
    return db;
  } catch (err) {
    db?.close();
    remove();
    process.off('exit', remove);
    throw err;
  }
}

function hasWalContent(path: string): boolean {
  return existsSync(`${path}-wal`) && statSync(`${path}-wal`).size > 0;
}

/**
 * A run died without checkpointing (or one is writing now): copy through SQLite so the WAL's pages
 * are included. Read-only, so closing it never checkpoints the WAL into the file nor removes it.
 */
function snapshotWithWal(path: string, copy: string, check: (db: DB) => void): void {
  const source = new Database(path, { readonly: true, fileMustExist: true });
  try {
    source.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
    check(source);
    source.prepare('VACUUM INTO ?').run(copy);
  } finally {
    source.close();
  }
}

/** What a SQLite file of pairbot's holds: a table that only it has, and the schema version it is at. */
export interface OwnSchema {
  /** A table only this kind of file has. */
  own: string;
  version: number;
  /** As said after "is not": `a pairbot database`. */
  what: string;
  /** The file as named before its path: `database`. */
  noun: string;
}

const DATABASE_SCHEMA: OwnSchema = { own: 'programs', version: SCHEMA_VERSION, what: 'a pairbot database', noun: 'database' };

/**
 * Refuses, before anything is written to it, a file that is not `schema`'s kind — another
 * program's SQLite file, the local state where the database is due or the other way round
 * (migrating it would write tables into it) — or one of a newer pairbot.
 */
export function refuseForeign(db: DB, path: string, setting: string, schema: OwnSchema = DATABASE_SCHEMA): void {
  const tables = db
    .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")
    .pluck()
    .all() as string[];
  const unchanged = 'the file was not modified';
  if (schema !== DATABASE_SCHEMA && tables.includes(DATABASE_SCHEMA.own)) {
    throw new UsageError(
      `${setting}: ${path} is not ${schema.what}: it is pairbot's database; set ${setting} to a file of its own — ${unchanged}`,
    );
  }
  const version = db.pragma('user_version', { simple: true }) as number;
  if (version > schema.version) {
    throw new UsageError(
      `${setting}: ${schema.noun} ${path} has schema version ${version}, newer than this pairbot understands (${schema.version}); ` +
        `upgrade pairbot — the ${schema.noun} was not modified`,
    );
  }
  if (tables.length > 0 && !tables.includes(schema.own)) {
    const shown = tables.slice(0, 5).join(', ') + (tables.length > 5 ? ', …' : '');
    throw new UsageError(
      `${setting}: ${path} is not ${schema.what} (it holds other tables: ${shown}); set ${setting} to ${schema === DATABASE_SCHEMA ? "pairbot's database file" : 'its own file'}, or to a new file — ${unchanged}`,
    );
  }
}

/**
 * Applies each migration after the file's `user_version`. The version is read
 * inside an IMMEDIATE transaction, so two first runs on a new file never both migrate.
 */
export function applyMigrations(db: DB, path: string, migrations: readonly string[]): void {
  const pending = (): number => db.pragma('user_version', { simple: true }) as number;
  if (pending() >= migrations.length) return;
  try {
    writeTransaction(db, () => {
      for (let v = pending(); v < migrations.length; v++) {
        db.exec(migrations[v]!);
        db.pragma(`user_version = ${v + 1}`);
      }
    });
  } catch (err) {
    if (err instanceof StoreError) throw err;
    throw new StoreError(`database ${path}: migration to schema version ${migrations.length} failed: ${(err as Error).message}`, {
      cause: err,
    });
  }
}

/**
 * Runs `body` as one write transaction, the only way pairbot writes several rows.
 * BEGIN IMMEDIATE takes SQLite's write lock up front, waiting (busy timeout) while
 * another process writes: a transaction that read first and then tried to write
 * would fail at once when another program committed in between. Called inside
 * another write transaction it becomes a savepoint of it. Keep `body` short and
 * free of platform calls: every other program's run waits while it runs.
 */
export function writeTransaction<T>(db: DB, body: () => T): T {
  try {
    return runTransaction(db, body);
  } catch (err) {
    throw lockedTooLong(db, err);
  }
}

/**
 * Opens a write transaction that stays open across calls until the caller runs COMMIT: for
 * writes that come one at a time but are committed together (the local platform's posts of a
 * delivery batch). Waits for another process's write transaction as writeTransaction does.
 */
export function beginWrite(db: DB): void {
  try {
    db.prepare('BEGIN IMMEDIATE').run();
  } catch (err) {
    throw lockedTooLong(db, err);
  }
}

function lockedTooLong(db: DB, err: unknown): unknown {
  return isDatabaseBusy(err) ? lockedFailure(db.name, err) : err;
}

/** SQLite's lock on the file `path` held past the busy timeout, as the error that names that file (exit 1). */
export function lockedFailure(path: string, err: unknown): StoreError {
  return new StoreError(
    `the database ${path} stayed locked by another process for ${BUSY_TIMEOUT_MS / 1000} s; this change was not made (nothing is half-written): run again`,
    { cause: err },
  );
}

interface TransactionStatements {
  begin: Database.Statement;
  commit: Database.Statement;
  rollback: Database.Statement;
  savepoint: Database.Statement;
  release: Database.Statement;
  rollbackTo: Database.Statement;
}

const transactionStatements = new WeakMap<DB, TransactionStatements>();

/**
 * `db.transaction(body).immediate()` without its cost: better-sqlite3 builds four wrapper
 * functions and their properties on every call, which a delivery of 50,000 messages (a few
 * transactions each) pays 200,000 times. The same steps with statements prepared once per
 * connection: BEGIN IMMEDIATE … COMMIT, or a savepoint inside a transaction already open;
 * anything `body` throws rolls back what it wrote.
 */
function runTransaction<T>(db: DB, body: () => T): T {
  let s = transactionStatements.get(db);
  if (!s) {
    s = {
      begin: db.prepare('BEGIN IMMEDIATE'),
      commit: db.prepare('COMMIT'),
      rollback: db.prepare('ROLLBACK'),
      savepoint: db.prepare('SAVEPOINT pairbot_write'),
      release: db.prepare('RELEASE pairbot_write'),
      rollbackTo: db.prepare('ROLLBACK TO pairbot_write'),
    };
    transactionStatements.set(db, s);
  }
  const nested = db.inTransaction;
  (nested ? s.savepoint : s.begin).run();
  try {
    const result = body();
    if (result instanceof Promise) throw new TypeError('a write transaction cannot wait for a promise');
    (nested ? s.release : s.commit).run();
    return result;
  } catch (err) {
    // SQLite may have rolled back on its own (e.g. SQLITE_FULL): then there is nothing to undo.
    if (db.inTransaction) {
      if (nested) {
        s.rollbackTo.run();
        s.release.run();
      } else s.rollback.run();
    }
    throw err;
  }
}

/**
 * The schema version of an existing database file, read without changing it (for `doctor`).
 * Without a -wal file nothing is in the journal, so the file's header holds the version: a
 * read-only connection would create -wal and -shm files beside the database and leave them.
 */
export function schemaVersionOf(path: string): number {
  if (!existsSync(`${path}-wal`)) return headerUserVersion(path);
  let db: DB | undefined;
  try {
    db = new Database(path, { readonly: true, fileMustExist: true });
    db.pragma('busy_timeout = 5000');
    return db.pragma('user_version', { simple: true }) as number;
  } catch (err) {
    throw new StoreError(`cannot read database ${path}: ${(err as Error).message}`, { cause: err });
  } finally {
    db?.close();
  }
}

/** `PRAGMA user_version` as the file's header stores it (bytes 60-63, big-endian); an empty file is a new database. */
function headerUserVersion(path: string): number {
  const header = Buffer.alloc(100);
  let length: number;
  try {
    const fd = openSync(path, 'r');
    try {
      length = readSync(fd, header, 0, header.length, 0);
    } finally {
      closeSync(fd);
    }
  } catch (err) {
    throw new StoreError(`cannot read database ${path}: ${(err as Error).message}`, { cause: err });
  }
  if (length === 0) return 0;
  if (length < header.length || header.toString('latin1', 0, 16) !== 'SQLite format 3\0') {
    throw new StoreError(`cannot read database ${path}: file is not a database`);
  }
  return header.readUInt32BE(60);
}

/**
 * SQLite's failure to write the database at `path` for want of space, said so with the
 * folder to free space in; undefined for any other error.
 */
export function diskWriteFailure(err: unknown, path: string): StoreError | undefined {
  const low = isDiskWriteError(err) ? lowDiskSpace(path) : undefined;
  if (low === undefined) return undefined;
  return new StoreError(
    `database ${path}: ${(err as Error).message}: ${low}. What was not committed is not stored; free space there and run again`,
    { cause: err },
  );
}
