import { readFileSync } from 'node:fs';
import { basename, extname } from 'node:path';
import { parse } from 'csv-parse/sync';
import { fileProblem, UsageError } from '../errors.js';
import { isValidTimeZone } from '../config.js';
import { cleanName } from '../core/messages.js';
import type { PlatformUser } from './types.js';

const REQUIRED = ['id', 'name', 'timezone'] as const;

/**
 * Reads the local platform's roster: CSV with header `id,name,timezone` and any
 * extra columns (attributes), or a JSON array of objects with the same keys.
 * A problem names the file, the line and what is wrong (exit 2).
 */
export function readRoster(path: string): PlatformUser[] {
  let text: string;
  try {
    // Spreadsheet programs save CSV and JSON with a UTF-8 byte order mark.
    text = readFileSync(path, 'utf8').replace(/^\uFEFF/, '');
  } catch (err) {
    throw new UsageError(`PAIRBOT_ROSTER: cannot read roster ${path}: ${fileProblem(err)}`, {
      cause: err,
    });
  }
  const rows = extname(path).toLowerCase() === '.json' ? jsonRows(path, text) : csvRows(path, text);
  const users: PlatformUser[] = [];
  const seen = new Map<string, number>();
  for (const { line, fields } of rows) {
    const where = `${basename(path)}: line ${line}`;
    const id = (fields.id ?? '').trim();
    const name = cleanName(fields.name ?? '').replace(/^@/, '');
    const timezone = (fields.timezone ?? '').trim();
    if (!id) throw new UsageError(`${where}: empty id`);
    if (!name) throw new UsageError(`${where}: empty name for id "${id}"`);
    if (seen.has(id)) throw new UsageError(`${where}: duplicate id "${id}" (first on line ${seen.get(id)})`);
    if (timezone && !isValidTimeZone(timezone))
      throw new UsageError(`${where}: unknown time zone "${timezone}" for ${id} (expected an IANA zone such as Europe/Berlin)`);
    seen.set(id, line);
    const attributes: Record<string, string> = {};
    for (const [k, v] of Object.entries(fields))
      if (!(REQUIRED as readonly string[]).includes(k) && v.trim() !== '') attributes[k] = v.trim();
    users.push({ id, name, ...(timezone ? { timezone } : {}), ...(Object.keys(attributes).length ? { attributes } : {}) });
  }
  return users;
}

interface Row {
  line: number;
  fields: Record<string, string>;
}

function jsonRows(path: string, text: string): Row[] {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    throw new UsageError(`${basename(path)}: not valid JSON: ${(err as Error).message}`, { cause: err });
  }
  if (!Array.isArray(data)) throw new UsageError(`${basename(path)}: expected a JSON array of {"id", "name", "timezone"} objects`);
  const lines = entryLines(text);
  return data.map((item, i) => {
    const where = `${basename(path)}: line ${lines[i] ?? '?'} (entry ${i + 1})`;
    if (typeof item !== 'object' || item === null || Array.isArray(item)) throw new UsageError(`${where}: expected an object`);
    const fields: Record<string, string> = {};
    for (const [k, v] of Object.entries(item)) {
      if (v === null || v === undefined) continue;
      // An id or name that is not text is a mistake to show, not to coerce ("7" and 7 differ on every platform).
      const text = (REQUIRED as readonly string[]).includes(k) ? typeof v === 'string' : ['string', 'number', 'boolean'].includes(typeof v);
      if (!text)
        throw new UsageError(
          `${where}: "${k}" must be ${(REQUIRED as readonly string[]).includes(k) ? 'a string' : 'a string or number'}, got ${describe(v)}`,
        );
      fields[k] = String(v);
    }
    for (const col of ['id', 'name']) if (!(col in fields)) throw new UsageError(`${where}: missing "${col}"`);
    return { line: lines[i] ?? i + 1, fields };
  });
}

function describe(v: unknown): string {
  return Array.isArray(v) ? 'an array' : typeof v === 'object' ? 'an object' : `${typeof v} ${JSON.stringify(v)}`;
}

/** The line on which each element of the top-level JSON array starts (the text is known to parse). */
function entryLines(text: string): number[] {
  const lines: number[] = [];
  let line = 1;
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (ch === '\n') line++;
    if (inString) {
      if (ch === '\\') i++;
      else if (ch === '"') inString = false;
      continue;
    }
    if (depth === 1 && !/[\s,\]]/.test(ch)) lines.push(line);
    if (ch === '"') inString = true;
    else if (ch === '[' || ch === '{') depth++;
    else if (ch === ']' || ch === '}') depth--;
    else if (depth === 1 && ch !== ',' && !/\s/.test(ch)) {
      // A bare number, true, false or null: skip to its end.
      while (i + 1 < text.length && !/[\s,\]]/.test(text[i + 1]!)) i++;
    }
  }
  return lines;
}

function csvRows(path: string, text: string): Row[] {
  const records = parseCsv(path, text);
  const header = records.shift();
  if (!header) throw new UsageError(`${basename(path)}: empty roster (expected a header line id,name,timezone)`);
  const columns = header.fields.map((c) => c.trim().toLowerCase());
  for (const col of REQUIRED) {
    if (!columns.includes(col))
      throw new UsageError(`${basename(path)}: line 1: missing column "${col}" (the header must name id,name,timezone)`);
  }
  return records
    .filter((r) => r.fields.some((f) => f.trim() !== ''))
    .map((r) => {
      if (r.fields.length !== columns.length) {
        throw new UsageError(`${basename(path)}: line ${r.line}: expected ${columns.length} fields, found ${r.fields.length}`);
      }
      return { line: r.line, fields: Object.fromEntries(columns.map((c, i) => [c, r.fields[i]!])) };
    });
}

/**
 * RFC 4180 CSV (quoted fields with commas, "" and newlines; CRLF; a byte order mark) by
 * csv-parse. Records keep the line they start on, for error messages; the field count is
 * checked by the caller so the message can name it.
 */
function parseCsv(path: string, text: string): { line: number; fields: string[] }[] {
  let parsed: { record: string[]; info: { lines: number } }[];
  try {
    parsed = parse(text, {
      bom: true,
      info: true,
      relax_column_count: true,
      relax_quotes: true,
      record_delimiter: ['\r\n', '\n', '\r'],
    }) as unknown as typeof parsed;
  } catch (err) {
    const e = err as Error & { lines?: number };
    const reason = e.message.replace(/^Invalid \w+:\s*/, '').replace(/\s*at line \d+.*$/, '');
    throw new UsageError(`${basename(path)}: line ${e.lines ?? '?'}: not valid CSV: ${reason}`, { cause: err });
  }
  let next = 1;
  return parsed.map(({ record, info }) => {
    const line = next;
    next = info.lines + 1;
    return { line, fields: record };
  });
}
