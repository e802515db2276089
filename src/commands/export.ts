import { existsSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { stringify } from 'csv-stringify/sync';
import { count } from '../core/messages.js';
import { EXIT, UsageError } from '../errors.js';
import { isFolder, requireWritableOutput, stageFile, type StagedFile } from '../files.js';
import type { ReadContext } from '../reader.js';
import type { DB } from '../store/db.js';
import {
  EXCLUSION_REASONS,
  exportedGroups,
  exportedMembers,
  exportedOutcomes,
  exportedRounds,
  type ProgramExport,
} from '../store/export.js';
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
  if (options.out !== undefined) requireWritableOutput('--out', options.out, { folder: format === 'csv' });
  return { format, ...(options.out !== undefined ? { out: options.out } : {}) };
}

/**
 * The program's tables as they are read (src/store/export.ts), counted for the summary line.
 * A program with no row yet has empty tables.
 */
function exportTables(ctx: ReadContext) {
  const counts = { rounds: 0, groups: 0, members: 0 };
  const counted = <T>(key: keyof typeof counts | undefined, items: (db: DB, programId: number) => Iterable<T>) =>
    function* (): Generator<T> {
      if (!ctx.program) return;
      for (const item of items(ctx.db, ctx.program.id)) {
        if (key) counts[key]++;
        yield item;
      }
    };
  return {
    counts,
    rounds: counted('rounds', exportedRounds),
    groups: counted('groups', exportedGroups),
    members: counted('members', exportedMembers),
    outcomes: counted(undefined, exportedOutcomes),
  };
}

type Tables = ReturnType<typeof exportTables>;

/**
 * The export document, exactly as `JSON.stringify(document, null, 2)` writes it, in pieces
 * that each end a line: the head, then each table's elements a batch at a time.
 */
function* jsonDocument(ctx: ReadContext, tables: Tables): Generator<string> {
  const head: Omit<ExportDocument, keyof ProgramExport> = {
    program: ctx.programName,
    platform: ctx.platformName,
    exportedAt: ctx.config.now.toISOString(),
  };
  yield `${JSON.stringify(head, null, 2).slice(0, -2)},\n`;
  yield* jsonArray('rounds', tables.rounds(), ',');
  yield* jsonArray('groups', tables.groups(), ',');
  yield* jsonArray('members', tables.members(), ',');
  yield* jsonArray('outcomes', tables.outcomes(), '');
  yield '}\n';
}

/** `"key": [...]` one level into the document; `after` follows the closing bracket. */
function* jsonArray(key: string, items: Iterable<unknown>, after: string): Generator<string> {
  const open = `  ${JSON.stringify(key)}: [`;
  let opened = false;
  for (const [batch, last] of batches(items)) {
    // The batch as the document holds it (one key into an object), less the lines around its elements.
    const elements = JSON.stringify({ [key]: batch }, null, 2).slice(open.length + 3, -6);
    yield `${opened ? '' : `${open}\n`}${elements}${last ? '' : ','}\n`;
    opened = true;
  }
  yield opened ? `  ]${after}\n` : `${open}]${after}\n`;
}

/**
 * Elements per piece of the JSON document: 200 groups or members make some 80 KB, below the
 * size from which V8 gives each string pages of its own (1,000 at a time cost 1.3 s more CPU
 * at 234,000 groups, much of it in page faults).
 */
const JSON_BATCH = 200;

/** `items` in arrays of up to JSON_BATCH, each with whether it is the last. */
function* batches<T>(items: Iterable<T>): Generator<[T[], boolean]> {
  let batch: T[] = [];
  for (const item of items) {
    if (batch.length === JSON_BATCH) {
      yield [batch, false];
      batch = [];
    }
    batch.push(item);
  }
  if (batch.length > 0) yield [batch, true];
}

type Cell = string | number | boolean | null;

const CSV_OPTIONS = { escape_formulas: true, cast: { boolean: (b: boolean) => (b ? 'true' : 'false') } };

/** Rows per piece of a CSV file (some 40 KB). */
const CSV_BATCH = 1000;

/** One CSV file, written a batch of rows at a time. */
class CsvTable {
  private rows: Cell[][] = [];

  constructor(
    readonly file: StagedFile,
    header: string[],
  ) {
    this.rows.push(header);
  }

  add(row: Cell[]): void {
    this.rows.push(row);
    if (this.rows.length === CSV_BATCH) this.flush();
  }

  flush(): void {
    if (this.rows.length > 0) this.file.write(stringify(this.rows, CSV_OPTIONS));
    this.rows = [];
  }
}

/** One CSV table per kind of row; lists become one row per item so spreadsheets can filter them. */
function writeCsvTables(tables: Tables, table: (file: string, header: string[]) => CsvTable): void {
  const rounds = table('rounds.csv', [
    'round',
    'period_index',
    'seed',
    'created_at',
    'groups',
    'paired',
    'opted_out',
    'paused',
    'not_due',
    'sat_out',
    'unpaired',
  ]);
  const exclusions = table('exclusions.csv', ['round', 'member_id', 'reason']);
  for (const r of tables.rounds()) {
    rounds.add([r.round, r.periodIndex, r.seed, r.createdAt, r.groups, r.paired, ...EXCLUSION_REASONS.map((k) => r.excluded[k].length)]);
    for (const k of EXCLUSION_REASONS) for (const id of r.excluded[k]) exclusions.add([r.round, id, k]);
  }
  const groups = table('groups.csv', ['group_id', 'round', 'formed_on', 'source', 'member_id']);
  for (const g of tables.groups()) for (const id of g.members) groups.add([g.id, g.round, g.formedOn, g.source, id]);
  const members = table('members.csv', [
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
  ]);
  for (const m of tables.members())
    members.add([
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
    ]);
  const outcomes = table('outcomes.csv', ['group_id', 'round', 'asked', 'outcome', 'answers']);
  const answers = table('answers.csv', ['group_id', 'member_id', 'answer', 'recorded_at']);
  for (const o of tables.outcomes()) {
    outcomes.add([o.group, o.round, o.asked, o.outcome, o.answers.length]);
    for (const a of o.answers) answers.add([o.group, a.member, a.answer, a.recordedAt]);
  }
}

export async function exportProgram(ctx: ReadContext, options: ExportOptions): Promise<number> {
  const tables = exportTables(ctx);
  if (options.format === 'json') {
    if (options.out === undefined) {
      for (const piece of jsonDocument(ctx, tables)) ctx.print(piece);
      return EXIT.ok;
    }
    const file = stageFile(options.out);
    try {
      for (const piece of jsonDocument(ctx, tables)) file.write(piece);
    } catch (err) {
      file.discard();
      throw err;
    }
    file.commit();
    ctx.log.info(`wrote ${options.out}: ${summary(tables.counts)}`);
    return EXIT.ok;
  }
  const dir = options.out!;
  if (existsSync(dir) && !statSync(dir).isDirectory())
    throw new UsageError(`--out: ${dir} is a file; --format csv writes one file per table into a folder`);
  // Every table is written beside its file before the first replaces it, so an error leaves no mix of old and new files.
  const written: CsvTable[] = [];
  try {
    writeCsvTables(tables, (name, header) => {
      const table = new CsvTable(stageFile(join(dir, name)), header);
      written.push(table);
      return table;
    });
    for (const table of written) table.flush();
  } catch (err) {
    for (const table of written) table.file.discard();
    throw err;
  }
  for (const [i, table] of written.entries()) {
    try {
      table.file.commit();
    } catch (err) {
      for (const rest of written.slice(i + 1)) rest.file.discard();
      throw err;
    }
  }
  ctx.log.info(`wrote ${written.length} CSV files to ${dir}: ${summary(tables.counts)}`);
  return EXIT.ok;
}

function summary(counts: Tables['counts']): string {
  return `${count(counts.rounds, 'round')}, ${count(counts.groups, 'group')}, ${count(counts.members, 'member')}`;
}

/** `member export <who>`: everything stored about one person, as one JSON document. */
export async function exportMember(ctx: ReadContext, who: string): Promise<number> {
  const userId = resolvePerson(ctx.db, who, ctx.program?.id);
  if (!userId)
    throw new UsageError(`no member "${who}" in this database (give a user id, username or @username; \`pairbot members\` lists them)`);
  ctx.print(JSON.stringify({ exportedAt: ctx.config.now.toISOString(), ...readPerson(ctx.db, userId) }, null, 2));
  return EXIT.ok;
}
