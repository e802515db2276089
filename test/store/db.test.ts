import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openDatabase, SCHEMA_VERSION, writeTransaction } from '../../src/store/db.js';
import { MIGRATIONS } from '../../src/store/migrations.js';
import { enqueue } from '../../src/store/outbox.js';
import { ensureProgram } from '../../src/store/programs.js';
import { UsageError } from '../../src/errors.js';
import { tempDir } from '../helpers/tmp.js';

describe('database', () => {
  let dir: string;
  let cleanup: () => void;
  beforeEach(() => ({ dir, cleanup } = tempDir()));
  afterEach(() => cleanup());

  it('creates a fresh database with mode 0600, WAL and every table', () => {
    const path = join(dir, 'nested', 'dir', 'pairbot.db');
    const db = openDatabase(path);
    expect(db.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    const tables = (db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").all() as { name: string }[]).map(
      (t) => t.name,
    );
    expect(tables).toEqual([
      'feedback',
      'group_icebreakers',
      'group_members',
      'group_threads',
      'groups',
      'inbox_cursors',
      'inbox_handled',
      'inbox_runs',
      'locks',
      'members',
      'outbox',
      'outbox_ids',
      'posts',
      'preferences',
      'programs',
      'round_exclusions',
      'rounds',
      'skips',
    ]);
    db.close();
    expect(statSync(path).mode & 0o777).toBe(0o600);
  });

  it('never gives an outbox id twice, even after the newest messages were deleted', () => {
    const db = openDatabase(join(dir, 'ids.db'));
    const programId = ensureProgram(db, 'default', 'local', 'weekly', new Date('2026-11-01T00:00:00Z')).id;
    const add = (key: string): number => {
      enqueue(db, { programId, dedupeKey: key, kind: 'intro', recipients: ['u1'], body: key, createdAt: '2026-11-01T00:00:00Z' });
      return db.prepare('SELECT id FROM outbox WHERE dedupe_key = ?').pluck().get(key) as number;
    };
    expect([add('a'), add('b'), add('c')]).toEqual([1, 2, 3]);
    db.prepare('DELETE FROM outbox WHERE id >= 2').run();
    expect(add('d')).toBe(4);
    db.prepare('DELETE FROM outbox').run();
    expect(add('e')).toBe(5);
    db.close();
  });

  it('upgrades an older database in place, keeping its data', () => {
    const path = join(dir, 'old.db');
    const old = new Database(path);
    old.exec(MIGRATIONS[0]!);
    old.pragma('user_version = 1');
    old.prepare("INSERT INTO programs (name, platform, created_at) VALUES ('club', 'local', '2026-01-01')").run();
    old.close();
    const db = openDatabase(path);
    expect(db.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
    expect(db.prepare('SELECT name FROM programs').all()).toEqual([{ name: 'club' }]);
    expect(db.prepare('SELECT COUNT(*) AS n FROM outbox').get()).toEqual({ n: 0 });
    db.close();
  });

  it('upgrading keeps one preference per person about another: the later of a prefer and an avoid, the avoid on a tie', () => {
    const path = join(dir, 'both.db');
    const old = new Database(path);
    for (const m of MIGRATIONS.slice(0, 7)) old.exec(m);
    old.pragma('user_version = 7');
    old.prepare("INSERT INTO programs (name, platform, created_at) VALUES ('club', 'local', '2026-01-01')").run();
    const pref = old.prepare('INSERT INTO preferences (program_id, user_id, other_id, kind, created_on) VALUES (1, ?, ?, ?, ?)');
    pref.run('a', 'b', 'prefer', '2026-01-01');
    pref.run('a', 'b', 'avoid', '2026-01-05');
    pref.run('c', 'd', 'avoid', '2026-01-01');
    pref.run('c', 'd', 'prefer', '2026-01-05');
    pref.run('e', 'f', 'prefer', '2026-01-03');
    pref.run('e', 'f', 'avoid', '2026-01-03');
    pref.run('g', 'h', 'prefer', '2026-01-03');
    pref.run('h', 'g', 'avoid', '2026-01-03');
    old.close();
    const db = openDatabase(path);
    expect(db.prepare('SELECT user_id AS u, other_id AS o, kind FROM preferences ORDER BY user_id').all()).toEqual([
      { u: 'a', o: 'b', kind: 'avoid' },
      { u: 'c', o: 'd', kind: 'prefer' },
      { u: 'e', o: 'f', kind: 'avoid' },
      { u: 'g', o: 'h', kind: 'prefer' },
      { u: 'h', o: 'g', kind: 'avoid' },
    ]);
    db.close();
  });

  it('refuses a database from a newer pairbot without touching it', () => {
    const path = join(dir, 'new.db');
    const future = new Database(path);
    future.exec('CREATE TABLE future_table (x)');
    future.pragma(`user_version = ${SCHEMA_VERSION + 1}`);
    future.close();
    const before = readFileSync(path);
    for (const scratch of [false, true]) {
      // A configuration error (exit 2), as doctor says: this pairbot cannot use that file.
      expect(() => openDatabase(path, { scratch })).toThrow(UsageError);
      expect(() => openDatabase(path, { scratch })).toThrow(/schema version \d+, newer than this pairbot understands .* not modified/);
    }
    expect(readFileSync(path).equals(before)).toBe(true);
  });

  it('a scratch copy sees the data but never writes to the file', () => {
    const path = join(dir, 'p.db');
    const db = openDatabase(path);
    db.prepare("INSERT INTO programs (name, platform, created_at) VALUES ('club', 'local', 'x')").run();
    db.close();
    const before = readFileSync(path);
    const scratch = openDatabase(path, { scratch: true });
    expect(scratch.prepare('SELECT name FROM programs').all()).toEqual([{ name: 'club' }]);
    scratch.prepare("INSERT INTO programs (name, platform, created_at) VALUES ('other', 'local', 'x')").run();
    // The copy is a private file (not memory, so history does not raise peak memory), gone once closed.
    const copy = scratch.name;
    expect(copy).not.toBe(path);
    expect(existsSync(copy)).toBe(true);
    scratch.close();
    expect(existsSync(copy)).toBe(false);
    expect(readFileSync(path).equals(before)).toBe(true);
  });

  it("a scratch copy of a file a killed run left with a WAL includes the WAL's rows", () => {
    const path = join(dir, 'w.db');
    const db = openDatabase(path);
    db.pragma('wal_autocheckpoint = 0');
    db.prepare("INSERT INTO programs (name, platform, created_at) VALUES ('club', 'local', 'x')").run();
    expect(statSync(`${path}-wal`).size).toBeGreaterThan(0);
    const scratch = openDatabase(path, { scratch: true });
    expect(scratch.prepare('SELECT name FROM programs').all()).toEqual([{ name: 'club' }]);
    scratch.close();
    db.close();
  });

  it('reports a file that is not a database as a usage error naming the setting', () => {
    const path = join(dir, 'junk.db');
    writeFileSync(path, 'this is not sqlite, not at all, not even close to it....................................................');
    expect(() => openDatabase(path)).toThrow(UsageError);
    expect(() => openDatabase(path, { setting: '--db' })).toThrow(`--db: ${path} is not a pairbot database`);
  });

  it("refuses another program's SQLite file, and a local state file, as not pairbot's, leaving it as it was", () => {
    const other = join(dir, 'other.db');
    const o = new Database(other);
    o.exec('CREATE TABLE t (x); INSERT INTO t VALUES (1)');
    o.close();
    const state = join(dir, 'local-state.db');
    const l = new Database(state);
    l.exec('CREATE TABLE posts (seq INTEGER PRIMARY KEY); PRAGMA user_version = 2');
    l.close();
    for (const path of [other, state]) {
      const before = readFileSync(path);
      for (const options of [{}, { scratch: true }, { readOnly: true }])
        expect(() => openDatabase(path, options), path).toThrow(`PAIRBOT_DB: ${path} is not a pairbot database`);
      expect(readFileSync(path).equals(before)).toBe(true);
    }
    // A new, empty file is one pairbot makes its own.
    writeFileSync(join(dir, 'empty.db'), '');
    openDatabase(join(dir, 'empty.db')).close();
  });

  it('a write transaction commits what its body wrote, undoes all of it when the body throws, and nests as a savepoint', () => {
    const db = openDatabase(join(dir, 'pairbot.db'));
    db.exec('CREATE TABLE t (v TEXT)');
    const values = (): string[] => db.prepare('SELECT v FROM t ORDER BY rowid').pluck().all() as string[];
    expect(writeTransaction(db, () => db.prepare('INSERT INTO t VALUES (?)').run('a').changes)).toBe(1);
    expect(() =>
      writeTransaction(db, () => {
        db.prepare('INSERT INTO t VALUES (?)').run('b');
        throw new Error('boom');
      }),
    ).toThrow('boom');
    expect(values()).toEqual(['a']);
    expect(db.inTransaction).toBe(false);
    writeTransaction(db, () => {
      db.prepare('INSERT INTO t VALUES (?)').run('c');
      expect(() =>
        writeTransaction(db, () => {
          db.prepare('INSERT INTO t VALUES (?)').run('d');
          throw new Error('inner');
        }),
      ).toThrow('inner');
      writeTransaction(db, () => db.prepare('INSERT INTO t VALUES (?)').run('e'));
    });
    expect(values()).toEqual(['a', 'c', 'e']);
    expect(db.inTransaction).toBe(false);
    db.close();
  });
});
