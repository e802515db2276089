import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import type { PairReport } from '../../src/commands/pair.js';
import type { LocalPost } from '../../src/store/local-state.js';
import { startCli } from '../helpers/cli.js';
import { useLocalSandbox } from '../helpers/sandbox.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('local platform state under kills and concurrent runs (built CLI)', () => {
  const box = useLocalSandbox();
  const statePath = (): string => join(box.dir, 'data', 'local-state.db');
  const posts = async (): Promise<LocalPost[]> => ((await box.json('local', 'messages')) as { posts: LocalPost[] }).posts;
  /** Posts in the state file right now, read as another process would (0 before it exists). */
  const postCount = (): number => {
    if (!existsSync(statePath())) return 0;
    const db = new Database(statePath(), { readonly: true, fileMustExist: true });
    try {
      db.pragma('busy_timeout = 5000');
      return db.prepare('SELECT COUNT(*) FROM posts').pluck().get() as number;
    } catch {
      return 0; // created but not yet migrated
    } finally {
      db.close();
    }
  };
  /** Takes pairbot's database write lock, as another process would, until released: a `pair` waits at its next write. */
  const lockDatabase = (): { db: Database.Database; release(): void } => {
    const db = new Database(join(box.dir, 'data', 'pairbot.db'));
    db.pragma('busy_timeout = 30000');
    db.exec('BEGIN IMMEDIATE');
    return {
      db,
      release: () => {
        if (!db.open) return;
        db.exec('ROLLBACK');
        db.close();
      },
    };
  };
  const bigRoster = (n: number): void => box.writeRoster(Array.from({ length: n }, (_, i) => `m${i + 1}`));

  it('kill -9 during delivery, again and again: every group gets its intro exactly once', async () => {
    bigRoster(1200);
    const kills: number[] = [];
    for (let attempt = 0; attempt < 6; attempt++) {
      const before = postCount();
      const run = startCli(['pair', '--date', '2026-11-23', '--seed', '3'], { cwd: box.dir, env: box.env });
      // Kill somewhere after delivery resumed: between a post and its record, or anywhere else.
      const target = before + 20 + attempt * 37;
      let exited = false;
      void run.done.then(() => (exited = true));
      while (!exited && postCount() < target) await sleep(5);
      if (exited) break;
      run.child.kill('SIGKILL');
      await run.done;
      kills.push(postCount());
    }
    expect(kills.length).toBeGreaterThan(0);
    const last = await box.pairbot('pair', '--json', '--date', '2026-11-23', '--seed', '3');
    expect(last.code, last.stderr).toBe(0);
    const report = JSON.parse(last.stdout) as PairReport;
    const sent = await posts();
    expect(sent).toHaveLength(report.groups.length);
    const sentTo = sent.map((p) => [...p.recipients].sort().join(',')).sort();
    const groups = report.groups
      .map((g) =>
        g.members
          .map((m) => m.id)
          .sort()
          .join(','),
      )
      .sort();
    expect(sentTo).toEqual(groups);
    const status = await box.json('status', '--date', '2026-11-24');
    expect(status.deliveries).toMatchObject({ pending: 0, failed: 0, sent: report.groups.length });
  });

  it('kill -9 while intros are posted but not yet recorded as sent: the next run sends none of them again', async () => {
    // Enough groups that the run is still delivering when the test takes the lock (100 intros a batch).
    bigRoster(2000);
    const run = startCli(['pair', '--date', '2026-11-23', '--seed', '3'], { cwd: box.dir, env: box.env });
    let exited = false;
    void run.done.then(() => (exited = true));
    while (!exited && postCount() < 20) await sleep(5);
    expect(exited, 'pair finished before the test could stop it').toBe(false);
    // Hold the database's write lock: the run posts on until it must record what it sent, and waits there.
    const lock = lockDatabase();
    let posted = postCount();
    for (let stable = 0; stable < 10; stable++) {
      await sleep(50);
      if (postCount() !== posted) {
        posted = postCount();
        stable = 0;
      }
    }
    const recorded = lock.db.prepare("SELECT COUNT(*) FROM outbox WHERE kind = 'intro' AND status = 'sent'").pluck().get() as number;
    expect(posted, 'intros on the platform not yet recorded as sent').toBeGreaterThan(recorded);
    run.child.kill('SIGKILL');
    await run.done;
    lock.release();

    const last = await box.pairbot('pair', '--json', '--date', '2026-11-23', '--seed', '3');
    expect(last.code, last.stderr).toBe(0);
    const report = JSON.parse(last.stdout) as PairReport;
    expect(report.groups).toHaveLength(1000);
    const sentTo = (await posts()).map((p) => [...p.recipients].sort().join(','));
    expect(new Set(sentTo).size).toBe(sentTo.length);
    expect(sentTo.sort()).toEqual(
      report.groups
        .map((g) =>
          g.members
            .map((m) => m.id)
            .sort()
            .join(','),
        )
        .sort(),
    );
    const status = await box.json('status', '--date', '2026-11-24');
    expect(status.deliveries).toMatchObject({ pending: 0, failed: 0, sent: 1000 });
  });

  it('local react while a pair delivers is kept', async () => {
    bigRoster(3000);
    expect((await box.pairbot('optout', '--date', '2026-11-21')).code).toBe(0);
    const run = startCli(['pair', '--date', '2026-11-23'], { cwd: box.dir, env: box.env });
    let exited = false;
    void run.done.then(() => (exited = true));
    while (!exited && postCount() < 2) await sleep(5);
    // The first reactions while the run waits to record what it posted (it stays alive, its state
    // file open), the rest while it delivers on: a delivery faster than a react process still overlaps.
    const lock = lockDatabase();
    const reacted: string[] = [];
    let duringPair = 0;
    for (let i = 1; !exited && i <= 40; i++) {
      const r = await box.pairbot('local', 'react', 'p1', `m${i}`, '❌');
      expect(r.code, r.stderr).toBe(0);
      reacted.push(`m${i}`);
      if (!exited) duringPair++;
      if (i === 3) lock.release();
    }
    lock.release();
    const result = await run.done;
    expect(result.code, result.stderr).toBe(0);
    expect(duringPair, 'no react finished while pair was delivering: the machine was too fast for this test').toBeGreaterThan(0);
    const announcement = (await posts()).find((p) => p.id === 'p1')!;
    expect(announcement.reactions.filter((r) => r.userId !== 'pairbot').map((r) => r.userId)).toEqual(reacted);
  });

  it('a state file another process keeps locked past the busy timeout: that intro stays pending, exit 3, the rerun sends it once', async () => {
    bigRoster(6);
    // The state file exists (an announcement made it); another process then holds its write lock.
    expect((await box.pairbot('optout', '--date', '2026-11-21')).code).toBe(0);
    const holder = new Database(statePath());
    holder.exec('BEGIN IMMEDIATE');
    const run = startCli(['pair', '--date', '2026-11-23', '--seed', '1'], { cwd: box.dir, env: box.env });
    let stderr = '';
    run.child.stderr!.on('data', (d: Buffer) => {
      stderr += d.toString();
      // Released once the first intro gave up waiting (30 s): the other two go through.
      if (stderr.includes('not delivered yet') && holder.inTransaction) holder.exec('ROLLBACK');
    });
    const first = await run.done;
    holder.close();
    expect(first.code, first.stderr).toBe(3);
    expect(first.stderr).toMatch(
      /intro message #\d+ not delivered yet \(\[local\] the local state file .* stayed locked by another process/,
    );
    expect(first.stderr).toContain('delivered 2 messages, 1 still pending (the next run retries)');
    const again = await box.pairbot('pair', '--quiet', '--date', '2026-11-23');
    expect(again.code, again.stderr).toBe(0);
    // The cron log says the rerun cleared what the first run left, not "nothing new".
    expect(again.stdout).toMatch(
      /^Round 2026-W48 of program "default" \(already paired; delivered 1 message an earlier run left pending\): 3 groups/,
    );
    const intros = (await posts()).filter((p) => p.conversation.startsWith('group:'));
    expect(intros).toHaveLength(3);
    expect(new Set(intros.map((p) => p.conversation)).size).toBe(3);
  }, 90_000);

  it('optout while another process holds the state file locked past the busy timeout: pending, exit 3, a warning naming the file; the rerun posts it', async () => {
    expect((await box.pairbot('inbox', '--quiet', '--date', '2026-11-20')).code).toBe(0);
    // Another process creates the state file and locks it (as `sqlite3` would: a rollback journal, an exclusive lock).
    const holder = new Database(statePath());
    holder.exec('BEGIN EXCLUSIVE');
    const run = startCli(['optout', '--date', '2026-11-21'], { cwd: box.dir, env: box.env });
    let stderr = '';
    run.child.stderr!.on('data', (d: Buffer) => {
      stderr += d.toString();
      if (stderr.includes('not delivered yet') && holder.inTransaction) holder.exec('ROLLBACK');
    });
    const first = await run.done;
    if (holder.inTransaction) holder.exec('ROLLBACK');
    holder.close();
    expect(first.code, first.stderr).toBe(3);
    expect(first.stderr).toContain(
      `optout message #1 not delivered yet ([local] the local state file ${statePath()} stayed locked by another process`,
    );
    expect(first.stderr).not.toContain('error');
    const status = await box.json('status', '--date', '2026-11-21');
    expect(status.undelivered).toMatchObject([{ kind: 'optout', status: 'pending' }]);
    const again = await box.pairbot('optout', '--date', '2026-11-21');
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toBe('Posted the opt-out announcement for round 2026-W48.\n');
    expect((await posts()).filter((p) => p.conversation === 'channel')).toHaveLength(1);
  }, 90_000);

  it('reads the JSON state file of an earlier version, and converts it on the first write', async () => {
    const legacy = join(box.dir, 'data', 'local-state.json');
    const old: { version: 1; nextId: number; posts: LocalPost[]; removed: string[] } = {
      version: 1,
      nextId: 2,
      posts: [
        {
          id: 'p1',
          conversation: 'channel',
          recipients: [],
          text: 'React ❌ to skip',
          at: '2026-11-14T12:00:00.000Z',
          reactions: [
            { userId: 'pairbot', emoji: 'x' },
            { userId: 'u02', emoji: 'x' },
          ],
        },
      ],
      removed: ['u03'],
    };
    mkdirSync(join(box.dir, 'data'));
    writeFileSync(legacy, JSON.stringify(old, null, 2));
    expect(await posts()).toEqual(old.posts);
    expect(existsSync(statePath())).toBe(false);
    expect(JSON.parse(readFileSync(legacy, 'utf8'))).toEqual(old);

    const paired = (await box.json('pair', '--date', '2026-11-23', '--seed', '1')) as PairReport;
    expect(paired.groups.flatMap((g) => g.members.map((m) => m.id))).not.toContain('u03');
    expect(existsSync(legacy)).toBe(false);
    const now = await posts();
    expect(now[0]).toEqual(old.posts[0]);
    expect(now.map((p) => p.id)).toEqual(Array.from({ length: paired.groups.length + 1 }, (_, i) => `p${i + 1}`));
    expect((await box.pairbot('local', 'react', 'p2', now[1]!.recipients[0]!, '✅')).code).toBe(0);
  });
});
