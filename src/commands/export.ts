import { existsSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { stringify } from 'csv-stringify/sync';
import { count } from '../core/messages.js';
import { EXIT, UsageError } from '../errors.js';
import { isFolder, writeFileAtomic } from '../files.js';
import type { ReadContext } from '../reader.js';
import { EXCLUSION_REASONS, readProgramExport, type ProgramExport } from '../store/export.js';
import { readPerson, resolvePerson } from '../store/person.js';

type ExportFormat = 'json' | 'csv';

export interface ExportOptions {
  format: ExportFormat;
  out?: string;
}

/** The `export` document (SPEC §8): the program's rounds, groups, members and meeting outcomes. */
export interface ExportDocument extends ProgramExport {
  program: string;
  platform: string;
  exportedAt: string;
}

/** Checks the flags before anything is opened. */
export function validateExport(options: { format?: string; out?: string }): ExportOptions {
  const format = options.format ?? 'json';
  if (format !== 'json' && format !== 'csv') throw new UsageError(`--format: expected json or csv, got ${JSON.stringify(format)}`);
  if (options.out === '') throw new UsageError('--out: expected a path, got an empty value');
  if (format === 'csv' && options.out === undefined)
    throw new UsageError('--format csv writes one file per table: give the folder with --out DIR');
  if (format === 'json' && options.out !== undefined && isFolder(options.out))
    throw new UsageError(`--out: ${resolve(options.out)} is a folder; give a file name (or --format csv for a folder of files)`);
  return { format, ...(options.out !== undefined ? { out: options.out } : {}) };
}

function exportDocument(ctx: ReadContext): ExportDocument {
  const data: ProgramExport = ctx.program
    ? readProgramExport(ctx.db, ctx.program.id)
    : { rounds: [], groups: [], members: [], outcomes: [] };
  return { program: ctx.programName, platform: ctx.platformName, exportedAt: ctx.config.now.toISOString(), ...data };
}

/** One CSV table per kind of row; lists become one row per item so spreadsheets can filter them. */
function csvTables(doc: ExportDocument): Record<string, (string | number | boolean | null)[][]> {
  return {
    'rounds.csv': [
      ['round', 'period_index', 'seed', 'created_at', 'groups', 'paired', 'opted_out', 'paused', 'not_due', 'sat_out', 'unpaired'],
      ...doc.rounds.map((r) => [
        r.round,
        r.periodIndex,
        r.seed,
        r.createdAt,
        r.groups,
        r.paired,
        ...EXCLUSION_REASONS.map((k) => r.excluded[k].length),
      ]),
    ],
    'exclusions.csv': [
      ['round', 'member_id', 'reason'],
      ...doc.rounds.flatMap((r) => EXCLUSION_REASONS.flatMap((k) => r.excluded[k].map((id) => [r.round, id, k]))),
    ],
    'groups.csv': [
      ['group_id', 'round', 'formed_on', 'source', 'member_id'],
      ...doc.groups.flatMap((g) => g.members.map((id) => [g.id, g.round, g.formedOn, g.source, id])),
    ],
    'members.csv': [
      [
        'member_id',
        'name',
        'state',
        'frequency',
        'pause_until',
        'timezone',
        'timezone_override',
        'joined_on',
        'left_on',
        'sit_outs',
        'attributes',
      ],
      ...doc.members.map((m) => [
        m.id,
        m.name,
        m.state,
        m.frequency,
        m.pauseUntil,
        m.timezone,
        m.timezoneOverride,
        m.joinedOn,
        m.leftOn,
        m.sitOuts,
        JSON.stringify(m.attributes),
      ]),
    ],
    'outcomes.csv': [
      ['group_id', 'round', 'asked', 'outcome', 'answers'],
      ...doc.outcomes.map((o) => [o.group, o.round, o.asked, o.outcome, o.answers.length]),
    ],
    'answers.csv': [
      ['group_id', 'member_id', 'answer', 'recorded_at'],
      ...doc.outcomes.flatMap((o) => o.answers.map((a) => [o.group, a.member, a.answer, a.recordedAt])),
    ],
  };
}

export async function exportProgram(ctx: ReadContext, options: ExportOptions): Promise<number> {
  const doc = exportDocument(ctx);
  if (options.format === 'json') {
    const text = `${JSON.stringify(doc, null, 2)}\n`;
    if (options.out === undefined) {
      ctx.print(text);
      return EXIT.ok;
    }
    writeFileAtomic(options.out, text);
    ctx.log.info(`wrote ${options.out}: ${summary(doc)}`);
    return EXIT.ok;
  }
  const dir = options.out!;
  if (existsSync(dir) && !statSync(dir).isDirectory())
    throw new UsageError(`--out: ${dir} is a file; --format csv writes one file per table into a folder`);
  const tables = csvTables(doc);
  // Every table is rendered before the first is written, so an error leaves no mix of old and new files.
  const rendered = Object.entries(tables).map(
    ([file, rows]) =>
      [join(dir, file), stringify(rows, { escape_formulas: true, cast: { boolean: (b) => (b ? 'true' : 'false') } })] as const,
  );
  for (const [path, text] of rendered) writeFileAtomic(path, text);
  ctx.log.info(`wrote ${rendered.length} CSV files to ${dir}: ${summary(doc)}`);
  return EXIT.ok;
}

function summary(doc: ExportDocument): string {
  return `${count(doc.rounds.length, 'round')}, ${count(doc.groups.length, 'group')}, ${count(doc.members.length, 'member')}`;
}

/** `member export <who>`: everything stored about one person, as one JSON document. */
export async function exportMember(ctx: ReadContext, who: string): Promise<number> {
  const userId = resolvePerson(ctx.db, who, ctx.program?.id);
  if (!userId)
    throw new UsageError(`no member "${who}" in this database (give a user id, username or @username; \`pairbot members\` lists them)`);
  ctx.print(JSON.stringify({ exportedAt: ctx.config.now.toISOString(), ...readPerson(ctx.db, userId) }, null, 2));
  return EXIT.ok;
}
