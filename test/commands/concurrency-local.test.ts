import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { useLocalSandbox } from '../helpers/sandbox.js';
import type { PairReport } from '../../src/commands/pair.js';

interface LocalPosts {
  posts: { recipients: string[] }[];
}

const key = (ids: readonly string[]): string => [...ids].sort().join(',');

describe('two programs in one database (built CLI, local platform)', () => {
  const box = useLocalSandbox();

  // Issue 8 item 1: cron starts both programs' weekly `pair` at the same minute.
  it('20 weeks of both programs pairing at the same moment: 40 exit 0s and every stored group introduced', {
    timeout: 900_000,
  }, async () => {
    // As in the reproduction: both programs share the database and the local platform's state.
    const runAs = (program: string, ...args: string[]) =>
      runCli(args, { cwd: box.dir, env: { ...box.env, PAIRBOT_PROGRAM: program } }).then((r) => ({ program, ...r }));
    const reported = new Map<string, string[]>([
      ['a', []],
      ['b', []],
    ]);
    const record = (r: { program: string; stdout: string }): void => {
      for (const g of (JSON.parse(r.stdout) as PairReport).groups) reported.get(r.program)!.push(key(g.members.map((m) => m.id)));
    };
    for (const p of ['a', 'b']) {
      const first = await runAs(p, 'pair', '--date', '2025-01-06', '--quiet', '--json');
      expect(first.code, first.stderr).toBe(0);
      record(first);
    }

    const failures: string[] = [];
    for (let week = 1; week <= 20; week++) {
      const date = new Date(Date.UTC(2025, 0, 6 + week * 7)).toISOString().slice(0, 10);
      const results = await Promise.all(['a', 'b'].map((p) => runAs(p, 'pair', '--date', date, '--quiet', '--json')));
      for (const r of results) {
        if (r.code !== 0) failures.push(`${r.program} ${date}: exit ${r.code} ${r.stderr.trim()}`);
        else record(r);
      }
    }
    expect(failures).toEqual([]);

    const db = new Database(join(box.dir, 'data', 'pairbot.db'), { readonly: true });
    try {
      const rounds = db
        .prepare(
          'SELECT p.name AS program, COUNT(*) AS n FROM rounds r JOIN programs p ON p.id = r.program_id GROUP BY p.name ORDER BY p.name',
        )
        .all();
      expect(rounds).toEqual([
        { program: 'a', n: 21 },
        { program: 'b', n: 21 },
      ]);
      const withoutIntro = db
        .prepare(
          `SELECT g.id FROM groups g WHERE g.source = 'pair'
           AND NOT EXISTS (SELECT 1 FROM outbox o WHERE o.group_id = g.id AND o.kind = 'intro' AND o.status = 'sent')`,
        )
        .all();
      expect(withoutIntro).toEqual([]);
    } finally {
      db.close();
    }
    // Every group each run reported got its intro on the platform, once, and nothing else was posted.
    const messages = JSON.parse((await runAs('a', 'local', 'messages', '--json')).stdout) as LocalPosts;
    expect(messages.posts.map((m) => key(m.recipients)).sort()).toEqual([...reported.get('a')!, ...reported.get('b')!].sort());
  });
});
