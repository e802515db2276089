import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { useLocalSandbox } from '../helpers/sandbox.js';

/**
 * Commands that show what is stored never present a mistyped `--db` or `--program` as an
 * empty program: a database or program that does not exist is exit 2 naming the setting.
 */
describe('read-only commands and a database or program that does not exist (built CLI)', () => {
  const box = useLocalSandbox();
  const db = () => box.env.PAIRBOT_DB!;

  it.each(
    [
      ['status'],
      ['status', '--json'],
      ['member', 'show', 'alice'],
      ['report', '--out', 'r.html'],
      ['export'],
      ['export', '--format', 'csv', '--out', 'csv'],
      ['member', 'export', 'alice'],
    ].map((args) => [args.join(' '), args] as const),
  )('%s on a database that does not exist is exit 2 naming PAIRBOT_DB, creating nothing', async (_, args) => {
    const r = await box.pairbot(...args, '--db', join(box.dir, 'data', 'pairbto.db'));
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toContain(`PAIRBOT_DB: no database at ${join(box.dir, 'data', 'pairbto.db')}`);
    expect(r.stdout).toBe('');
    for (const made of ['data', 'r.html', 'csv']) expect(existsSync(join(box.dir, made))).toBe(false);
  });

  it('a program the database does not hold is exit 2 naming PAIRBOT_PROGRAM and the programs it has', async () => {
    expect((await box.pairbot('inbox', '--date', '2026-11-24')).code).toBe(0);
    const before = statSync(db()).mtimeMs;
    for (const args of [['status'], ['member', 'show', 'alice'], ['report', '--out', 'r.html'], ['export']]) {
      const r = await box.pairbot(...args, '--program', 'clubb');
      expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(2);
      expect(r.stderr).toContain(`PAIRBOT_PROGRAM: no program "clubb" in ${db()}; it holds "default"`);
    }
    expect(existsSync(join(box.dir, 'r.html'))).toBe(false);
    expect(statSync(db()).mtimeMs).toBe(before);

    // The program exists without a round yet: shown as it is, nicely.
    const status = await box.json('status', '--date', '2026-11-24');
    expect(status).toMatchObject({ program: 'default', lastRound: null });
    const out = join(box.dir, 'report.html');
    const report = await box.pairbot('report', '--out', out);
    expect(report.code, report.stderr).toBe(0);
    expect(readFileSync(out, 'utf8')).toContain('Program “default” has no rounds in this database');
    expect(JSON.parse((await box.pairbot('export')).stdout)).toMatchObject({ program: 'default', rounds: [] });
  });

  it('members still shows the roster before the first run, saying that nothing is stored yet', async () => {
    const r = await box.pairbot('members', '--json');
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).members).toHaveLength(13);
    expect(r.stderr).toContain(`no database at ${db()} yet`);
    expect(existsSync(join(box.dir, 'data'))).toBe(false);
  });
});
