import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openDatabase, SCHEMA_VERSION } from '../../src/store/db.js';
import { MIGRATIONS } from '../../src/store/migrations.js';
import { StoreError } from '../../src/errors.js';
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

  it('refuses a database from a newer pairbot without touching it', () => {
    const path = join(dir, 'new.db');
    const future = new Database(path);
    future.exec('CREATE TABLE future_table (x)');
    future.pragma(`user_version = ${SCHEMA_VERSION + 1}`);
    future.close();
    const before = readFileSync(path);
    for (const scratch of [false, true]) {
      expect(() => openDatabase(path, { scratch })).toThrow(StoreError);
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
    scratch.close();
    expect(readFileSync(path).equals(before)).toBe(true);
  });

  it('reports a file that is not a database as a store error', () => {
    const path = join(dir, 'junk.db');
    writeFileSync(path, 'this is not sqlite, not at all, not even close to it....................................................');
    expect(() => openDatabase(path)).toThrow(StoreError);
  });
});
