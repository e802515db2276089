import { chmodSync, closeSync, existsSync, openSync, readFileSync, readSync, renameSync, rmSync, statSync } from 'node:fs';
import { StoreError, UsageError } from '../errors.js';
import {
  applyMigrations,
  beginWrite,
  openMemory,
  openScratchCopy,
  openSqliteFile,
  type OwnSchema,
  refuseForeign,
  reusePreparedStatements,
  writeTransaction,
  type DB,
} from './db.js';

/**
 * The local platform's own SQLite file: its posts, reactions and removed members.
 * Each change is one small transaction (O(1) per message, whatever the size of the
 * community; a delivery's posts share one per batch), and a `local react` run beside a
 * `pair` run is serialised by SQLite instead of being overwritten by a read-modify-write
 * of a whole file.
 */

interface LocalReaction {
  userId: string;
  emoji: string;
}

export interface LocalPost {
  id: string;
  /** `channel`, `group:<ids>` for a group's conversation, or `dm:<id>` for what a member wrote to the bot. */
  conversation: string;
  /** Who wrote it, when a member did (`local say`); the bot's posts have none. */
  from?: string;
  recipients: string[];
  text: string;
  at: string;
  reactions: LocalReaction[];
}

export interface NewLocalPost extends Omit<LocalPost, 'id'> {
  /** The sender's idempotency key: a second post with the same key returns the first. */
  key?: string;
}

/** The JSON file earlier versions rewrote on every message; read once and converted. */
interface LegacyState {
  version: 1;
  nextId: number;
  posts: LocalPost[];
  removed?: string[];
}

const LOCAL_STATE_MIGRATIONS: readonly string[] = [
  // 1: posts (id `p<seq>`), their reactions in the order given, members taken out by prune/kick.
  `
  CREATE TABLE posts (
    seq INTEGER PRIMARY KEY,
    key TEXT UNIQUE,
    conversation TEXT NOT NULL,
    recipients TEXT NOT NULL,
    text TEXT NOT NULL,
    at TEXT NOT NULL
  );
  CREATE TABLE reactions (
    id INTEGER PRIMARY KEY,
    post_seq INTEGER NOT NULL REFERENCES posts(seq),
    user_id TEXT NOT NULL,
    emoji TEXT NOT NULL,
    UNIQUE (post_seq, user_id, emoji)
  );
  CREATE TABLE removed (
    user_id TEXT PRIMARY KEY
  );
  `,
  // 2: what members write (`local say`, read by `inbox`): the author of a post, none for the bot's.
  `
  ALTER TABLE posts ADD COLUMN author TEXT;
  `,
];

/** What makes a SQLite file the local state: its `removed` table (pairbot's database has `posts` too). */
const LOCAL_STATE_SCHEMA: OwnSchema = {
  own: 'removed',
  version: LOCAL_STATE_MIGRATIONS.length,
  what: 'a local state file',
  noun: 'local state file',
};

const SQLITE_HEADER = 'SQLite format 3\0';

/** The setting naming the state file, as a refusal to use it names it. */
const SETTING = 'PAIRBOT_LOCAL_STATE';

interface PostRow {
  seq: number;
  author: string | null;
  conversation: string;
  recipients: string;
  text: string;
  at: string;
}

const postId = (seq: number): string => `p${seq}`;
const seqOf = (id: string): number | undefined => (/^p[1-9]\d*$/.test(id) ? Number(id.slice(1)) : undefined);

export class LocalStateStore {
  private db?: DB;
  /** Whether `db` is the file itself (false: an in-memory view of a missing or JSON file). */
  private onFile = false;
  /** Whether addHeldPost opened a transaction not committed yet. */
  private holding = false;
  /** Why a held post failed, which rolled back the posts held with it. */
  private lostPosts: unknown;

  /**
   * @param path the state file (PAIRBOT_LOCAL_STATE)
   * @param legacyPath a JSON state file of an earlier version, converted into `path` on the first write when `path` does not exist
   */
  /**
   * `writes`: the run may write (not a dry run nor a reader): an existing state file is then read in
   * place rather than from a scratch copy, which would copy the whole file on every real run.
   */
  constructor(
    readonly path: string,
    private readonly legacyPath?: string,
    private readonly writes = false,
  ) {}

  posts(): LocalPost[] {
    const db = this.reader();
    const reactions = new Map<number, LocalReaction[]>();
    for (const r of db.prepare('SELECT post_seq AS seq, user_id AS userId, emoji FROM reactions ORDER BY id').all() as (LocalReaction & {
      seq: number;
    })[]) {
      const list = reactions.get(r.seq) ?? [];
      list.push({ userId: r.userId, emoji: r.emoji });
      reactions.set(r.seq, list);
    }
    return (db.prepare('SELECT seq, author, conversation, recipients, text, at FROM posts ORDER BY seq').all() as PostRow[]).map((row) =>
      toPost(row, reactions.get(row.seq) ?? []),
    );
  }

  findPost(id: string): LocalPost | undefined {
    const seq = seqOf(id);
    if (seq === undefined) return undefined;
    const db = this.reader();
    const row = db.prepare('SELECT seq, author, conversation, recipients, text, at FROM posts WHERE seq = ?').get(seq) as
      | PostRow
      | undefined;
    if (!row) return undefined;
    return toPost(
      row,
      db.prepare('SELECT user_id AS userId, emoji FROM reactions WHERE post_seq = ? ORDER BY id').all(seq) as LocalReaction[],
    );
  }

  /** Posts members wrote, oldest first (reactions left out: inbox reads text). */
  writtenByMembers(): LocalPost[] {
    const rows = this.reader()
      .prepare('SELECT seq, author, conversation, recipients, text, at FROM posts WHERE author IS NOT NULL ORDER BY seq')
      .all() as PostRow[];
    return rows.map((row) => toPost(row, []));
  }

  removed(): string[] {
    return (this.reader().prepare('SELECT user_id AS id FROM removed ORDER BY rowid').all() as { id: string }[]).map((r) => r.id);
  }

  isRemoved(userId: string): boolean {
    return this.reader().prepare('SELECT 1 FROM removed WHERE user_id = ?').get(userId) !== undefined;
  }

  /** Stores a post, or returns the one stored earlier under the same key. */
  addPost(post: NewLocalPost): LocalPost {
    return this.transaction(() => this.insertPost(post));
  }

  /**
   * Stores a post as addPost does, in a write transaction left open for the next posts until
   * `commitPosts` (any other write, or `close`, commits it first): a delivery writes the state
   * file once per batch of posts, not once per post. Another process's write (a `local react`)
   * waits for that commit, as for any transaction.
   */
  addHeldPost(post: NewLocalPost): LocalPost {
    const db = this.writer();
    if (!this.holding) {
      beginWrite(db);
      this.holding = true;
    }
    try {
      if (!db.inTransaction) throw new Error('SQLite rolled the transaction back');
      return this.insertPost(post);
    } catch (err) {
      // Held posts are committed together or not at all: those before this one are given up
      // too, and commitPosts says so, so that nobody records them as sent.
      if (db.inTransaction) db.prepare('ROLLBACK').run();
      this.lostPosts ??= err;
      throw err;
    }
  }

  /**
   * Commits the posts addHeldPost stored since the last commit; throws when they were not
   * all written (a failed post rolls back the ones held with it).
   */
  commitPosts(): void {
    if (!this.holding) return;
    this.holding = false;
    const lost = this.lostPosts ?? (this.db?.inTransaction ? undefined : new Error('SQLite rolled the transaction back'));
    this.lostPosts = undefined;
    if (lost !== undefined) {
      const why = (lost as Error).message;
      throw new StoreError(`${this.path}: the local platform's latest posts were not written (${why}); the next run sends them`, {
        cause: lost,
      });
    }
    this.db!.prepare('COMMIT').run();
  }

  private insertPost(post: NewLocalPost): LocalPost {
    const db = this.writer();
    const inserted = db
      .prepare('INSERT INTO posts (key, author, conversation, recipients, text, at) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (key) DO NOTHING')
      .run(post.key ?? null, post.from ?? null, post.conversation, JSON.stringify(post.recipients), post.text, post.at);
    if (inserted.changes === 0) {
      // Stored before under this key (a send again after a kill): that post, as it was.
      const seq = db.prepare('SELECT seq FROM posts WHERE key = ?').pluck().get(post.key) as number;
      return this.findPost(postId(seq))!;
    }
    const seq = Number(inserted.lastInsertRowid);
    const react = db.prepare('INSERT OR IGNORE INTO reactions (post_seq, user_id, emoji) VALUES (?, ?, ?)');
    for (const r of post.reactions) react.run(seq, r.userId, r.emoji);
    return {
      id: postId(seq),
      conversation: post.conversation,
      from: post.from,
      recipients: post.recipients,
      text: post.text,
      at: post.at,
      reactions: post.reactions,
    };
  }

  /** Adds a reaction (moving it last, as a fresh click would) or takes it back. */
  /** Adds or takes back a reaction; returns whether anything changed (false: it was already there, or was not). */
  setReaction(postId: string, userId: string, emoji: string, present: boolean): boolean {
    const seq = seqOf(postId);
    if (seq === undefined) return false;
    return this.transaction(() => {
      const db = this.writer();
      const had =
        db.prepare('SELECT 1 FROM reactions WHERE post_seq = ? AND user_id = ? AND emoji = ?').get(seq, userId, emoji) !== undefined;
      if (had === present) return false;
      if (!present) db.prepare('DELETE FROM reactions WHERE post_seq = ? AND user_id = ? AND emoji = ?').run(seq, userId, emoji);
      else db.prepare('INSERT INTO reactions (post_seq, user_id, emoji) SELECT seq, ?, ? FROM posts WHERE seq = ?').run(userId, emoji, seq);
      return true;
    });
  }

  /** Marks a member as taken out of (or back in) the local channel; returns whether anything changed. */
  setRemoved(userId: string, removed: boolean): boolean {
    const statement = removed ? 'INSERT OR IGNORE INTO removed (user_id) VALUES (?)' : 'DELETE FROM removed WHERE user_id = ?';
    // A transaction, so that a lock held too long by another process is an error naming this file.
    return this.transaction(() => this.writer().prepare(statement).run(userId).changes > 0);
  }

  /**
   * Runs `change` as one write transaction: what it reads cannot be changed by another
   * process before it commits, and when it throws nothing is written.
   */
  transaction<T>(change: () => T): T {
    this.commitPosts();
    const db = this.writer();
    if (db.inTransaction) return change();
    return writeTransaction(db, change);
  }

  close(): void {
    try {
      this.commitPosts();
    } finally {
      this.db?.close();
      this.db = undefined;
      this.onFile = false;
    }
  }

  /**
   * Reading never creates, converts, migrates nor touches the file (a dry run, `members` and
   * `local messages` work for a user who may only read it): a SQLite file is read from a
   * scratch copy until the first write (in place by a run that writes), a missing or JSON file
   * into memory.
   */
  private reader(): DB {
    if (this.db) return this.db;
    const format = fileFormat(this.path);
    if (format === 'sqlite' && this.writes) return this.openFile();
    if (format === 'sqlite') {
      this.db = migrated(
        openScratchCopy(this.path, (db) => refuseForeign(db, this.path, SETTING, LOCAL_STATE_SCHEMA)),
        this.path,
      );
      return this.db;
    }
    const db = openMemory();
    applyMigrations(db, ':memory:', LOCAL_STATE_MIGRATIONS);
    const legacy =
      format === 'json' ? this.path : this.legacyPath !== undefined && existsSync(this.legacyPath) ? this.legacyPath : undefined;
    if (legacy) importLegacy(db, readLegacy(legacy));
    this.db = db;
    return db;
  }

  /** The file itself, created or converted from JSON first when needed. */
  private writer(): DB {
    if (this.db && this.onFile) return this.db;
    this.db?.close();
    this.db = undefined;
    const format = fileFormat(this.path);
    if (format === 'json') convertLegacy(this.path, this.path);
    else if (format === 'missing' && this.legacyPath !== undefined && existsSync(this.legacyPath))
      convertLegacy(this.legacyPath, this.path);
    return this.openFile();
  }

  private openFile(): DB {
    const db = migrated(
      openSqliteFile(this.path, { setting: SETTING, check: (opened) => refuseForeign(opened, this.path, SETTING, LOCAL_STATE_SCHEMA) }),
      this.path,
    );
    this.db = db;
    this.onFile = true;
    return db;
  }
}

/** The state file `path` opened as `db`, migrated to this version's schema (closed if that fails). */
function migrated(db: DB, path: string): DB {
  try {
    applyMigrations(db, path, LOCAL_STATE_MIGRATIONS);
  } catch (err) {
    db.close();
    throw err;
  }
  return reusePreparedStatements(db);
}

function toPost(row: PostRow, reactions: LocalReaction[]): LocalPost {
  return {
    id: postId(row.seq),
    conversation: row.conversation,
    ...(row.author !== null ? { from: row.author } : {}),
    recipients: JSON.parse(row.recipients) as string[],
    text: row.text,
    at: row.at,
    reactions,
  };
}

function fileFormat(path: string): 'missing' | 'sqlite' | 'json' {
  if (!existsSync(path)) return 'missing';
  if (statSync(path).size === 0) return 'sqlite';
  const fd = openSync(path, 'r');
  try {
    const head = Buffer.alloc(SQLITE_HEADER.length);
    readSync(fd, head, 0, head.length, 0);
    return head.toString('latin1') === SQLITE_HEADER ? 'sqlite' : 'json';
  } finally {
    closeSync(fd);
  }
}

function readLegacy(path: string): LegacyState {
  try {
    const state = JSON.parse(readFileSync(path, 'utf8').replace(/^\uFEFF/, '')) as LegacyState;
    if (state?.version !== 1 || !Array.isArray(state.posts)) throw new Error('unrecognised content');
    for (const p of state.posts) {
      if (seqOf(String(p.id)) === undefined) throw new Error(`post id ${JSON.stringify(p.id)} is not of the form p<number>`);
    }
    return state;
  } catch (err) {
    throw new UsageError(`PAIRBOT_LOCAL_STATE: ${path} is not a pairbot local state file: ${(err as Error).message}`, { cause: err });
  }
}

function importLegacy(db: DB, state: LegacyState): void {
  db.transaction(() => {
    const post = db.prepare('INSERT INTO posts (seq, conversation, recipients, text, at) VALUES (?, ?, ?, ?, ?)');
    const react = db.prepare('INSERT OR IGNORE INTO reactions (post_seq, user_id, emoji) VALUES (?, ?, ?)');
    for (const p of state.posts) {
      const seq = seqOf(p.id)!;
      post.run(seq, p.conversation, JSON.stringify(p.recipients ?? []), p.text, p.at);
      for (const r of p.reactions ?? []) react.run(seq, r.userId, r.emoji);
    }
    const removed = db.prepare('INSERT OR IGNORE INTO removed (user_id) VALUES (?)');
    for (const id of state.removed ?? []) removed.run(id);
  })();
}

/**
 * Writes the JSON state into a new SQLite file beside `target` and renames it into
 * place, so a crash leaves either the old JSON file or the complete new one. The new
 * file keeps the JSON file's mode.
 */
function convertLegacy(jsonPath: string, target: string): void {
  const state = readLegacy(jsonPath);
  const tmp = `${target}.${process.pid}.converting`;
  for (const suffix of ['', '-wal', '-shm', '-journal']) rmSync(`${tmp}${suffix}`, { force: true });
  const mode = statSync(jsonPath).mode & 0o777;
  const db = openSqliteFile(tmp, { mode, setting: SETTING });
  try {
    chmodSync(tmp, mode);
    applyMigrations(db, tmp, LOCAL_STATE_MIGRATIONS);
    importLegacy(db, state);
    db.pragma('journal_mode = DELETE');
  } finally {
    db.close();
  }
  renameSync(tmp, target);
  if (jsonPath !== target) rmSync(jsonPath, { force: true });
}
