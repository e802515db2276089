import { existsSync, mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { FIXTURE, fixtureExpectations, writeHistoryFixture } from '../helpers/history-fixture.js';
import { useLocalSandbox } from '../helpers/sandbox.js';
import { readReportFacts } from '../../src/store/report.js';

describe('report (built CLI)', () => {
  const box = useLocalSandbox();
  const dbPath = (): string => box.env.PAIRBOT_DB!;
  const report = async (...args: string[]): Promise<string> => {
    const out = join(box.dir, 'report.html');
    const r = await box.pairbot('report', '--out', out, '--date', '2026-12-01', ...args);
    expect(r.code, r.stderr).toBe(0);
    return readFileSync(out, 'utf8');
  };

  it('counts each member once per round: one whose partner left, told by catch-up they sit out, is not also paired', async () => {
    box.env.PAIRBOT_ODD = 'sit-out';
    box.writeRoster(['a', 'b', 'c', 'd', 'e', 'f']);
    const round = await box.json('pair', '--date', '2026-11-23', '--seed', '1');
    const partner = (round.groups as { members: { id: string }[] }[])
      .find((g) => g.members.some((m) => m.id === 'a'))!
      .members.map((m) => m.id)
      .find((id) => id !== 'a')!;
    expect((await box.pairbot('member', 'kick', partner, '--date', '2026-11-24')).code).toBe(0);
    expect((await box.json('pair', '--catch-up', '--date', '2026-11-24')).unpaired).toEqual(['a']);
    const db = new Database(dbPath(), { readonly: true });
    try {
      const [w48] = readReportFacts(db, 1, undefined).rounds;
      expect(w48!.excluded.satOut).toBe(1);
      expect(w48!.paired + w48!.excluded.satOut).toBe(6);
    } finally {
      db.close();
    }
  });

  it('writes one self-contained page: header, charts, graph and tables from the stored history', async () => {
    writeHistoryFixture(dbPath());
    const before = statSync(dbPath()).mtimeMs;
    const html = await report();
    const expected = fixtureExpectations();
    expect(statSync(dbPath()).mtimeMs, 'report only reads').toBe(before);
    // Nothing left beside the database either: the -wal and -shm that reading a WAL database creates are removed again.
    expect(existsSync(`${dbPath()}-wal`) || existsSync(`${dbPath()}-shm`)).toBe(false);
    // Self-contained: no script, nothing fetched; the only URLs are SVG's namespace names.
    expect(html).not.toMatch(/<script|<link|<img|@import|url\(/i);
    expect((html.match(/https?:\/\/[^"'\s)]+/g) ?? []).filter((u) => !u.startsWith('http://www.w3.org/'))).toEqual([]);
    expect(html).toContain("default-src 'none'");
    expect(html).toMatch(
      /Program <b>default<\/b> on <b>local<\/b> · rounds <b>2026-W45<\/b> to <b>2026-W48<\/b> \(2026-11-02 – 2026-11-23\)/,
    );
    expect(html).toContain('generated <b>2026-12-01 12:00 UTC</b>');
    for (const id of ['participation', 'outcomes', 'network', 'at-risk', 'never-paired', 'repeated-pairs', 'timezones'])
      expect(html).toContain(`<section id="${id}">`);
    expect(html).toContain(`${expected.nodes} members and ${expected.edges} pairs who met`);
    // dave answered nothing in two "didn't happen" groups in a row; frank in one.
    expect(tableRows(html, 'at-risk')).toEqual([
      ['dave', '2 of 3'],
      ['frank', '1 of 3'],
    ]);
    expect(tableRows(html, 'never-paired')).toEqual([['heidi', FIXTURE.late.joinedOn]]);
    expect(tableRows(html, 'repeated-pairs')).toEqual([
      ['Smith, &quot;J&quot; &amp; frank', '3', '2026-11-23'],
      ['alice &amp; bob', '2', '2026-11-16'],
    ]);
    expect(tableRows(html, 'repeated-pairs')).toHaveLength(expected.repeatedPairs);
    expect(tableRows(html, 'timezones').map((r) => r.slice(0, 3))).toEqual([
      ['America/New_York', 'UTC−5', '1'],
      ['Europe/London', 'UTC', '1'],
      ['Europe/Berlin', 'UTC+1', '2'],
      ['Asia/Kolkata', 'UTC+5:30', '1'],
      ['Australia/Sydney', 'UTC+11', '1'],
      ['unknown', '', '1'],
    ]);
    expect(await report(), 'same database, same page').toBe(html);
  });

  it('--since limits the page to rounds from that date on', async () => {
    writeHistoryFixture(dbPath());
    const html = await report('--since', '2026-11-16');
    expect(html).toMatch(/rounds <b>2026-W47<\/b> to <b>2026-W48<\/b>/);
    expect(html).toContain('from 2026-11-16 on');
    expect(html).not.toContain('2026-W45');
    // Within W47–W48 only Smith & frank met twice (W47, W48); alice & bob met in W45 and W47.
    expect(tableRows(html, 'repeated-pairs')).toEqual([['Smith, &quot;J&quot; &amp; frank', '2', '2026-11-23']]);
  });

  it('names a single round once in its log line', async () => {
    writeHistoryFixture(dbPath());
    const out = join(box.dir, 'report.html');
    const r = await box.pairbot('report', '--out', out, '--date', '2026-12-01', '--since', '2026-11-23');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(new RegExp(`wrote ${out}: 1 round \\(2026-W48\\), \\d+ active members, \\d+ KB`));
  });

  it('--since after the last round says there is no round from that date on, not that the program has none yet', async () => {
    writeHistoryFixture(dbPath());
    const out = join(box.dir, 'report.html');
    const r = await box.pairbot('report', '--out', out, '--date', '2026-12-01', '--since', '2026-11-30');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain(`wrote ${out}: program "default" has no rounds from 2026-11-30 on, so the page says so`);
    const html = readFileSync(out, 'utf8');
    expect(html).not.toContain('no rounds yet');
    expect(html).toContain('has no rounds from 2026-11-30 on in this database');
    // Misses in a row and "never paired" are the whole story whatever --since says (README): still shown.
    expect(tableRows(html, 'at-risk')).toEqual([
      ['dave', '2 of 3'],
      ['frank', '1 of 3'],
    ]);
    expect(tableRows(html, 'never-paired')).toEqual([['heidi', FIXTURE.late.joinedOn]]);
  });

  it('names are text, never markup', async () => {
    writeHistoryFixture(dbPath());
    const db = new Database(dbPath());
    db.prepare("UPDATE members SET name = '<script>alert(1)</script>' WHERE user_id = 'u01'").run();
    db.close();
    const html = await report();
    expect(html).not.toContain('<script');
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
  });

  it('an empty database gets a page that says so; bad flags are exit 2 with nothing written', async () => {
    // A database whose program has no round yet (an inbox run creates it); a missing one is exit 2 (missing-data-local).
    expect((await box.pairbot('inbox', '--date', '2026-11-24')).code).toBe(0);
    const before = statSync(dbPath()).mtimeMs;
    const html = await report();
    expect(html).toContain('Nothing to show yet');
    expect(html).toContain('Program “default” has no rounds in this database');
    expect(statSync(dbPath()).mtimeMs, 'reporting changes nothing').toBe(before);

    const bad = await box.pairbot('report', '--since', '2026-13-01', '--out', join(box.dir, 'bad.html'));
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--since: expected a date YYYY-MM-DD, got "2026-13-01"');
    expect(existsSync(join(box.dir, 'bad.html'))).toBe(false);

    const byDefault = await box.pairbot('report');
    expect(byDefault.code, byDefault.stderr).toBe(0);
    expect(existsSync(join(box.dir, 'pairbot-report.html'))).toBe(true);

    // --out naming a folder is a usage error, and no temporary file is left beside it.
    mkdirSync(join(box.dir, 'reports'));
    const onFolder = await box.pairbot('report', '--out', join(box.dir, 'reports'));
    expect(onFolder.code).toBe(2);
    expect(onFolder.stderr).toContain(`--out: ${join(box.dir, 'reports')} is a folder; give a file name`);
    expect(readdirSync(box.dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it.runIf(process.getuid?.() === 0)(
    'an --out this user may not write is exit 2 naming --out and the folder, with nothing written',
    async () => {
      expect((await box.pairbot('pair', '--date', '2026-11-23')).code).toBe(0);
      // A reader who may read the database but not write in the folder the report would go to.
      for (const out of [join(box.dir, 'r.html'), join(box.dir, 'sub', 'r.html')]) {
        const r = await box.asReader('report', '--out', out);
        expect(r.code, r.stderr).toBe(2);
        expect(r.stderr).toContain(`[pairbot] error: --out: cannot write ${out}: ${box.dir} is not writable by this user`);
        expect(r.stderr).not.toContain('.tmp');
      }
      expect(readdirSync(box.dir).sort()).toEqual(['data', 'roster.csv']);
    },
  );
});

/** The cells of a report table, as HTML text, by section id. */
function tableRows(html: string, section: string): string[][] {
  const body = new RegExp(`<section id="${section}">[\\s\\S]*?</section>`).exec(html)?.[0] ?? '';
  const rows = [...body.matchAll(/<tr>([\s\S]*?)<\/tr>/g)].map((m) => [...m[1]!.matchAll(/<td[^>]*>([\s\S]*?)<\/td>/g)].map((c) => c[1]!));
  return rows.filter((r) => r.length > 0);
}
