import { existsSync, readFileSync, statSync, writeFileSync, chmodSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { UsageError } from '../../src/errors.js';
import { openDatabase } from '../../src/store/db.js';
import { LocalStateStore, type LocalPost } from '../../src/store/local-state.js';
import { tempDir } from '../helpers/tmp.js';

const post = (text: string, key?: string) => ({
  ...(key ? { key } : {}),
  conversation: 'group:u1,u2',
  recipients: ['u1', 'u2'],
  text,
  at: '2026-11-23T09:00:00.000Z',
  reactions: [{ userId: 'pairbot', emoji: 'white_check_mark' }],
});

/** A state file as pairbot 0.1 wrote it: one JSON document. */
const LEGACY = {
  version: 1,
  nextId: 3,
  posts: [
    {
      id: 'p1',
      conversation: 'channel',
      recipients: [],
      text: 'React ❌ to skip',
      at: '2026-11-21T12:00:00.000Z',
      reactions: [
        { userId: 'pairbot', emoji: 'x' },
        { userId: 'u2', emoji: 'x' },
      ],
    },
    { id: 'p2', conversation: 'group:u1,u3', recipients: ['u1', 'u3'], text: 'Meet @u3', at: '2026-11-23T12:00:00.000Z', reactions: [] },
  ] satisfies LocalPost[],
  removed: ['u4'],
};

const isSqlite = (path: string): boolean => readFileSync(path).subarray(0, 15).toString('latin1') === 'SQLite format 3';

describe('local platform state (SQLite)', () => {
  let dir: string;
  let cleanup: () => void;
  const open: LocalStateStore[] = [];
  const store = (path = join(dir, 'state.db'), legacy?: string): LocalStateStore => {
    const s = new LocalStateStore(path, legacy);
    open.push(s);
    return s;
  };
  beforeEach(() => ({ dir, cleanup } = tempDir()));
  afterEach(() => {
    for (const s of open.splice(0)) s.close();
    cleanup();
  });

  it("refuses pairbot's database as the local state, reading or writing, and leaves it as it was", () => {
    const path = join(dir, 'pairbot.db');
    openDatabase(path).close();
    const before = readFileSync(path);
    expect(() => store(path).posts()).toThrow(/PAIRBOT_LOCAL_STATE: .*pairbot\.db is not a local state file: it is pairbot's database/);
    expect(() => new LocalStateStore(path, undefined, true).setRemoved('u1', true)).toThrow(UsageError);
    expect(readFileSync(path).equals(before)).toBe(true);
  });

  it('reads a missing file as empty without creating it', () => {
    const s = store();
    expect(s.posts()).toEqual([]);
    expect(s.removed()).toEqual([]);
    expect(s.findPost('p1')).toBeUndefined();
    expect(existsSync(join(dir, 'state.db'))).toBe(false);
  });

  it('numbers posts p1, p2, … and keeps the order of reactions', () => {
    const s = store();
    expect(s.addPost(post('one')).id).toBe('p1');
    expect(s.addPost(post('two')).id).toBe('p2');
    s.setReaction('p1', 'u1', 'x', true);
    s.setReaction('p1', 'u2', 'x', true);
    s.setReaction('p1', 'u1', 'x', false);
    s.setReaction('p1', 'u1', 'calendar', true);
    expect(s.findPost('p1')!.reactions).toEqual([
      { userId: 'pairbot', emoji: 'white_check_mark' },
      { userId: 'u2', emoji: 'x' },
      { userId: 'u1', emoji: 'calendar' },
    ]);
    expect(s.posts().map((p) => p.text)).toEqual(['one', 'two']);
  });

  it('stores a post once per key: a retry gets the first post back', () => {
    const s = store();
    const first = s.addPost(post('intro', 'outbox-7'));
    const again = store().addPost(post('intro', 'outbox-7'));
    expect(again.id).toBe(first.id);
    expect(store().posts()).toHaveLength(1);
    expect(s.addPost(post('intro', 'outbox-8')).id).not.toBe(first.id);
  });

  it('loses nothing when two writers (two runs) interleave on one file', () => {
    const pair = store();
    const react = store();
    pair.addPost(post('announcement'));
    pair.addPost(post('intro 1'));
    react.setReaction('p1', 'u1', 'x', true);
    pair.addPost(post('intro 2'));
    react.setRemoved('u9', true);
    pair.addPost(post('intro 3'));
    const fresh = store();
    expect(fresh.posts().map((p) => p.id)).toEqual(['p1', 'p2', 'p3', 'p4']);
    expect(fresh.findPost('p1')!.reactions).toContainEqual({ userId: 'u1', emoji: 'x' });
    expect(fresh.removed()).toEqual(['u9']);
  });

  it('held posts reach the file together: when committed, before any other write, or at close', () => {
    const pair = store();
    pair.addPost(post('announcement'));
    expect(pair.addHeldPost(post('intro 1', 'outbox-1')).id).toBe('p2');
    expect(pair.addHeldPost(post('intro 2', 'outbox-2')).id).toBe('p3');
    expect(pair.addHeldPost(post('intro 1', 'outbox-1')).id).toBe('p2');
    expect(pair.findPost('p3')?.text).toBe('intro 2');
    expect(
      store()
        .posts()
        .map((p) => p.id),
    ).toEqual(['p1']);
    pair.commitPosts();
    expect(
      store()
        .posts()
        .map((p) => p.id),
    ).toEqual(['p1', 'p2', 'p3']);

    pair.addHeldPost(post('intro 3'));
    pair.setReaction('p1', 'u1', 'x', true);
    expect(
      store()
        .posts()
        .map((p) => p.id),
    ).toEqual(['p1', 'p2', 'p3', 'p4']);
    pair.addHeldPost(post('intro 4'));
    pair.close();
    expect(
      store()
        .posts()
        .map((p) => p.id),
    ).toEqual(['p1', 'p2', 'p3', 'p4', 'p5']);
  });

  it('a held post that fails takes the posts held with it back, and committing them says so', () => {
    const pair = store();
    pair.addHeldPost(post('intro 1', 'outbox-1'));
    expect(() => pair.addHeldPost({ ...post('intro 2', 'outbox-2'), conversation: null as unknown as string })).toThrow(/NOT NULL/);
    expect(() => pair.commitPosts()).toThrow(
      /state\.db: the local platform's latest posts were not written \(NOT NULL.*the next run sends them/,
    );
    expect(store().posts()).toEqual([]);
    // The next batch starts afresh.
    expect(pair.addHeldPost(post('intro 1', 'outbox-1')).id).toBe('p1');
    pair.commitPosts();
    expect(
      store()
        .posts()
        .map((p) => p.text),
    ).toEqual(['intro 1']);
  });

  it('a failed change inside a transaction writes nothing', () => {
    const s = store();
    s.addPost(post('one'));
    expect(() =>
      s.transaction(() => {
        s.setReaction('p1', 'u1', 'x', true);
        throw new UsageError('refused');
      }),
    ).toThrow('refused');
    expect(store().findPost('p1')!.reactions).toHaveLength(1);
  });

  it('reads an old JSON state file in place without changing it, and converts it on the first write keeping its mode', () => {
    const path = join(dir, 'state.json');
    writeFileSync(path, JSON.stringify(LEGACY, null, 2));
    chmodSync(path, 0o640);
    const before = readFileSync(path, 'utf8');
    const s = store(path);
    expect(s.posts()).toEqual(LEGACY.posts);
    expect(s.removed()).toEqual(['u4']);
    expect(readFileSync(path, 'utf8')).toBe(before);
    expect(s.addPost(post('next')).id).toBe('p3');
    expect(isSqlite(path)).toBe(true);
    expect(statSync(path).mode & 0o777).toBe(0o640);
    const fresh = store(path);
    expect(fresh.posts().slice(0, 2)).toEqual(LEGACY.posts);
    expect(fresh.findPost('p3')!.text).toBe('next');
    expect(fresh.removed()).toEqual(['u4']);
  });

  it('converts the JSON file of the old default place into the new file, and removes the JSON file', () => {
    const legacy = join(dir, 'local-state.json');
    writeFileSync(legacy, JSON.stringify(LEGACY));
    const s = store(join(dir, 'local-state.db'), legacy);
    expect(s.findPost('p2')!.recipients).toEqual(['u1', 'u3']);
    expect(existsSync(join(dir, 'local-state.db'))).toBe(false);
    s.setReaction('p2', 'u1', 'white_check_mark', true);
    expect(existsSync(legacy)).toBe(false);
    const fresh = store(join(dir, 'local-state.db'), legacy);
    expect(fresh.posts().map((p) => p.id)).toEqual(['p1', 'p2']);
    expect(fresh.findPost('p2')!.reactions).toEqual([{ userId: 'u1', emoji: 'white_check_mark' }]);
  });

  it('refuses a file that is neither SQLite nor a pairbot JSON state, naming it', () => {
    const path = join(dir, 'state.json');
    writeFileSync(path, '{"posts": 3}');
    expect(() => store(path).posts()).toThrow(UsageError);
    expect(() => store(path).posts()).toThrow(`PAIRBOT_LOCAL_STATE: ${path} is not a pairbot local state file`);
    expect(readFileSync(path, 'utf8')).toBe('{"posts": 3}');
  });
});
