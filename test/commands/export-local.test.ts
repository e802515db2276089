import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import Database from 'better-sqlite3';
import { parse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import type { ExportDocument } from '../../src/commands/export.js';
import type { PersonData } from '../../src/store/person.js';
import { BIN, runCli, runProgram } from '../helpers/cli.js';
import { FIXTURE, writeHistoryFixture } from '../helpers/history-fixture.js';
import { useLocalSandbox } from '../helpers/sandbox.js';

/** Reads the database with the test's own SQL, independent of the export's queries. */
function readBack(path: string) {
  const db = new Database(path, { readonly: true });
  try {
    return {
      rounds: db.prepare('SELECT period, seed FROM rounds ORDER BY period_index').all() as { period: string; seed: string }[],
      exclusions: db
        .prepare(
          'SELECT r.period, e.user_id, e.reason FROM round_exclusions e JOIN rounds r ON r.id = e.round_id ORDER BY r.period, e.user_id',
        )
        .all() as {
        period: string;
        user_id: string;
        reason: string;
      }[],
      groupMembers: db
        .prepare(
          'SELECT gm.group_id, gm.user_id, g.source, g.formed_on FROM group_members gm JOIN groups g ON g.id = gm.group_id ORDER BY gm.group_id, gm.user_id',
        )
        .all() as {
        group_id: number;
        user_id: string;
        source: string;
        formed_on: string;
      }[],
      members: db.prepare('SELECT user_id, name, state, timezone FROM members ORDER BY user_id').all() as {
        user_id: string;
        name: string;
        state: string;
        timezone: string | null;
      }[],
      feedback: db.prepare('SELECT group_id, reporter_id, answer FROM feedback ORDER BY group_id, reporter_id').all() as {
        group_id: number;
        reporter_id: string;
        answer: string;
      }[],
    };
  } finally {
    db.close();
  }
}

describe('export and member export (built CLI)', () => {
  const box = useLocalSandbox();
  const dbPath = (): string => box.env.PAIRBOT_DB!;

  it('JSON export holds every round, group, member and outcome of the database', async () => {
    writeHistoryFixture(dbPath());
    const before = statSync(dbPath()).mtimeMs;
    const out = await box.pairbot('export', '--date', '2026-12-01');
    expect(out.code, out.stderr).toBe(0);
    const doc = JSON.parse(out.stdout) as ExportDocument;
    const db = readBack(dbPath());
    expect(doc).toMatchObject({ program: 'default', platform: 'local', exportedAt: '2026-12-01T12:00:00.000Z' });
    expect(doc.rounds.map((r) => ({ period: r.round, seed: r.seed }))).toEqual(db.rounds);
    expect(
      doc.rounds
        .flatMap((r) => Object.entries(r.excluded).flatMap(([reason, ids]) => ids.map((id) => ({ period: r.round, user_id: id, reason }))))
        .sort(byKey),
    ).toEqual(db.exclusions.sort(byKey));
    expect(doc.rounds.map((r) => r.paired)).toEqual(FIXTURE.rounds.map((r) => r.groups.flat().length));
    expect(
      doc.groups
        .flatMap((g) => g.members.map((id) => ({ group_id: g.id, user_id: id, source: g.source, formed_on: g.formedOn })))
        .sort(byKey),
    ).toEqual(db.groupMembers.sort(byKey));
    expect(doc.groups.filter((g) => g.round === null).map((g) => g.members)).toEqual([FIXTURE.manual.members]);
    expect(doc.members.map((m) => ({ user_id: m.id, name: m.name, state: m.state, timezone: m.timezone })).sort(byKey)).toEqual(db.members);
    expect(
      doc.outcomes.flatMap((o) => o.answers.map((a) => ({ group_id: o.group, reporter_id: a.member, answer: a.answer }))).sort(byKey),
    ).toEqual(db.feedback.sort(byKey));
    const outcomeCounts = (round: string) =>
      doc.outcomes
        .filter((o) => o.round === round && o.asked)
        .map((o) => o.outcome)
        .sort();
    expect(outcomeCounts('2026-W45')).toEqual(['met', 'missed', 'unanswered']);
    expect(outcomeCounts('2026-W46')).toEqual(['missed', 'scheduled']);
    expect(outcomeCounts('2026-W48')).toEqual([]);
    expect(statSync(dbPath()).mtimeMs, 'export only reads').toBe(before);

    const file = join(box.dir, 'out', 'export.json');
    const written = await box.pairbot('export', '--out', file, '--date', '2026-12-01');
    expect(written.code, written.stderr).toBe(0);
    expect(written.stdout).toBe('');
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual(doc);
    expect(statSync(file).mode & 0o777).toBe(0o600);
  });

  it('CSV export writes one file per table with a header row, quoting names right', async () => {
    writeHistoryFixture(dbPath());
    const doc = JSON.parse((await box.pairbot('export', '--date', '2026-12-01')).stdout) as ExportDocument;
    const dir = join(box.dir, 'csv');
    const r = await box.pairbot('export', '--format', 'csv', '--out', dir, '--date', '2026-12-01');
    expect(r.code, r.stderr).toBe(0);
    expect(readdirSync(dir).sort()).toEqual(['answers.csv', 'exclusions.csv', 'groups.csv', 'members.csv', 'outcomes.csv', 'rounds.csv']);
    const table = (file: string): Record<string, string>[] =>
      parse(readFileSync(join(dir, file), 'utf8'), { columns: true }) as Record<string, string>[];

    const members = table('members.csv');
    expect(members.map((m) => m.name).sort()).toEqual(FIXTURE.members.map((m) => m.name).sort());
    expect(readFileSync(join(dir, 'members.csv'), 'utf8')).toContain('"Smith, ""J"""');
    const smith = members.find((m) => m.member_id === 'u05')!;
    expect(smith).toMatchObject({ name: 'Smith, "J"', timezone: '', state: 'active', frequency: '1' });
    expect(members.find((m) => m.member_id === 'u07')!.state).toBe('kicked');

    const db = readBack(dbPath());
    expect(
      table('groups.csv')
        .map((g) => ({ group_id: Number(g.group_id), user_id: g.member_id, source: g.source, formed_on: g.formed_on }))
        .sort(byKey),
    ).toEqual(db.groupMembers.sort(byKey));
    expect(
      table('answers.csv')
        .map((a) => ({ group_id: Number(a.group_id), reporter_id: a.member_id, answer: a.answer }))
        .sort(byKey),
    ).toEqual(db.feedback.sort(byKey));
    expect(
      table('exclusions.csv')
        .map((e) => ({ period: e.round, user_id: e.member_id, reason: e.reason }))
        .sort(byKey),
    ).toEqual(db.exclusions.sort(byKey));
    expect(table('rounds.csv')).toEqual(
      doc.rounds.map((x) => ({
        round: x.round,
        period_index: String(x.periodIndex),
        seed: x.seed,
        created_at: x.createdAt,
        groups: String(x.groups),
        paired: String(x.paired),
        opted_out: String(x.excluded.optedOut.length),
        paused: String(x.excluded.paused.length),
        not_due: String(x.excluded.notDue.length),
        sat_out: String(x.excluded.satOut.length),
        unpaired: String(x.excluded.unpaired.length),
      })),
    );
    expect(table('outcomes.csv')).toEqual(
      doc.outcomes.map((o) => ({
        group_id: String(o.group),
        round: o.round ?? '',
        asked: String(o.asked),
        outcome: o.outcome,
        answers: String(o.answers.length),
      })),
    );
  });

  it('a CSV table that cannot replace its file fails the export and leaves no temporary file', async () => {
    writeHistoryFixture(dbPath());
    const dir = join(box.dir, 'csv-blocked');
    // groups.csv is a folder: the tables are staged beside their files, and its rename fails.
    mkdirSync(join(dir, 'groups.csv'), { recursive: true });
    writeFileSync(join(dir, 'groups.csv', 'keep'), 'x');
    const r = await box.pairbot('export', '--format', 'csv', '--out', dir, '--date', '2026-12-01');
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('groups.csv');
    expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it.runIf(process.getuid?.() === 0)(
    'an --out this user may not write is exit 2 naming --out and the folder, with nothing written',
    async () => {
      expect((await box.pairbot('pair', '--date', '2026-11-23')).code).toBe(0);
      for (const args of [
        ['--out', join(box.dir, 'x.json')],
        ['--format', 'csv', '--out', join(box.dir, 'csv')],
      ]) {
        const r = await box.asReader('export', ...args);
        expect(r.code, r.stderr).toBe(2);
        expect(r.stderr).toContain(`[pairbot] error: --out: cannot write ${args.at(-1)}: ${box.dir} is not writable by this user`);
      }
      expect(readdirSync(box.dir).sort()).toEqual(['data', 'roster.csv']);
    },
  );

  it('an --out folder the system cannot create (under /proc) is an error naming it, not a run that never ends', async () => {
    expect((await box.pairbot('pair', '--date', '2026-11-23')).code).toBe(0);
    // Node's recursive mkdir retries for ever where mkdir answers ENOENT under an existing folder.
    for (const args of [
      ['--format', 'csv', '--out', '/proc/pairbot-export'],
      ['--out', '/proc/pairbot-export/x.json'],
    ]) {
      const r = await box.pairbot('export', ...args);
      expect(r.code, r.stderr).not.toBe(0);
      expect(r.stderr).toContain('/proc/pairbot-export');
    }
  });

  it('stdout that cannot be written (a full disk) is one error line naming it, exit 1, not a crash', async () => {
    expect((await box.pairbot('pair', '--date', '2026-11-23')).code).toBe(0);
    // /dev/full answers every write with ENOSPC, as a full disk does.
    const r = await runProgram('sh', ['-c', `"${process.execPath}" "${BIN}" export > /dev/full`], { cwd: box.dir, env: box.env });
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('[pairbot] error: cannot write the output (stdout): no space left on the disk (ENOSPC)\n');
  });

  it('CSV cells that a spreadsheet would run as a formula are written as text', async () => {
    const roster = join(box.dir, 'formula.csv');
    writeFileSync(roster, 'id,name,timezone\nu1,"=HYPERLINK(""http://x"")",\nu2,+cmd,\nu3,ann,\nu4,ben,\n');
    const env = { ...box.env, PAIRBOT_ROSTER: roster };
    expect((await runCli(['pair', '--date', '2026-11-23'], { cwd: box.dir, env })).code).toBe(0);
    const dir = join(box.dir, 'csv-formula');
    expect((await runCli(['export', '--format', 'csv', '--out', dir], { cwd: box.dir, env })).code).toBe(0);
    const names = (parse(readFileSync(join(dir, 'members.csv'), 'utf8'), { columns: true }) as Record<string, string>[])
      .map((m) => m.name)
      .sort();
    expect(names).toEqual(["'+cmd", '\'=HYPERLINK("http://x")', 'ann', 'ben']);
  });

  it('bad flags are exit 2 with nothing written; an empty database exports empty tables', async () => {
    const bad = await box.pairbot('export', '--format', 'xml');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--format: expected json or csv, got "xml"');
    const noDir = await box.pairbot('export', '--format', 'csv');
    expect(noDir.code).toBe(2);
    expect(noDir.stderr).toContain('--out DIR');
    writeFileSync(join(box.dir, 'afile'), 'x');
    const onFile = await box.pairbot('export', '--format', 'csv', '--out', join(box.dir, 'afile'));
    expect(onFile.code).toBe(2);
    expect(readFileSync(join(box.dir, 'afile'), 'utf8')).toBe('x');
    // A JSON export whose --out is a folder is a usage error, and no temporary file is left beside it.
    const jsonOnFolder = await box.pairbot('export', '--out', box.dir);
    expect(jsonOnFolder.code).toBe(2);
    expect(jsonOnFolder.stderr).toContain(`--out: ${box.dir} is a folder; give a file name (or --format csv for a folder of files)`);
    expect(readdirSync(dirname(box.dir)).filter((f) => f.startsWith(`${basename(box.dir)}.`))).toEqual([]);

    // A database whose program has no round yet (an inbox run creates it); a missing one is exit 2 (missing-data-local).
    expect((await box.pairbot('inbox', '--date', '2026-11-24')).code).toBe(0);
    const before = statSync(dbPath()).mtimeMs;
    const empty = JSON.parse((await box.pairbot('export')).stdout) as ExportDocument;
    expect(empty).toMatchObject({ program: 'default', rounds: [], groups: [], members: [], outcomes: [] });
    expect(statSync(dbPath()).mtimeMs, 'exporting changes nothing').toBe(before);
    const dir = join(box.dir, 'empty-csv');
    expect((await box.pairbot('export', '--format', 'csv', '--out', dir)).code).toBe(0);
    expect(readFileSync(join(dir, 'groups.csv'), 'utf8')).toBe('group_id,round,formed_on,source,member_id\n');
  });

  it('export and member export show a pause as its last paused day, as members and the inbox do', async () => {
    expect((await box.pairbot('local', 'say', 'carol', 'pause until 2027-01-15', '--date', '2026-11-24')).code).toBe(0);
    expect((await box.pairbot('inbox', '--date', '2026-11-24')).code).toBe(0);
    expect((await box.pairbot('member', 'set', 'dave', '--pause-until', '2027-01-15', '--date', '2026-11-24')).code).toBe(0);
    const doc = JSON.parse((await box.pairbot('export', '--date', '2026-11-24')).stdout) as ExportDocument;
    const paused = doc.members.filter((m) => m.pauseUntil !== null).map((m) => [m.id, m.pauseUntil]);
    expect(paused).toEqual([
      ['u03', '2027-01-15'],
      ['u04', '2027-01-15'],
    ]);
    const dir = join(box.dir, 'csv');
    expect((await box.pairbot('export', '--format', 'csv', '--out', dir, '--date', '2026-11-24')).code).toBe(0);
    const rows = parse(readFileSync(join(dir, 'members.csv'), 'utf8'), { columns: true }) as Record<string, string>[];
    expect(rows.filter((m) => m.pause_until !== '').map((m) => [m.member_id, m.pause_until])).toEqual(paused);
    for (const who of ['carol', 'dave']) {
      const person = JSON.parse((await box.pairbot('member', 'export', who, '--date', '2026-11-24')).stdout) as PersonData;
      expect(person.programs[0]!.member!.pauseUntil).toBe('2027-01-15');
    }
  });

  it('member export gives everything stored about a person, but never who avoids them', async () => {
    writeHistoryFixture(dbPath());
    // A table added by a later feature (the prompt each group got) is included as it is.
    const db = new Database(dbPath());
    const davesFirst = db.prepare("SELECT MIN(group_id) FROM group_members WHERE user_id = 'u04'").pluck().get() as number;
    db.prepare('INSERT INTO group_icebreakers (group_id, prompt) VALUES (?, ?)').run(davesFirst, 'What made you smile this week?');
    db.close();
    const r = await box.pairbot('member', 'export', '@dave', '--date', '2026-12-01');
    expect(r.code, r.stderr).toBe(0);
    const dave = JSON.parse(r.stdout) as PersonData;
    expect(dave.id).toBe('u04');
    const [program] = dave.programs;
    expect(program).toMatchObject({ program: 'default', platform: 'local', member: { id: 'u04', name: 'dave', timezone: 'Asia/Kolkata' } });
    expect(program!.groups.map((g) => g.with)).toEqual([['u03'], ['u02'], ['u01']]);
    expect(program!.exclusions).toEqual([{ round: '2026-W47', reason: 'optedOut' }]);
    expect(dave.messages.map((m) => m.kind)).toEqual(['feedback-ask', 'feedback-ask']);
    expect(program!.preferences).toEqual([]);
    expect(dave.other).toEqual({ group_icebreakers: [{ group_id: davesFirst, prompt: 'What made you smile this week?' }] });
    expect(r.stdout).not.toContain('avoid');

    const carol = JSON.parse((await box.pairbot('member', 'export', 'carol')).stdout) as PersonData;
    expect(carol.programs[0]!.preferences).toEqual([{ kind: 'avoid', other: 'u04', since: '2026-11-10' }]);
    expect(carol.programs[0]!.answers.map((a) => a.answer)).toEqual(['missed', 'scheduled']);

    const nobody = await box.pairbot('member', 'export', 'zed');
    expect(nobody.code).toBe(2);
    expect(nobody.stderr).toContain('no member "zed"');
  });
});

function byKey(a: object, b: object): number {
  const ka = JSON.stringify(a);
  const kb = JSON.stringify(b);
  return ka < kb ? -1 : ka > kb ? 1 : 0;
}
