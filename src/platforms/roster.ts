import { readFileSync } from 'node:fs';
import { basename, extname } from 'node:path';
import { parse } from 'csv-parse/sync';
import { fileProblem, UsageError } from '../errors.js';
import { canonicalTimeZone } from '../config.js';
import { cleanName } from '../core/messages.js';
import { scanJson, utf8Text } from '../file-text.js';
import type { PlatformUser } from './types.js';

/** The columns a roster must have; `timezone` may be left out (each member then has none). */
const REQUIRED = ['id', 'name'] as const;
/** The columns that are not attributes. */
const KNOWN = [...REQUIRED, 'timezone'] as const;

/**
 * Reads the local platform's roster: CSV with header `id,name` (and optionally `timezone`)
 * and any extra columns (attributes), or a JSON array of objects with the same keys.
 * A problem names the file, the line and what is wrong (exit 2).
 */
export function readRoster(path: string): PlatformUser[] {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (err) {
    throw new UsageError(`PAIRBOT_ROSTER: cannot read roster ${path}: ${fileProblem(err)}`, {
      cause: err,
    });
  }
  // Spreadsheet programs save CSV and JSON with a UTF-8 byte order mark (utf8Text drops it).
  const text = utf8Text(basename(path), bytes, 'save the roster as UTF-8 (in a spreadsheet program: CSV UTF-8)');
  return extname(path).toLowerCase() === '.json' ? jsonUsers(path, text) : csvUsers(path, text);
}

/**
 * Checks rows one by one and collects them as users. A row is known by its index; its line
 * is asked of `lineOf` only when a message must name it, so a valid roster never counts lines.
 * The first problem in the file is the one named: a row's problem waits for a check that
 * no id before it (or its own) repeats an earlier one.
 */
class Users {
  private readonly list: PlatformUser[] = [];
  /** The row of each user in `list`. */
  private readonly rows: number[] = [];

  constructor(
    private readonly file: string,
    private readonly lineOf: (row: number) => number,
  ) {}

  add(row: number, rawId: string, rawName: string, rawZone: string, attributes: Record<string, string> | undefined): void {
    const id = rawId.trim();
    const name = cleanName(rawName).replace(/^@/, '');
    const timezone = rawZone.trim();
    if (!id) this.fail(`${this.where(row)}: empty id`);
    if (!name) this.fail(`${this.where(row)}: empty name for id "${id}"`);
    const zone = timezone ? canonicalTimeZone(timezone) : undefined;
    const user: PlatformUser = { id, name };
    if (zone) user.timezone = zone;
    if (attributes) user.attributes = attributes;
    this.list.push(user);
    this.rows.push(row);
    if (timezone && !zone)
      this.fail(`${this.where(row)}: unknown time zone "${timezone}" for ${id} (expected an IANA zone such as Europe/Berlin)`);
  }

  /** The users, once every row is added. */
  done(): PlatformUser[] {
    this.checkRepeats();
    return this.list;
  }

  fail(message: string): never {
    this.checkRepeats();
    throw new UsageError(message);
  }

  where(row: number): string {
    return `${this.file}: line ${this.lineOf(row)}`;
  }

  /**
   * Sorting the ids says whether one repeats at about a third of the cost of a Map of them
   * (100,000 members); only then a Map finds the first repeat in the file.
   */
  private checkRepeats(): void {
    const ids = this.list.map((u) => u.id).sort();
    if (ids.every((id, i) => i === 0 || id !== ids[i - 1])) return;
    const seen = new Map<string, number>();
    for (const [i, { id }] of this.list.entries()) {
      const first = seen.get(id);
      if (first !== undefined)
        throw new UsageError(`${this.where(this.rows[i]!)}: duplicate id "${id}" (first on line ${this.lineOf(first)})`);
      seen.set(id, this.rows[i]!);
    }
  }
}

function jsonUsers(path: string, text: string): PlatformUser[] {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    throw new UsageError(`${basename(path)}: not valid JSON: ${(err as Error).message}`, { cause: err });
  }
  if (!Array.isArray(data)) throw new UsageError(`${basename(path)}: expected a JSON array of {"id", "name", "timezone"} objects`);
  const { lines, repeatedKeys } = scanJson(text);
  const users = new Users(basename(path), (i) => lines[i] ?? i + 1);
  data.forEach((item, i) => {
    const where = `${basename(path)}: line ${lines[i] ?? '?'} (entry ${i + 1})`;
    const repeated = repeatedKeys.get(i);
    if (repeated !== undefined) users.fail(`${where}: ${JSON.stringify(repeated.key)} is given twice in this entry; keep one of them`);
    if (typeof item !== 'object' || item === null || Array.isArray(item)) users.fail(`${where}: expected an object`);
    const fields: Record<string, string> = {};
    for (const [k, v] of Object.entries(item)) {
      if (v === null || v === undefined) continue;
      // An id or name that is not text is a mistake to show, not to coerce ("7" and 7 differ on every platform).
      const text = isKnown(k) ? typeof v === 'string' : ['string', 'number', 'boolean'].includes(typeof v);
      if (!text) users.fail(`${where}: "${k}" must be ${isKnown(k) ? 'a string' : 'a string or number'}, got ${describe(v)}`);
      fields[k] = String(v);
    }
    for (const col of REQUIRED) if (!(col in fields)) users.fail(`${where}: missing "${col}"`);
    let attributes: Record<string, string> | undefined;
    for (const [k, v] of Object.entries(fields)) if (!isKnown(k) && v.trim() !== '') (attributes ??= {})[k] = v.trim();
    users.add(i, fields.id!, fields.name!, fields.timezone ?? '', attributes);
  });
  return users.done();
}

function isKnown(column: string): boolean {
  return (KNOWN as readonly string[]).includes(column);
}

function describe(v: unknown): string {
  return Array.isArray(v) ? 'an array' : typeof v === 'object' ? 'an object' : `${typeof v} ${JSON.stringify(v)}`;
}

function csvUsers(path: string, text: string): PlatformUser[] {
  const file = basename(path);
  const records = parseCsv(file, text);
  const header = records[0];
  if (!header) throw new UsageError(`${file}: empty roster (expected a header line id,name or id,name,timezone)`);
  const columns = header.map((c) => c.trim().toLowerCase());
  for (const col of REQUIRED) {
    if (!columns.includes(col))
      throw new UsageError(`${file}: line 1: missing column "${col}" (the header must name id and name, and may name timezone)`);
  }
  const index = new Map<string, number>();
  columns.forEach((c, i) => {
    const first = index.get(c);
    // Empty names (a header's trailing commas) are no column anyone meant.
    if (first !== undefined && c !== '')
      throw new UsageError(`${file}: line 1: column "${c}" is named twice (columns ${first + 1} and ${i + 1}); keep one of them`);
    index.set(c, i);
  });
  const [id, name] = REQUIRED.map((c) => index.get(c)!) as [number, number];
  const timezone = index.get('timezone');
  const extra = [...index].filter(([c]) => !isKnown(c));
  let lines: number[] | undefined;
  const users = new Users(file, (row) => (lines ??= recordLines(records))[row]!);
  for (let row = 1; row < records.length; row++) {
    const fields = records[row]!;
    if (fields.every((f) => f.trim() === '')) continue;
    if (fields.length !== columns.length) users.fail(`${users.where(row)}: expected ${columns.length} fields, found ${fields.length}`);
    let attributes: Record<string, string> | undefined;
    for (const [c, i] of extra) {
      const v = fields[i]!.trim();
      if (v !== '') (attributes ??= {})[c] = v;
    }
    users.add(row, fields[id]!, fields[name]!, timezone === undefined ? '' : fields[timezone]!, attributes);
  }
  return users.done();
}

const CSV_OPTIONS = {
  bom: true,
  relax_column_count: true,
  relax_quotes: true,
  record_delimiter: ['\r\n', '\n', '\r'],
};

/**
 * RFC 4180 CSV (quoted fields with commas, "" and newlines; CRLF; a byte order mark) by
 * csv-parse. The field count is checked by the caller so the message can name it.
 */
function parseCsv(file: string, text: string): string[][] {
  let records: string[][];
  try {
    records = parse(text, CSV_OPTIONS) as string[][];
  } catch (err) {
    const e = err as Error & { lines?: number; code?: string };
    const reason = e.message.replace(/^Invalid \w+:\s*/, '').replace(/\s*at line \d+.*$/, '');
    const line = e.code === 'CSV_QUOTE_NOT_CLOSED' ? unclosedQuoteLine(text) : e.lines;
    throw new UsageError(`${file}: line ${line ?? '?'}: not valid CSV: ${reason}`, { cause: err });
  }
  // With relax_quotes (a quote inside an unquoted field is kept, as in `Jo "JJ" Smith`), csv-parse also
  // reads a quoted field whose closing quote is missing, or followed by text, as plain text up to the next
  // delimiter after a quote: from another line, that swallows the lines between, members included. Such a
  // field keeps its opening quote; a field that truly starts with a quote and spans lines is not a roster's.
  for (let row = 0; row < records.length; row++) {
    for (const f of records[row]!) {
      if (f.charCodeAt(0) === 34 && /[\r\n]/.test(f)) {
        const start = f.slice(1).split(/\r\n|\r|\n/)[0];
        throw new UsageError(
          `${file}: line ${recordLines(records)[row]}: not valid CSV: the quoted field "${start} … is not closed on its line (a closing quote is missing, or text follows it), so the lines after it would be read into it`,
        );
      }
    }
  }
  return records;
}

/** The line a record with a quote never closed starts on: the line after the records before it. */
function unclosedQuoteLine(text: string): number {
  const complete: string[][] = [];
  try {
    parse(text, {
      ...CSV_OPTIONS,
      on_record: (record: string[]) => {
        complete.push(record);
        return record;
      },
    });
  } catch {
    // The same error again: the records before it are what counts.
  }
  return recordLines([...complete, []])[complete.length]!;
}

/**
 * The line each record starts on. Every line break of the text ends a record (a blank line is
 * a record of one empty field) or sits in a quoted field, where csv-parse keeps it as it is:
 * so the records' own line breaks count the lines, with no position info from the parser
 * (which costs ~3× the parse, and counts a CRLF in a quoted field as two lines).
 */
function recordLines(records: string[][]): number[] {
  const lines: number[] = [];
  let line = 1;
  for (const fields of records) {
    lines.push(line);
    line++;
    for (const f of fields) for (const _ of f.matchAll(/\r\n|\r|\n/g)) line++;
  }
  return lines;
}
